"""The engine with a fake clock, an in-memory journal, a recording UI sink and publisher.

Nothing sleeps: tests wait on the batch's ``done`` callback, on deltas reaching the sink, or on
``engine.query`` round trips through the engine's own queue, each with a deadline.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import msgspec
import pytest

from console.app.clock import FakeClock
from console.app.delta import Delta, Status
from console.app.engine import Engine
from console.app.memjournal import MemoryJournal
from console.app.ports import JournalError
from console.domain import events as ev
from console.domain.chain import verify
from console.domain.codec import Receipt, decode_notify, device_topic, encode_receipt, notify_receipt_topic
from console.domain.world import World
from tests.support import WAIT_S, Msg, Publisher, Sink
from tests.unit.helpers import NS, T0, world

T = TypeVar("T")


@dataclass
class Rig:
    clock: FakeClock
    journal: MemoryJournal
    sink: Sink
    pub: Publisher
    engine: Engine
    world: World
    journaled: list[ev.AnyEvent] = field(default_factory=list)

    def ask(self, fn: Callable[[World], T]) -> T:
        return self.engine.query(fn).result(timeout=WAIT_S)

    def status(self) -> Status:
        return self.ask(lambda _w: self.engine.status())

    def until(self, fn: Callable[[World], T]) -> T:
        """Poll ``fn`` in the engine thread until it is truthy, with a deadline."""
        deadline = threading.Event()
        timer = threading.Timer(WAIT_S, deadline.set)
        timer.start()
        try:
            while not deadline.is_set():
                r = self.ask(fn)
                if r:
                    return r
                deadline.wait(0.005)  # a poll interval, not a wait for the thing itself
            raise AssertionError("condition not reached in time")
        finally:
            timer.cancel()

    def bus(self, *msgs: Msg) -> threading.Event:
        done = threading.Event()
        self.engine.submit_bus(list(msgs), done.set)
        return done

    def types(self) -> list[str]:
        return [r.type for r in self.journal.records]

    def bodies(self, type_: str) -> list[ev.AnyEvent]:
        return [ev.decode(r.body) for r in self.journal.records if r.type == type_]


def make_rig(journal: MemoryJournal | None = None, clock: FakeClock | None = None) -> Rig:
    clock = clock or FakeClock(T0)
    journal = journal if journal is not None else MemoryJournal()
    sink, pub, w = Sink(), Publisher(), world()
    journaled: list[ev.AnyEvent] = []
    engine = Engine(w, journal, clock, "c1", publisher=pub, sink=sink, on_journaled=journaled.extend)
    return Rig(clock, journal, sink, pub, engine, w, journaled)


@pytest.fixture
def rig() -> Iterator[Rig]:
    r = make_rig()
    r.engine.start()
    yield r
    r.engine.stop()


def payload(dev: str, id_: str, evt: str = "alarm", kind: str = "smoke") -> bytes:
    return msgspec.json.encode(
        {"v": 1, "id": id_, "dev": dev, "kind": kind, "evt": evt, "ts": "2026-11-28T16:00:00+08:00"}
    )


def alarm_msg(dev: str = "H1-smoke", id_: str = "e1", township: str = "T1", evt: str = "alarm") -> Msg:
    kind = dev.rsplit("-", 1)[-1] if "-" in dev else "smoke"
    return Msg(device_topic("SIM", township, dev), payload(dev, id_, evt, kind))


def login(r: Rig) -> None:
    r.engine.submit_command(ev.Login(at=0, operator="op1", console="c1", role="district_officer", scope="*"))


def dev_keys(r: Rig) -> list[str]:
    return [rec.key for rec in r.journal.records if rec.type == "dev"]


# --- bus batches ---------------------------------------------------------------------------


def test_batch_of_alarms_becomes_incidents_and_is_acked_only_after_the_journal(rig: Rig) -> None:
    order: list[str] = []
    real_append = rig.journal.append

    def append(items: Any, console: str) -> Any:
        out = real_append(items, console)
        order.append("append:" + ",".join(i[2] for i in items))
        return out

    rig.journal.append = append  # type: ignore[method-assign]
    done = threading.Event()

    def on_done() -> None:
        order.append(f"done:{len(dev_keys(rig))}")
        done.set()

    rig.engine.submit_bus([alarm_msg("H1-smoke", "a"), alarm_msg("H2-gas", "b", "T2")], on_done)
    assert done.wait(WAIT_S)
    assert order.index("append:dev,dev") < order.index("done:2")
    assert rig.ask(lambda w: sorted(w.open_by_household)) == ["H1", "H2"]
    a = rig.sink.wait_alert("new_incident")
    assert a.incident in (1, 2)
    assert dev_keys(rig) == ["H1-smoke/a", "H2-gas/b"]


def test_duplicate_in_a_later_batch_is_dropped_counted_and_not_journaled_twice(rig: Rig) -> None:
    assert rig.bus(alarm_msg(id_="a")).wait(WAIT_S)
    assert rig.bus(alarm_msg(id_="a"), alarm_msg(id_="b")).wait(WAIT_S)
    assert dev_keys(rig) == ["H1-smoke/a", "H1-smoke/b"]
    st = rig.status()
    assert (st.received, st.duplicates) == (3, 1)
    assert rig.ask(lambda w: w.incidents[1].alarms) == ["H1-smoke/a", "H1-smoke/b"]


def test_dedupe_survives_a_restart() -> None:
    journal = MemoryJournal()
    first = make_rig(journal)
    first.engine.start()
    assert first.bus(alarm_msg(id_="a")).wait(WAIT_S)
    first.engine.stop()
    second = make_rig(journal, first.clock)
    assert second.engine.recover() == len(journal.records)
    second.engine.start()
    try:
        assert second.bus(alarm_msg(id_="a")).wait(WAIT_S)  # redelivered by the broker
        assert dev_keys(second) == ["H1-smoke/a"]
        assert second.status().duplicates == 1
        assert second.ask(lambda w: len(w.incidents)) == 1
    finally:
        second.engine.stop()


def test_bad_payload_is_quarantined_journaled_and_counted(rig: Rig) -> None:
    bad = Msg(device_topic("SIM", "T1", "H1-smoke"), b"{not json")
    assert rig.bus(bad, Msg("guard/v1/evt/x", b"{}")).wait(WAIT_S)
    q = rig.bodies("quar")
    assert [e.reason for e in q if isinstance(e, ev.Quarantined)] == ["bad_json", "bad_topic"]
    st = rig.status()
    assert st.rejected == 2 and st.quarantine == {"bad_json": 1, "bad_topic": 1}


def test_heartbeats_that_change_nothing_are_journaled_as_places_in_the_register(rig: Rig) -> None:
    msgs = [alarm_msg("H1-smoke", f"h{i}", evt="heartbeat") for i in range(3)] + [
        alarm_msg("H2-co", "h9", "T2", evt="heartbeat"),
        alarm_msg("GHOST", "h10", evt="heartbeat"),
    ]
    done = rig.bus(*msgs)
    rig.engine.flush_heartbeats()
    assert done.wait(WAIT_S)
    assert rig.bodies("hb") == []  # nothing in them changes more than the time
    (seen,) = rig.bodies("seen")
    assert isinstance(seen, ev.Seen) and (seen.beats, seen.unknown) == (4, 1)
    assert rig.ask(lambda w: w.seen_devices(seen)) == ["H1-smoke", "H2-co"]
    assert rig.ask(lambda w: w.supervisor.health["H2-co"].last_seen) == seen.at
    st = rig.status()
    assert st.unknown_heartbeats == 1


def test_heartbeats_that_change_something_are_journaled_in_full(rig: Rig) -> None:
    beat = alarm_msg("H1-smoke", "b1", evt="heartbeat")
    with_battery = Msg(beat.topic, beat.payload.replace(b"}", b',"bat":64}'))
    done = rig.bus(with_battery, alarm_msg("H2-co", "h9", "T2", evt="heartbeat"))
    rig.engine.flush_heartbeats()
    assert done.wait(WAIT_S)
    (hb,) = rig.bodies("hb")
    assert isinstance(hb, ev.Heartbeats) and [(b.dev, b.bat) for b in hb.beats] == [("H1-smoke", 64)]
    (seen,) = rig.bodies("seen")
    assert isinstance(seen, ev.Seen) and rig.ask(lambda w: w.seen_devices(seen)) == ["H2-co"]
    assert rig.ask(lambda w: w.supervisor.health["H1-smoke"].bat) == 64


# --- journal failure -----------------------------------------------------------------------


def test_journal_failure_keeps_alarms_visible_holds_acks_then_writes_in_order(rig: Rig) -> None:
    assert rig.bus(alarm_msg(id_="a")).wait(WAIT_S)
    before = len(rig.journal.records)
    rig.journal.fail_with = JournalError("disk_full", "disk full")
    done = rig.bus(alarm_msg("H2-gas", "b", "T2"), alarm_msg("H3-co", "c"))
    # the batch has been handled once this query returns (one queue, in order)
    assert rig.ask(lambda w: sorted(w.open_by_household)) == ["H1", "H2", "H3"]
    assert not done.is_set()
    st = rig.status()
    assert st.journal == "failing" and "disk full" in st.journal_error and st.pending > 0
    assert len(rig.journal.records) == before
    rig.engine.submit_command(ev.SystemNote(at=0, what="operator_note"))
    assert rig.ask(lambda _w: True)
    rig.journal.fail_with = None
    rig.engine.poke()
    assert done.wait(WAIT_S)
    assert rig.until(lambda _w: rig.engine.status().journal == "ok")
    recs = rig.journal.records
    assert verify(recs) is None
    assert [r.seq for r in recs] == list(range(1, len(recs) + 1))
    held = recs[before:]
    assert [r.at for r in held] == sorted(r.at for r in held)
    assert [r.key for r in held if r.type == "dev"] == ["H2-gas/b", "H3-co/c"]
    assert any(isinstance(e, ev.SystemNote) and e.what == "operator_note" for e in rig.bodies("sys"))
    notes = [e for e in rig.bodies("sys") if isinstance(e, ev.SystemNote) and e.what == "journal_recovered"]
    assert len(notes) == 1 and held[-1].type == "sys"


def test_on_journaled_sees_events_held_during_an_outage(rig: Rig) -> None:
    rig.journal.fail_with = JournalError("disk_full", "disk full")
    done = rig.bus(alarm_msg(id_="held"))
    assert rig.ask(lambda w: len(w.incidents)) == 1
    rig.journal.fail_with = None
    rig.engine.poke()
    assert done.wait(WAIT_S)
    assert rig.until(lambda _w: rig.engine.status().journal == "ok")
    seen = rig.ask(lambda _w: [e.key for e in rig.journaled if isinstance(e, ev.DeviceEvent)])
    assert seen == ["H1-smoke/held"]


# --- timers --------------------------------------------------------------------------------


def test_one_minute_miss_fires_after_61_s_and_a_tick_is_journaled(rig: Rig) -> None:
    login(rig)
    assert rig.bus(alarm_msg()).wait(WAIT_S)
    rig.engine.poke()
    assert rig.ask(lambda w: w.incidents[1].missed) == []
    assert "tick" not in rig.types()
    rig.clock.advance(61)
    rig.engine.poke()
    a = rig.sink.wait_alert("missed")
    assert (a.incident, a.detail) == (1, "1")
    assert "tick" in rig.types()
    tick = rig.bodies("tick")[0]
    assert tick.at >= T0 + 61 * NS
    assert rig.ask(lambda w: w.incidents[1].escalations) == ["district"]


def accept_all(r: Rig) -> None:
    """What a gateway answers once a provider took every request sent so far: ``accepted``."""
    reqs = [decode_notify(p).req for _, p, _ in r.pub.sent]  # type: ignore[union-attr]
    msgs = [
        Msg(notify_receipt_topic("SIM"), encode_receipt(Receipt(req, "accepted", provider="sim")))
        for req in reqs
    ]
    assert r.bus(*msgs).wait(WAIT_S)


def test_the_one_minute_mark_is_missed_when_no_provider_accepted_anything(rig: Rig) -> None:
    """Acknowledged in time and every request on the bus, but nothing accepted: missed."""
    login(rig)
    assert rig.bus(alarm_msg()).wait(WAIT_S)
    rig.until(lambda w: w.incidents[1].alert_published_at is not None)
    rig.clock.advance(30)
    rig.engine.submit_command(ev.CompleteStep(at=0, operator="op1", console="c1", incident=1, step="ack"))
    assert rig.ask(lambda w: w.incidents[1].state) == "acknowledged"
    rig.clock.advance(31)
    rig.engine.poke()
    assert rig.sink.wait_alert("missed").detail == "1"


def test_no_miss_when_acknowledged_in_time(rig: Rig) -> None:
    login(rig)
    assert rig.bus(alarm_msg()).wait(WAIT_S)
    rig.until(
        lambda w: (
            len(w.incidents[1].notifications) > 0
            and all(n.published_at is not None for n in w.incidents[1].notifications.values())
        )
    )
    accept_all(rig)
    assert rig.ask(lambda w: w.incidents[1].alert_out_at) is not None
    rig.clock.advance(30)
    rig.engine.submit_command(ev.CompleteStep(at=0, operator="op1", console="c1", incident=1, step="ack"))
    assert rig.ask(lambda w: w.incidents[1].state) == "acknowledged"
    rig.clock.advance(35)  # 65 s: nothing is due, so nothing may fire
    rig.engine.poke()
    assert rig.ask(lambda w: w.incidents[1].missed) == []
    rig.clock.advance(240)  # 305 s: the 5-minute Tick evaluates every mark
    rig.engine.poke()
    a = rig.sink.wait_alert("missed")
    assert a.detail == "5"
    assert rig.ask(lambda w: w.incidents[1].missed) == [5]
    assert [x.detail for x in rig.sink.alerts() if x.kind == "missed"] == ["5"]


# --- notifications -------------------------------------------------------------------------


def test_notifications_are_published_and_recorded(rig: Rig) -> None:
    assert rig.bus(alarm_msg()).wait(WAIT_S)
    rig.until(lambda _w: len(rig.pub.sent) == 8)
    topics = {t for t, _, _ in rig.pub.sent}
    assert topics == {"guard/v1/notify/SIM/req"}
    assert all(q == 1 for _, _, q in rig.pub.sent)
    reqs = [decode_notify(p) for _, p, _ in rig.pub.sent]
    ids = [getattr(r, "req", None) for r in reqs]
    # journaled as published as the broker's acknowledgements come in (one record or several)
    rig.until(lambda _w: sum(len(e.reqs) for e in rig.bodies("npub")) == 8)  # type: ignore[attr-defined]
    npub = rig.bodies("npub")
    assert all(isinstance(e, ev.NotifyPublished) for e in npub)
    assert [r for e in npub for r in e.reqs] == ids  # type: ignore[attr-defined]
    assert rig.ask(lambda w: w.incidents[1].alert_published_at) == npub[0].at
    assert (
        rig.ask(lambda w: w.incidents[1].alert_out_at) is None
    )  # on the bus is not out: no provider took it


def test_receipts_arrive_on_the_receipt_topic(rig: Rig) -> None:
    assert rig.bus(alarm_msg()).wait(WAIT_S)
    topic = notify_receipt_topic("SIM")
    r = Msg(topic, encode_receipt(Receipt("I1-H1-e-voice-1", "answered")))
    assert rig.bus(r, Msg(topic, b'{"req":"x","status":"eaten"}')).wait(WAIT_S)
    assert rig.ask(lambda w: w.incidents[1].notifications["I1-H1-e-voice-1"].status) == "answered"
    rc = rig.bodies("rcpt")
    assert len(rc) == 1 and isinstance(rc[0], ev.NotifyReceipt) and rc[0].status == "answered"
    assert rig.status().quarantine == {"bad_receipt_status": 1}


def test_failed_call_is_retried_when_the_clock_reaches_retry_after(rig: Rig) -> None:
    assert rig.bus(alarm_msg()).wait(WAIT_S)
    rig.until(lambda _w: len(rig.pub.sent) == 8)
    fail = Msg(notify_receipt_topic("SIM"), encode_receipt(Receipt("I1-H1-g-voice-1", "failed")))
    assert rig.bus(fail).wait(WAIT_S)
    rig.clock.advance(59)
    rig.engine.poke()
    assert rig.ask(lambda _w: len(rig.pub.sent)) == 8
    rig.clock.advance(2)
    rig.engine.poke()
    rig.until(lambda _w: len(rig.pub.sent) == 9)
    retry = decode_notify(rig.pub.sent[-1][1])
    assert getattr(retry, "req", "") == "I1-H1-g-voice-2" and getattr(retry, "attempt", 0) == 2


# --- recovery ------------------------------------------------------------------------------


def test_recover_rebuilds_the_same_projection() -> None:
    journal = MemoryJournal()
    first = make_rig(journal)
    first.engine.start()
    login(first)
    assert first.bus(alarm_msg(id_="a"), alarm_msg("H2-gas", "b", "T2")).wait(WAIT_S)
    first.engine.submit_command(ev.CompleteStep(at=0, operator="op1", console="c1", incident=1, step="ack"))
    first.clock.advance(400)
    first.engine.poke()
    first.sink.wait_alert("missed")
    first.engine.stop()
    live = first.world.projection_hash()
    second = make_rig(journal, first.clock)
    assert second.engine.recover() == len(journal.records)
    assert second.world.projection_hash() == live
    assert verify(journal.records) is None


def test_deadline_missed_while_down_is_reported_on_start() -> None:
    journal = MemoryJournal()
    first = make_rig(journal)
    first.engine.start()
    assert first.bus(alarm_msg()).wait(WAIT_S)
    first.engine.stop()
    assert not [a for a in first.sink.alerts() if a.kind == "missed"]
    first.clock.advance(3600)  # the console was down for an hour
    second = make_rig(journal, first.clock)
    second.engine.recover()
    second.engine.start()
    try:
        second.sink.wait_alert("missed")
        missed = second.ask(lambda w: w.incidents[1].missed)
        assert missed == [1, 5, 30]
        assert "tick" in second.types()
    finally:
        second.engine.stop()


# --- crash windows -------------------------------------------------------------------------


def test_requests_journaled_but_never_published_are_sent_after_a_restart() -> None:
    journal = MemoryJournal()
    first = make_rig(journal)
    first.engine.publisher = None  # the console dies between journaling the alarm and publishing
    first.engine.start()
    assert first.bus(alarm_msg(id_="crash")).wait(WAIT_S)
    first.until(lambda w: len(w.incidents) == 1)
    first.engine.stop()
    assert "npub" not in first.types()

    second = make_rig(journal)
    second.engine.recover()
    second.engine.start()
    try:
        second.until(lambda w: next(iter(w.incidents.values())).alert_published_at is not None)
        reqs = {decode_notify(p).req for _, p, _ in second.pub.sent}  # type: ignore[union-attr]
        expected = second.ask(lambda w: set(next(iter(w.incidents.values())).notifications))
        assert reqs == expected and reqs
        assert "npub" in second.types()
    finally:
        second.engine.stop()


def test_events_the_journal_never_took_are_handed_over_at_stop() -> None:
    r = make_rig()
    lost: list[ev.AnyEvent] = []
    r.engine.on_unwritten = lost.extend
    r.engine.start()
    login(r)
    r.until(lambda w: "c1" in w.sessions)
    r.journal.fail_with = JournalError("disk_full", "disk full")
    done = r.bus(alarm_msg(id_="held"))
    r.engine.submit_command(ev.Escalate(at=0, operator="op1", console="c1", incident=1, target="fire_119"))
    r.until(lambda w: "fire_119" in w.incidents[1].escalations)
    r.engine.stop()
    assert not done.is_set()  # never acknowledged: the broker will send it again
    kinds = [type(e).__name__ for e in lost]
    assert "DeviceEvent" in kinds and "Escalate" in kinds


def test_a_queue_that_never_empties_still_feeds_the_ui_and_the_timers() -> None:
    """An alarm storm keeps the engine's queue full; a new incident must reach the screen at
    once, not when the storm is over."""
    r = make_rig()
    order: list[str] = []
    gate = threading.Event()
    real_append = r.journal.append

    def append(items: Any, console: str) -> Any:
        gate.wait(WAIT_S)  # the first batch holds the engine while the storm queues up
        return real_append(items, console)

    r.journal.append = append  # type: ignore[method-assign]
    real_deliver = r.sink.deliver

    def deliver(delta: Delta) -> None:
        if delta.incidents:
            order.append("delta")
        real_deliver(delta)

    r.sink.deliver = deliver  # type: ignore[method-assign]
    r.engine.start()
    dones = []
    for i in range(60):
        done = threading.Event()
        dev = f"H{i % 3 + 1}-smoke"
        r.engine.submit_bus(
            [alarm_msg(dev=dev, id_=f"s{i}")], lambda i=i, d=done: (order.append(f"done:{i}"), d.set())
        )
        dones.append(done)
    gate.set()
    assert dones[-1].wait(WAIT_S)
    r.engine.stop()
    assert "delta" in order
    assert order.index("delta") < order.index("done:59")


def test_another_workstation_does_not_resend_what_this_one_opened() -> None:
    """On a shared store the console that wrote the opening record owns its notifications."""
    journal = MemoryJournal()
    first = make_rig(journal)
    first.engine.publisher = None  # c1 journals the alarm, then dies before publishing
    first.engine.start()
    assert first.bus(alarm_msg(id_="owned")).wait(WAIT_S)
    first.until(lambda w: len(w.incidents) == 1)
    first.engine.stop()

    other = make_rig(journal)
    other.engine.console_id = "c2"
    other.engine.recover()
    other.engine.start()
    try:
        other.until(lambda w: len(w.incidents) == 1)
        login(other)  # a round trip through the engine queue after the resend step
        other.until(lambda w: "c1" in w.sessions)
        assert other.pub.sent == []
    finally:
        other.engine.stop()


def test_heartbeats_are_coalesced_and_alarms_never_wait_for_them() -> None:
    r = make_rig()
    r.engine.beats.window_s = 3600.0  # only the size cap or a flush request writes them here
    r.engine.start()
    try:
        dones = [r.bus(alarm_msg(dev=f"H{i % 3 + 1}-smoke", id_=f"hb{i}", evt="heartbeat")) for i in range(5)]
        r.until(lambda w: r.engine.status().received == 5)
        assert "seen" not in r.types()  # held: one record later instead of five
        assert not any(d.is_set() for d in dones)  # and not acknowledged before they are journaled
        alarm_done = r.bus(alarm_msg(id_="after-beats"))
        assert alarm_done.wait(WAIT_S)  # the alarm is journaled and acknowledged at once
        assert "dev" in r.types() and "seen" not in r.types()
        r.engine.flush_heartbeats()
        assert all(d.wait(WAIT_S) for d in dones)
        (seen,) = r.bodies("seen")
        assert isinstance(seen, ev.Seen) and seen.beats == 5
        mixed = r.bus(
            alarm_msg(id_="mixed-alarm"), alarm_msg(dev="H2-smoke", id_="mixed-beat", evt="heartbeat")
        )
        r.until(lambda w: r.journal.records[-1].key == "H1-smoke/mixed-alarm")
        assert not mixed.is_set()  # its heartbeat is still held
        r.engine.flush_heartbeats()
        assert mixed.wait(WAIT_S)
    finally:
        r.engine.stop()


def test_held_heartbeats_are_journaled_within_the_window() -> None:
    r = make_rig()
    r.engine.beats.window_s = 0.0
    r.engine.start()
    try:
        done = r.bus(alarm_msg(id_="lone-beat", evt="heartbeat"))
        assert done.wait(WAIT_S)  # the housekeeping pass flushes it
        assert r.types().count("seen") == 1
    finally:
        r.engine.stop()
