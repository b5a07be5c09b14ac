"""Console start-up: rebuilding the world from the whole journal vs from the engine checkpoint.

``python -m console bench recover --json [--records N] [--households N] [--tail N]``

Builds the replay bench's synthetic journal (heartbeats at each device's real period, alarms
worked by an operator, ...) into a SQLite file, then times ``Engine.recover`` three ways: the
whole journal; from a checkpoint ``--tail`` records before the end (as after a crash, the newest
periodic checkpoint some way back); from a checkpoint at the end (as after a clean stop). Each
start's world is compared with the whole-journal one. Also the checkpoint's size and the time to
make and to store it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from console.app.clock import FakeClock
from console.app.engine import Engine
from console.app.engine_state import Checkpointer, dump, state_version
from console.app.world_snapshot import gc_paused, register_key
from console.benches.replay import build_day, write_sqlite
from console.domain import events as ev


def run(argv: list[str]) -> dict[str, Any]:
    p = argparse.ArgumentParser(prog="python -m console bench recover")
    p.add_argument("--records", type=int, default=1_000_000)
    p.add_argument("--households", type=int, default=30_000)
    p.add_argument("--tail", type=int, default=50_000)
    p.add_argument("--seed", type=int, default=7)
    a = p.parse_args(argv)

    from console.bootstrap import make_world
    from console.io.engine_state_store import EngineStateStore
    from console.io.store.store import SqlStore
    from console.sim.district import generate

    def say(msg: str) -> None:
        print(f"bench recover: {msg}", file=sys.stderr, flush=True)

    register = generate(seed=a.seed, households=a.households)
    with gc_paused():
        journal, _live = build_day(register, lambda: make_world(register), a.records, a.seed)
    records = journal.records
    say(f"journal: {len(records)} records, {len(register.device_index)} devices")
    out: dict[str, Any] = {"records": len(records), "devices": len(register.device_index)}
    with tempfile.TemporaryDirectory(prefix="bench-recover-") as tmp:
        path = Path(tmp) / "journal.sqlite"
        write_sqlite(records, path, register)
        del journal, records
        store = SqlStore(path)
        port = EngineStateStore(store, "bench")

        def start(checkpoints: Checkpointer | None) -> tuple[float, Engine, int]:
            engine = Engine(
                make_world(register), store.journal, FakeClock(0), "bench", checkpoints=checkpoints
            )
            t = time.perf_counter()
            with gc_paused():
                n = engine.recover()
            return time.perf_counter() - t, engine, n

        full_s, full, n = start(None)
        out["full_s"] = round(full_s, 2)
        out["full_records_per_s"] = round(n / full_s)
        expected = full.world.projection_bytes()
        last_seq = full._last_seq

        # a checkpoint --tail records before the end: recover a world up to there, save it
        cut = max(1, last_seq - a.tail)
        part = make_world(register)
        with gc_paused():
            for rec in store.journal.read(1, cut):
                part.apply(ev.decode(rec.body))
        t = time.perf_counter()
        blob = dump(part, last_seq=cut, last_at=0, seen=set(), own_opened=set())
        out["checkpoint_dump_s"] = round(time.perf_counter() - t, 3)
        out["checkpoint_bytes"] = len(blob)
        t = time.perf_counter()
        port.save(cut, 0, state_version(), register_key(register), blob)
        out["checkpoint_write_s"] = round(time.perf_counter() - t, 3)
        del part

        tail_s, tailed, n_tail = start(Checkpointer(port))
        out["from_checkpoint_tail_records"] = n_tail
        out["from_checkpoint_s"] = round(tail_s, 2)
        out["from_checkpoint_same_world"] = tailed.world.projection_bytes() == expected

        # a checkpoint at the end, as a clean stop leaves it
        full_cp = Checkpointer(port)
        full_cp.save(
            full.world,
            last_seq=last_seq,
            last_at=full._last_at,
            seen=full.intake.seen,
            own_opened=full._own_opened,
            wait=True,
        )
        end_s, ended, n_end = start(Checkpointer(port))
        out["after_clean_stop_s"] = round(end_s, 2)
        out["after_clean_stop_tail_records"] = n_end
        out["after_clean_stop_same_world"] = ended.world.projection_bytes() == expected
        store.close()
    return out
