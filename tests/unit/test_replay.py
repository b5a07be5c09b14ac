"""Replay over a hand-made journal: identity with the live fold, seeking, snapshots, timings."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.app.memjournal import MemoryJournal
from console.app.replay import Replay, apply_heartbeats, apply_seen, replay_all
from console.app.timings import kpis, timings
from console.app.world_snapshot import restore, snapshot, unknown_fields
from console.domain import events as ev
from console.domain import liveness
from console.domain.deadlines import DEFAULT_HB_S, OFFLINE_GRACE
from console.domain.effects import PublishRequest
from console.domain.world import World
from tests.unit.helpers import NS, STEP_VALUES, T0, alarm, world


class Live:
    """The engine's order of work, without its thread: journal, apply, publish, tick."""

    def __init__(self, n: int = 4) -> None:
        self.world = world(n)
        self.journal = MemoryJournal()
        self.now = T0
        self.hashes: dict[int, str] = {0: self.world.projection_hash()}

    def put(self, *events: ev.AnyEvent) -> None:
        rows = [(e.at, ev.source_of(e), ev.type_of(e), ev.key_of(e), ev.encode(e)) for e in events]
        self.journal.append(rows, "c1")
        reqs: list[str] = []
        for e in events:
            reqs += [fx.request.req for fx in self.world.apply(e) if isinstance(fx, PublishRequest)]
        if reqs:
            note = ev.NotifyPublished(at=self.at(0.001), reqs=tuple(reqs))
            self.journal.append([(note.at, "system", "npub", "", ev.encode(note))], "c1")
            self.world.apply(note)
            for req in reqs:  # a provider took each at once: the gateway's "accepted" receipts
                r = ev.NotifyReceipt(at=self.at(1e-9), req=req, status="accepted", provider="sim")
                self.journal.append([(r.at, "bus", "rcpt", ev.key_of(r), ev.encode(r))], "c1")
                self.world.apply(r)
        self.hashes[len(self.journal.records)] = self.world.projection_hash()

    def at(self, seconds: float) -> int:
        self.now += int(seconds * NS)
        return self.now

    def tick_if_due(self) -> None:
        due = self.world.next_due()
        if due is not None and due <= self.now:
            self.put(ev.Tick(at=self.at(0.001)))


def beats(devs: list[str], at: int, hb: int | None = 600, bat: int | None = 90) -> ev.Heartbeats:
    return ev.Heartbeats(at=at, township="T1", beats=tuple(ev.Beat(d, at - NS, bat, -80, hb) for d in devs))


def scripted_day() -> Live:
    """Heartbeats, an unknown device, a device going offline and coming back, two incidents
    worked through their checklists (one late), receipts, refusals, quarantine, handover."""
    lv = Live(4)
    lv.put(ev.SystemNote(at=lv.at(1), what="start"))
    lv.put(ev.Login(at=lv.at(1), operator="op1", console="c1", role="district_officer", scope="*"))
    lv.put(ev.BusStatus(at=lv.at(1), state="connected"))
    regs = [d.id for h in lv.world.register.households.values() for d in h.devices]
    for k in range(40):
        lv.put(
            beats(regs[k % len(regs) : k % len(regs) + 3] + (["X-unknown"] if k % 7 == 0 else []), lv.at(30))
        )
        lv.tick_if_due()
    lv.put(alarm("H1-smoke", lv.at(2), id_="a1"))
    iid = max(lv.world.incidents)
    reqs = sorted(lv.world.incidents[iid].notifications)
    lv.put(ev.NotifyReceipt(at=lv.at(3), req=reqs[0], status="delivered"))
    lv.put(ev.NotifyReceipt(at=lv.at(1), req=reqs[1], status="failed"))
    for step_id in ("ack", "dispatch", "on_site", "resolve", "inform", "close"):
        lv.put(
            ev.CompleteStep(
                at=lv.at(20),
                operator="op1",
                console="c1",
                incident=iid,
                step=step_id,
                values=STEP_VALUES.get(step_id, {}),
            )
        )
        lv.tick_if_due()
    lv.put(alarm("H2-co", lv.at(5), id_="a2", kind="co", township="T2"))
    late = max(lv.world.incidents)
    lv.put(ev.Escalate(at=lv.at(1), operator="op1", console="c1", incident=late, target="ambulance_120"))
    lv.put(ev.Escalate(at=lv.at(1), operator="nobody", console="c9", incident=late, target="gas"))  # refused
    for _ in range(12):  # nobody acknowledges for a while: marks missed by Ticks
        lv.at(30)
        lv.tick_if_due()
    lv.put(ev.CompleteStep(at=lv.at(1), operator="op1", console="c1", incident=late, step="ack"))
    lv.put(
        ev.Quarantined(at=lv.at(1), topic="guard/v1/evt/SIM/T1/x", reason="bad_json", detail="", head=b"{")
    )
    lv.put(
        ev.RevealContact(
            at=lv.at(1),
            operator="op1",
            console="c1",
            household="H1",
            field="contact:H1-e:phone",
            reason="回访",
        )
    )
    lv.put(
        ev.Handover(at=lv.at(1), console="c1", from_operator="op1", to_operator="op2", open_incidents=(late,))
    )
    # H3's devices stay silent past their grace: offline tickets; then one comes back
    quiet = [d for d in regs if not d.startswith("H3")]
    for _ in range(30):
        lv.put(beats(quiet, lv.at(900)))
        lv.tick_if_due()
    lv.at(max(DEFAULT_HB_S.values()) * OFFLINE_GRACE + 60)
    lv.tick_if_due()
    assert any(t.kind == "offline" for t in lv.world.tickets.values()), (
        "the script should open offline tickets"
    )
    lv.put(beats(["H3-smoke", "H3-smoke", "H1-co"], lv.at(5)))
    lv.put(alarm("H3-gas", lv.at(5), id_="a3", kind="gas"))
    lv.put(alarm("H3-gas", lv.at(5), id_="a3r", kind="gas", evt="restore"))
    lv.tick_if_due()
    return lv


@pytest.fixture(scope="module")
def day() -> Live:
    return scripted_day()


def fresh() -> World:
    return world(4)


def test_replay_ends_in_the_live_projection_byte_for_byte(day: Live) -> None:
    for fast in (True, False):
        w, problems = replay_all(fresh, day.journal.records, fast_heartbeats=fast)
        assert problems == []
        assert w.projection_bytes() == day.world.projection_bytes()


def test_every_prefix_reached_by_seeking_matches_the_live_state_then(day: Live) -> None:
    r = Replay(fresh, day.journal.read, interval=7)
    assert r.index() == len(day.journal.records)
    assert len(r.checkpoints) > 5
    positions = sorted(day.hashes)
    random.Random(3).shuffle(positions)
    for pos in positions:
        r.seek(pos)
        assert r.pos == pos
        assert r.world.projection_hash() == day.hashes[pos], f"seek to {pos}"


def test_seek_by_time_applies_every_record_accepted_by_then(day: Live) -> None:
    r = Replay(fresh, day.journal.read, interval=16)
    r.index()
    for rec in day.journal.records[::9]:
        r.seek_time(rec.at)
        assert r.pos == rec.seq
        assert r.world.projection_hash() == day.hashes.get(rec.seq, r.world.projection_hash())
        assert r.clock.now_ns() == rec.at
    r.seek_time(T0 - 1)
    assert r.pos == 0 and r.world.incidents == {}


def test_markers_point_at_the_record_that_opened_each_incident(day: Live) -> None:
    r = Replay(fresh, day.journal.read)
    r.index()
    assert [m.incident for m in r.markers] == sorted(day.world.incidents)
    for m in r.markers:
        r.seek(m.pos - 1)
        assert m.incident not in r.world.incidents
        r.seek(m.pos)
        assert r.world.incidents[m.incident].opened == m.at
    assert r.next_incident_start(0) == r.markers[0]
    assert r.next_incident_start(r.markers[-1].pos) is None


def test_budget_thins_checkpoints_and_seeks_stay_exact(day: Live) -> None:
    r = Replay(fresh, day.journal.read, interval=2, budget_bytes=60_000)
    r.index()
    assert r.checkpoint_bytes <= 60_000 or len(r.checkpoints) <= 2
    assert r.interval > 2
    assert all(c.pos % r.interval == 0 for c in r.checkpoints)
    for pos in (len(day.journal.records), 5, 77, 3):
        if pos in day.hashes:
            assert r.seek(pos).projection_hash() == day.hashes[pos]


def test_snapshot_restore_round_trip_keeps_projection_and_timers(day: Live) -> None:
    core, incs = snapshot(day.world)
    w = restore(fresh(), core, incs)
    assert w.projection_bytes() == day.world.projection_bytes()
    assert w.next_due() == day.world.next_due()
    later = ev.Tick(at=day.now + 48 * 3600 * NS)
    twin = restore(fresh(), core, incs)
    w.apply(later)
    day_copy = restore(fresh(), *snapshot(twin))
    day_copy.apply(later)
    assert w.projection_bytes() == day_copy.projection_bytes()


def test_snapshot_knows_every_world_field() -> None:
    # A new World / Supervisor attribute must be added to console/app/replay.py's snapshot
    # (it is kept by deepcopy meanwhile, with a 'snapshot_fields' problem reported).
    assert unknown_fields(fresh()) == []


def test_bad_record_is_counted_and_skipped_not_fatal(day: Live) -> None:
    j = MemoryJournal(day.journal.records[:10])
    j.append([(T0 + 10**12, "bus", "dev", "x", b"{not json")], "c1")
    j.append([(T0 + 10**12 + 1, "bus", "hb", "", b'{"t":"hb","at":1}')], "c1")  # missing fields
    r = Replay(fresh, j.read)
    assert r.index() == 12
    assert r.problem_counts["bad_body"] == 2
    assert [p.seq for p in r.problems] == [11, 12]
    assert r.world.projection_hash() == day.hashes[10]


def test_timings_give_seconds_from_t0_and_mark_outcomes(day: Live) -> None:
    w, _ = replay_all(fresh, day.journal.records)
    ts = {t.incident: t for t in timings(w)}
    first, late = ts[1], ts[2]
    inc = w.incidents[1]
    events = [ev.decode(r.body) for r in day.journal.records]
    ack = next(e for e in events if isinstance(e, ev.CompleteStep) and e.incident == 1 and e.step == "ack")
    assert first.ack_s == (ack.at - inc.opened) / NS == pytest.approx(24.001)
    assert first.alert_out_s == pytest.approx(0.001, abs=1e-7)  # accepted 1 ns after another
    assert first.close_s is not None and first.state == "closed"
    assert [m.status for m in first.marks] == ["met", "met", "met"]
    assert late.marks[0].status == "missed" and 1 in late.missed
    assert "district" in late.escalations and "ambulance_120" in late.escalations
    assert [t.incident for t in timings(w, from_ns=w.incidents[2].opened)] == [2, 3]
    k = kpis(w)
    assert k["incidents"] == 3 and k["closed"] == 1
    assert k["missed_1"] >= 1


def test_advance_moves_the_simulated_clock_at_the_chosen_speed(day: Live) -> None:
    r = Replay(fresh, day.journal.read)
    r.index()
    r.seek(0)
    r.clock.set(r.start_ns)
    r.advance(2.0, 60.0)
    assert r.clock.now_ns() == r.start_ns + 120 * NS
    assert r.pos == r.pos_at_time(r.start_ns + 120 * NS)
    n = r.advance(0.0, None, max_records=10)
    assert n == 10
    while r.advance(0.0, None) > 0:
        pass
    assert r.pos == r.length
    assert r.world.projection_hash() == day.world.projection_hash()


# --- the heartbeat fast path is World.apply, exactly -------------------------------------------

DEVS = ["H1-smoke", "H1-co", "H1-gas", "H2-smoke", "H2-gas", "Z-unregistered"]


SCRIPTS = st.lists(
    st.tuples(
        st.integers(0, 3),  # 0-2: a heartbeat batch, 3: a Tick after a long gap
        st.lists(st.sampled_from(DEVS), min_size=1, max_size=4),
        st.sampled_from([None, 0, 60, 600]),
        st.sampled_from([None, 5, 80]),
    ),
    max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(SCRIPTS)
def test_fast_heartbeats_equal_world_apply(
    script: list[tuple[int, list[str], int | None, int | None]],
) -> None:
    a, b = world(2), world(2)
    start = ev.SystemNote(at=T0, what="start")
    a.apply(start)
    b.apply(start)
    now = T0
    for kind, devs, hb, bat in script:
        if kind == 3:
            now += 4 * 3600 * NS * 3
            tick = ev.Tick(at=now)
            a.apply(tick)
            b.apply(tick)
            continue
        now += 60 * NS
        e = beats(devs, now, hb, bat)
        a.apply(e)
        apply_heartbeats(b, e)
    assert a.projection_bytes() == b.projection_bytes()
    assert a.next_due() == b.next_due()
    assert a.now == b.now


@settings(max_examples=60, deadline=None)
@given(SCRIPTS)
def test_fast_seen_equals_world_apply(
    script: list[tuple[int, list[str], int | None, int | None]],
) -> None:
    """The same for the compact form: each batch compacted as the engine does, then folded by
    ``World.apply`` on one side and by replay's fast path on the other."""
    a, b = world(2), world(2)
    start = ev.SystemNote(at=T0, what="start")
    a.apply(start)
    b.apply(start)
    now = T0
    for kind, devs, hb, bat in script:
        if kind == 3:
            now += 4 * 3600 * NS * 3
            tick = ev.Tick(at=now)
            a.apply(tick)
            b.apply(tick)
            continue
        now += 60 * NS
        reg = a.register
        for e in liveness.compact(
            {"T1": list(beats(devs, now, hb, bat).beats)}, now, a.supervisor.health, reg.place, reg.digest
        ):
            a.apply(e)
            if isinstance(e, ev.Seen):
                apply_seen(b, e)
            else:
                assert isinstance(e, ev.Heartbeats)
                apply_heartbeats(b, e)
    assert a.projection_bytes() == b.projection_bytes()
    assert a.next_due() == b.next_due()
    assert a.now == b.now
