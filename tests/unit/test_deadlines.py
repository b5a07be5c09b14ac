"""The 1-5-30 rule: each mark is missed one second after it is due and not a second before."""

from __future__ import annotations

import pytest

from console.domain import events as ev
from console.domain.deadlines import MARKS, due_at, mark_met_at
from console.domain.effects import Alert
from console.domain.world import World
from tests.unit.helpers import NS, T0, alerts, do, login, open_incident, world


def met(minute: int, **kw: int | bool | None) -> int | None:
    args: dict[str, int | bool | None] = {
        "ack_at": None,
        "alert_out_at": None,
        "needs_alert": True,
        "dispatched_at": None,
        "resolved_at": None,
        "closed_at": None,
    }
    args.update(kw)
    mark = next(m for m in MARKS if m.minute == minute)
    return mark_met_at(mark, **args)  # type: ignore[arg-type]


def test_marks_and_due_times() -> None:
    assert [(m.minute, m.seconds) for m in MARKS] == [(1, 60), (5, 300), (30, 1800)]
    assert [due_at(T0, m) for m in MARKS] == [T0 + 60 * NS, T0 + 300 * NS, T0 + 1800 * NS]


def test_mark_1_needs_ack_and_alert_out_unless_nobody_to_alert() -> None:
    assert met(1, ack_at=5) is None
    assert met(1, alert_out_at=5) is None
    assert met(1, ack_at=5, alert_out_at=9) == 9
    assert met(1, ack_at=9, alert_out_at=5) == 9
    assert met(1, ack_at=5, needs_alert=False) == 5


def test_mark_5_is_dispatch_or_an_earlier_resolution() -> None:
    assert met(5) is None
    assert met(5, dispatched_at=7) == 7
    assert met(5, resolved_at=4) == 4
    assert met(5, dispatched_at=7, resolved_at=9) == 7


def test_mark_30_is_closure() -> None:
    assert met(30, resolved_at=4) is None
    assert met(30, closed_at=11) == 11


def started(w: World | None = None) -> tuple[World, int]:
    w = w or world()
    login(w, T0 - NS)
    return w, open_incident(w, at=T0)


def tick(w: World, seconds: float) -> list[Alert]:
    return alerts(w.apply(ev.Tick(at=T0 + int(seconds * NS))), "missed")


# --- mark 1 --------------------------------------------------------------------------------


def test_mark_1_missed_at_61_s_escalates_to_district() -> None:
    w, iid = started()
    assert tick(w, 59) == []
    assert w.incidents[iid].missed == [] and w.incidents[iid].escalations == []
    assert tick(w, 61) == [Alert("missed", iid, "1")]
    inc = w.incidents[iid]
    assert inc.missed == [1]
    assert inc.escalations == ["district"]
    assert [e.what for e in inc.timeline[-2:]] == ["missed:1", "escalate:district"]
    assert inc.timeline[-1].who == "system"


def test_mark_1_met_at_59_s_is_not_missed() -> None:
    w, iid = started()
    do(w, iid, "ack", T0 + 59 * NS)
    assert tick(w, 61) == []
    assert w.incidents[iid].missed == []
    assert w.incidents[iid].next_deadline() == (5, T0 + 300 * NS)


def test_mark_1_met_exactly_at_due_counts_as_met() -> None:
    w, iid = started()
    do(w, iid, "ack", T0 + 60 * NS)
    assert tick(w, 61) == []


def test_mark_1_missed_when_ack_but_alert_never_went_out() -> None:
    w = world()
    login(w, T0 - NS)
    w.apply(
        ev.DeviceEvent(
            at=T0, district="SIM", township="T1", dev="H1-smoke", id="a", kind="smoke", evt="alarm", ts=T0
        )
    )
    do(w, 1, "ack", T0 + 10 * NS)  # the engine never reported NotifyPublished
    assert tick(w, 61) == [Alert("missed", 1, "1")]


def test_unregistered_device_needs_only_the_ack_for_mark_1() -> None:
    w = world()
    login(w, T0 - NS)
    iid = open_incident(w, dev="STRANGER", at=T0)
    do(w, iid, "ack", T0 + 30 * NS)
    assert tick(w, 61) == []


def test_ack_a_moment_late_without_a_tick_still_records_the_miss() -> None:
    # The engine stamps a command when it handles it; if that is 0.5 s after the due time and
    # before the timer ran, the late ack must not hide the 1-minute miss.
    w, iid = started()
    fx = do(w, iid, "ack", T0 + 60 * NS + NS // 2)
    assert alerts(fx, "missed") == [Alert("missed", iid, "1")]
    inc = w.incidents[iid]
    assert inc.missed == [1] and inc.escalations == ["district"]
    assert inc.state == "acknowledged"
    assert tick(w, 62) == []  # reported once


# --- mark 5 --------------------------------------------------------------------------------


def test_mark_5_missed_at_5_min_1_s() -> None:
    w, iid = started()
    do(w, iid, "ack", T0 + 20 * NS)
    assert tick(w, 299) == []
    assert tick(w, 301) == [Alert("missed", iid, "5")]
    assert w.incidents[iid].escalations == ["district"]


def test_mark_5_met_at_4_59_is_not_missed() -> None:
    w, iid = started()
    do(w, iid, "ack", T0 + 20 * NS)
    do(w, iid, "dispatch", T0 + 299 * NS)
    assert tick(w, 301) == []
    assert w.incidents[iid].next_deadline() == (30, T0 + 1800 * NS)


def test_mark_5_met_by_a_false_alarm_resolution() -> None:
    w, iid = started()
    do(w, iid, "ack", T0 + 20 * NS)
    do(w, iid, "resolve", T0 + 100 * NS, {"cause": "false_alarm"})
    assert tick(w, 301) == []


# --- mark 30 -------------------------------------------------------------------------------


def walk_to_inform(w: World, iid: int) -> None:
    for i, sid in enumerate(("ack", "dispatch", "on_site", "resolve", "inform")):
        assert do(w, iid, sid, T0 + (20 + i) * NS) == []


def test_mark_30_missed_at_30_min_1_s() -> None:
    w, iid = started()
    walk_to_inform(w, iid)
    assert tick(w, 1799) == []
    assert tick(w, 1801) == [Alert("missed", iid, "30")]
    assert w.incidents[iid].escalations == ["district"]


def test_mark_30_met_at_29_59_is_not_missed() -> None:
    w, iid = started()
    walk_to_inform(w, iid)
    do(w, iid, "close", T0 + 1799 * NS)
    assert w.incidents[iid].state == "closed"
    assert tick(w, 1801) == []
    assert w.incidents[iid].missed == []
    assert w.incidents[iid].next_deadline() is None


def test_close_a_moment_late_without_a_tick_records_the_30_min_miss() -> None:
    w, iid = started()
    walk_to_inform(w, iid)
    fx = do(w, iid, "close", T0 + 1800 * NS + 1)
    assert alerts(fx, "missed") == [Alert("missed", iid, "30")]
    assert w.incidents[iid].state == "closed" and w.incidents[iid].missed == [30]


# --- all together --------------------------------------------------------------------------


def test_every_mark_missed_each_reported_once_district_raised_once() -> None:
    w, iid = started()
    got = []
    for s in (61, 62, 301, 302, 1801, 1802, 4000):
        got += [a.detail for a in tick(w, s)]
    assert got == ["1", "5", "30"]
    inc = w.incidents[iid]
    assert inc.missed == [1, 5, 30]
    assert inc.escalations == ["district"]
    assert inc.next_deadline() is None


@pytest.mark.parametrize(("seconds", "minute"), [(0, 1), (61, 5), (301, 30)])
def test_next_due_walks_through_the_marks(seconds: int, minute: int) -> None:
    w, iid = started()
    tick(w, seconds)
    nd = w.incidents[iid].next_deadline()
    assert nd is not None and nd[0] == minute
    assert w.next_due() is not None and w.next_due() <= nd[1]  # type: ignore[operator]
