"""Closure on evidence in the window (#20): the close dialog says what was and was not
confirmed and writes no feedback for the officer; a real fire proposes 119 and closes only
escalated or with the reason; on site asks who confirmed and how; the elder call shows the
elder's masked number and what the gateway's call did."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QPlainTextEdit

from console.ui.dialogs import ValuesDialog
from tests.gui.shift_rig import ShiftRig


@pytest.fixture
def rig(qtbot: Any, tmp_path: Path) -> Iterator[ShiftRig]:
    r = ShiftRig(qtbot, tmp_path / "journal.sqlite")
    try:
        yield r
    finally:
        r.close()


def open_dialog(rig: ShiftRig, action: str) -> ValuesDialog:
    rig.caught_up()  # the panel shows the incident's latest version (a command names it)
    if action == "inform":
        rig.window.panel.do_key("I")  # a step with no action of its own: its key
    else:
        rig.window.panel.do_action(action)
    rig.qtbot.waitUntil(lambda: isinstance(rig.window.panel.active_dialog, ValuesDialog))
    dlg = rig.window.panel.active_dialog
    assert isinstance(dlg, ValuesDialog)
    return dlg


def choose(dlg: ValuesDialog, name: str, code: str) -> None:
    box = dlg.fields[name]
    assert isinstance(box, QComboBox)
    box.setCurrentIndex(box.findData(code))


def test_a_real_fire_closes_with_its_evidence_and_119_or_a_reason(rig: ShiftRig) -> None:
    assert rig.world(lambda w: w.rules) == 2  # this console writes its journal under closure on evidence
    hh = rig.realistic_incident()
    inc = rig.incident_of(hh)
    # the grid worker's "1" confirmed the dispatch; on site: who confirmed it and how (the
    # responder the dispatch named is offered)
    assert rig.incident_of(hh).dispatched_at is not None
    dlg = open_dialog(rig, "on_site")
    who = dlg.fields["who"]
    assert isinstance(who, QLineEdit) and who.text()  # the dispatched responder, masked
    assert "****" in who.text()  # its number masked
    choose(dlg, "confirmed_by", "phone")
    dlg.accept()
    rig.qtbot.waitUntil(lambda: rig.incident_of(hh).on_site_at is not None)
    assert rig.incident_of(hh).steps["on_site"].values["confirmed_by"] == "phone"
    # the cause: a real fire
    dlg = open_dialog(rig, "resolve")
    choose(dlg, "cause", "real_fire")
    dlg.accept()
    rig.qtbot.waitUntil(lambda: rig.incident_of(hh).cause == "real_fire")
    dlg = open_dialog(rig, "inform")
    choose(dlg, "who", "both")
    choose(dlg, "how", "in_person")
    assert not dlg.fields["outcome"].isEnabled()  # only a call has an outcome
    dlg.accept()
    rig.qtbot.waitUntil(lambda: "inform" in rig.incident_of(hh).steps)
    # the close: the proposal, what was and was not confirmed, an empty feedback box
    dlg = open_dialog(rig, "close")
    proposal = dlg.findChild(QLabel, "proposal")
    assert proposal is not None and "119" in proposal.text()
    facts = dlg.findChild(QLabel, "facts")
    assert facts is not None
    lines = facts.text().split("\n")
    assert "✘ Elder reached: not recorded" in lines and "✔ On site confirmed (by phone)" in lines
    assert "✘ Escalated as the cause calls for: not recorded" in lines
    feedback = dlg.fields["feedback"]
    assert isinstance(feedback, QPlainTextEdit) and feedback.toPlainText() == ""
    feedback.setPlainText("明火已由网格员扑灭，老人无恙")
    dlg.accept()  # no reason to skip 119: refused, in words
    rig.qtbot.waitUntil(lambda: rig.window.panel.refusal.isVisible())
    assert "119" in rig.window.panel.refusal.text() and rig.incident_of(hh).is_open
    dlg = open_dialog(rig, "close")
    dlg.fields["feedback"].setPlainText("明火已由网格员扑灭，老人无恙")  # type: ignore[union-attr]
    skip = dlg.fields["skip_escalation"]
    assert isinstance(skip, QPlainTextEdit)
    skip.setPlainText("网格员到场前火已熄灭，消防确认无需出警")
    dlg.accept()
    rig.qtbot.waitUntil(lambda: not rig.incident_of(hh).is_open)
    done = rig.incident_of(hh).steps["close"].values
    assert done["skip_escalation"].startswith("网格员") and done["feedback"].startswith("明火")
    assert inc.id not in rig.window.queue.incidents or not rig.incident_of(hh).is_open


def test_after_a_real_fire_is_recorded_the_escalation_to_119_stays_open(rig: ShiftRig) -> None:
    from console.bootstrap import services

    rig.engine.services = services()  # as the console's wiring does (the shipped escalation.toml)
    hh = rig.realistic_incident()
    dlg = open_dialog(rig, "resolve")
    choose(dlg, "cause", "real_fire")
    dlg.accept()
    rig.qtbot.waitUntil(lambda: rig.incident_of(hh).cause == "real_fire")
    rig.caught_up()
    assert rig.window.panel.buttons["escalate"].isEnabled()
    rig.window.panel.escalate("fire_119")
    rig.qtbot.waitUntil(lambda: "fire_119" in rig.incident_of(hh).escalations)
    inc = rig.incident_of(hh)
    services = [n for n in inc.notifications.values() if n.role == "service:fire_119"]
    assert {n.channel for n in services} == {"voice", "sms"}  # the district's numbers, told
    rig.caught_up()
    assert not rig.window.panel.buttons["escalate"].isEnabled()  # nothing more the cause calls for


def test_the_elder_call_shows_the_masked_number_and_asks_the_outcome(rig: ShiftRig) -> None:
    hh = rig.realistic_incident()
    t = rig.window.panel.template()
    assert t is not None
    step = next(s for s in t.steps if s.id == "call_elder")
    rig.window.panel.complete(step)
    rig.qtbot.waitUntil(lambda: isinstance(rig.window.panel.active_dialog, ValuesDialog))
    dlg = rig.window.panel.active_dialog
    assert isinstance(dlg, ValuesDialog)
    line = dlg.findChild(QLabel, "elderLine")
    assert line is not None
    elders = hh.contacts_by_role("elder")
    if elders:
        assert elders[0].phone not in line.text() and elders[0].phone[-4:] in line.text()
        assert "gateway" in line.text()
    else:
        assert "no elder" in line.text()
    dlg.accept()  # nothing chosen
    assert dlg.isVisible() and dlg.missing.isVisible()
    choose(dlg, "outcome", "needs_help")
    choose(dlg, "how", "by_hand")
    dlg.accept()
    rig.qtbot.waitUntil(lambda: "call_elder" in rig.incident_of(hh).steps)
    assert rig.incident_of(hh).steps["call_elder"].values == {"outcome": "needs_help", "how": "by_hand"}


def test_the_elder_call_dialog_places_the_call_through_the_gateway(rig: ShiftRig) -> None:
    from PySide6.QtWidgets import QPushButton

    hh = next(
        h
        for h in rig.register.households.values()
        if h.contacts_by_role("elder") and any(d.kind == "smoke" for d in h.devices)
    )
    rig.device_event(hh, "alarm")
    inc = rig.incident_of(hh)
    rig.qtbot.waitUntil(lambda: inc.id in rig.window.queue.incidents, timeout=10_000)
    rig.window.select(inc.id)
    rig.window.panel.do_action("acknowledge")
    rig.caught_up()
    t = rig.window.panel.template()
    assert t is not None
    rig.window.panel.complete(next(s for s in t.steps if s.id == "call_elder"))
    rig.qtbot.waitUntil(lambda: isinstance(rig.window.panel.active_dialog, ValuesDialog))
    dlg = rig.window.panel.active_dialog
    assert isinstance(dlg, ValuesDialog)
    button = dlg.findChild(QPushButton, "btn_place_call")
    assert button is not None and button.isEnabled()
    button.click()
    rig.qtbot.waitUntil(
        lambda: any(e.what == "call_placed:elder" for e in rig.incident_of(hh).timeline), timeout=5000
    )
    assert not button.isEnabled()
    how = dlg.fields["how"]
    assert isinstance(how, QComboBox) and how.currentData() == "gateway_call"
    choose(dlg, "outcome", "safe")
    dlg.accept()
    rig.qtbot.waitUntil(lambda: "call_elder" in rig.incident_of(hh).steps)
    assert rig.incident_of(hh).steps["call_elder"].values == {"outcome": "safe", "how": "gateway_call"}
