"""KPIs from a hand-built journal match hand-computed values; the lean fold's World matches a
plain World fed every event."""

from __future__ import annotations

import msgspec
import pytest

from console.app.kpi import KpiFold, compute
from console.app.kpi_defs import DAY_NS, cst_day_start, percentile
from console.app.memjournal import MemoryJournal
from console.domain import events as ev
from console.domain import liveness
from console.domain.world import World
from tests.unit.helpers import NS, T0, publish, step, world

H = 3600 * NS
NOW = T0 + 23_400 * NS  # 6 h 30 min after start


def _events() -> list[ev.AnyEvent]:
    """Three incidents (one misses every mark), heartbeats with a silence, offline devices.

    Devices: H1 (T1), H2 (T2), H3 (T1), each smoke/co/gas. Timeline in seconds after T0:
    - H1-*: heartbeats (hb 3600) at 60 + k*3600, k = 0..6, except H1-co skips k = 3, 4, 5;
    - incident 1 (H1 smoke, 100): ack +30, dispatch +200, ..., close +1500: meets 1, 5, 30;
    - incident 2 (H2 co, 1000): ack +90, dispatch +400, ..., close +2000: misses 1, 5, 30;
    - incident 3 (H3 gas, 3000): ack +20, false alarm resolved +120, close +600: meets all;
    - H2-gas never heard (watch from start, gas grace 2.5 h) -> offline from 9000;
      H3-gas last heard at its alarm 3000 -> offline from 12000; H1-co silent 7260..21660
      (grace 2.5 h) -> offline 16260..21660.
    """
    out: list[ev.AnyEvent] = [
        ev.SystemNote(at=T0, what="start"),
        ev.Login(at=T0 + 1, operator="op1", console="c1", role="district_officer", scope="*"),
    ]
    for k in range(7):
        devs = ["H1-smoke", "H1-gas"] + ([] if k in (3, 4, 5) else ["H1-co"])
        at = T0 + (60 + k * 3600) * NS
        out.append(
            ev.Heartbeats(at=at, township="T1", beats=tuple(ev.Beat(d, at, 90, -60, 3600) for d in devs))
        )

    def incident(iid: int, dev: str, kind: str, t0: int, plan: list[tuple[str, int, dict[str, str]]]) -> None:
        at = T0 + t0 * NS
        hh = dev.split("-")[0]
        out.append(
            ev.DeviceEvent(
                at=at,
                district="SIM",
                township="T1" if hh != "H2" else "T2",
                dev=dev,
                id=f"a{iid}",
                kind=kind,
                evt="alarm",
                ts=at,
            )
        )
        out.append(("publish", at + NS))  # type: ignore[arg-type]
        for sid, dt, values in plan:
            out.append(step(iid, sid, at + dt * NS, values))
        for m in (60, 300, 1800):
            out.append(ev.Tick(at=at + m * NS + 1))

    real = [
        ("ack", 30, {}),
        ("dispatch", 200, {"responder": "GW1"}),
        ("on_site", 600, {}),
        ("resolve", 900, {"cause": "real_fire"}),
        ("inform", 1000, {}),
        ("close", 1500, {"feedback": "ok"}),
    ]
    incident(1, "H1-smoke", "smoke", 100, real)
    late = [
        ("ack", 90, {}),
        ("dispatch", 400, {"responder": "GW1"}),
        ("on_site", 900, {}),
        ("resolve", 1200, {"cause": "co_poisoning"}),
        ("inform", 1300, {}),
        ("close", 2000, {"feedback": "ok"}),
    ]
    incident(2, "H2-co", "co", 1000, late)
    false = [
        ("ack", 20, {}),
        ("resolve", 120, {"cause": "false_alarm"}),
        ("inform", 300, {}),
        ("close", 600, {"feedback": "ok"}),
    ]
    incident(3, "H3-gas", "gas", 3000, false)
    for s in (9_000, 12_000, 16_300, 23_000):
        out.append(ev.Tick(at=T0 + s * NS))
    return sorted(out, key=lambda e: e[1] if isinstance(e, tuple) else e.at)  # type: ignore[index]


def _journal(compact: bool = False) -> MemoryJournal:
    """Journal the events as the engine would, NotifyPublished and the gateway's receipts included;
    ``compact``: heartbeats as the engine journals them now (console/domain/liveness.py)."""
    w = world(3)
    j = MemoryJournal()
    effects: list[object] = []
    for e in _events():
        if isinstance(e, tuple):
            reqs = publish(w, effects, e[1])
            if reqs:
                n = ev.NotifyPublished(at=e[1], reqs=tuple(reqs))
                j.append([(n.at, "system", "npub", "", ev.encode(n))], "c1")
                for req in reqs:  # and a provider took every one at once (the gateway's receipts)
                    r = ev.NotifyReceipt(at=e[1], req=req, status="accepted", provider="sim")
                    w.apply(r)
                    j.append([(r.at, ev.source_of(r), ev.type_of(r), ev.key_of(r), ev.encode(r))], "c1")
            continue
        records: list[ev.AnyEvent] = [e]
        if compact and isinstance(e, ev.Heartbeats):
            reg = w.register
            records = liveness.compact(
                {e.township: list(e.beats)}, e.at, w.supervisor.health, reg.place, reg.digest
            )
        for x in records:
            effects = w.apply(x)
            j.append([(x.at, ev.source_of(x), ev.type_of(x), ev.key_of(x), ev.encode(x))], "c1")
    return j


@pytest.fixture(scope="module", params=["full", "compact"])
def folded(request: pytest.FixtureRequest) -> tuple[KpiFold, World, MemoryJournal]:
    j = _journal(compact=request.param == "compact")
    if request.param == "compact":
        assert {r.type for r in j.records} >= {"seen", "hb"}
    w0 = world(3)
    fold = KpiFold(w0.register, w0.templates, w0.weights)
    plain = world(3)
    for r in j.records:
        fold.feed_body(r.body)
        plain.apply(ev.decode(r.body))
    return fold, plain, j


def test_marks_durations_and_causes(folded: tuple[KpiFold, World, MemoryJournal]) -> None:
    fold, _, _ = folded
    k = fold.snapshot(NOW, start=T0, end=T0 + DAY_NS)
    assert k.incidents == 3
    assert [(m.minute, m.met, m.decided, m.pending) for m in k.marks] == [
        (1, 2, 3, 0),
        (5, 2, 3, 0),
        (30, 2, 3, 0),
    ]
    assert k.marks[0].share == pytest.approx(2 / 3)
    assert (k.dispatch.n, k.dispatch.median_s, k.dispatch.p90_s) == (2, 300.0, 400.0)
    assert (k.closure.n, k.closure.median_s, k.closure.p90_s) == (3, 1500.0, 2000.0)
    assert k.closed == 3 and k.closure_rate == 1.0
    assert k.causes == {"co_poisoning": 1, "false_alarm": 1, "real_fire": 1}
    assert k.missed == [2]
    assert k.alarms == 3 and k.alarms_by_kind == {"smoke": 1, "co": 1, "gas": 1, "electric": 0}
    assert k.incidents_by_township == {"T1": 2, "T2": 1}
    t1 = next(t for t in k.townships if t.code == "T1")
    assert (t1.incidents, t1.closed, [m.met for m in t1.marks]) == (2, 2, [2, 2, 2])


def test_mark_is_pending_until_due(folded: tuple[KpiFold, World, MemoryJournal]) -> None:
    """Four minutes after incident 2 opened its 5 and 30 minute marks (and incident 1's 30) are pending."""
    _, _, j = folded
    w0 = world(3)
    k, _ = compute(j.records, w0.register, w0.templates, w0.weights, T0 + 1240 * NS, start=T0)
    assert k.incidents == 2
    assert [(m.met, m.decided, m.pending) for m in k.marks] == [(1, 2, 0), (1, 1, 1), (0, 0, 2)]


def test_online_rate_and_tickets(folded: tuple[KpiFold, World, MemoryJournal]) -> None:
    fold, _, _ = folded
    k = fold.snapshot(NOW, start=T0, end=T0 + DAY_NS)
    assert (k.devices, k.online) == (9, 7)  # H2-gas and H3-gas silent past their grace
    assert k.online_rate == pytest.approx(7 / 9)
    devices = sorted(fold.register.device_index)
    at = [T0 + s * NS for s in (8_999, 9_000, 12_000, 16_260, 21_659, 21_660)]
    assert fold.online_counts(at, devices) == [9, 8, 7, 6, 6, 7]
    # offline tickets: H2-gas (Tick 9000), H3-gas (12000) open; H1-co (16300) closed when it came back
    tickets = {t.dev: t for t in fold.world.tickets.values()}
    assert tickets["H1-co"].closed == T0 + 21_660 * NS and tickets["H1-co"].note == "back online"
    assert k.open_tickets == 2
    assert k.tickets_by_age == {"<4h": 1, "4-24h": 1, "1-3d": 0, "3-7d": 0, ">=7d": 0}


def test_lean_fold_world_equals_plain_world(folded: tuple[KpiFold, World, MemoryJournal]) -> None:
    fold, plain, _ = folded
    fold.snapshot(NOW)  # hands every deferred beat over
    a, b = fold.world.projection(), plain.projection()
    enc = msgspec.json.encode
    assert enc(a.incidents) == enc(b.incidents)
    assert enc(a.tickets) == enc(b.tickets)
    assert [(h.dev, h.last_seen, h.online, h.hb_s, h.bat) for h in a.health] == [
        (h.dev, h.last_seen, h.online, h.hb_s, h.bat) for h in b.health
    ]
    assert a.counters == b.counters


def test_hourly_and_daily_buckets(folded: tuple[KpiFold, World, MemoryJournal]) -> None:
    fold, _, _ = folded
    k = fold.snapshot(NOW, start=cst_day_start(T0), end=cst_day_start(T0) + DAY_NS)
    # the window starts 17.5 h before T0: alarms at 100 s and 1000 s in hour 17, 3000 s in hour 18
    first_hour = (T0 - k.hourly_start) // H
    assert sum(sum(v) for v in k.hourly.values()) == 3
    assert (k.hourly["smoke"][first_hour], k.hourly["co"][first_hour], k.hourly["gas"][first_hour + 1]) == (
        1,
        1,
        1,
    )
    assert len(k.days) == 1 and sum(k.daily[kd][0] for kd in k.daily) == 3


def test_percentile_is_nearest_rank() -> None:
    assert percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90) == 9
    assert percentile([5.0], 90) == 5.0
    assert percentile([], 50) is None


def test_synthetic_month_fold_matches_plain_world() -> None:
    """A generated month (silences, troubles, ticket actions, many incidents) folds the same."""
    from console.benches.kpi import synthetic_journal
    from console.sim.district import generate

    reg = generate(seed=3, households=120)
    j = MemoryJournal()
    month = synthetic_journal(reg, j, days=6, alarms_per_day=20, silent_share=0.1)
    assert month.refused == []
    t, wts = month.templates, month.fold.world.weights
    fold, plain = KpiFold(reg, t, wts), World(reg, t, wts)
    for r in j.records:
        fold.feed_body(r.body)
        plain.apply(ev.decode(r.body))
    fold.snapshot(month.end)
    enc = msgspec.json.encode
    assert enc(fold.world.projection().tickets) == enc(plain.projection().tickets)
    assert enc(fold.world.projection().incidents) == enc(plain.projection().incidents)
    assert any(t.kind == "offline" and t.note == "back online" for t in plain.tickets.values())


def test_undecodable_record_is_counted_not_fatal() -> None:
    w0 = world(3)
    fold = KpiFold(w0.register, w0.templates, w0.weights)
    fold.feed_body(b'{"t":"nope"}')
    fold.feed_body(ev.encode(ev.SystemNote(at=T0, what="start")))
    assert fold.decode_errors == 1 and fold.records == 2
    assert fold.snapshot(T0).devices == 9


def test_the_alert_out_share_is_accepted_and_delivered_apart(
    folded: tuple[KpiFold, World, MemoryJournal],
) -> None:
    """Every incident's notifications were accepted a second after its alarm; none was reported
    delivered: the 1-minute mark's alert out is met, delivery within it is not claimed."""
    fold, _, _ = folded
    a = fold.snapshot(NOW, start=T0, end=T0 + DAY_NS).alert
    assert a is not None
    assert (a.decided, a.accepted, a.delivered) == (3, 3, 0)
    assert (a.accepted_share, a.delivered_share) == (1.0, 0.0)
