"""Live register changes (issue 18 item 3) in the fold and the engine: a journaled
RegisterChanged puts the register it names in force from that record on; open incidents keep
their history; devices registered later are tracked; a snapshot names the register in force;
the engine gives the window the new register and judges "nothing heard is registered"."""

from __future__ import annotations

import msgspec
import pytest

from console.app import world_snapshot
from console.app.mismatch import AFTER_S, MIN_MESSAGES
from console.domain import events as ev
from console.domain.registry import Register
from console.domain.world import World
from tests.support import WAIT_S
from tests.unit.helpers import NS, T0, alarm, household, register
from tests.unit.test_engine import alarm_msg, make_rig

R1 = register(2)  # H1, H2
R2 = Register(list(R1.areas.values()), [*R1.households.values(), household("H9", "T1")], version="v2")


def changed(reg: Register, at: int) -> ev.RegisterChanged:
    return ev.RegisterChanged(
        at=at,
        version=reg.version,
        digest=reg.digest,
        households=len(reg),
        devices=len(reg.device_index),
    )


def fresh(registers: dict[str, Register]) -> World:
    from tests.unit.helpers import world

    w = world(2)
    w.registers = registers.get
    return w


def test_digest_is_content_not_order_or_version() -> None:
    again = Register(reversed(list(R1.areas.values())), reversed(list(R1.households.values())), "other")
    assert again.digest == R1.digest
    assert R2.digest != R1.digest


def test_a_register_change_puts_the_new_one_in_force_and_keeps_open_incidents() -> None:
    w = fresh({R2.digest: R2})
    w.apply(ev.SystemNote(at=T0, what="start"))
    w.apply(alarm("H9-smoke", T0 + NS, id_="a"))  # not registered yet
    (early,) = w.incidents.values()
    assert early.unregistered and early.household.startswith("?")
    assert w.supervisor.health["H9-smoke"].household == "?H9-smoke"  # heard, not registered
    assert "H9-co" not in w.supervisor.health
    w.apply(changed(R2, T0 + 2 * NS))
    assert w.register is R2 and w.register_digest == R2.digest
    assert w.counters["register_changes"] == 1
    assert w.supervisor.health["H9-co"].household == "H9"  # watched from the change on
    assert w.supervisor.health["H9-smoke"].household == "H9"  # now placed
    w.apply(alarm("H9-co", T0 + 3 * NS, id_="b", kind="co"))
    later = max(w.incidents.values(), key=lambda i: i.id)
    assert later.household == "H9" and not later.unregistered
    assert w.incidents[early.id].timeline == early.timeline  # its history untouched
    assert w.projection().register == R2.digest


def test_a_register_the_store_does_not_have_is_told_not_guessed() -> None:
    w = fresh({})
    fx = w.apply(changed(R2, T0))
    assert [a.kind for a in fx] == ["register_missing"]
    assert w.register is not R2 and w.counters["register_missing"] == 1


def test_the_same_register_named_again_changes_nothing() -> None:
    w = fresh({R2.digest: R2})
    assert w.apply(changed(w.register, T0)) == []
    assert w.register_digest == w.register.digest and not w.counters["register_changes"]


def test_a_snapshot_names_the_register_in_force() -> None:
    w = fresh({R2.digest: R2})
    w.apply(ev.SystemNote(at=T0, what="start"))
    w.apply(changed(R2, T0 + NS))
    core, incidents = world_snapshot.snapshot(w)
    back = world_snapshot.restore(w.empty_like(), core, incidents)
    assert back.initial_register.digest == R1.digest
    assert back.register is R2 and back.register_digest == R2.digest
    assert back.projection_bytes() == w.projection_bytes()
    lost = w.empty_like()
    lost.registers = {}.get
    with pytest.raises(LookupError):
        world_snapshot.restore(lost, core, incidents)


def test_replay_folds_each_record_with_the_register_in_force_then() -> None:
    from console.app.replay import replay_all

    events = [
        ev.SystemNote(at=T0, what="start"),
        alarm("H9-smoke", T0 + NS, id_="a"),
        changed(R2, T0 + 2 * NS),
        alarm("H9-co", T0 + 3 * NS, id_="b", kind="co"),
    ]
    live = fresh({R2.digest: R2})
    for e in events:
        live.apply(e)
    from console.app.memjournal import MemoryJournal

    j = MemoryJournal()
    j.append([(e.at, ev.source_of(e), ev.type_of(e), ev.key_of(e), ev.encode(e)) for e in events], "c1")
    replayed, problems = replay_all(lambda: fresh({R2.digest: R2}), list(j.read()))
    assert problems == []
    assert replayed.projection_bytes() == live.projection_bytes()
    households = sorted(i.household for i in replayed.incidents.values())
    assert households == ["?H9-smoke", "H9"]


# --- the engine ----------------------------------------------------------------------------------


def test_the_engine_gives_the_window_the_register_now_in_force() -> None:
    r = make_rig()
    r.world.registers = {R2.digest: R2}.get
    r.engine.start()
    try:
        r.engine.submit_system(changed(R2, 0))
        assert r.until(lambda w: w.register is R2)
        r.engine.flush_heartbeats()

        def given() -> bool:
            return any(d.register is R2 for d in r.sink.deltas)

        with r.sink.cond:
            assert r.sink.cond.wait_for(given, WAIT_S)
        st = r.status()
        assert st.register_version == "v2" and st.register_households == 3
        assert [rec.type for rec in r.journal.records].count("reg") == 1
    finally:
        r.engine.stop()


def test_traffic_from_no_registered_device_is_reported_and_one_registered_clears_it() -> None:
    r = make_rig()
    r.engine.start()
    try:
        n = MIN_MESSAGES + 5
        step = (AFTER_S + 10) / n
        for i in range(n):
            assert r.bus(alarm_msg(dev=f"X{i}-smoke", id_=f"x{i}")).wait(WAIT_S)
            r.clock.advance(step)
        r.engine.poke()
        st = r.until(lambda _w: r.engine.status().unmatched)
        assert st.messages == n and st.devices == n and st.registered == len(r.world.register.device_index)
        assert r.bus(alarm_msg(dev="H1-smoke", id_="ok")).wait(WAIT_S)
        r.clock.advance(1)
        r.engine.poke()
        assert r.until(lambda _w: r.engine.status().unmatched is None and r.engine.unmatched.matched)
    finally:
        r.engine.stop()


def test_not_enough_time_or_traffic_is_not_reported() -> None:
    r = make_rig()
    r.engine.start()
    try:
        for i in range(MIN_MESSAGES * 2):
            assert r.bus(alarm_msg(dev=f"X{i}-smoke", id_=f"x{i}")).wait(WAIT_S)
        r.clock.advance(AFTER_S - 5)  # plenty of messages, not yet two minutes of them
        r.engine.poke()
        assert r.ask(lambda _w: r.engine.status().unmatched) is None
    finally:
        r.engine.stop()


def test_a_district_or_township_no_household_is_in_is_a_scope_problem() -> None:
    r = make_rig()
    r.engine.district, r.engine.township = "500112", "T9"
    r.engine.start()
    try:
        st = r.status()
        assert st.scope_problems == (("district", "500112"), ("township", "T9"))
        r.engine.district, r.engine.township = "SIM", "T1"
        assert r.status().scope_problems == ()
    finally:
        r.engine.stop()


def test_status_crosses_threads_with_its_new_fields() -> None:
    r = make_rig()
    r.engine.start()
    try:
        st = r.status()
        assert msgspec.msgpack.decode(msgspec.msgpack.encode(st), type=type(st)) == st
    finally:
        r.engine.stop()


def test_the_kpi_fold_places_alarms_with_the_register_in_force_and_keeps_it_in_its_state() -> None:
    from console.app.kpi import KpiFold
    from console.app.kpi_state import dump_fold, load_fold
    from tests.unit.helpers import world

    base = world(2)
    r3 = Register(list(R1.areas.values()), [*R1.households.values(), household("H9", "T2")], version="v3")
    events = [
        ev.SystemNote(at=T0, what="start"),
        alarm("H9-smoke", T0 + NS, id_="a", township="T1"),  # unregistered: the topic's township
        changed(r3, T0 + 2 * NS),
        alarm("H9-co", T0 + 3 * NS, id_="b", kind="co", township="T1"),  # registered in T2 now
    ]

    def fold() -> KpiFold:
        return KpiFold(R1, base.templates, base.weights, registers={r3.digest: r3}.get)

    f = fold()
    for e in events[:3]:
        f.feed(e)
    again = load_fold(dump_fold(f), R1, base.templates, base.weights, registers={r3.digest: r3}.get)
    for x in (f, again):
        x.feed(events[3])
    assert [t for _at, _k, t in f.alarms] == ["T1", "T2"]
    assert again.alarms == f.alarms and again.register is r3 and "H9-co" in again._kind
    assert dump_fold(again) == dump_fold(f)
