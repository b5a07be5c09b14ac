"""Checklist templates: the shipped files load, and a hand-edited mistake is caught with a reason."""

from __future__ import annotations

import pytest

from console.app.data import load_templates
from console.domain.checklist import CAUSES, FALSE_ALARM_CAUSES, TemplateError, parse_template
from console.domain.events import KINDS
from tests.unit.helpers import ROOT

CHECKLISTS = ROOT / "resources" / "checklists"

GOOD = """
kind = "smoke"
title_zh = "烟感"
title_en = "Smoke"

[[steps]]
id = "ack"
stage = 1
action = "acknowledge"
title_zh = "确认"
title_en = "Ack"

[[steps]]
id = "resolve"
stage = 30
action = "resolve"
records = ["cause"]
after = ["ack"]
title_zh = "原因"
title_en = "Cause"

[[steps]]
id = "close"
stage = 30
action = "close"
after = ["resolve"]
title_zh = "关闭"
title_en = "Close"
"""


def test_shipped_templates_load_for_every_alarm_kind() -> None:
    ts = load_templates(CHECKLISTS)
    assert set(KINDS) <= set(ts)
    for kind in KINDS:
        t = ts[kind]
        assert t.kind == kind
        for action in ("acknowledge", "dispatch", "on_site", "resolve", "close"):
            assert t.action_step(action) is not None, (kind, action)
        resolve = t.action_step("resolve")
        assert resolve is not None and "cause" in resolve.records
        close = t.action_step("close")
        assert close is not None and "feedback" in close.records
        assert t.notify and {"elder", "guardian", "grid_worker", "cadre"} <= set(t.notify[0].roles)
        assert "district" in t.escalate_to


def test_false_alarm_causes_waive_dispatch_and_on_site_everywhere() -> None:
    ts = load_templates(CHECKLISTS)
    for kind in KINDS:
        for sid in ("dispatch", "on_site"):
            s = ts[kind].step(sid)
            assert s is not None
            assert {"false_alarm", "device_fault", "test"} <= set(s.waived_by_causes)
    # cooking smoke is a false alarm only for a smoke detector
    smoke_dispatch = ts["smoke"].step("dispatch")
    gas_dispatch = ts["gas"].step("dispatch")
    assert smoke_dispatch is not None and gas_dispatch is not None
    assert "cooking_smoke" in smoke_dispatch.waived_by_causes
    assert "cooking_smoke" not in gas_dispatch.waived_by_causes
    assert set(FALSE_ALARM_CAUSES) <= set(CAUSES)


def test_good_template_parses_with_defaults() -> None:
    t = parse_template(GOOD)
    assert [s.id for s in t.steps] == ["ack", "resolve", "close"]
    ack = t.step("ack")
    assert ack is not None and ack.required and ack.who == "officer" and ack.after == ()
    assert t.step("nope") is None
    assert t.notify == ()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda s: s.replace('id = "resolve"', 'id = "ack"'), "duplicate step ids"),
        (lambda s: s.replace('stage = 30\naction = "close"', 'stage = 7\naction = "close"'), "stage"),
        (lambda s: s.replace('action = "close"', 'action = "explode"'), "unknown action"),
        (lambda s: s.replace('after = ["resolve"]', 'after = ["later"]'), "not an earlier step"),
        (
            lambda s: s.replace('after = ["ack"]', 'after = ["close"]'),
            "not an earlier step",
        ),
        (
            lambda s: s.replace('after = ["resolve"]', 'after = ["resolve"]\nwaived_by_causes = ["aliens"]'),
            "unknown cause",
        ),
        (lambda s: s.replace('action = "acknowledge"', 'action = ""'), "acknowledge"),
        (lambda s: s.replace('action = "close"', ""), "close"),
        (lambda s: s + "\n[[steps]\n", ""),  # broken TOML
        (lambda s: s.replace("stage = 1", 'stage = "one"'), ""),  # wrong type
        (lambda s: s.replace('kind = "smoke"', ""), ""),  # missing field
    ],
)
def test_template_mistakes_are_caught(edit: object, message: str) -> None:
    assert callable(edit)
    text = edit(GOOD)
    assert text != GOOD
    with pytest.raises(TemplateError, match=message or None):
        parse_template(text)
