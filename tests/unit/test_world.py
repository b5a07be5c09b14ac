"""The fold as a whole: sessions, bus state, quarantine, dirty sets and the replayable projection."""

from __future__ import annotations

import msgspec

from console.domain import events as ev
from console.domain.effects import Alert
from console.domain.world import Projection, World
from tests.unit.helpers import NS, T0, alarm, do, login, open_incident, world


def test_login_logout_and_session_scope() -> None:
    w = world()
    login(w, T0, console="c1", operator="a", role="township_officer", scope="T1")
    assert w.sessions["c1"].scope == "T1" and w.sessions["c1"].role == "township_officer"
    login(w, T0 + 1, console="c1", operator="b")  # a new login on the same console replaces it
    assert w.sessions["c1"].operator == "b"
    w.apply(ev.Logout(at=T0 + 2, operator="b", console="c1"))
    assert w.sessions == {}
    w.apply(ev.Logout(at=T0 + 3, operator="b", console="c1"))  # twice is harmless
    assert w.sessions == {}


def test_bus_status_alerts_once_when_blind() -> None:
    w = world()
    assert w.bus_state == "unknown"
    assert w.apply(ev.BusStatus(at=T0, state="connected")) == []
    assert w.apply(ev.BusStatus(at=T0 + 1, state="blind", detail="x")) == [Alert("bus_lost", 0, "x")]
    assert w.apply(ev.BusStatus(at=T0 + 2, state="blind")) == []
    assert (w.bus_state, w.bus_since) == ("blind", T0 + 2)


def test_quarantine_is_counted_by_reason() -> None:
    w = world()
    for r in ("bad_json", "bad_json", "bad_ts"):
        w.apply(ev.Quarantined(at=T0, topic="t", reason=r, detail="", head=b""))
    assert dict(w.quarantine) == {"bad_json": 2, "bad_ts": 1}
    assert w.projection().quarantine == {"bad_json": 2, "bad_ts": 1}


def test_handover_and_reveal_are_kept_for_the_record() -> None:
    w = world()
    h = ev.Handover(at=T0, console="c1", from_operator="a", to_operator="b", open_incidents=(1,))
    login(w, T0 - NS, operator="a")
    r = ev.RevealContact(
        at=T0, operator="a", console="c1", household="H1", field="contact:H1-e:phone", reason="回访老人"
    )
    assert w.apply(h) == [] and w.apply(r) == []
    assert w.handovers == [h] and w.reveals == [r]


def test_mute_is_noted_on_the_open_incident() -> None:
    w = world()
    iid = open_incident(w)
    w.apply(alarm("H1-smoke", T0 + NS, id_="m", evt="mute"))
    assert w.incidents[iid].timeline[-1].what == "mute"
    assert w.incidents[iid].state == "alerting"
    assert w.counters["evt:mute"] == 1 and w.counters["evt:alarm"] == 1


def test_now_never_goes_backwards() -> None:
    w = world()
    w.apply(ev.Tick(at=T0 + 10))
    w.apply(ev.Tick(at=T0))
    assert w.now == T0 + 10


def test_dirty_sets_are_taken_once() -> None:
    w = world()
    iid = open_incident(w)
    incs, tickets, households = w.take_dirty()
    assert incs == {iid} and tickets == set() and "H1" in households
    assert w.take_dirty() == (set(), set(), set())
    login(w, T0)
    do(w, iid, "ack", T0 + NS)
    assert w.take_dirty()[0] == {iid}


def test_projection_is_complete_and_decodable() -> None:
    w = world()
    login(w, T0)
    iid = open_incident(w)
    do(w, iid, "ack", T0 + NS)
    w.apply(
        ev.DeviceEvent(
            at=T0 + 2, district="SIM", township="T1", dev="H2-co", id="f", kind="co", evt="fault", ts=T0
        )
    )
    p = msgspec.json.decode(w.projection_bytes(), type=Projection)
    assert [i.id for i in p.incidents] == [iid] and p.incidents[0].state == "acknowledged"
    assert [t.kind for t in p.tickets] == ["fault"]
    assert p.bands == {"H1": "critical", "H2": "medium", "H3": "low"}  # H2: 25 + fault 15
    assert {h.dev for h in p.health} == {"H1-smoke", "H2-co"}
    assert p.counters["evt:fault"] == 1
    assert len(w.projection_hash()) == 64
    assert w.open_incidents() == [w.incidents[iid]]


def script() -> list[ev.AnyEvent]:
    return [
        ev.SystemNote(at=T0 - 2 * NS, what="start"),
        ev.Login(at=T0 - NS, operator="op1", console="c1", role="district_officer", scope="*"),
        alarm("H1-smoke", T0),
        ev.NotifyPublished(at=T0 + 1, reqs=("I1-H1-e-sms-1",)),
        ev.CompleteStep(at=T0 + 5 * NS, operator="op1", console="c1", incident=1, step="ack"),
        ev.NotifyReceipt(at=T0 + 6 * NS, req="I1-H1-e-voice-1", status="failed"),
        ev.Tick(at=T0 + 400 * NS),
        alarm("H2-gas", T0 + 401 * NS, kind="gas", township="T2"),
        ev.Heartbeats(at=T0 + 402 * NS, township="T1", beats=(ev.Beat("H1-co", T0), ev.Beat("X", T0))),
        ev.Tick(at=T0 + 86_400 * NS),
    ]


def fed(events: list[ev.AnyEvent]) -> World:
    w = world()
    for e in events:
        w.apply(e)
    return w


def test_same_events_same_projection_and_different_events_differ() -> None:
    a, b = fed(script()), fed(script())
    assert a.projection_bytes() == b.projection_bytes()
    assert a.projection_hash() == b.projection_hash()
    c = fed(script()[:-1])
    assert c.projection_hash() != a.projection_hash()


def test_replay_through_the_journal_encoding_gives_the_same_projection() -> None:
    live = fed(script())
    replayed = fed([ev.decode(ev.encode(e)) for e in script()])
    assert replayed.projection_hash() == live.projection_hash()
