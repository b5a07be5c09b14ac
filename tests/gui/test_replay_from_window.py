"""Replay from the officer's window (#20 point 4): a closed incident (no longer in the queue) is
found by number, household or day and opens in the replay window at its opening, selected; the
queue's P key replays the highlighted one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDate

from console.bootstrap import build_replay
from console.domain import events as ev
from console.ui.incident_search import CST, NS
from console.ui.main_window import MainWindow
from tests.gui.shift_rig import ShiftRig


class ReplayRig(ShiftRig):
    """The shift rig with the window's replay wired to the rig's own journal (as the bootstrap
    wires it to the console's store)."""

    def __init__(self, qtbot: Any, path: Path) -> None:
        super().__init__(qtbot, path)
        self.window.make_replay = lambda: build_replay(self.store, self.register)
        self.window.find_action.setEnabled(True)
        self.window.replay_action.setEnabled(True)


@pytest.fixture
def rig(qtbot: Any, tmp_path: Path) -> Iterator[ReplayRig]:
    r = ReplayRig(qtbot, tmp_path / "journal.sqlite")
    yield r
    if r.window.replay_window is not None:
        r.window.replay_window.close()
    r.close()


def closed_incident(rig: ShiftRig) -> Any:
    """An alarm worked to its close by the officer (cooking smoke), then gone from the queue."""
    hh = rig.household()
    rig.device_event(hh, "alarm")
    inc = rig.incident_of(hh)
    steps = [
        ("ack", {}),
        ("call_elder", {"outcome": "safe", "how": "by_hand"}),
        ("resolve", {"cause": "cooking_smoke"}),
        ("inform", {"who": "both", "how": "call", "outcome": "safe"}),
        ("close", {"feedback": "已电话回访老人，确认为做饭油烟"}),
    ]
    for step, values in steps:
        rig.submit(
            ev.CompleteStep(
                at=0, operator="op1", console=rig.console, incident=inc.id, step=step, values=values
            )
        )
        rig.advance(5)
    done = rig.incident_of(hh)
    assert done.state == "closed", done.timeline
    rig.qtbot.waitUntil(lambda: inc.id not in rig.window.queue.incidents, timeout=10_000)
    return done


def replayed_at(rig: ReplayRig, qtbot: Any, incident: Any) -> Any:
    qtbot.waitUntil(
        lambda: rig.window.replay_window is not None and rig.window.replay_window.ready, timeout=30_000
    )
    win = rig.window.replay_window
    qtbot.waitUntil(lambda: win.panel.incident is not None, timeout=10_000)
    assert win.panel.incident.id == incident.id
    assert win.replay.pos == win.replay.marker(incident.id).pos  # at its opening
    assert win.panel.incident.state != "closed"  # as it stood then
    assert "REPLAY" in win.windowTitle() and f"#{incident.id}" in win.windowTitle()
    return win


def test_a_closed_incident_found_by_number_opens_in_replay_at_its_opening(rig: ReplayRig, qtbot: Any) -> None:
    inc = closed_incident(rig)
    w: MainWindow = rig.window
    w.find_action.trigger()  # Ctrl+F
    dlg = w.incident_search
    assert dlg is not None and dlg.isVisible()
    dlg.number.setText(f"#{inc.id}")
    dlg.find_button.click()
    qtbot.waitUntil(lambda: dlg.table.rowCount() == 1, timeout=5000)
    assert dlg.table.item(0, 4).text() == "Closed"
    assert dlg.table.item(0, 5).text() == "Cooking smoke"
    assert dlg.replay_button.isEnabled()
    dlg.replay_button.click()
    replayed_at(rig, qtbot, inc)


def test_search_by_household_and_by_day(rig: ReplayRig, qtbot: Any) -> None:
    inc = closed_incident(rig)
    rig.window.find_incident()
    dlg = rig.window.incident_search
    hh = rig.register.households[inc.household]
    dlg.text.setText(hh.residents[0].name if hh.residents else hh.address)
    dlg.find_button.click()
    qtbot.waitUntil(lambda: any(i.id == inc.id for i in dlg.found), timeout=5000)
    day = __import__("datetime").datetime.fromtimestamp(inc.opened / NS, tz=CST)
    dlg.text.clear()
    dlg.on_day.setChecked(True)
    dlg.day.setDate(QDate(day.year, day.month, day.day).addDays(1))
    dlg.find_button.click()
    qtbot.waitUntil(lambda: "No incident found" in dlg.status.text(), timeout=5000)
    dlg.day.setDate(QDate(day.year, day.month, day.day))
    dlg.find_button.click()
    qtbot.waitUntil(lambda: [i.id for i in dlg.found] == [inc.id], timeout=5000)
    dlg.close()


def test_p_replays_the_highlighted_queue_incident(rig: ReplayRig, qtbot: Any) -> None:
    hh = rig.household()
    rig.device_event(hh, "alarm")
    inc = rig.incident_of(hh)
    qtbot.waitUntil(lambda: inc.id in rig.window.queue.incidents, timeout=10_000)
    rig.window.select(inc.id)
    rig.window.replay_action.trigger()  # P
    replayed_at(rig, qtbot, inc)


def test_without_a_journal_to_replay_the_entries_are_off(qtbot: Any, tmp_path: Path) -> None:
    r = ShiftRig(qtbot, tmp_path / "journal.sqlite")  # no make_replay wired
    try:
        assert not r.window.find_action.isEnabled() and not r.window.replay_action.isEnabled()
        r.window.open_replay(1)
        assert r.window.replay_window is None
    finally:
        r.close()
