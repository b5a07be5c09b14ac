"""Journal volume of a district over days: bytes a device-day, a year's size, start and audit times.

``python -m console bench volume --json [--devices N] [--days N] [--periods sim|nbiot]``

Builds ``--days`` simulated days of a ``--devices`` district into a SQLite journal file the way
the live engine does (console/benches/replay.py ``build_day``: alarms worked through checklists,
receipts, restores, ticks; realistic heartbeats — a battery that drains, a signal with jitter —
held for the engine's 5 s window and journaled through ``liveness.compact``), measuring the
journal table and its indexes (SQLite's ``dbstat``, after a WAL checkpoint) at each day's end.
Day 1 is the costly one (every device's first beat is a change); the later days are the steady
state a year is projected from. The same days are built again in the form before compaction
(``Heartbeats`` per township per 1 s flush) for comparison, and loaded into a temporary
PostgreSQL for its size. Then: a console start from an engine checkpoint near the end of the
journal, an audit verify of the last day from the signed anchor at the end of the one before,
a whole-chain verify and a replay index (their rates projected to a year's records).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

from console.app.clock import FakeClock
from console.app.engine import Engine
from console.app.engine_state import Checkpointer
from console.app.replay import Replay
from console.app.world_snapshot import gc_paused
from console.benches.replay import NS, T0, DayBuilder, build_day
from console.domain.registry import Register
from console.domain.world import World

DAY_NS: Final = 86_400 * NS
WINDOW_NS: Final = 5 * NS  # console.app.beats.WINDOW_S
OLD_WINDOW_NS: Final = 1 * NS  # the flush before compaction
NBIOT: Final = (12 * 3600, 24 * 3600)
KINDS: Final = ("smoke", "co", "gas", "electric")
CONSOLE: Final = "bench"


def periods_for(name: str) -> dict[str, tuple[int, int]]:
    from console.sim.traffic import HB_PERIODS

    if name == "sim":
        return dict(HB_PERIODS)
    return {k: NBIOT for k in (*HB_PERIODS, *KINDS)}


def _machine() -> tuple[int, int, int]:
    from console.benches.bridge import _machine as machine  # (busy, steal, total) jiffies

    return machine()


def journal_bytes(store: Any) -> int:
    """Bytes of the journal table and its indexes in a SQLite store, after a WAL checkpoint."""
    raw = store.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        names = [r[0] for r in cur.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'journal'")]
        marks = ",".join("?" * len(names))
        row = cur.execute(
            f"SELECT SUM(pgsize) FROM dbstat WHERE aggregate = TRUE AND name IN ({marks})", names
        ).fetchone()
        cur.close()
        return int(row[0] or 0)
    finally:
        raw.close()


class Built:
    """What one build left: per-day bytes and records, the live world, the journal file."""

    def __init__(self) -> None:
        self.day_bytes: list[int] = []
        self.day_records: list[int] = []
        self.day_end_seq: list[int] = []
        self.world: World | None = None
        self.seconds = 0.0
        self.types: dict[str, int] = {}


def build(
    path: Path,
    register: Register,
    make_world: Callable[[], World],
    *,
    days: int,
    seed: int,
    periods: Mapping[str, tuple[int, int]],
    compact: bool,
    window_ns: int,
    alarms_per_min: float,
    say: Callable[[str], None],
    extra: Mapping[int, Callable[[DayBuilder, Any], None]] | None = None,
) -> Built:
    """``days`` days into a new SQLite journal at ``path``; ``extra[t](builder, store)`` runs once
    the simulated time passes ``t``."""
    from console.io.store.store import SqlStore

    out = Built()
    store = SqlStore(path, pragmas={"synchronous": "OFF"})
    try:
        store.save_register(register)
        base = journal_bytes(store)  # an empty journal's pages
        last = [base, 0]
        day_marks = [T0 + d * DAY_NS for d in range(1, days + 1)]
        hours = [T0 + h * 3600 * NS for h in range(1, days * 24 + 1)]
        extras = dict(extra or {})
        t0 = time.perf_counter()

        def on_mark(mark: int, b: DayBuilder) -> None:
            if mark in extras:
                extras[mark](b, store)
            if mark in day_marks:
                size = journal_bytes(store)
                out.day_bytes.append(size - last[0])
                out.day_records.append(b.records - last[1])
                out.day_end_seq.append(b.records)
                last[0], last[1] = size, b.records
                say(
                    f"day {len(out.day_bytes)}: {out.day_records[-1]} records,"
                    f" {out.day_bytes[-1] / 1e6:.1f} MB ({time.perf_counter() - t0:.0f} s)"
                )
            elif mark in hours and (mark - T0) // (3600 * NS) % 4 == 0:
                say(f"  {(mark - T0) / 3600 / NS:.0f} h simulated, {b.records} records")

        marks = sorted({*day_marks, *hours, *extras})
        with gc_paused():
            _, world = build_day(
                register,
                make_world,
                None,
                seed,
                journal=store.journal,
                alarms_per_min=alarms_per_min,
                until_ns=day_marks[-1],
                window_ns=window_ns,
                periods=periods,
                realistic=True,
                compact=compact,
                marks=marks,
                on_mark=on_mark,
            )
        out.seconds = time.perf_counter() - t0
        out.world = world
        raw = store.engine.raw_connection()
        try:
            cur = raw.cursor()
            out.types = {t: n for t, n in cur.execute("SELECT type, COUNT(*) FROM journal GROUP BY type")}
            cur.close()
        finally:
            raw.close()
    finally:
        store.close()
    return out


def _steady(values: list[int]) -> float:
    rest = values[1:]
    return sum(rest) / len(rest) if rest else float(values[0])


def _postgres(path: Path, days: int, say: Callable[[str], None]) -> tuple[list[int] | None, str | None]:
    """Each day's records loaded into a temporary PostgreSQL: pg_total_relation_size('journal')
    after each day, as the growth of that day. (None, why) when there is no PostgreSQL."""
    from sqlalchemy import text

    from console.io.store.journal import sqlite_rows
    from console.io.store.pgtemp import TempPostgres, unavailable_reason
    from console.io.store.store import SqlStore

    reason = unavailable_reason()
    if reason:
        return None, reason
    pg = TempPostgres(durable=False)
    try:
        pg.start()
        src = SqlStore(path, readonly=True)
        dst = SqlStore(pg.url)
        try:
            from psycopg2.extras import execute_values  # type: ignore[import-untyped]

            def size() -> int:
                with dst.engine.connect() as conn:
                    return int(conn.execute(text("SELECT pg_total_relation_size('journal')")).scalar() or 0)

            sizes: list[int] = []
            last = size()
            cols = "seq, at_ns, source, type, key, console, body, prev, hash"
            for d in range(days):
                lo, hi = T0 + d * DAY_NS, T0 + (d + 1) * DAY_NS
                if d == days - 1:
                    hi = 1 << 62  # the last window's records, stamped just past the day's end
                sql = f"SELECT {cols} FROM journal WHERE at_ns >= ? AND at_ns < ? ORDER BY seq"
                raw = dst.engine.raw_connection()
                try:
                    cur = raw.cursor()
                    batch: list[Any] = []
                    for row in sqlite_rows(src.engine, sql, (lo, hi)):
                        batch.append(row)
                        if len(batch) >= 5000:
                            execute_values(
                                cur, f"INSERT INTO journal ({cols}) VALUES %s", batch, page_size=2000
                            )
                            batch = []
                    if batch:
                        execute_values(cur, f"INSERT INTO journal ({cols}) VALUES %s", batch, page_size=2000)
                    raw.commit()
                    cur.close()
                finally:
                    raw.close()
                now = size()
                sizes.append(now - last)
                last = now
                say(f"postgres day {d + 1}: {sizes[-1] / 1e6:.1f} MB")
            return sizes, None
        finally:
            src.close()
            dst.close()
    except Exception as exc:  # noqa: BLE001 - a figure we cannot make is null with its reason
        return None, f"{type(exc).__name__}: {exc}"
    finally:
        pg.stop()


def _start(path: Path, make_world: Callable[..., World]) -> tuple[dict[str, float], Engine, int]:
    """A console start: open the store, load the register, restore the engine checkpoint, fold
    the records after it. The seconds of each part, and of all (``start_s``)."""
    from console.io.engine_state_store import EngineStateStore
    from console.io.store.store import SqlStore

    t = time.perf_counter()
    store = SqlStore(path)
    t_open = time.perf_counter()
    register = store.load_register()
    assert register is not None
    t_register = time.perf_counter()
    engine = Engine(
        make_world(register, store.registers),
        store.journal,
        FakeClock(0),
        CONSOLE,
        checkpoints=Checkpointer(EngineStateStore(store, CONSOLE)),
    )
    with gc_paused():
        n = engine.recover()
    end = time.perf_counter()
    store.close()
    parts = {
        "start_s": end - t,
        "start_open_s": t_open - t,
        "start_register_s": t_register - t_open,
        "start_recover_s": end - t_register,
    }
    return parts, engine, n


def _quick_check_s(path: Path) -> float:
    """Seconds of the ``PRAGMA quick_check`` the store's open runs on a SQLite file (db.py
    ``check_sqlite_file``): it reads every page, so it grows with the journal."""
    import sqlite3

    from console.io.store.db import sqlite_uri

    conn = sqlite3.connect(sqlite_uri(path, "ro"), uri=True, isolation_level=None)
    try:
        t = time.perf_counter()
        conn.execute("PRAGMA quick_check").fetchall()
        return time.perf_counter() - t
    finally:
        conn.close()


def _verify(path: Path, anchors: Path, key: bytes) -> tuple[Any, Any]:
    """(the walk after the newest signed anchor, the whole chain's walk), the anchors read and
    checked as ``audit verify`` does."""
    from console.io.anchors import authentic, read_anchors
    from console.io.store.store import SqlStore
    from console.io.store.verify import Witness, verify_engine

    witnesses = []
    for a in read_anchors(anchors).anchors:
        if authentic(a, key) is None:
            witnesses.append(
                Witness(a.seq, a.hash, f"anchor line {a.line} by {a.console}", a.at_ns, signed=True)
            )
    store = SqlStore(path, readonly=True)
    try:
        day = verify_engine(store.engine, witnesses=witnesses, from_anchor=True)
        whole = verify_engine(store.engine, witnesses=witnesses)
    finally:
        store.close()
    return day, whole


def run(argv: list[str]) -> dict[str, Any]:
    p = argparse.ArgumentParser(prog="python -m console bench volume")
    p.add_argument("--devices", type=int, default=100_000)
    p.add_argument("--days", type=int, default=2)
    p.add_argument("--periods", choices=("sim", "nbiot"), default="sim")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--tail-min", type=float, default=60.0, help="records after the start's checkpoint")
    p.add_argument("--alarms-per-min", type=float, default=2.0)
    p.add_argument(
        "--old-days",
        type=int,
        help="days of the old form to build (default --days; 1: day 1 is its steady day)",
    )
    p.add_argument("--dir", help="where the journal files are built (default: a temp dir)")
    a = p.parse_args(argv)
    if a.days < 2:
        p.error("--days must be at least 2: day 1 is not a steady day")

    from console.bootstrap import make_world
    from console.io.anchors import encode, load_key
    from console.io.engine_state_store import EngineStateStore
    from console.sim.district import generate

    def say(msg: str) -> None:
        print(f"bench volume: {msg}", file=sys.stderr, flush=True)

    loadavg = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    machine0 = _machine()
    t_all = time.perf_counter()
    probe = generate(seed=a.seed, households=1000)
    per_household = len(probe.device_index) / 1000
    households = max(1, round(a.devices / per_household))
    register = generate(seed=a.seed, households=households)
    devices = len(register.device_index)
    periods = periods_for(a.periods)
    say(f"register: {households} households, {devices} devices ({per_household:.2f} a household)")

    def fresh() -> World:
        return make_world(register)

    end_ns = T0 + a.days * DAY_NS
    out: dict[str, Any] = {"devices": devices, "households": households, "days": a.days}
    out["periods"] = {k: list(v) for k, v in sorted(periods.items())}
    out["periods_name"] = a.periods
    out["alarms_per_min"] = a.alarms_per_min
    with tempfile.TemporaryDirectory(prefix="bench-volume-", dir=a.dir) as tmp:
        path = Path(tmp) / "journal.sqlite"
        anchors = Path(tmp) / "journal.sqlite.anchors.jsonl"
        key = load_key(Path(tmp) / "anchor.key", create=True)
        assert key is not None
        anchored: dict[str, int] = {}

        def anchor(b: DayBuilder, store: Any) -> None:
            # the console's anchor at the end of day N-1: the head it has seen, signed
            last = store.journal.last()
            anchors.write_bytes(encode(key, last.seq, last.hash, b.now, CONSOLE))
            anchored["seq"] = last.seq

        def checkpoint(b: DayBuilder, store: Any) -> None:
            # the engine's checkpoint --tail-min before the end, as the newest periodic one
            w = b.world
            cp = Checkpointer(EngineStateStore(store, CONSOLE))
            cp.save(
                w,
                last_seq=b.records,
                last_at=b.now,
                seen=set(w.seen_keys),
                own_opened=set(range(1, w.next_incident)),
                wait=True,
            )
            anchored["checkpoint_seq"] = b.records

        cut = end_ns - int(a.tail_min * 60 * NS)
        extra = {T0 + (a.days - 1) * DAY_NS: anchor, cut: checkpoint}
        say(f"building {a.days} days, compact, {WINDOW_NS // NS} s windows")
        new = build(
            path,
            register,
            fresh,
            days=a.days,
            seed=a.seed,
            periods=periods,
            compact=True,
            window_ns=WINDOW_NS,
            alarms_per_min=a.alarms_per_min,
            say=say,
            extra=extra,
        )
        assert new.world is not None
        live_hash = new.world.projection_hash()
        beats = int(new.world.counters["heartbeats"])
        records = sum(new.day_records)
        steady_bytes = _steady(new.day_bytes)
        steady_records = _steady(new.day_records)
        year_records = new.day_records[0] + 364 * steady_records
        out["heartbeats_per_s"] = round(beats / (a.days * 86_400), 1)
        out["heartbeats"] = beats
        out["records"] = records
        out["seen_records"] = new.types.get("seen", 0)
        out["hb_records"] = new.types.get("hb", 0)
        out["records_by_type"] = dict(sorted(new.types.items(), key=lambda kv: -kv[1]))
        out["day_bytes"] = new.day_bytes
        out["day_records"] = new.day_records
        out["bytes_per_device_day"] = round(steady_bytes / devices, 1)
        out["first_day_bytes_per_device"] = round(new.day_bytes[0] / devices, 1)
        out["records_per_device_day"] = round(steady_records / devices, 3)
        out["year_records"] = round(year_records)
        out["year_gb_sqlite"] = round((new.day_bytes[0] + 364 * steady_bytes) / 1e9, 2)
        out["build_s"] = round(new.seconds, 1)
        out["how"] = (
            "journal table + its indexes (SQLite dbstat, pages, after a WAL checkpoint) measured at"
            " each simulated day's end; a steady day is the mean of days 2..N (day 1 journals every"
            " device's first beat in full); year = day 1 + 364 steady days; per device = / devices"
        )

        say("postgres")
        pg_days, pg_why = _postgres(path, a.days, say)
        if pg_days is None:
            out["year_gb_postgres"] = None
            out["postgres_reason"] = pg_why
        else:
            out["pg_day_bytes"] = pg_days
            out["pg_bytes_per_device_day"] = round(_steady(pg_days) / devices, 1)
            out["year_gb_postgres"] = round((pg_days[0] + 364 * _steady(pg_days)) / 1e9, 2)

        say("start from the engine checkpoint")
        parts, engine, tail = _start(path, make_world)
        out |= {k: round(v, 2) for k, v in parts.items()}
        # the open's quick_check reads the whole file: its rate, projected to a year's file
        qc = _quick_check_s(path)
        size = path.stat().st_size
        out["quick_check_s"] = round(qc, 2)
        out["quick_check_mb_per_s"] = round(size / 1e6 / qc, 1) if qc else None
        out["quick_check_s_year"] = round(out["year_gb_sqlite"] * 1e9 / (size / qc), 1) if qc else None
        out["start_tail_records"] = tail
        out["start_tail_min"] = a.tail_min
        out["start_same_world"] = engine.world.projection_hash() == live_hash
        out["start_how"] = (
            "open the store, load the register, restore the engine checkpoint saved --tail-min"
            " before the end, fold the records after it. The checkpoint makes the fold independent"
            " of the journal's length (only the tail is read); the store's open is not: its"
            " PRAGMA quick_check reads every page (quick_check_s_year)"
        )
        del engine

        say("verify")
        day, whole = _verify(path, anchors, key)
        out["verify_s_day"] = round(day.seconds, 2)
        out["verify_day_records"] = day.records
        out["verify_day_ok"] = day.ok and day.start_seq == anchored["seq"] + 1
        out["verify_records_per_s"] = round(whole.rate)
        out["verify_ok"] = whole.ok
        out["verify_s_year"] = round(year_records / whole.rate, 1) if whole.rate else None

        say("replay index")
        from console.io.store.store import SqlStore

        ro = SqlStore(path, readonly=True)
        try:
            replay = Replay(fresh, ro.journal.read_rows)
            t = time.perf_counter()
            n = replay.index()
            took = time.perf_counter() - t
            out["replay_index_records_per_s"] = round(n / took)
            out["replay_index_s"] = round(took, 1)
            out["replay_identical_to_live"] = replay.world.projection_hash() == live_hash
            out["replay_index_s_year"] = round(year_records / (n / took), 1)
            del replay
        finally:
            ro.close()
        del new
        path.unlink()

        old_days = a.old_days or a.days
        out["old_days"] = old_days
        say(f"building {old_days} day(s) in the old form (no compaction, {OLD_WINDOW_NS // NS} s windows)")
        old = build(
            Path(tmp) / "old.sqlite",
            register,
            fresh,
            days=old_days,
            seed=a.seed,
            periods=periods,
            compact=False,
            window_ns=OLD_WINDOW_NS,
            alarms_per_min=a.alarms_per_min,
            say=say,
        )
        old_steady = _steady(old.day_bytes)
        out["old_day_bytes"] = old.day_bytes
        out["old_day_records"] = old.day_records
        out["old_bytes_per_device_day"] = round(old_steady / devices, 1)
        out["old_records_per_device_day"] = round(_steady(old.day_records) / devices, 3)
        out["old_year_gb_sqlite"] = round((old.day_bytes[0] + 364 * old_steady) / 1e9, 2)
    busy, steal, total = (y - x for x, y in zip(machine0, _machine(), strict=True))
    out["loadavg_start"] = loadavg
    out["machine_busy_pct"] = round(100 * busy / total, 1) if total else None
    out["machine_steal_pct"] = round(100 * steal / total, 1) if total else None
    out["cpus"] = os.cpu_count()
    out["total_s"] = round(time.perf_counter() - t_all, 1)
    return out
