"""Journal throughput: durable appends/s (one row per commit, and 100 per commit) and verify
records/s, on SQLite in a temp dir and, when a server can be started, on a temp PostgreSQL.

``python -m console bench journal --json [--quick] [--no-pg] [--verify-n N]``
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from console.app.clock import FIXED_START_NS
from console.domain import events


def _body(i: int) -> bytes:
    e = events.DeviceEvent(
        at=FIXED_START_NS + i,
        district="500106",
        township="500106001",
        dev=f"86{i % 5000:013d}",
        id=f"e-{i:08d}",
        kind="smoke",
        evt="alarm" if i % 50 == 0 else "heartbeat",
        ts=FIXED_START_NS - 1_000_000_000 + i,
        bat=87,
        rssi=-71,
    )
    return events.encode(e)


def _item(i: int) -> tuple[int, str, str, str, bytes]:
    return (FIXED_START_NS + i * 1000, "bus", "dev", f"86{i % 5000:013d}/e-{i:08d}", _body(i))


def measure(url: str, single: int, batches: int, batch: int, verify_n: int) -> dict[str, float]:
    from console.io.store import SqlStore, verify_engine

    store = SqlStore(url)
    j = store.journal
    i = 0
    t = time.perf_counter()
    for _ in range(single):
        j.append([_item(i)], "bench")
        i += 1
    single_rate = single / (time.perf_counter() - t)
    t = time.perf_counter()
    for _ in range(batches):
        j.append([_item(i + k) for k in range(batch)], "bench")
        i += batch
    batched_rate = batches * batch / (time.perf_counter() - t)
    while i < verify_n:  # fill quickly for the verify figure
        n = min(5000, verify_n - i)
        j.append([_item(i + k) for k in range(n)], "bench")
        i += n
    rates = []
    for _ in range(3):  # first pass is cold; the machine may be shared, so report the best too
        result = verify_engine(store.engine)
        if not result.ok:
            raise RuntimeError(f"bench journal failed to verify: {result.broken}")
        rates.append(result.rate)
    store.close()
    return {
        "single_appends_per_s": round(single_rate, 1),
        "batched_appends_per_s": round(batched_rate, 1),
        "verify_records": result.records,
        "verify_records_per_s": round(max(rates), 1),
        "verify_records_per_s_first": round(rates[0], 1),
    }


def run(argv: list[str]) -> dict[str, Any]:
    p = argparse.ArgumentParser(prog="python -m console bench journal")
    p.add_argument("--quick", action="store_true", help="small counts (CI smoke run)")
    p.add_argument("--no-pg", action="store_true", help="skip PostgreSQL")
    p.add_argument("--verify-n", type=int, default=None)
    args = p.parse_args(argv)
    single, batches, batch = (100, 20, 100) if args.quick else (500, 200, 100)
    verify_n = args.verify_n or (20_000 if args.quick else 300_000)
    figures: dict[str, Any] = {"batch_size": batch}
    tmp = Path(tempfile.mkdtemp(prefix="guardian-bench-journal-"))
    try:
        for k, v in measure(f"sqlite:///{tmp / 'journal.sqlite'}", single, batches, batch, verify_n).items():
            figures[f"sqlite_{k}"] = v
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if args.no_pg:
        figures["postgres"] = "skipped (--no-pg)"
        return figures
    from console.io.store.pgtemp import TempPostgres, unavailable_reason

    reason = unavailable_reason()
    if reason:
        figures["postgres"] = f"skipped ({reason})"
        return figures
    try:
        with TempPostgres(durable=True) as pg:
            pg_n = min(verify_n, 100_000)
            for k, v in measure(pg.url, single, batches, batch, pg_n).items():
                figures[f"postgres_{k}"] = v
    except RuntimeError as exc:
        print(f"bench journal: PostgreSQL skipped: {exc}", file=sys.stderr)
        figures["postgres"] = f"skipped ({exc})"
    return figures
