"""Bulk handling of restored alarms (issue 15 part 4): one BulkClose closes every restored false
alarm it names, each with its own outcome: closed as the checklist requires (steps recorded as
done by bulk handling, a timeline entry naming the command) or refused with a reason, one
refusal per incident. Storms generated from a register (tests/unit/storms.py); nothing sleeps."""

from __future__ import annotations

from collections import Counter
from functools import cache

import pytest

from console.app import world_snapshot
from console.app.clock import FakeClock
from console.app.engine import Engine
from console.app.memjournal import MemoryJournal
from console.domain import events as ev
from console.domain import storm as storm_policy
from console.domain.bulk import restored_candidates
from console.domain.deadlines import NS
from console.domain.effects import CommandRefused
from console.domain.triage import queue_of
from console.domain.world import World
from tests.support import WAIT_S, Sink
from tests.unit import helpers, storms
from tests.unit.storm_drive import Drive, new_world
from tests.unit.test_triage import W


@cache
def storm() -> storms.Storm:
    return storms.co_rising_in_a_cooking_burst()


def fresh() -> Drive:
    """The storm fed through a fresh World, five minutes past its last event: every false alarm
    restored, the CO emergency still rising."""
    s = storm()
    d = Drive(new_world(s.register))
    d.feed(s.events, until=s.events[-1].at + 300 * NS)
    return d


@cache
def _settled_snapshot() -> tuple[bytes, dict[int, bytes]]:
    return world_snapshot.snapshot(fresh().world)


def settled() -> Drive:
    """``fresh()``, restored from one snapshot (the same world, without feeding it again)."""
    core, incidents = _settled_snapshot()
    return Drive(world_snapshot.restore(new_world(storm().register), core, incidents))


def bulk(
    d: Drive,
    incidents: list[int],
    cause: str = "cooking_smoke",
    *,
    operator: str = "op1",
    elder_reached: bool = True,
    note: str = "",
    expect_version: int | None = None,
) -> list[CommandRefused]:
    c = ev.BulkClose(
        at=d.world.now + NS,
        operator=operator,
        console="c1",
        incidents=incidents,
        cause=cause,
        elder_reached=elder_reached,
        note=note,
        expect_version=expect_version,
    )
    return helpers.refused(d.apply(c))


def emergency_of(w: World) -> int:
    return next(i.id for i in w.incidents.values() if i.household == storm().emergency)


def emergency(d: Drive) -> int:
    return emergency_of(d.world)


def test_bulk_close_closes_every_restored_one_and_refuses_the_rest_each_with_its_reason() -> None:
    d = settled()
    w = d.world
    helpers.login(w, w.now + 1)
    cooking = restored_candidates(w, cause_hint="cooking_smoke")
    smoke = {i.id for i in w.open_incidents() if i.kinds == ["smoke"]}
    assert set(cooking) == smoke and len(cooking) == 150 + 6  # the blips and the repeaters
    co_blips = restored_candidates(w, kind="co")
    assert len(co_blips) == 40 and emergency(d) not in co_blips
    asked = [*cooking, emergency(d), co_blips[0], cooking[0], 999_999]
    at = w.now + NS

    refusals = bulk(d, asked)

    by_incident = {r.incident: (r.code, r.detail) for r in refusals}
    assert len(refusals) == len(by_incident) == 4  # one per refused incident (cooking[0]: its repeat)
    assert by_incident[emergency(d)][0] == "not_restored"
    assert by_incident[co_blips[0]] == ("required_steps_open", "dispatch,on_site")  # CO: someone must go
    assert by_incident[999_999][0] == "unknown_incident"
    assert [r.code for r in refusals if r.incident == cooking[0]] == ["duplicate"]
    assert all(r.console == "c1" and r.operator == "op1" for r in refusals)
    for iid in cooking:
        inc = w.incidents[iid]
        assert inc.state == "closed" and inc.closed_at == at and inc.cause == "cooking_smoke"
        assert list(inc.steps) == ["ack", "call_elder", "resolve", "inform", "close"]
        assert all(
            s.values["via"] == "bulk" and s.operator == "op1" and s.at == at for s in inc.steps.values()
        )
        assert inc.steps["call_elder"].values["outcome"] == "reached"
        assert inc.steps["close"].values["feedback"] == "bulk:cooking_smoke"
        assert set(inc.waived) == {"dispatch", "on_site"}
        assert ("bulk_close", f"c1@{at} cooking_smoke x{len(asked)}", "op1") in [
            (e.what, e.detail, e.who) for e in inc.timeline if e.at == at
        ]
        assert inc.household not in w.open_by_household
        assert not [n for n in inc.notifications.values() if n.status == "held"]
    for iid in (emergency(d), co_blips[0]):
        assert w.incidents[iid].is_open and "refused:" in w.incidents[iid].timeline[-1].what
    assert {r.incident for r in queue_of(w, W)} == {i.id for i in w.open_incidents()}
    # closing met the 30-minute mark: nothing is missed for them later
    d.until(at + 3600 * NS)
    assert all(30 not in w.incidents[i].missed for i in cooking)


def test_a_township_officer_closes_only_the_own_township() -> None:
    d = settled()
    w = d.world
    cooking = restored_candidates(w, cause_hint="cooking_smoke")
    township = Counter(w.incidents[i].township for i in cooking).most_common(1)[0][0]
    helpers.login(w, w.now + 1, role="township_officer", scope=township)
    refusals = bulk(d, cooking)
    outside = [i for i in cooking if w.incidents[i].township != township]
    assert outside and sorted(r.incident for r in refusals) == outside
    assert {(r.code, r.detail) for r in refusals} == {
        ("out_of_scope", w.incidents[i].township) for i in outside
    }
    assert all(not w.incidents[i].is_open for i in cooking if i not in outside)
    assert all(w.incidents[i].is_open for i in outside)


def test_selector_by_township_and_kind() -> None:
    d = settled()
    w = d.world
    every = restored_candidates(w)
    assert len(every) == 150 + 6 + 40 and every == sorted(every)
    townships = sorted({w.incidents[i].township for i in every})
    parts = [restored_candidates(w, township=t) for t in townships]
    assert sorted(i for p in parts for i in p) == every
    for t, part in zip(townships, parts, strict=True):
        assert all(w.incidents[i].township == t for i in part)
        assert restored_candidates(w, township=t, cause_hint="cooking_smoke") == [
            i for i in part if w.incidents[i].kind == "smoke"
        ]
    assert restored_candidates(w, kind="smoke") == restored_candidates(w, cause_hint="cooking_smoke")
    assert restored_candidates(w, kind="co", cause_hint="cooking_smoke") == []  # CO needs a dispatch
    assert restored_candidates(w, kind="co", cause_hint="false_alarm") == restored_candidates(w, kind="co")
    with pytest.raises(ValueError):
        restored_candidates(w, cause_hint="real_fire")
    # not while it alarms, nor once someone took it up
    assert not restored_candidates(Drive(new_world(storm().register)).world)
    helpers.login(w, w.now + 1)
    taken = every[0]
    d.apply(helpers.step(taken, "ack", w.now + 1))
    assert taken not in restored_candidates(w)
    assert bulk(d, [taken]) == []  # bulk handling may still close it: it restored, nobody was sent


def test_while_the_storm_goes_on_the_candidates_are_the_restored_ones_only() -> None:
    s = storm()
    d = Drive(new_world(s.register))
    mid = s.events[len(s.events) // 2].at
    d.feed([e for e in s.events if e.at <= mid])
    w = d.world
    got = restored_candidates(w)
    assert got and all(not storm_policy.alarming(w.incidents[i]) for i in got)
    assert set(got) == {
        i.id for i in w.open_incidents() if not storm_policy.alarming(i) and len(i.sensors) == 1
    }
    helpers.login(w, w.now + 1)
    alarming = [i.id for i in w.open_incidents() if storm_policy.alarming(i)]
    refusals = bulk(d, got + alarming, cause="false_alarm")  # CO's checklist waives dispatch for that
    assert sorted(r.incident for r in refusals) == sorted(alarming)
    assert {r.code for r in refusals} == {"not_restored"}


def test_the_corroborated_fire_is_refused_even_once_its_sensors_restore() -> None:
    s = storms.electrical_then_smoke_spread_at_night()
    d = Drive(new_world(s.register))
    d.feed(s.events, until=s.events[-1].at + 300 * NS)
    w = d.world
    fire = next(i for i in w.incidents.values() if i.household == s.emergency)
    helpers.login(w, w.now + 1)
    assert fire.id not in restored_candidates(w)
    assert [(r.incident, r.code) for r in bulk(d, [fire.id], cause="false_alarm")] == [
        (fire.id, "not_restored")
    ]
    for dev in fire.devices:  # both sensors restore: two sensors agreed, a person must close it
        kind = next(x.kind for x in s.register.households[fire.household].devices if x.id == dev)
        d.apply(helpers.alarm(dev, w.now + NS, id_=f"r-{dev}", kind=kind, evt="restore"))
    assert not storm_policy.alarming(fire)
    assert [(r.incident, r.code) for r in bulk(d, [fire.id], cause="false_alarm")] == [
        (fire.id, "corroborated")
    ]
    assert fire.is_open


@pytest.mark.parametrize("code", ["not_logged_in", "bad_cause", "bad_command", "no_incidents"])
def test_a_bulk_command_refused_as_a_whole_changes_nothing(code: str) -> None:
    d = settled()
    w = d.world
    helpers.login(w, w.now + 1)
    cooking = restored_candidates(w, cause_hint="cooking_smoke")
    before = w.projection_bytes()
    if code == "not_logged_in":
        refusals = bulk(d, cooking, operator="intruder")
    elif code == "bad_cause":
        refusals = bulk(d, cooking, "real_fire")  # a real emergency is closed one by one
    elif code == "bad_command":
        refusals = bulk(d, cooking, expect_version=3)  # versions are per incident
    else:
        refusals = bulk(d, [])
    assert [(r.incident, r.code) for r in refusals] == [(0, code)]
    assert w.projection_bytes() == before


def test_without_the_officer_reaching_the_elders_only_answered_calls_close() -> None:
    d = settled()
    w = d.world
    helpers.login(w, w.now + 1)
    cooking = restored_candidates(w, cause_hint="cooking_smoke")
    answered = next(
        i
        for i in cooking
        if any(n.role == "elder" and n.channel == "voice" for n in w.incidents[i].notifications.values())
    )
    req = next(
        n.req
        for n in w.incidents[answered].notifications.values()
        if n.role == "elder" and n.channel == "voice"
    )
    d.apply(ev.NotifyReceipt(at=w.now + 1, req=req, status="answered"))
    refusals = bulk(d, cooking, elder_reached=False, note="炒菜油烟，已电话确认")
    assert sorted(r.incident for r in refusals) == [i for i in cooking if i != answered]
    assert {r.code for r in refusals} == {"elder_not_reached"}
    inc = w.incidents[answered]
    assert inc.state == "closed"
    assert inc.steps["call_elder"].values["outcome"] == "answered_call"
    assert inc.steps["close"].values["feedback"] == "炒菜油烟，已电话确认"


def test_replaying_the_bulk_gives_the_same_world() -> None:
    runs = []
    for d in (fresh(), settled()):  # fed from the first event; restored from a snapshot
        helpers.login(d.world, d.world.now + 1)
        n = len(d.effects)
        bulk(d, [*restored_candidates(d.world), emergency(d)])
        d.until(d.world.now + 3600 * NS)
        runs.append((d.world.projection_bytes(), [f for _, f in d.effects[n:]]))
    assert runs[0] == runs[1]
    assert any(isinstance(f, CommandRefused) for f in runs[0][1])


def test_the_engine_journals_one_command_and_the_ui_gets_one_refusal_per_incident() -> None:
    s = storm()
    journal = MemoryJournal()
    end = s.events[-1].at + 300 * NS
    d = Drive(new_world(s.register))  # what another workstation journaled: the storm and its ticks
    d.feed(s.events, until=end)
    rows = [(e.at, ev.source_of(e), ev.type_of(e), ev.key_of(e), ev.encode(e)) for e in d.applied]
    journal.append(rows, "c2")
    sink = Sink()
    engine = Engine(new_world(s.register), journal, FakeClock(end + NS), "c1", sink=sink)
    engine.recover()
    engine.start()
    try:
        engine.submit_command(
            ev.Login(at=0, operator="op1", console="c1", role="district_officer", scope="*")
        )
        cooking = engine.query(lambda w: restored_candidates(w, cause_hint="cooking_smoke")).result(WAIT_S)
        n = len(journal.records)
        em = engine.query(emergency_of).result(WAIT_S)
        engine.submit_command(
            ev.BulkClose(
                at=0,
                operator="op1",
                console="c1",
                incidents=[*cooking, em],
                cause="cooking_smoke",
                elder_reached=True,
            )
        )
        with sink.cond:
            assert sink.cond.wait_for(
                lambda: any(r.incident == em for d in sink.deltas for r in d.refusals), WAIT_S
            )
        closed = engine.query(lambda w: [i for i in cooking if not w.incidents[i].is_open]).result(WAIT_S)
    finally:
        engine.stop()
    new = [r.type for r in journal.records[n:]]
    assert new.count("bulk") == 1 and "step" not in new
    assert [(r.incident, r.code) for r in sink.refusals()] == [(em, "not_restored")]
    assert closed == cooking
    shown = {inc.id: inc.state for d in sink.deltas for inc in d.incidents}
    assert all(shown[i] == "closed" for i in cooking)
