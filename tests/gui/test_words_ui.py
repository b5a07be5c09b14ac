"""Words, not codes (#20 point 6): after a realistic incident (alarm, notifications, a failure
and its retry, a grid worker's reply, a device ticket) no raw code reaches a visible widget, in
English or Chinese; the language switch rewords every widget at once and the menu marks the
language shown."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from console.ui import words
from console.ui.app import install_translations
from console.ui.queue_model import short_address
from tests.gui.shift_rig import ShiftRig
from tests.gui.visible_text import visible_texts

CODE = re.compile(r"\b[a-z]+_[a-z_]+\b|\b[a-z_]{2,}:\S")
RAW = {"sms", "voice", "mute", "notify", "step", "retry", "switch", "reply"}
CJK = re.compile(r"[\u3400-\u9fff]")
ENGLISH = re.compile(r"[A-Za-z]{4,}")


@pytest.fixture
def rig(qtbot: Any, tmp_path: Path, qapp: QApplication) -> Iterator[ShiftRig]:
    r = ShiftRig(qtbot, tmp_path / "journal.sqlite")
    yield r
    r.close()
    install_translations(qapp, "en")


def every_view(rig: ShiftRig) -> list[tuple[str, str]]:
    """What the officer can see, tab by tab: the queue and the tickets, the notifications and
    the timeline, and the household file."""
    w = rig.window
    out: list[tuple[str, str]] = []
    for left in range(2):
        w.left_tabs.setCurrentIndex(left)
        for right in range(2):
            w.panel.tabs.setCurrentIndex(right)
            out += visible_texts(w)
    w.left_tabs.setCurrentIndex(0)
    return out


def household_file(rig: ShiftRig, qtbot: Any, code: str) -> list[tuple[str, str]]:
    rig.window.house_file = None
    rig.window.open_household(code)
    qtbot.waitUntil(
        lambda: rig.window.house_file is not None and rig.window.house_file.isVisible(), timeout=5000
    )
    f = rig.window.house_file
    assert f is not None
    texts = visible_texts(f)
    f.close()
    return texts


def raw_codes(texts: list[tuple[str, str]]) -> list[tuple[str, str]]:
    shown = [(k, re.sub(r"<[^>]+>", " ", t)) for k, t in texts]  # rich text's markup is not shown
    return [(k, t) for k, t in shown if CODE.search(t) or set(re.findall(r"\b[a-z]+\b", t)) & RAW]


def data_of(rig: ShiftRig) -> list[str]:
    """Names, addresses, codes: the register's, shown as they are in every language."""
    out: set[str] = set()
    for hh in rig.register.households.values():
        out.update(
            {
                hh.address,
                short_address(hh, rig.register),
                hh.code,
                *(c.name for c in hh.contacts),
                *(p.name for p in hh.residents),
            }
        )
        out.update(d.id for d in hh.devices)
    out.update(a.name for a in rig.register.areas.values())
    out.add(rig.op.name)
    # what the provider said, as it said it (the rig's gateway), key names, each language's own name
    out.update({"number unreachable", "sim", "Ctrl", "English", "中文"})
    return sorted(out, key=len, reverse=True)


def without_data(text: str, data: list[str]) -> str:
    text = re.sub(r"<[^>]+>", " ", text)  # rich text's markup is not shown
    if text.endswith("…") and any(d.startswith(text[:-1]) for d in data):
        return ""  # a name cut to fit (the wall's township names)
    for d in data:
        if d and d in text:
            text = text.replace(d, " ")
    return text


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_no_raw_code_reaches_a_visible_widget(
    rig: ShiftRig, qtbot: Any, qapp: QApplication, lang: str
) -> None:
    assert install_translations(qapp, lang)
    hh = rig.realistic_incident()
    texts = every_view(rig) + household_file(rig, qtbot, hh.code)
    assert rig.window.panel.timeline.rowCount() >= 8  # the realistic incident left a timeline
    raw = raw_codes(texts)
    assert raw == [], "\n".join(map(repr, raw))


def test_the_language_switch_rewords_every_widget_at_once(
    rig: ShiftRig, qtbot: Any, qapp: QApplication
) -> None:
    hh = rig.realistic_incident()
    data = data_of(rig)
    w = rig.window
    assert w.language_actions["en"].isChecked() and not w.language_actions["zh_CN"].isChecked()
    w.choose_locale("zh_CN")
    qtbot.waitUntil(lambda: w.panel.tabs.tabText(1) == "时间线", timeout=5000)
    assert w.language_actions["zh_CN"].isChecked() and not w.language_actions["en"].isChecked()
    texts = every_view(rig) + household_file(rig, qtbot, hh.code)
    english = [(k, t) for k, t in texts if ENGLISH.search(without_data(t, data))]
    assert english == [], "\n".join(map(repr, english))
    w.toggle_wall()  # the wall screen, open during the switch, follows it too
    qtbot.waitUntil(lambda: w.wall is not None and w.wall.isVisible(), timeout=5000)
    w.choose_locale("en")
    qtbot.waitUntil(lambda: w.panel.tabs.tabText(1) == "Timeline", timeout=5000)
    assert w.language_actions["en"].isChecked()
    assert words.state("closed") == "Closed"
    qtbot.waitUntil(lambda: w.wall.windowTitle() == "Guardian Console — wall", timeout=5000)
    texts = every_view(rig) + household_file(rig, qtbot, hh.code) + visible_texts(w.wall)
    w.wall.close()
    chinese = [(k, t) for k, t in texts if CJK.search(without_data(t, data))]
    assert chinese == [], "\n".join(map(repr, chinese))


# every code the domain notes on a timeline (grep `.note(` in console/domain), with a detail as
# the domain writes it
TIMELINE = [
    ("step:ack", ""),
    ("step:resolve", "cause=cooking_smoke"),
    ("step:dispatch", "confirmed_by=sms; responder=李秀建 19900748941 (grid_worker)"),
    ("missed:5", "301"),
    ("miss_ack:5", ""),
    ("mute", "860009831847561"),
    ("escalate:district", "missed 5 min"),
    ("escalate:fire_119", ""),
    ("refused:incident_closed", "5"),
    ("refused:out_of_order", "ack"),
    ("reassign", "op2"),
    ("reply:grid_worker", "going (sms)"),
    ("reply:guardian", "other (key)"),
    ("dispatch_confirmed", "grid_worker (sms)"),
    ("responder_cannot", "grid_worker; next cadre"),
    ("responder_cannot", "neighbour; next -"),
    ("alarm", "smoke 860009831847561"),
    ("reignition", "860009831847561"),
    ("unregistered_device", "860009831847561"),
    ("restore", "smoke 860009831847561"),
    ("notify_held", "guardian,grid_worker: storm"),
    ("notify_released", "guardian: score:40"),
    ("notify_dropped", "guardian: restored"),
    ("alert_out", "accepted"),
    ("alert_delivered", ""),
    ("alert_published", "8"),
    ("notify:guardian:sms", "failed number unreachable"),
    ("notify:elder:voice", "answered"),
    ("switch:guardian:voice", "sms"),
    ("retry:guardian:sms", "2"),
    ("bulk_close", "c1@1764500000000000000 cooking_smoke x3"),
]
RISK = [
    "group:living_alone",
    "age80:R1",
    "missing:co",
    "offline:D1",
    "low_battery:D1",
    "fault:D1",
    "tamper:D1",
    "no_co_with_gas",
    "incidents_90d:2",
    "real_fires_365d:1",
]


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_every_timeline_code_risk_reason_and_refusal_has_words(qapp: QApplication, lang: str) -> None:
    from console.ui.personal import mask_text

    assert install_translations(qapp, lang)
    try:
        for code, detail in TIMELINE:
            what, said = words.timeline_entry(code, detail, lambda s: f"[{s}]")
            assert what != code and not CODE.search(what), (code, what)
            assert not CODE.search(said) and said == mask_text(said), (code, said)
            assert "19900748941" not in said
        for code in RISK:
            said = words.risk_reason(code, lambda ident: f"<{ident}>")
            assert said != code and not CODE.search(said), (code, said)
        from tests.gui.test_words_ui import _refusal_codes

        for code in _refusal_codes():
            said = words.refusal(code, "x")
            assert not CODE.search(said) and not said.startswith(("Refused (", "操作被拒绝（")), (code, said)
    finally:
        install_translations(qapp, "en")


def _refusal_codes() -> set[str]:
    """Every refusal code the domain gives (``Refusal("…")`` / ``CommandRefused(…, "…")``)."""
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[2] / "console" / "domain"
    found: set[str] = set()
    for path in root.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        found.update(re.findall(r'Refusal\("([a-z_]+)"', text))
        found.update(re.findall(r'CommandRefused\([^)]*?"([a-z_]+)"', text))
    assert len(found) > 25
    return found
