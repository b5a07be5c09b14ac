"""Flood control in the window (issue 15 parts 4-5): after a generated storm restores, Ctrl+B closes
"all restored cooking smoke in township X" with ONE journaled BulkClose; each incident gets its
own outcome (closed, or refused with the reason: the home that alarms again while the officer
looks at the list stays open); the header shows the notifications a storm holds back; K journals
one AckMiss per shown miss and the banner stops.

A real engine over a real SQLite journal (the test reads it back), the real MainWindow, a
FakeClock; the storm comes from tests/unit/storms.py. Events go in as the bus hands them, the
engine is synced by a query after each step, the window is waited on by condition; nothing sleeps.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QTableWidget

from console.app.clock import FakeClock
from console.app.engine import Engine
from console.bootstrap import make_world, templates, triage
from console.domain import events as ev
from console.domain.bulk import restored_candidates
from console.io.store.store import SqlStore
from console.ui.bulk_dialog import BulkCloseDialog
from console.ui.main_window import MainWindow
from console.ui.operator import Operator
from console.ui.qtsink import QtSink
from tests.support import NS, Publisher
from tests.unit import storms

_ids = itertools.count(1)


class Rig:
    def __init__(self, qtbot: Any, path: Path, register: Any, start_ns: int) -> None:
        self.qtbot = qtbot
        self.register = register
        self.clock = FakeClock(start_ns)
        self.sink = QtSink()
        self.console = f"bulk{next(_ids)}"
        self.store = SqlStore(path)
        self.store.save_register(register)
        self.engine = Engine(
            make_world(register),
            self.store.journal,
            self.clock,
            self.console,
            publisher=Publisher(),
            sink=self.sink,
        )
        self.engine.recover()
        self.engine.start()
        self.engine.submit_command(
            ev.Login(at=0, operator="op1", console=self.console, role="district_officer", scope="*")
        )
        self.engine.submit_command(ev.BusStatus(at=0, state="connected"))
        self.window = MainWindow(
            self.engine,
            self.sink,
            templates(),
            Operator("op1", "district_officer", "*"),
            self.console,
            triage=triage(),
        )
        self.window.timer.stop()  # the 1 s tick is driven by hand
        qtbot.addWidget(self.window)
        self.window.show()
        qtbot.waitExposed(self.window)
        self.window.activateWindow()
        qtbot.waitUntil(lambda: self.window.status is not None and self.window.status.bus == "connected")

    def sync(self) -> None:
        self.engine.query(lambda w: None).result(10)

    def world(self, fn: Callable[[Any], Any]) -> Any:
        return self.engine.query(fn).result(10)

    def feed(self, events: list[ev.DeviceEvent]) -> None:
        for e in events:
            if e.at > self.clock.now_ns():
                self.clock.set(e.at)
            self.engine.submit_command(e)
            self.sync()

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.engine.poke()
        self.sync()
        self.sync()

    def caught_up(self) -> None:
        want = self.world(lambda w: {i.id: i.version for i in w.open_incidents()})
        self.qtbot.waitUntil(
            lambda: {k: v.version for k, v in self.window.queue.incidents.items()} == want, timeout=10_000
        )

    def status_caught_up(self) -> None:
        """The window has a status made after everything applied so far."""
        self.sync()
        seq = self.engine.status().last_seq
        # the storm facts and the held list too (the engine remakes them at most once a second)
        self.qtbot.waitUntil(
            lambda: self.window.status is not None and self.window.status.storm_seq >= seq, timeout=10_000
        )

    def records(self, type_: str) -> list[Any]:
        return [r for r in self.store.journal.read(1) if r.type == type_]

    def key(self, k: Any, modifier: Any = Qt.KeyboardModifier.NoModifier) -> None:
        if QApplication.activeModalWidget() is None:
            self.window.activateWindow()
            self.qtbot.waitUntil(lambda: QApplication.activeWindow() is self.window, timeout=2000)
        self.qtbot.keyClick(self.window, k, modifier)

    def close(self) -> None:
        self.window.close()
        self.engine.stop()
        self.store.close()


@pytest.fixture
def rig(qtbot: Any, tmp_path: Path) -> Iterator[Rig]:
    s = storms.co_rising_in_a_cooking_burst()
    r = Rig(qtbot, tmp_path / "journal.sqlite", s.register, s.events[0].at - NS)
    r.storm = s  # type: ignore[attr-defined]
    yield r
    r.close()


def test_held_back_notifications_show_in_the_header_during_the_storm(rig: Rig) -> None:
    s: storms.Storm = rig.storm  # type: ignore[attr-defined]
    rig.feed([e for e in s.events if e.at <= s.events[0].at + 60 * NS])
    held = rig.world(lambda w: [(h.incident, h.role) for h in w.held_notifications()])
    assert held, "a storm holds grid workers and cadres back"
    rig.status_caught_up()
    rig.window.on_second()
    header = rig.window.header
    assert header.storm_banner.isVisible()
    storm = rig.world(lambda w: w.storm(rig.clock.now_ns()))
    assert header.storm_banner.text() == (
        f"Alarm storm: {storm.new_in_window} in 3 min, {storm.restored_in_window} restored"
    )
    assert [(h.incident, h.role) for h in header.held] == held
    assert header.held_button.isVisible()
    assert str(len(held)) in header.held_button.text()
    first = header.held[0]
    assert first.household in header.held_button.toolTip()
    header.held_button.click()
    table = header.held_dialog.findChild(QTableWidget, "heldTable")
    assert table is not None and table.rowCount() == len(held)
    codes = {table.item(r, 0).text() for r in range(table.rowCount())}
    assert codes == {h.household for h in header.held}
    assert {table.item(r, 1).text() for r in range(table.rowCount())} <= {"Grid worker", "Community cadre"}
    header.held_dialog.close()


def test_bulk_close_all_restored_cooking_smoke_in_a_township(rig: Rig) -> None:
    s: storms.Storm = rig.storm  # type: ignore[attr-defined]
    rig.feed(s.events)
    rig.advance(200)  # every false alarm restored; the CO emergency still alarms
    rig.caught_up()
    cands = rig.world(lambda w: restored_candidates(w, kind="smoke", cause_hint="cooking_smoke"))
    by_township = Counter(rig.world(lambda w: [w.incidents[i].township for i in cands]))
    township, n = by_township.most_common(1)[0]
    assert n >= 5
    win = rig.window
    rig.key(Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    rig.qtbot.waitUntil(lambda: isinstance(win.bulk_dialog, BulkCloseDialog) and win.bulk_dialog.isVisible())
    dlg = win.bulk_dialog
    dlg.choose(township=township, kind="smoke", cause="cooking_smoke")
    listed = list(dlg.ids)
    want = rig.world(
        lambda w: restored_candidates(w, township=township, kind="smoke", cause_hint="cooking_smoke")
    )
    assert listed == want and len(listed) == n
    assert dlg.list.count() == n and str(n) in dlg.count.text()
    # while the officer reads the list, one of those homes alarms again: a fire, still alarming
    fire = listed[len(listed) // 2]
    code = rig.world(lambda w: w.incidents[fire].household)
    dev = next(d for d in s.register.households[code].devices if d.kind == "smoke")
    hh = s.register.households[code]
    again = ev.DeviceEvent(
        at=rig.clock.now_ns(),
        district="SIM",
        township=hh.township,
        dev=dev.id,
        id="fire-again",
        kind="smoke",
        evt="alarm",
        ts=rig.clock.now_ns(),
    )
    rig.feed([again])
    dlg.elder_reached.setChecked(True)
    assert "Cooking smoke" in dlg.confirm.text() and str(n) in dlg.confirm.text()
    before = len(list(rig.store.journal.read(1)))
    dlg.confirm.click()
    rig.qtbot.waitUntil(lambda: dlg.closed is not None, timeout=10_000)
    # ONE journal record, naming every incident
    bulk = [r for r in rig.store.journal.read(before + 1) if r.type == "bulk"]
    assert len(bulk) == 1
    cmd = ev.decode(bulk[0].body)
    assert isinstance(cmd, ev.BulkClose) and cmd.incidents == listed and cmd.cause == "cooking_smoke"
    assert cmd.elder_reached and cmd.console == rig.console
    assert len(rig.records("bulk")) == 1
    # each incident its own outcome
    outcome = rig.world(
        lambda w: {
            i: (w.incidents[i].is_open, [e.what for e in w.incidents[i].timeline if e.at == cmd.at])
            for i in listed
        }
    )
    assert outcome[fire][0], "the fire that alarms again stays open"
    assert outcome[fire][1] == ["refused:not_restored"]
    for iid in listed:
        if iid == fire:
            continue
        is_open, whats = outcome[iid]
        assert not is_open and "bulk_close" in whats and "step:close" in whats, iid
    # the window: the summary and the refusal with its reason
    assert dlg.summary.text() == f"{n - 1} closed, 1 refused"
    assert dlg.refused_list.isVisible() and dlg.refused_list.count() == 1
    assert f"#{fire} {code}" in dlg.refused_list.item(0).text()
    assert "Still alarming" in dlg.refused_list.item(0).text()
    rig.caught_up()
    assert fire in win.queue.incidents and not set(listed) - {fire} & set(win.queue.incidents)


def test_k_journals_one_ack_miss_per_shown_miss_and_the_banner_stops(rig: Rig) -> None:
    s: storms.Storm = rig.storm  # type: ignore[attr-defined]
    rig.feed([e for e in s.events if e.at <= s.events[0].at + 30 * NS])
    rig.advance(62)  # nobody acknowledged: the 1′ mark is missed everywhere
    rig.caught_up()
    win = rig.window
    win.on_second()
    rig.qtbot.waitUntil(lambda: win.header.miss_banner.isVisible())
    shown = win.header.pending_misses()
    want = rig.world(lambda w: sorted((i.id, m) for i in w.open_incidents() for m in i.missed))
    assert shown == want and shown
    assert win.needs_sound()
    rig.key(Qt.Key.Key_K)
    rig.sync()
    acks = [ev.decode(r.body) for r in rig.records("ackmiss")]
    assert sorted((a.incident, a.mark) for a in acks) == shown  # one record per miss
    assert {a.console for a in acks} == {rig.console}
    rig.caught_up()
    win.on_second()
    assert win.header.miss_banner.isHidden() and win.header.pending_misses() == []
    recorded = rig.world(lambda w: {i.id: list(i.missed_acked) for i in w.open_incidents() if i.missed})
    assert all(v == [1] for v in recorded.values())
    # K again: nothing left to acknowledge, nothing journaled
    rig.key(Qt.Key.Key_K)
    rig.sync()
    assert len(rig.records("ackmiss")) == len(shown)
    # a restarted window (same engine state) still shows no banner: the incidents say so
    assert (
        rig.world(lambda w: [i.id for i in w.open_incidents() if set(i.missed) - set(i.missed_acked)]) == []
    )
