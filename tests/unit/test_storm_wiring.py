"""Issue 15 parts 4-5, the wiring: the data files reach the World (storm rules and triage weights
through make_world, kept by checkpoints, replay and the KPI fold), a high-danger incident in a
storm releases its held requests at once (``release_score``), and AckMiss, the journaled
acknowledgement of a missed mark. Storms are generated (tests/unit/storms.py); nothing sleeps."""

from __future__ import annotations

import shutil
from functools import cache
from pathlib import Path

import pytest

from console.app import engine_state, world_snapshot
from console.app.data import load_templates, load_triage, load_weights
from console.app.kpi import KpiFold
from console.app.memjournal import MemoryJournal
from console.app.replay import Replay
from console.bootstrap import make_world
from console.domain import events as ev
from console.domain import storm as storm_policy
from console.domain.effects import CommandRefused, PublishRequest, bulk_counts
from console.domain.triage import assess
from console.domain.triage_score import TriageScore
from console.domain.world import World
from tests.support import NS, T0
from tests.unit import helpers, storms
from tests.unit.storm_drive import Drive, roles
from tests.unit.storms import _Builder

HELD = {"grid_worker", "cadre"}
TRIAGE = load_triage(helpers.ROOT / "resources" / "triage.toml")


def live_world(register: object) -> World:
    """A World as bootstrap makes it: with the triage weights (and their [storm])."""
    return World(
        register,  # type: ignore[arg-type]
        load_templates(helpers.ROOT / "resources" / "checklists"),
        load_weights(helpers.ROOT / "resources" / "risk.toml"),
        triage_score=TriageScore(TRIAGE),
    )


# --- the data files reach the World ---------------------------------------------------------


def test_make_world_uses_the_triage_file_and_a_changed_threshold_changes_behaviour(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = make_world(helpers.register())
    assert shipped.storm_rules == TRIAGE.storm and shipped.triage_score == TriageScore(TRIAGE)
    copy = tmp_path / "resources"
    shutil.copytree(helpers.ROOT / "resources", copy, ignore=shutil.ignore_patterns("map", "fonts", "sounds"))
    toml = copy / "triage.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace("more_than = 30", "more_than = 1"), encoding="utf-8"
    )
    monkeypatch.setenv("GUARDIAN_RESOURCES_DIR", str(copy))
    w = make_world(helpers.register(3))
    assert w.storm_rules.more_than == 1
    # two incidents in three minutes is a storm now: from the second on grid worker and cadre wait
    fx1 = w.apply(helpers.alarm("H1-smoke", T0))
    fx2 = w.apply(helpers.alarm("H3-smoke", T0 + 10 * NS, id_="e2"))
    fx3 = w.apply(helpers.alarm("H2-smoke", T0 + 20 * NS, id_="e3", township="T2"))
    assert {f.request.role for f in helpers.notifies(fx1)} >= HELD
    assert not {f.request.role for f in helpers.notifies(fx2)} & HELD  # two in a minute: more than one
    assert not {f.request.role for f in helpers.notifies(fx3)} & HELD
    assert w.storm().active and {h.role for h in w.held_notifications()} == HELD
    # the same events through the shipped rules: no storm, nothing held
    monkeypatch.delenv("GUARDIAN_RESOURCES_DIR")
    calm = make_world(helpers.register(3))
    calm.apply(helpers.alarm("H1-smoke", T0))
    assert {
        f.request.role
        for f in helpers.notifies(calm.apply(helpers.alarm("H3-smoke", T0 + 10 * NS, id_="e2")))
    } >= HELD
    assert {
        f.request.role
        for f in helpers.notifies(
            calm.apply(helpers.alarm("H2-smoke", T0 + 20 * NS, id_="e3", township="T2"))
        )
    } >= HELD


def _storm_world() -> tuple[World, Drive]:
    s = storms.gas_realarm_in_a_mixed_storm()
    rules = storm_policy.Storm(
        window_s=180, more_than=10, hold_s=300, hold_roles=("grid_worker",), release_score=70
    )
    w = World(
        s.register,
        load_templates(helpers.ROOT / "resources" / "checklists"),
        load_weights(helpers.ROOT / "resources" / "risk.toml"),
        storm_rules=rules,
        triage_score=TriageScore(TRIAGE),
    )
    d = Drive(w)
    d.feed(s.events[:200])
    return w, d


def test_an_engine_checkpoint_keeps_the_storm_rules_and_round_trips() -> None:
    w, _ = _storm_world()
    blob = engine_state.dump(w, last_seq=200, last_at=w.now, seen=set(w.seen_keys), own_opened={1, 2})
    into = w.empty_like()
    r = engine_state.load(blob, into, 200)
    assert r.last_seq == 200 and r.own_opened == {1, 2}
    assert into.storm_rules == w.storm_rules and into.storm_rules.more_than == 10
    assert into.triage_score == TriageScore(TRIAGE)
    assert into.projection_bytes() == w.projection_bytes()
    assert into.held_notifications() == w.held_notifications()
    assert world_snapshot.unknown_fields(w) == []


def test_replay_seeks_and_the_kpi_fold_keep_the_live_worlds_rules() -> None:
    w, d = _storm_world()
    journal = MemoryJournal()
    journal.append(
        [(e.at, ev.source_of(e), ev.type_of(e), ev.key_of(e), ev.encode(e)) for e in d.applied], "c1"
    )
    rp = Replay(w.empty_like, journal.read, interval=16)
    rp.index()
    rp.seek(rp.length // 2)  # back: restored from an in-memory checkpoint into empty_like()
    rp.seek(rp.length)
    assert rp.world.storm_rules == w.storm_rules and rp.world.triage_score == TriageScore(TRIAGE)
    assert rp.world.projection_bytes() == w.projection_bytes()
    fold = KpiFold(
        w.register, w.templates, w.weights, storm_rules=w.storm_rules, triage_score=TriageScore(TRIAGE)
    )
    assert fold.world.storm_rules == w.storm_rules and fold.world.triage_score == TriageScore(TRIAGE)


# --- release_score ------------------------------------------------------------------------------


@cache
def gas() -> storms.Storm:
    return storms.gas_realarm_in_a_mixed_storm()


def test_the_gas_re_alarm_at_level_2_releases_its_held_requests_in_its_own_effects() -> None:
    s = gas()
    d = Drive(live_world(s.register))
    realarm = next(e for e in s.events if e.at == s.corroborated_at)
    assert realarm.lvl == 2 and realarm.kind == "gas"
    d.feed([e for e in s.events if e.at < realarm.at])
    w = d.world
    em = next(i for i in w.incidents.values() if i.household == s.emergency)
    assert w.storm(realarm.at).active
    assert not storm_policy.alarming(em)  # restored once: what was held is dropped
    assert {n.status for n in em.notifications.values() if n.role in HELD} == {"dropped"}
    fx = d.apply(realarm)
    released = [f.request for f in fx if isinstance(f, PublishRequest)]
    assert {r.role for r in released} == HELD & {n.role for n in em.notifications.values()}
    score = assess(em, s.register.households[em.household], TRIAGE).score
    assert score >= TRIAGE.storm.release_score
    rel = [e for e in em.timeline if e.what == "notify_released"]
    assert rel[-1].at == realarm.at and rel[-1].detail.endswith(f"score:{score}")
    assert not [h for h in w.held_notifications() if h.incident == em.id]


def test_without_the_score_rule_the_same_re_alarm_waits_for_its_hold() -> None:
    """The control: a World without triage weights holds the re-alarm again (the rule is what
    releases it)."""
    s = gas()
    d = Drive(World(s.register, live_world(s.register).templates, live_world(s.register).weights))
    realarm = next(e for e in s.events if e.at == s.corroborated_at)
    d.feed([e for e in s.events if e.at < realarm.at])
    fx = d.apply(realarm)
    em = next(i for i in d.world.incidents.values() if i.household == s.emergency)
    assert not [f for f in fx if isinstance(f, PublishRequest)]
    assert {h.role for h in d.world.held_notifications() if h.incident == em.id} == HELD


def test_a_cooking_alarm_in_the_most_vulnerable_home_at_night_is_still_held() -> None:
    """A single smoke alarm scores at most 50 (not restored, household, night): below 60."""
    reg = storms.generate(seed=21, households=900)
    night = T0 + 13 * 3600 * NS + 30 * 60 * NS
    b = _Builder(reg, 21, night)
    b.false_alarms("smoke", 60, 60, (300, 400))
    events = b.events()
    d = Drive(live_world(reg))
    d.feed([e for e in events if e.at <= night + 100 * NS])  # every alarm, before a hold runs out
    w = d.world
    stormed = sorted(w.incidents)[TRIAGE.storm.more_than :]
    top = max(
        assess(w.incidents[i], reg.households.get(w.incidents[i].household), TRIAGE).score for i in stormed
    )
    assert top < TRIAGE.storm.release_score
    for iid in stormed:
        inc = w.incidents[iid]
        assert not roles((at, r) for at, r in d.requests(iid) if at == inc.opened) & HELD, iid
        assert not [e for e in inc.timeline if "score:" in e.detail]
    assert {h.incident for h in w.held_notifications()} == {
        i for i in stormed if {n.role for n in w.incidents[i].notifications.values()} & HELD
    }


def test_an_incident_that_already_scores_release_score_when_it_opens_is_not_held() -> None:
    reg = storms.generate(seed=21, households=900)
    b = _Builder(reg, 21, T0)
    b.false_alarms("smoke", 40, 30, (300, 400))
    h = b.pick(lambda h: storms._has(h, "co"))
    b.add(h, "co", 45.0, val=420.0, unit="ppm")  # 40 (CO 300+) + 20 not restored
    d = Drive(live_world(reg))
    d.feed(b.events())
    em = next(i for i in d.world.incidents.values() if i.household == h.code)
    assert d.world.storm(em.opened).active
    assert roles(d.requests(em.id)) == {n.role for n in em.notifications.values()}
    assert {n.status for n in em.notifications.values()} <= {"published", "accepted"}  # sent, none held


def test_the_co_emergency_goes_out_at_its_rising_reading_not_at_the_hold() -> None:
    s = storms.co_rising_in_a_cooking_burst()
    d = Drive(live_world(s.register))
    d.feed(s.events, until=s.events[-1].at + 600 * NS)
    em = next(i for i in d.world.incidents.values() if i.household == s.emergency)
    held = [(at, r) for at, r in d.requests(em.id) if r.role in HELD]
    assert held and {at for at, _ in held} == {s.corroborated_at}  # 260 ppm, rising: score 60+


# --- AckMiss -----------------------------------------------------------------------------------


def _missed_world() -> tuple[World, int]:
    w = helpers.world()
    helpers.login(w, T0 - NS)
    helpers.login(w, T0 - NS, console="c2", operator="op2", role="township_officer", scope="T2")
    iid = helpers.open_incident(w)
    w.apply(ev.Tick(at=T0 + 61 * NS))
    assert w.incidents[iid].missed == [1]
    return w, iid


def ack(iid: int, mark: int, at: int, console: str = "c1", operator: str = "op1") -> ev.AckMiss:
    return ev.AckMiss(at=at, operator=operator, console=console, incident=iid, mark=mark)


def test_ack_miss_is_recorded_on_the_incident_once() -> None:
    w, iid = _missed_world()
    inc = w.incidents[iid]
    v = inc.version
    assert w.apply(ack(iid, 1, T0 + 70 * NS)) == []
    assert inc.missed_acked == [1] and inc.version == v + 1
    assert inc.timeline[-1].what == "miss_ack:1" and inc.timeline[-1].who == "op1"
    again = w.apply(ack(iid, 1, T0 + 71 * NS))
    assert [(r.code, r.incident) for r in helpers.refused(again)] == [("miss_already_acked", iid)]
    assert inc.missed_acked == [1] and inc.timeline[-1].what == "refused:miss_already_acked"


@pytest.mark.parametrize(
    ("mark", "console", "operator", "code"),
    [
        (5, "c1", "op1", "not_missed"),
        (7, "c1", "op1", "bad_mark"),
        (1, "c2", "op2", "out_of_scope"),
        (1, "c9", "op9", "not_logged_in"),
    ],
)
def test_ack_miss_refusals(mark: int, console: str, operator: str, code: str) -> None:
    w, iid = _missed_world()
    fx = w.apply(ack(iid, mark, T0 + 70 * NS, console=console, operator=operator))
    assert [(r.code, r.console) for r in fx if isinstance(r, CommandRefused)] == [(code, console)]
    assert w.incidents[iid].missed_acked == []


def test_ack_miss_of_a_mark_past_due_before_its_tick_records_the_miss_first() -> None:
    w, iid = _missed_world()
    fx = w.apply(ack(iid, 5, T0 + 301 * NS))  # the 5' mark is due, no Tick yet
    assert helpers.alerts(fx, "missed")[0].detail == "5"
    assert w.incidents[iid].missed_acked == [5]


def test_ack_miss_replays_to_the_same_projection_and_survives_a_snapshot() -> None:
    w, iid = _missed_world()
    w.apply(ack(iid, 1, T0 + 70 * NS))
    events = [
        ev.Login(at=T0 - NS, operator="op1", console="c1", role="district_officer", scope="*"),
        ev.Login(at=T0 - NS, operator="op2", console="c2", role="township_officer", scope="T2"),
    ]
    again = helpers.world()
    for e in events:
        again.apply(e)
    fx = again.apply(helpers.alarm("H1-smoke", T0))
    helpers.accept(again, helpers.publish(again, fx, T0), T0)  # as helpers.open_incident does
    again.apply(ev.Tick(at=T0 + 61 * NS))
    again.apply(ev.decode(ev.encode(ack(iid, 1, T0 + 70 * NS))))
    assert again.projection_bytes() == w.projection_bytes()
    core, incs = world_snapshot.snapshot(w)
    assert world_snapshot.restore(w.empty_like(), core, incs).incidents[iid].missed_acked == [1]


# --- the bulk summary ---------------------------------------------------------------------------


def test_a_bulk_close_ends_with_one_summary_for_its_console() -> None:
    w = helpers.world()
    helpers.login(w, T0 - NS)
    iid = helpers.open_incident(w)
    w.apply(helpers.alarm("H1-smoke", T0 + 20 * NS, id_="r1", evt="restore"))
    cmd = ev.BulkClose(
        at=T0 + 40 * NS,
        operator="op1",
        console="c1",
        incidents=[iid, 999, iid],
        cause="cooking_smoke",
        elder_reached=True,
    )
    fx = w.apply(cmd)
    assert not w.incidents[iid].is_open
    assert sorted(r.code for r in helpers.refused(fx)) == ["duplicate", "unknown_incident"]
    summary = helpers.alerts(fx, "bulk")
    assert [bulk_counts(a) for a in summary] == [("c1", 1, 2)]
    # refused as a whole (not a false-alarm cause): one refusal, incident 0, no summary
    whole = w.apply(
        ev.BulkClose(
            at=T0 + 50 * NS,
            operator="op1",
            console="c1",
            incidents=[iid],
            cause="real_fire",
            elder_reached=True,
        )
    )
    assert [(r.incident, r.code) for r in helpers.refused(whole)] == [(0, "bad_cause")]
    assert helpers.alerts(whole, "bulk") == []
