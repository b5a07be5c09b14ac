"""Replay throughput and seek time over a synthetic journal.

``python -m console bench replay --json [--records N] [--households N] [--seeks N] [--sqlite]``

The journal is built the way the live engine builds one (journal, then apply; notification
requests followed by a NotifyPublished record; a Tick whenever something comes due; heartbeats
batched per township per 50 ms), from a synthetic district: heartbeats at each device's real
period, alarms at a few per minute with an operator working every incident through its
checklist, delivery receipts, restores, device faults, silent devices and malformed payloads.
The live world it leaves behind is compared with the replay's, so the bench also checks identity.
"""

from __future__ import annotations

import argparse
import heapq
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from console.app.clock import FIXED_START_NS
from console.app.memjournal import MemoryJournal
from console.app.replay import Replay
from console.app.world_snapshot import gc_paused
from console.domain import events as ev
from console.domain import liveness
from console.domain.chain import Record
from console.domain.effects import PublishRequest
from console.domain.registry import Register
from console.domain.world import World

T0: Final = FIXED_START_NS
NS: Final = 1_000_000_000
HB_PERIODS: Final = {"smoke": (4 * 3600, 24 * 3600), "co": (4 * 3600, 24 * 3600), "gas": (1800, 3600)}
HB_ELECTRIC: Final = (300, 900)
WINDOW_NS: Final = 50_000_000  # heartbeats journaled together per township per 50 ms
VALUES: Final = {"responder": "GW1", "outcome": "ok", "feedback": "老人安全，已告知监护人"}
CAUSES: Final = ("cooking_smoke", "cooking_smoke", "false_alarm", "real_fire", "electrical_fault", "gas_leak")


def next_step(world: World, incident: int, cause: str) -> tuple[str, dict[str, str]] | None:
    """The next required checklist step an officer would complete, with its values."""
    inc = world.incidents.get(incident)
    if inc is None or not inc.is_open:
        return None
    t = world.templates.get(inc.kind)
    if t is None:
        return None
    done = set(inc.steps) | set(inc.waived)
    for s in t.steps:
        if s.id in done or not s.required or any(a not in done for a in s.after):
            continue
        values = {r: (cause if r == "cause" else VALUES.get(r, "ok")) for r in s.records}
        return s.id, values
    return None


class DayBuilder:
    """Drives a World like the live engine and journals every input: a synthetic live run."""

    def __init__(self, world: World, journal: Any, seed: int = 7, console: str = "bench") -> None:
        self.world = world
        self.journal = journal
        self.console = console
        self.rng = random.Random(seed)
        self.now = T0
        self.records = 0
        self.published = 0

    def commit(self, events: list[ev.AnyEvent]) -> None:
        """Journal, apply, publish (counted only), then a Tick if anything came due."""
        if not events:
            return
        self._journal(events)
        reqs: list[str] = []
        for e in events:
            reqs += [fx.request.req for fx in self.world.apply(e) if isinstance(fx, PublishRequest)]
        if reqs:
            self.published += len(reqs)
            note = ev.NotifyPublished(at=self._tick_at(), reqs=tuple(reqs))
            self._journal([note])
            self.world.apply(note)
            # a provider takes each at once: the gateway's "accepted" receipts
            receipts = [
                ev.NotifyReceipt(at=self._tick_at(), req=req, status="accepted", provider="sim")
                for req in reqs
            ]
            self._journal(list(receipts))
            for r in receipts:
                self.world.apply(r)

    def timers(self) -> None:
        # what a headless engine does after each batch (Engine._flush): nobody else empties the
        # dirty marks, and World.next_due looks again at every incident marked since then
        self.world.take_dirty()
        due = self.world.next_due()
        if due is not None and due <= self.now:
            self.commit([ev.Tick(at=self._tick_at())])

    def _tick_at(self) -> int:
        self.now += 1
        return self.now

    def _journal(self, events: list[ev.AnyEvent]) -> None:
        rows = [(e.at, ev.source_of(e), ev.type_of(e), ev.key_of(e), ev.encode(e)) for e in events]
        self.journal.append(rows, self.console)
        self.records += len(rows)


def build_day(
    register: Register,
    make_world: Callable[[], World],
    records: int | None = None,
    seed: int = 7,
    journal: Any = None,
    alarms_per_min: float = 2.0,
    progress: Callable[[int], None] | None = None,
    *,
    until_ns: int | None = None,
    window_ns: int = WINDOW_NS,
    periods: Mapping[str, tuple[int, int]] | None = None,
    realistic: bool = False,
    compact: bool = False,
    marks: Sequence[int] = (),
    on_mark: Callable[[int, DayBuilder], None] | None = None,
) -> tuple[Any, World]:
    """A synthetic journal of about ``records`` records, or up to the simulated time
    ``until_ns``; returns (journal, the live world).

    ``window_ns``: heartbeats are journaled together per window (the engine's flush).
    ``periods``: heartbeat periods (s) by kind (default ``HB_PERIODS``, others ``HB_ELECTRIC``).
    ``realistic``: each device keeps a battery (smoke/co lose 1 with 2 % chance a beat) and a
    base signal with ±3 dB jitter, as console/sim/traffic.py; else a random battery every beat.
    ``compact``: each window's beats are journaled through ``liveness.compact`` against the
    builder's world, as the engine does, instead of one ``Heartbeats`` per township.
    ``on_mark(mark, builder)`` is called once the simulated time has passed each of ``marks``."""
    if records is None and until_ns is None:
        raise ValueError("build_day: give records or until_ns")
    journal = journal if journal is not None else MemoryJournal()
    b = DayBuilder(make_world(), journal, seed)
    rng = b.rng
    devs = [(d.id, d.kind, h.township) for h in register.households.values() for d in h.devices]
    district = next(iter(register.households.values())).district if len(register) else "SIM"
    silent = {i for i in range(len(devs)) if rng.random() < 0.003}
    table = HB_PERIODS if periods is None else periods
    heap: list[tuple[int, int, int]] = []  # (due, device index, period s)
    for i, (_, kind, _) in enumerate(devs):
        lo, hi = table.get(kind, HB_ELECTRIC)
        period = rng.randint(lo, hi)
        heap.append((T0 + int(rng.uniform(0, period) * NS), i, period))
    heapq.heapify(heap)
    # realistic device state: battery, base signal (console/sim/traffic.py)
    drains = [kind in ("smoke", "co") for _, kind, _ in devs] if realistic else []
    bats = [rng.randint(40, 100) if d else 100 for d in drains]
    rssis = [rng.randint(-105, -60) for _ in drains]
    pending = sorted(marks)
    next_mark = 0
    # operator actions and other timed inputs: (due, order, event factory)
    todo: list[tuple[int, int, Callable[[int], list[ev.AnyEvent]]]] = []
    order = 0

    def later(at: int, fn: Callable[[int], list[ev.AnyEvent]]) -> None:
        nonlocal order
        order += 1
        heapq.heappush(todo, (at, order, fn))

    b.commit([ev.SystemNote(at=b._tick_at(), what="start", detail="bench")])
    b.commit([ev.Login(at=b._tick_at(), operator="op1", console="bench", role="district_officer", scope="*")])
    b.commit([ev.BusStatus(at=b._tick_at(), state="connected")])
    next_alarm = T0 + int(rng.expovariate(alarms_per_min / 60) * NS)
    seq = 0
    while (records is None or b.records < records) and (until_ns is None or b.now < until_ns):
        end = b.now + window_ns
        beats: dict[str, list[ev.Beat]] = {}
        others: list[ev.AnyEvent] = []
        while heap and heap[0][0] <= end:
            due, i, period = heapq.heappop(heap)
            heapq.heappush(heap, (due + period * NS, i, period))
            if i in silent and due > T0 + 3 * 3600 * NS:
                continue  # this device goes quiet after three hours
            dev, kind, township = devs[i]
            if realistic:
                if drains[i] and bats[i] > 5 and rng.random() < 0.02:
                    bats[i] -= 1
                beat = ev.Beat(dev, due, bats[i], rssis[i] + rng.randint(-3, 3), period)
            else:
                beat = ev.Beat(dev, due, rng.randint(60, 100), -80, period)
            beats.setdefault(township, []).append(beat)
        if rng.random() < 0.0005:
            b.now += 1
            others.append(
                ev.Quarantined(
                    at=b.now, topic=f"guard/v1/evt/{district}/T01/x", reason="bad_json", detail="", head=b"{"
                )
            )
        while next_alarm <= end:
            dev, kind, township = devs[rng.randrange(len(devs))]
            seq += 1
            b.now = max(b.now + 1, next_alarm)
            alarm = ev.DeviceEvent(
                at=b.now,
                district=district,
                township=township,
                dev=dev,
                id=f"a{seq}",
                kind=kind,
                evt="alarm",
                ts=b.now - NS,
            )
            others.append(alarm)
            cause = CAUSES[rng.randrange(len(CAUSES))]
            slow = rng.random() < 0.1  # one in ten is worked late and misses marks
            _plan_incident(later, b, alarm, cause, slow, rng)
            next_alarm += max(1, int(rng.expovariate(alarms_per_min / 60) * NS))
        while todo and todo[0][0] <= end:
            at, _, fn = heapq.heappop(todo)
            b.now = max(b.now + 1, at)
            b.commit(fn(b.now))
        b.now = max(b.now, end)
        out = others
        if compact:
            # as the engine: alarms at once, then the window's flush against the world they left
            b.commit(out)
            if beats:
                b.now += 1
                w = b.world
                reg = w.register
                out = liveness.compact(beats, b.now, w.supervisor.health, reg.place, reg.digest)
                b.commit(out)
        else:
            if beats:
                b.now += 1
                out += [
                    ev.Heartbeats(at=b.now, township=t, beats=tuple(bl)) for t, bl in sorted(beats.items())
                ]
            b.commit(out)
        b.timers()
        if progress is not None and b.records % 50_000 < len(out) + 2:
            progress(b.records)
        while next_mark < len(pending) and b.now >= pending[next_mark]:
            if on_mark is not None:
                on_mark(pending[next_mark], b)
            next_mark += 1
    return journal, b.world


def _plan_incident(
    later: Callable[[int, Callable[[int], list[ev.AnyEvent]]], None],
    b: DayBuilder,
    alarm: ev.DeviceEvent,
    cause: str,
    slow: bool,
    rng: random.Random,
) -> None:
    """Receipts for its notifications, a restore, and an officer working the checklist."""
    t = alarm.at

    def receipts(at: int) -> list[ev.AnyEvent]:
        inc_id = b.world.open_by_household.get(_code(b.world, alarm.dev))
        inc = b.world.incidents.get(inc_id) if inc_id else None
        if inc is None:
            return []
        status = ("delivered", "answered", "no_answer", "failed")
        return [
            ev.NotifyReceipt(at=at, req=r, status=status[rng.randrange(4)])
            for r, n in sorted(inc.notifications.items())
            if n.status == "published"
        ]

    later(t + int(rng.uniform(3, 15) * NS), receipts)
    later(t + int(rng.uniform(60, 300) * NS), lambda at: [_restore(alarm, at)])
    gap = (90, 700) if slow else (10, 40)

    def work(at: int) -> list[ev.AnyEvent]:
        iid = b.world.open_by_household.get(_code(b.world, alarm.dev))
        if iid is None:
            return []
        step = next_step(b.world, iid, cause)
        if step is None:
            return []
        later(at + int(rng.uniform(*gap) * NS), work)
        return [
            ev.CompleteStep(
                at=at, operator="op1", console="bench", incident=iid, step=step[0], values=step[1]
            )
        ]

    later(t + int(rng.uniform(*gap) * NS), work)


def _code(world: World, dev: str) -> str:
    hh = world.register.household_of_device(dev)
    return hh.code if hh else f"?{dev}"


def _restore(alarm: ev.DeviceEvent, at: int) -> ev.DeviceEvent:
    return ev.DeviceEvent(
        at=at,
        district=alarm.district,
        township=alarm.township,
        dev=alarm.dev,
        id=f"{alarm.id}r",
        kind=alarm.kind,
        evt="restore",
        ts=at - NS,
    )


def _measure(replay: Replay, seeks: int, seed: int) -> dict[str, Any]:
    t = time.perf_counter()
    n = replay.index()
    took = time.perf_counter() - t
    beats = sum(1 for x in replay.types if x == "hb")
    rng = random.Random(seed)
    times = []
    for _ in range(seeks):
        target = rng.randint(replay.start_ns, replay.end_ns)
        t = time.perf_counter()
        replay.seek_time(target)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    t = time.perf_counter()
    replay.straight()  # max speed from the start, no checkpoints
    play = time.perf_counter() - t
    return {
        "records": n,
        "heartbeat_records_share": round(beats / n, 3) if n else 0,
        "index_s": round(took, 2),
        "records_per_s": round(n / took),
        "play_records_per_s": round(n / play),
        "checkpoints": len(replay.checkpoints),
        "checkpoint_interval": replay.interval,
        "checkpoint_mb": round(replay.checkpoint_bytes / 1e6, 1),
        "seek_ms_mean": round(statistics.fmean(times), 1) if times else None,
        "seek_ms_p50": round(times[len(times) // 2], 1) if times else None,
        "seek_ms_p95": round(times[int(len(times) * 0.95)], 1) if times else None,
        "seek_ms_max": round(times[-1], 1) if times else None,
        "problems": sum(replay.problem_counts.values()),
    }


def run(argv: list[str]) -> dict[str, Any]:
    p = argparse.ArgumentParser(prog="python -m console bench replay")
    p.add_argument("--records", type=int, default=1_000_000)
    p.add_argument("--households", type=int, default=30_000)
    p.add_argument("--seeks", type=int, default=50)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--sqlite", action="store_true", help="also replay from a SQLite journal file")
    p.add_argument("--exact", action="store_true", help="no heartbeat fast path (World.apply for all)")
    args = p.parse_args(argv)

    from console.bootstrap import make_world
    from console.sim.district import generate

    def say(msg: str) -> None:
        print(f"bench replay: {msg}", file=sys.stderr, flush=True)

    t = time.perf_counter()
    register = generate(seed=args.seed, households=args.households)
    say(f"register: {len(register)} households, {len(register.device_index)} devices")

    def fresh() -> World:
        return make_world(register)

    with gc_paused():
        journal, live = build_day(
            register, fresh, args.records, args.seed, progress=lambda n: say(f"built {n} records")
        )
    say(f"journal built in {time.perf_counter() - t:.1f} s")
    records: list[Record] = journal.records

    def read(a: int, b: int | None) -> Any:
        return journal.read(a, b)

    replay = Replay(fresh, read, fast_heartbeats=not args.exact)
    out: dict[str, Any] = {"households": len(register), "devices": len(register.device_index)}
    out |= _measure(replay, args.seeks, args.seed)
    replay.seek(replay.length)
    out["identical_to_live"] = replay.world.projection_hash() == live.projection_hash()
    out["incidents"] = len(live.incidents)
    out["simulated_hours"] = round((records[-1].at - records[0].at) / NS / 3600, 2)
    if args.sqlite:
        del replay, live  # one replay's checkpoints in memory at a time, as in the console
        out |= _sqlite_figures(records, fresh, args)
    return out


def write_sqlite(records: list[Record], path: Path, register: Register | None = None) -> None:
    """Put already-sealed records (and the register) into a new SQLite journal file, in bulk."""
    from console.io.store.store import SqlStore

    store = SqlStore(path)
    try:
        if register is not None:
            store.save_register(register)
        raw = store.engine.raw_connection()
        try:
            cur = raw.cursor()
            cur.execute("BEGIN")
            cur.executemany(
                "INSERT INTO journal (seq, at_ns, source, type, key, console, body, prev, hash)"
                " VALUES (?,?,?,?,?,?,?,?,?)",
                [(r.seq, r.at, r.source, r.type, r.key, r.console, r.body, r.prev, r.hash) for r in records],
            )
            cur.execute("COMMIT")
        finally:
            raw.close()
    finally:
        store.close()


def _sqlite_figures(records: list[Record], fresh: Callable[[], World], args: Any) -> dict[str, Any]:
    from console.io.store.store import SqlStore

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "journal.sqlite"
        write_sqlite(records, path)
        ro = SqlStore(path, readonly=True)
        try:
            replay = Replay(fresh, ro.journal.read_rows, fast_heartbeats=not args.exact)
            m = _measure(replay, args.seeks, args.seed + 1)
        finally:
            ro.close()
    keep = ("records_per_s", "index_s", "play_records_per_s", "seek_ms_mean", "seek_ms_p95", "seek_ms_max")
    return {f"sqlite_{k}": v for k, v in m.items() if k in keep}
