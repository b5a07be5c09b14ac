"""Nothing acknowledged before it is durable, on every path (issue 16 item 1), and T0 at receipt
(item 2): the engine with a fake clock, an in-memory journal that can be made to fail, and a
publisher whose broker acknowledges only when told (tests/support.py ``Publisher``).

Nothing sleeps: waits are on the batch's ``done``, on ``engine.query`` round trips and on a
gate the engine thread itself blocks on.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from console.app.ports import JournalError
from console.domain import events as ev
from console.domain.codec import decode_notify
from tests.support import WAIT_S, Msg, Publisher
from tests.unit.helpers import NS, T0
from tests.unit.test_engine import Rig, alarm_msg, make_rig
from tests.unit.test_engine import rig as rig  # noqa: F401 (the fixture)

DISK_FULL = JournalError("disk_full", "disk full")


@pytest.fixture
def held_rig() -> Iterator[Rig]:
    """A rig whose broker acknowledges notification requests only on ``pub.ack_all()``."""
    r = make_rig()
    r.pub = r.engine.publisher = Publisher(ack=False)  # type: ignore[assignment]
    r.engine.start()
    yield r
    r.engine.stop()


def reqs_sent(pub: Publisher) -> list[str]:
    return [decode_notify(p).req for _, p, _ in pub.sent]  # type: ignore[union-attr]


def published(r: Rig) -> list[str]:
    return [req for e in r.bodies("npub") if isinstance(e, ev.NotifyPublished) for req in e.reqs]


# --- duplicates --------------------------------------------------------------------------------


def test_a_redelivered_duplicate_is_acknowledged_only_once_its_original_is_durable() -> None:
    r = make_rig()
    r.engine.start()
    try:
        r.journal.fail_with = DISK_FULL
        first = r.bus(alarm_msg(id_="a"))
        assert r.ask(lambda w: len(w.incidents)) == 1  # applied, held in memory, not acknowledged
        # the link blips: the broker sends the unacknowledged alarm again, alone in its batch
        again = r.bus(alarm_msg(id_="a"))
        assert r.ask(lambda _w: r.engine.status().duplicates) == 1
        assert not first.is_set() and not again.is_set()  # acking the copy would lose the original
        r.journal.fail_with = None
        r.engine.poke()
        assert first.wait(WAIT_S) and again.wait(WAIT_S)
        assert [rec.key for rec in r.journal.records if rec.type == "dev"] == ["H1-smoke/a"]
    finally:
        r.engine.stop()


def test_a_duplicate_of_a_durable_alarm_is_acknowledged_at_once(rig: Rig) -> None:
    assert rig.bus(alarm_msg(id_="a")).wait(WAIT_S)
    assert rig.bus(alarm_msg(id_="a")).wait(WAIT_S)


def test_a_stop_while_failing_leaves_original_and_duplicate_unacknowledged() -> None:
    r = make_rig()
    r.engine.on_unwritten = lambda _events: None
    r.engine.start()
    r.journal.fail_with = DISK_FULL
    first, again = r.bus(alarm_msg(id_="a")), None
    assert r.ask(lambda w: len(w.incidents)) == 1
    again = r.bus(alarm_msg(id_="a"))
    assert r.ask(lambda _w: r.engine.status().duplicates) == 1
    r.engine.stop()
    assert not first.is_set() and not again.is_set()  # the broker keeps both: sent again after a restart


# --- notification requests: published means the broker acknowledged ------------------------------


def test_a_request_is_journaled_as_published_only_when_the_broker_acknowledges_it(held_rig: Rig) -> None:
    r = held_rig
    assert r.bus(alarm_msg()).wait(WAIT_S)
    r.until(lambda _w: len(r.pub.sent) == 8)
    assert published(r) == []
    assert r.ask(lambda w: w.incidents[1].alert_published_at) is None  # not even on the bus yet
    statuses = r.ask(lambda w: {n.status for n in w.incidents[1].notifications.values()})
    assert statuses == {"requested"}
    assert r.pub.ack_all() == 8
    r.until(lambda _w: len(published(r)) == 8)
    assert sorted(published(r)) == sorted(reqs_sent(r.pub))
    npub = r.bodies("npub")
    assert r.ask(lambda w: w.incidents[1].alert_published_at) == npub[0].at


def test_requests_the_broker_never_acknowledged_are_sent_again_after_a_restart() -> None:
    first = make_rig()
    first.pub = first.engine.publisher = Publisher(ack=False)  # type: ignore[assignment]
    first.engine.start()
    assert first.bus(alarm_msg(id_="crash")).wait(WAIT_S)
    first.until(lambda _w: len(first.pub.sent) == 8)
    first.pub.unacked[0]()  # one acknowledgement arrives, the other seven never do
    first.until(lambda _w: len(published(first)) == 1)
    first.engine.stop()
    acked = published(first)

    second = make_rig(first.journal)
    second.engine.recover()
    second.engine.start()
    try:
        second.until(lambda _w: len(published(second)) == 8)
        resent = reqs_sent(second.pub)
        assert sorted(resent) == sorted(set(reqs_sent(first.pub)) - set(acked))
        assert len(resent) == 7
    finally:
        second.engine.stop()


def test_a_full_outbox_refuses_and_every_request_is_offered_again_in_order() -> None:
    r = make_rig()
    r.pub = r.engine.publisher = Publisher(room=3)  # type: ignore[assignment]
    r.engine.start()
    try:
        assert r.bus(alarm_msg("H1-smoke", "a"), alarm_msg("H2-gas", "b", "T2")).wait(WAIT_S)
        r.until(lambda _w: r.pub.refused > 0)
        assert len(r.pub.sent) == 3
        wanted = r.ask(lambda w: sorted(req for i in w.incidents.values() for req in i.notifications))
        assert len(wanted) == 16
        r.pub.room = None  # the outbox drains
        r.engine.poke()
        r.until(lambda _w: len(published(r)) == 16)
        assert sorted(reqs_sent(r.pub)) == wanted  # each exactly once, none dropped
        assert sorted(published(r)) == wanted
    finally:
        r.engine.stop()


# --- T0 is the bus's receipt, not the engine's ---------------------------------------------------


def test_t0_is_the_receipt_time_however_long_the_engine_queue_waits() -> None:
    r = make_rig()
    r.engine.start()
    try:
        gate, inside = threading.Event(), threading.Event()

        def stuck(_w: object) -> bool:
            inside.set()
            return gate.wait(WAIT_S)

        blocked = r.engine.query(stuck)
        assert inside.wait(WAIT_S)
        # a storm arrives while the engine is busy: 300 alarms over 150 s of console time
        stamps: dict[str, int] = {}
        for i in range(300):
            at = r.clock.now_ns()
            dev = f"H{i % 2 + 1}-smoke"
            m = alarm_msg(dev, f"s{i}")
            r.engine.submit_bus([Msg(m.topic, m.payload, received_at=at)])
            stamps.setdefault(dev.split("-")[0], at)
            r.clock.advance(0.5)
        late = Msg(alarm_msg("H3-co", "late").topic, alarm_msg("H3-co", "late").payload)
        r.engine.submit_bus([late])  # no bus stamp: taken at the engine's time
        gate.set()
        assert blocked.result(WAIT_S)
        r.until(lambda w: len(w.incidents) == 3)
        opened = r.ask(lambda w: {i.household: i.opened for i in w.incidents.values()})
        for hh, at in stamps.items():
            assert opened[hh] == at, hh  # T0 = when the bus read its first alarm
        assert opened["H3"] >= T0 + 150 * NS  # the unstamped one is as late as the engine
        # the journal holds the receipt times, in the order received
        ats = [rec.at for rec in r.journal.records if rec.type == "dev"]
        assert ats[:300] == sorted(ats[:300])
        # what the engine stamps after them is not earlier than the last receipt
        r.engine.submit_command(ev.SystemNote(at=0, what="operator_note"))
        notes = lambda: [rec for rec in r.journal.records if b"operator_note" in rec.body]  # noqa: E731
        r.until(lambda _w: notes())
        note = notes()[0]
        assert note.at > max(ats)
    finally:
        r.engine.stop()


# --- never silently blind: a township that goes quiet --------------------------------------------


def test_a_township_that_goes_quiet_reaches_the_status_as_silent() -> None:
    from console.app.clock import FakeClock
    from console.app.engine import Engine
    from console.app.memjournal import MemoryJournal
    from console.app.silence import Silence
    from console.domain.codec import device_topic
    from console.sim.district import generate
    from console.sim.traffic import payload
    from tests.unit.storm_drive import new_world

    reg = generate(seed=7, households=60)
    devices = [(h.township, d.id, d.kind) for h in reg.households.values() for d in h.devices]
    clock = FakeClock(T0)
    # every device beats every 10 s: about 6 a minute each, judged over a one-minute window
    periods = dict.fromkeys(("smoke", "co", "gas", "electric"), 10)
    silence = Silence(reg, window_s=60, bucket_s=10, min_expected=5, periods=periods)
    engine = Engine(new_world(reg), MemoryJournal(), clock, "c1", silence=silence)
    engine.start()
    try:
        engine.submit_system(ev.BusStatus(at=0, state="connected", detail="test"))
        quiet_from = T0 + 120 * NS
        for step in range(30):  # five minutes; T02 stops after two
            now = clock.now_ns()
            engine.submit_bus(
                [
                    Msg(
                        device_topic("SIM", tw, dev),
                        payload(dev, kind, "heartbeat", now, f"b{step}", hb=10),
                        now,
                    )
                    for tw, dev, kind in devices
                    if tw != "T02" or now < quiet_from
                ]
            )
            assert engine.query(lambda _w: True).result(WAIT_S)  # taken, and housekeeping after it
            clock.advance(10)
        assert engine.query(lambda _w: True).result(WAIT_S)
        st = engine.query(lambda _w: engine.status()).result(WAIT_S)
        silent = {a.area: a for a in st.silent}
        assert set(silent) == {"T02"}, st.silent  # the others kept talking
        assert silent["T02"].seen == 0 and silent["T02"].expected > 5
        assert quiet_from <= silent["T02"].since <= quiet_from + 70 * NS
        # the bus goes down: that is the bus's banner, not a silent township
        engine.submit_system(ev.BusStatus(at=0, state="reconnecting", detail="test"))
        clock.advance(1)
        assert engine.query(lambda _w: True).result(WAIT_S)  # applied, and housekeeping after it
        assert engine.query(lambda _w: engine.status().silent).result(WAIT_S) == ()
    finally:
        engine.stop()


# --- the engine's watchdog ---------------------------------------------------------------------


class Boom(Exception):
    pass


def _fail_next_apply(r: Rig, when: type) -> None:
    """The next event of type ``when`` makes this world's ``apply`` raise (once: the rebuilt
    world is a new object)."""
    w = r.engine.world
    real = w.apply

    def apply(e: ev.AnyEvent) -> list[object]:
        if isinstance(e, when):
            raise Boom("injected")
        return real(e)  # type: ignore[return-value]

    w.apply = apply  # type: ignore[method-assign]


def test_a_failing_engine_is_reported_at_once_and_rebuilt_from_the_journal(rig: Rig) -> None:
    assert rig.bus(alarm_msg("H1-smoke", "a")).wait(WAIT_S)
    rig.until(lambda w: len(w.incidents) == 1)
    old = rig.engine.world
    _fail_next_apply(rig, ev.Escalate)
    rig.engine.submit_command(ev.Escalate(at=0, operator="op1", console="c1", incident=1, target="fire_119"))
    st = rig.until(lambda _w: rig.engine.status().engine_restarts == 1 and rig.engine.status())
    assert "Boom: injected" in st.engine_failure and not st.engine_dead
    assert rig.engine.world is not old
    # the window is told at once: an alert and every incident again
    with rig.sink.cond:
        assert rig.sink.cond.wait_for(
            lambda: any(a.kind == "engine_failed" for d in rig.sink.deltas for a in d.alerts), WAIT_S
        )
    assert rig.ask(lambda w: sorted(w.open_by_household)) == ["H1"]  # the journal's incident is back
    # and it goes on: a new alarm is journaled, applied and acknowledged; the old one is still a duplicate
    assert rig.bus(alarm_msg("H2-gas", "b", "T2")).wait(WAIT_S)
    assert rig.bus(alarm_msg("H1-smoke", "a")).wait(WAIT_S)
    assert rig.ask(lambda w: sorted(w.open_by_household)) == ["H1", "H2"]
    assert rig.ask(lambda _w: rig.engine.status().duplicates) == 1
    notes = [e for e in rig.bodies("sys") if isinstance(e, ev.SystemNote) and e.what == "engine_restarted"]
    assert len(notes) == 1 and "injected" in notes[0].detail


def test_events_held_in_memory_survive_the_rebuild() -> None:
    r = make_rig()
    r.engine.start()
    try:
        r.journal.fail_with = DISK_FULL
        held = r.bus(alarm_msg("H2-gas", "held", "T2"))
        assert r.ask(lambda w: sorted(w.open_by_household)) == ["H2"]
        _fail_next_apply(r, ev.SystemNote)
        r.engine.submit_command(ev.SystemNote(at=0, what="operator_note"))
        r.until(lambda _w: r.engine.status().engine_restarts == 1)
        assert r.ask(lambda w: sorted(w.open_by_household)) == ["H2"]  # only in memory, and kept
        assert not held.is_set()
        r.journal.fail_with = None
        r.engine.poke()
        assert held.wait(WAIT_S)
        assert [rec.key for rec in r.journal.records if rec.type == "dev"] == ["H2-gas/held"]
    finally:
        r.engine.stop()


def test_an_engine_that_keeps_failing_stays_down_and_says_so() -> None:
    r = make_rig()
    r.engine.start()
    try:
        from console.app import engine as engine_mod

        for n in range(engine_mod.MAX_RESTARTS + 1):
            r.until(lambda _w, n=n: r.engine.status().engine_restarts == n)
            _fail_next_apply(r, ev.SystemNote)
            r.engine.submit_command(ev.SystemNote(at=0, what=f"note{n}"))
        assert r.engine.stopped.wait(WAIT_S)
        st = r.engine.status()
        assert st.engine_dead and st.engine_restarts == engine_mod.MAX_RESTARTS + 1
        with r.sink.cond:
            assert r.sink.cond.wait_for(
                lambda: any(d.status is not None and d.status.engine_dead for d in r.sink.deltas), WAIT_S
            )
    finally:
        r.engine.stop()


def test_the_bus_batch_that_was_being_handled_is_taken_again_after_the_rebuild(rig: Rig) -> None:
    _fail_next_apply(rig, ev.DeviceEvent)
    done = rig.bus(alarm_msg("H1-smoke", "a"), alarm_msg("H2-gas", "b", "T2"))
    rig.until(lambda _w: rig.engine.status().engine_restarts == 1)
    assert done.wait(WAIT_S)  # acknowledged once durable: not left for a reconnect that may never come
    assert rig.ask(lambda w: sorted(w.open_by_household)) == ["H1", "H2"]
    keys = [rec.key for rec in rig.journal.records if rec.type == "dev"]
    assert sorted(keys) == ["H1-smoke/a", "H2-gas/b"]  # each once, whatever had been journaled
