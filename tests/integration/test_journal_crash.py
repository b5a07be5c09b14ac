"""Writers in separate processes: kill -9 mid-batch loses nothing acknowledged; concurrent
writers keep one gapless chain (SQLite BEGIN IMMEDIATE, PostgreSQL advisory lock)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from console.io.store import SqlStore, verify_engine

ROOT = Path(__file__).resolve().parents[2]

WRITER = r"""
import sys
sys.path.insert(0, sys.argv[1])
from console.io.store import SqlStore
url, tag, batches = sys.argv[2], sys.argv[3], int(sys.argv[4])
s = SqlStore(url)
i = 0
while batches == 0 or i < batches:
    body = (b'{"w":"%s","i":%d,"pad":"' % (tag.encode(), i)) + b"x" * 300 + b'"}'
    recs = s.journal.append([(i * 10 + k, "bus", "dev", f"{tag}/{i}/{k}", body) for k in range(10)], tag)
    print(recs[0].seq, recs[-1].seq, flush=True)
    i += 1
s.close()
print("done", flush=True)
"""


def _spawn(url: str, tag: str, batches: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(ROOT), url, tag, str(batches)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _close(proc: subprocess.Popen[str]) -> None:
    for f in (proc.stdout, proc.stderr):
        if f is not None:
            f.close()


def _read_acks(proc: subprocess.Popen[str], want: int, timeout: float = 60.0) -> list[tuple[int, int]]:
    """Read acknowledged (first, last) seq lines until ``want`` arrived, with a deadline."""
    acks: list[tuple[int, int]] = []
    done = threading.Event()

    def reader() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            parts = line.split()
            if len(parts) == 2:
                acks.append((int(parts[0]), int(parts[1])))
                if len(acks) >= want:
                    done.set()
                    return
        done.set()

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    if not done.wait(timeout):
        proc.kill()
        proc.wait(timeout=30)
        _close(proc)
        pytest.fail(f"writer acknowledged only {len(acks)} batches in {timeout}s")
    if len(acks) < want:
        err = proc.stderr.read() if proc.stderr else ""
        proc.wait(timeout=30)
        _close(proc)
        pytest.fail(f"writer stopped after {len(acks)} batches: {err[-2000:]}")
    return acks


def test_kill_9_mid_batch_loses_nothing_acknowledged(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    url = f"sqlite:///{path}"
    acked: list[int] = []
    for round_ in range(2):
        proc = _spawn(url, f"w{round_}", 0)
        acks = _read_acks(proc, 15)
        os.kill(proc.pid, signal.SIGKILL)  # most likely inside a transaction: the loop never pauses
        proc.wait(timeout=30)
        _close(proc)
        assert proc.returncode == -signal.SIGKILL
        acked += [last for _, last in acks]
        conn = sqlite3.connect(path)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        finally:
            conn.close()
    with SqlStore(url) as store:
        result = verify_engine(store.engine)
        assert result.ok, result.broken
        assert result.records >= max(acked)
        with store.engine.connect() as conn:
            present = set(conn.execute(text("SELECT seq FROM journal")).scalars())
        assert set(range(1, max(acked) + 1)) <= present


def test_two_writer_processes_keep_one_chain(journal_db_url: str) -> None:
    # Both start on a fresh, empty database: they race on the migration first, then on appends.
    procs = [_spawn(journal_db_url, tag, 30) for tag in ("a", "b")]
    for p in procs:
        out, err = p.communicate(timeout=120)
        _close(p)
        assert p.returncode == 0, err[-2000:]
        assert out.rstrip().endswith("done")
    with SqlStore(journal_db_url) as store:
        result = verify_engine(store.engine)
        assert result.ok, result.broken
        assert result.records == 600
        consoles = [r.console for r in store.journal.read()]
        assert consoles.count("a") == consoles.count("b") == 300
        # batches are contiguous: a group commit is never interleaved with another writer's rows
        for r in store.journal.read():
            if r.seq % 10 == 1:
                batch = list(store.journal.read(r.seq, r.seq + 9))
                assert len({b.console for b in batch}) == 1


def test_two_writer_threads_with_separate_stores(journal_db_url: str) -> None:
    stores = [SqlStore(journal_db_url) for _ in range(2)]
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def work(store: SqlStore, tag: str) -> None:
        try:
            start.wait(timeout=10)
            for i in range(40):
                store.journal.append([(i, "bus", "dev", f"{tag}/{i}/{k}", b"{}") for k in range(3)], tag)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(s, t)) for s, t in zip(stores, "xy", strict=True)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert time.monotonic() - t0 < 120
    result = verify_engine(stores[0].engine)
    assert result.ok and result.records == 240
    for s in stores:
        s.close()
