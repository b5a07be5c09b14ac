"""The storm window (issue 15): the queue in triage lanes, one selection, the 1-5-30 header.

A real engine (World, in-memory journal, recording publisher) under a FakeClock drives the real
MainWindow; storms come from tests/unit/storms.py, generated from a register. Events go in
through the engine as the bus would hand them (its clock stamps them), the engine is synced by a
query after each step, and the window is waited on by condition; nothing sleeps. The 1 s tick
is driven by hand (``on_second``), the window's own timer stopped.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

import msgspec
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from console.app.clock import FakeClock
from console.app.data import load_triage
from console.app.delta import copy_struct
from console.app.engine import Engine
from console.app.memjournal import MemoryJournal
from console.bootstrap import make_world, templates
from console.domain import events as ev
from console.domain.incident import Incident
from console.domain.triage import queue_of, take_next
from console.paths import resource
from console.ui.main_window import MainWindow
from console.ui.operator import Operator
from console.ui.qtsink import QtSink
from console.ui.queue_model import LANE_ROLE, OVERDUE_BG, QueueModel
from console.ui.sound import REPEAT_EVERY_S
from console.ui.triage_header import STORM_WINDOW_S, TriageHeader
from tests.support import NS, Publisher
from tests.unit import storms

W = load_triage(resource("triage.toml"))
_ids = itertools.count(1)
COL = {c: i for i, c in enumerate(QueueModel.COLUMNS)}
LANE = LANE_ROLE


@cache
def storm(name: str) -> storms.Storm:
    return storms.GENERATED[name]()


class StormRig:
    """The window over an engine of its own; ``feed`` hands it device events at their times."""

    def __init__(self, qtbot: Any, register: Any, start_ns: int) -> None:
        self.qtbot = qtbot
        self.register = register
        self.clock = FakeClock(start_ns)
        self.sink = QtSink()
        self.console = f"storm{next(_ids)}"
        self.engine = Engine(
            make_world(register),
            MemoryJournal(),
            self.clock,
            self.console,
            # a provider takes each request at once (the gateway's "accepted" receipts)
            publisher=Publisher(gateway=lambda msgs: self.engine.submit_bus(msgs)),
            sink=self.sink,
        )
        self.engine.start()
        self.engine.submit_command(
            ev.Login(at=0, operator="op1", console=self.console, role="district_officer", scope="*")
        )
        self.engine.submit_command(ev.BusStatus(at=0, state="connected"))
        self.deltas = 0
        self.sink.delta.connect(self._count)
        self.window = MainWindow(
            self.engine, self.sink, templates(), Operator("op1", "district_officer", "*"), self.console
        )
        self.window.timer.stop()  # the tick is driven by hand
        qtbot.addWidget(self.window)
        self.window.show()
        qtbot.waitExposed(self.window)
        self.window.activateWindow()
        self.wait_status_connected()

    def _count(self, d: Any) -> None:
        if d.incidents:
            self.deltas += 1

    def wait_status_connected(self) -> None:
        self.qtbot.waitUntil(
            lambda: self.window.status is not None and self.window.status.bus == "connected", timeout=10_000
        )

    # --- the engine side ---------------------------------------------------------------------

    def sync(self) -> None:
        """Everything submitted so far is applied (the engine thread answered a later query)."""
        self.engine.query(lambda w: None).result(10)

    def world(self, fn: Callable[[Any], Any]) -> Any:
        return self.engine.query(fn).result(10)

    def feed(self, events: list[ev.DeviceEvent], until: int | None = None) -> list[ev.DeviceEvent]:
        """Each event at its own console time (the fake clock set to it); returns what is left."""
        left = list(events)
        while left and (until is None or left[0].at <= until):
            e = left.pop(0)
            if e.at > self.clock.now_ns():
                self.clock.set(e.at)
            self.engine.submit_command(e)
            self.sync()
        return left

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.engine.poke()
        self.sync()
        self.sync()  # a tick the poke made due is committed by now

    def open_now(self) -> dict[int, Incident]:
        return self.world(lambda w: {i.id: copy_struct(i) for i in w.open_incidents()})

    def caught_up(self) -> None:
        """The window shows exactly the engine's open incidents, each at its latest version."""
        want = self.world(lambda w: {i.id: i.version for i in w.open_incidents()})

        def same() -> bool:
            have = self.window.queue.incidents
            return {k: v.version for k, v in have.items()} == want

        self.qtbot.waitUntil(same, timeout=10_000)

    def alarm(self, code: str, kind: str = "smoke") -> int:
        hh = self.register.households[code]
        dev = next(d for d in hh.devices if d.kind == kind)
        n = next(_ids)
        e = ev.DeviceEvent(
            at=self.clock.now_ns(),
            dev=dev.id,
            id=f"g{n}",
            kind=kind,
            evt="alarm",
            ts=self.clock.now_ns(),
            township=hh.township,
            district="SIM",
        )
        self.engine.submit_command(e)
        self.sync()
        self.qtbot.waitUntil(lambda: self.row_of(code) >= 0, timeout=10_000)
        return self.incident(code).id

    def ack(self, incident: int) -> None:
        self.engine.submit_command(
            ev.CompleteStep(at=0, operator="op1", console=self.console, incident=incident, step="ack")
        )
        self.sync()

    # --- the window side ---------------------------------------------------------------------

    def view_ids(self) -> list[int]:
        p = self.window.proxy
        return [p.index(r, 0).data(Qt.ItemDataRole.UserRole) for r in range(p.rowCount())]

    def row_of(self, code: str) -> int:
        return next(
            (r for r, i in enumerate(self.view_ids()) if self.window.queue.incidents[i].household == code), -1
        )

    def incident(self, code: str) -> Incident:
        return next(i for i in self.window.queue.incidents.values() if i.household == code)

    def cell(self, row: int, col: str, role: Any = Qt.ItemDataRole.DisplayRole) -> Any:
        return self.window.proxy.index(row, COL[col]).data(role)

    def pink(self, row: int) -> bool:
        brush = self.cell(row, "code", Qt.ItemDataRole.BackgroundRole)
        return brush is not None and brush.color() == OVERDUE_BG

    def key(self, k: Any, target: Any = None) -> None:
        if QApplication.activeModalWidget() is None:
            self.window.activateWindow()
            self.qtbot.waitUntil(lambda: QApplication.activeWindow() is self.window, timeout=2000)
        self.qtbot.keyClick(target if target is not None else self.window, k)

    def close(self) -> None:
        self.window.close()
        self.engine.stop()


@pytest.fixture
def make_rig(qtbot: Any) -> Iterator[Callable[..., StormRig]]:
    made: list[StormRig] = []

    def make(register: Any, start_ns: int) -> StormRig:
        r = StormRig(qtbot, register, start_ns)
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()


def storm_rig(make_rig: Callable[..., StormRig], name: str) -> tuple[StormRig, storms.Storm]:
    s = storm(name)
    return make_rig(s.register, s.events[0].at - NS), s


# --- ranked in lanes ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["electric_then_smoke", "co_rising"])
def test_the_emergency_is_top_three_once_corroborated_and_styled_new(
    make_rig: Callable[..., StormRig], name: str
) -> None:
    rig, s = storm_rig(make_rig, name)
    rest = rig.feed(s.events, until=s.corroborated_at)
    rig.caught_up()
    row = rig.row_of(s.emergency)
    assert 0 <= row < 3, f"the emergency is at row {row}"
    assert rig.cell(row, "lane", LANE) == "new"
    assert rig.cell(row, "lane").startswith("New")
    assert not rig.pink(row)  # new and not overdue yet: not painted as late
    assert rig.cell(row, "reasons").find("not restored") >= 0
    # selected, the panel words the same reasons as its row
    panel, fire = rig.window.panel, rig.view_ids()[row]
    rig.window.select(fire)
    assert panel.incident is not None and panel.incident.id == fire
    assert f"Why it ranks here: {rig.cell(row, 'reasons')}" in panel.header.text()
    # the whole storm in: still on top, and only the late rows of a live lane are pink
    rig.feed(rest)
    rig.advance(1)
    rig.caught_up()
    rig.window.on_second()
    row = rig.row_of(s.emergency)
    assert 0 <= row < 3
    now = rig.clock.now_ns()
    pink = restored_rows = 0
    for r in range(len(rig.view_ids())):
        lane = rig.cell(r, "lane", LANE)
        inc = rig.window.queue.incidents[rig.view_ids()[r]]
        if lane == "rest":
            restored_rows += 1
            assert not rig.pink(r), "a restored row nobody took up is quiet"
            assert "restored" in rig.cell(r, "reasons")
            fg = rig.cell(r, "code", Qt.ItemDataRole.ForegroundRole)
            assert fg is not None and fg.color().name() == "#9e9e9e"
        late = inc.ack_at is None and now >= inc.opened + 60 * NS
        assert rig.pink(r) == (late and lane != "rest"), (r, lane)
        pink += rig.pink(r)
    assert restored_rows > len(rig.view_ids()) // 2  # most of a storm restores ...
    assert pink < len(rig.view_ids()) // 2  # ... and is not painted late


def test_new_incidents_land_above_overdue_working_ones(make_rig: Callable[..., StormRig]) -> None:
    s = storm("gas_realarm")
    rig = make_rig(s.register, s.events[0].at)
    homes = [h.code for h in s.register.households.values() if any(d.kind == "smoke" for d in h.devices)]
    working = [rig.alarm(code) for code in homes[:3]]
    for iid in working:
        rig.ack(iid)
    rig.advance(5 * 60 + 1)  # nobody dispatched: all three miss 5′
    rig.caught_up()
    rig.window.on_second()
    assert all(5 in rig.window.queue.incidents[i].missed for i in working)
    assert all(rig.pink(rig.view_ids().index(i)) for i in working)
    fresh = rig.alarm(homes[3])
    rig.caught_up()
    ids = rig.view_ids()
    assert ids.index(fresh) < min(ids.index(i) for i in working)
    r = ids.index(fresh)
    assert rig.cell(r, "lane", LANE) == "new" and not rig.pink(r)
    assert {rig.cell(ids.index(i), "lane") for i in working} == {"In progress"}


# --- one selection -----------------------------------------------------------------------------


def test_down_then_a_acknowledges_the_highlighted_row_which_stays_put(
    make_rig: Callable[..., StormRig],
) -> None:
    rig, s = storm_rig(make_rig, "co_rising")
    rig.feed(s.events[:80])
    rig.caught_up()
    win = rig.window
    ids = rig.view_ids()
    assert len(ids) >= 5
    win.select(ids[1])
    win.table.setFocus()
    rig.key(Qt.Key.Key_Down, win.table)
    assert win.highlighted() == ids[2]
    assert win.panel.incident is not None and win.panel.incident.id == ids[2]  # the panel follows
    rig.key(Qt.Key.Key_A, win.table)
    rig.sync()
    rig.qtbot.waitUntil(lambda: win.queue.incidents[ids[2]].state == "acknowledged", timeout=5000)
    acked = rig.world(lambda w: [i.id for i in w.open_incidents() if i.ack_at is not None])
    assert acked == [ids[2]]  # the highlighted one, and no other
    # it is being worked: pinned to its row, still highlighted, though its lane changed
    assert win.queue.pinned == ids[2]
    assert rig.view_ids().index(ids[2]) == 2 and win.highlighted() == ids[2]
    assert rig.cell(2, "lane").startswith("In progress")
    # moving on lets it go to its ranked place, and the new highlight is what A acts on
    rig.key(Qt.Key.Key_Up, win.table)
    assert win.queue.pinned is None
    now_on = win.highlighted()
    assert now_on is not None and now_on != ids[2]
    ranked = [r.incident for r in win.queue.ranked()]
    assert rig.view_ids() == ranked


def test_selection_and_scroll_survive_a_hundred_updates_without_a_reset(
    make_rig: Callable[..., StormRig],
) -> None:
    rig, s = storm_rig(make_rig, "electric_then_smoke")
    win = rig.window
    win.resize(1200, 600)
    rig.feed(s.events[:90])
    left = s.events[90:]
    rig.caught_up()
    ids = rig.view_ids()
    assert len(ids) > 25
    target = ids[len(ids) // 2]
    win.select(target)
    win.table.setFocus()
    rig.key(Qt.Key.Key_A, win.table)  # work it: pinned from here on
    rig.qtbot.waitUntil(lambda: win.queue.incidents[target].ack_at is not None, timeout=5000)
    bar = win.table.verticalScrollBar()
    assert bar.maximum() > 0, "the queue must be longer than the view for this test"
    bar.setValue(min(bar.maximum(), max(1, rig.view_ids().index(target) - 3)))
    scroll = bar.value()
    row = rig.view_ids().index(target)
    resets: list[str] = []
    for model in (win.queue, win.proxy):
        model.modelReset.connect(lambda m=model: resets.append(type(m).__name__))
    inserted: list[int] = []
    win.queue.rowsInserted.connect(lambda _p, first, _last: inserted.append(first))
    first_delta = rig.deltas
    for _ in range(100):  # a storm event and a tick each
        before = rig.deltas
        nxt = left.pop(0)
        opens = nxt.evt == "alarm" and rig.row_of(s.register.device_index[nxt.dev]) < 0
        rig.clock.set(max(nxt.at, rig.clock.now_ns() + NS))
        rig.engine.submit_command(nxt)
        rig.sync()
        if opens:  # a new incident is pushed at once; other changes ride on a later delta
            rig.qtbot.waitUntil(lambda b=before: rig.deltas > b, timeout=5000)
        win.on_second()
        assert win.highlighted() == target
    rig.caught_up()
    assert rig.deltas - first_delta >= 30
    assert not resets, f"model reset {resets}"
    assert inserted and min(inserted) < row, "rows were inserted above the one being worked"
    assert win.highlighted() == target and win.selected == target
    assert win.panel.incident is not None and win.panel.incident.id == target
    assert rig.view_ids().index(target) == row  # pinned under the cursor
    assert bar.value() == scroll
    # the rest of the order is the ranked one
    others = [i for i in rig.view_ids() if i != target]
    assert others == [r.incident for r in win.queue.ranked() if r.incident != target]


def test_take_next_selects_the_top_of_the_new_lane(make_rig: Callable[..., StormRig]) -> None:
    rig, s = storm_rig(make_rig, "gas_realarm")
    rig.feed(s.events[:200])
    rig.caught_up()
    win = rig.window
    expect = rig.world(lambda w: take_next(queue_of(w, W)))
    assert expect is not None
    win.select(rig.view_ids()[-1])
    rig.key(Qt.Key.Key_N)
    assert win.highlighted() == expect.incident
    assert win.panel.incident is not None and win.panel.incident.id == expect.incident
    assert "N" in win.take_next_button.text() and "(N)" in win.take_next_button.toolTip()


def test_column_sort_for_browsing_and_ctrl_r_back_to_ranked(make_rig: Callable[..., StormRig]) -> None:
    rig, s = storm_rig(make_rig, "co_rising")
    rig.feed(s.events[:120])
    rig.caught_up()
    win = rig.window
    ranked = rig.view_ids()
    pick = ranked[3]
    win.select(pick)
    win.table.sortByColumn(COL["address"], Qt.SortOrder.AscendingOrder)
    by_address = [win.queue.incidents[i].household for i in rig.view_ids()]
    addresses = [rig.cell(r, "address") for r in range(len(ranked))]
    assert addresses == sorted(addresses) and by_address != [win.queue.incidents[i].household for i in ranked]
    assert win.highlighted() == pick and win.ranked_button.isEnabled()
    rig.qtbot.keyClick(win, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert rig.view_ids() == [r.incident for r in win.queue.ranked()]
    assert win.highlighted() == pick and not win.ranked_button.isEnabled()
    assert win.panel.active_dialog is None  # Ctrl+R did not start a resolve


# --- the 1-5-30 header -------------------------------------------------------------------------


def expected_counts(incs: list[Incident], now: int) -> dict[str, int]:
    out = dict.fromkeys(TriageHeader.TILES, 0)
    for i in incs:
        if i.ack_at is None:
            out["to_ack"] += 1
            out["over_1"] += now - i.opened >= 60 * NS
        elif i.dispatched_at is None and i.resolved_at is None:
            out["to_dispatch"] += 1
            out["over_5"] += now - i.opened >= 300 * NS
        else:
            out["to_close"] += 1
            out["over_30"] += now - i.opened >= 1800 * NS
    return out


def test_header_counts_match_the_incidents_and_the_storm_banner(make_rig: Callable[..., StormRig]) -> None:
    rig, s = storm_rig(make_rig, "co_rising")
    rig.feed(s.events[:150])
    rig.caught_up()
    win = rig.window
    seq = rig.engine.status().last_seq  # the banner's facts are remade at most once a second
    rig.qtbot.waitUntil(lambda: win.status is not None and win.status.storm_seq >= seq, timeout=10_000)
    win.on_second()
    # the storm: opened in the last three minutes (closed ones too), and how many restored
    now = rig.clock.now_ns()
    since = now - STORM_WINDOW_S * NS
    recent = rig.world(lambda w: [copy_struct(i) for i in w.incidents.values() if since < i.opened <= now])
    assert len(recent) > 30
    restored = sum(1 for i in recent if not any(x.live for x in i.sensors.values()))
    assert 0 < restored < len(recent)
    assert win.header.storm_banner.isVisible()
    assert win.header.storm_banner.text() == f"Alarm storm: {len(recent)} in 3 min, {restored} restored"
    # the stages, each open incident in one of them
    ids = rig.view_ids()
    for iid in ids[:4]:
        rig.ack(iid)
    rig.engine.submit_command(
        ev.CompleteStep(
            at=0,
            operator="op1",
            console=rig.console,
            incident=ids[0],
            step="dispatch",
            values={"responder": "c1"},
        )
    )
    rig.advance(200)
    rig.caught_up()
    win.on_second()
    now = rig.clock.now_ns()
    incs = list(rig.open_now().values())
    want = expected_counts(incs, now)
    got = {k: int(win.header.values[k].text()) for k in TriageHeader.TILES}
    assert got == want
    assert want["to_ack"] > 0 and want["over_1"] > 0 and want["to_dispatch"] >= 3 and want["to_close"] >= 1
    # today's 1′ compliance: of the incidents due, the share acknowledged with the alert out in time
    today = rig.world(lambda w: [copy_struct(i) for i in w.incidents.values()])
    due = [i for i in today if now >= i.opened + 60 * NS]
    met = [i for i in due if (t := i.met_at(1)) is not None and t <= i.opened + 60 * NS]
    assert f"1′ {round(100 * len(met) / len(due))}%" in win.header.compliance.text()
    # calm again once nothing opened within the window
    rig.advance(STORM_WINDOW_S + 1)
    win.on_second()
    assert not win.header.storm_banner.isVisible()


def test_header_stands_alone_from_incidents_and_a_clock(qtbot: Any) -> None:
    s = storm("co_rising")
    now = s.events[0].at + 90 * NS
    inc = Incident(id=1, household="H1", district="SIM", township="T", kind="smoke", opened=s.events[0].at)
    acked = msgspec.structs.replace(inc, id=2, ack_at=s.events[0].at + 10 * NS, alert_out_at=s.events[0].at)
    header = TriageHeader(lambda: now, [inc, acked])
    qtbot.addWidget(header)
    header.refresh()
    assert header.values["to_ack"].text() == "1" and header.values["over_1"].text() == "1"
    assert header.values["to_dispatch"].text() == "1" and header.values["over_5"].text() == "0"
    assert "1′ 50%" in header.compliance.text() and "5′ —" in header.compliance.text()
    assert header.storm_banner.isHidden() and header.miss_banner.isHidden()


def test_a_missed_mark_shows_the_banner_and_repeats_the_sound_until_acknowledged(
    make_rig: Callable[..., StormRig],
) -> None:
    s = storm("gas_realarm")
    rig = make_rig(s.register, s.events[0].at)
    win = rig.window
    code = next(h.code for h in s.register.households.values() if any(d.kind == "smoke" for d in h.devices))
    iid = rig.alarm(code)
    win.select(iid)
    rig.key(Qt.Key.Key_A)  # acknowledged in time: no new alarm waits, the sound is quiet
    rig.qtbot.waitUntil(lambda: win.queue.incidents[iid].ack_at is not None, timeout=5000)
    plays = win.sound.plays
    for _ in range(2 * REPEAT_EVERY_S):
        win.on_second()
    assert win.sound.plays == plays and win.header.miss_banner.isHidden()
    rig.advance(5 * 60 + 1)  # not dispatched: 5′ missed on an acknowledged incident
    rig.qtbot.waitUntil(lambda: 5 in win.queue.incidents[iid].missed, timeout=5000)
    rig.qtbot.waitUntil(lambda: win.sound.last_kind == "missed", timeout=5000)
    assert win.header.miss_banner.isVisible()
    assert f"#{iid} {code} 5′" in win.header.miss_text.text()
    before = win.sound.plays
    for _ in range(2 * REPEAT_EVERY_S):
        win.on_second()
    assert win.sound.plays == before + 2  # repeats while the miss is not acknowledged
    rig.key(Qt.Key.Key_K)  # one AckMiss journaled: the banner follows the incident
    rig.sync()
    rig.qtbot.waitUntil(lambda: win.header.miss_banner.isHidden(), timeout=5000)
    assert win.queue.incidents[iid].missed_acked == [5]
    quiet = win.sound.plays
    for _ in range(3 * REPEAT_EVERY_S):
        win.on_second()
    assert win.sound.plays == quiet
    # the next mark missed sounds and shows again
    rig.advance(25 * 60)
    rig.qtbot.waitUntil(lambda: 30 in win.queue.incidents[iid].missed, timeout=5000)
    rig.qtbot.waitUntil(lambda: win.header.miss_banner.isVisible(), timeout=5000)
    assert f"#{iid} {code} 30′" in win.header.miss_text.text()
    before = win.sound.plays
    for _ in range(REPEAT_EVERY_S):
        win.on_second()
    assert win.sound.plays == before + 1
    win.header.miss_button.click()
    rig.sync()
    rig.qtbot.waitUntil(lambda: win.header.miss_banner.isHidden(), timeout=5000)
    assert win.queue.incidents[iid].missed_acked == [5, 30]


def test_lanes_and_reasons_in_chinese(make_rig: Callable[..., StormRig], qapp: Any) -> None:
    from PySide6.QtCore import QLocale

    from console.ui.app import install_translations

    saved = QLocale()
    assert install_translations(qapp, "zh_CN")
    try:
        rig, s = storm_rig(make_rig, "electric_then_smoke")
        rig.feed(s.events, until=s.corroborated_at)
        rig.caught_up()
        lanes = {rig.cell(r, "lane", LANE): rig.cell(r, "lane") for r in range(len(rig.view_ids()))}
        assert lanes["new"] == "新警情" and lanes["rest"] == "其他"
        row = rig.row_of(s.emergency)
        assert "未恢复" in rig.cell(row, "reasons")
        rest = next(r for r in range(len(rig.view_ids())) if rig.cell(r, "lane", LANE) == "rest")
        assert "已恢复" in rig.cell(rest, "reasons")
        assert rig.window.header.values["to_ack"].parent() is rig.window.header
        captions = [w.text() for w in rig.window.header.findChildren(type(rig.window.header.compliance))]
        for word in ("待确认", "超1′", "待派遣", "超5′", "待闭环", "超30′"):
            assert word in captions
        assert rig.window.header.compliance.text().startswith("今日达标")
    finally:
        install_translations(qapp, "en")
        QLocale.setDefault(saved)
