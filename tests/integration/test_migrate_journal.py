"""``migrate-journal`` on a journal written by the console before heartbeats were journaled as
places (tests/fixtures/journals/old_heartbeats.sqlite.gz, made by build/make_old_journal.py
from the engine of that commit, over a real Mosquitto): the new journal verifies, keeps every
other record byte for byte, folds to the same incidents, tickets and device health, replays
like its own live run, and the old file is left exactly as it was."""

from __future__ import annotations

import gzip
import hashlib
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from console.app.replay import Replay
from console.app.world_snapshot import encode_incident
from console.bootstrap import make_world
from console.domain import events as ev
from console.domain import liveness
from console.domain.world import World
from console.io.store.store import SqlStore

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "journals" / "old_heartbeats.sqlite.gz"


@pytest.fixture
def old(tmp_path: Path) -> Path:
    path = tmp_path / "old.sqlite"
    with gzip.open(FIXTURE) as src, path.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    return path


def migrate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "console", "migrate-journal", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
    )


def replayed(path: Path, exact: bool = False) -> tuple[World, Replay]:
    store = SqlStore(path, readonly=True)
    try:
        initial = store.first_register()
        assert initial is not None
        registers = store.registers
        r = Replay(lambda: make_world(initial, registers=registers), store.journal.read_rows, interval=64)
        r.fast_heartbeats = not exact
        r.index()
        assert sum(r.problem_counts.values()) == 0, r.problems
        return r.world, r
    finally:
        store.close()


def rows(path: Path) -> list[tuple[Any, ...]]:
    c = sqlite3.connect(path)
    try:
        return list(
            c.execute("SELECT seq, at_ns, source, type, key, console, body FROM journal ORDER BY seq")
        )
    finally:
        c.close()


def test_an_old_journal_is_rewritten_verified_and_folds_to_the_same_world(old: Path, tmp_path: Path) -> None:
    before = hashlib.sha256(old.read_bytes()).hexdigest()
    new = tmp_path / "new.sqlite"
    out = migrate("--db", str(old), "--to", str(new))
    assert out.returncode == 0, out.stderr
    assert "OK" in out.stdout and "records" in out.stderr  # the summary, and progress as it went
    assert hashlib.sha256(old.read_bytes()).hexdigest() == before  # the old journal untouched

    verify = subprocess.run(
        [sys.executable, "-m", "console", "audit", "verify", "--db", str(new)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr

    old_rows, new_rows = rows(old), rows(new)
    assert [r[3] for r in old_rows].count("hb") > 300
    kept_old = [r[1:] for r in old_rows if r[3] != "hb"]
    kept_new = [r[1:] for r in new_rows if r[3] not in ("hb", "seen")][:-1]  # less the closing note
    assert kept_new == kept_old  # every other record as it was: time, source, type, key, console, body
    note = ev.decode(new_rows[-1][6])
    assert isinstance(note, ev.SystemNote) and note.what == "migrated" and str(len(old_rows)) in note.detail
    assert sum(1 for r in new_rows if r[3] == "seen") > 0
    old_beat_bytes = sum(len(r[6]) for r in old_rows if r[3] == "hb")
    new_beat_bytes = sum(len(r[6]) for r in new_rows if r[3] in ("hb", "seen"))
    assert new_beat_bytes * 5 < old_beat_bytes

    was, _ = replayed(old)
    now, _ = replayed(new)
    assert {i: encode_incident(x) for i, x in now.incidents.items()} == {
        i: encode_incident(x) for i, x in was.incidents.items()
    }
    assert [(t.dev, t.kind, t.opened, t.closed) for t in now.tickets.values()] == [
        (t.dev, t.kind, t.opened, t.closed) for t in was.tickets.values()
    ]
    for dev, h in was.supervisor.health.items():
        m = now.supervisor.health[dev]
        assert (m.online, m.last_seen, m.hb_s, m.bat, m.fault, m.low_battery) == (
            h.online,
            h.last_seen,
            h.hb_s,
            h.bat,
            h.fault,
            h.low_battery,
        ), dev
        assert not liveness.rssi_moved(m.rssi, h.rssi), dev  # the signal as it last left its band
    for key in ("heartbeats", "unknown_heartbeats", "duplicates_in_journal"):
        assert now.counters[key] == was.counters[key], key
    # the new journal replays the same with or without the heartbeat fast path
    exact, _ = replayed(new, exact=True)
    assert exact.projection_bytes() == now.projection_bytes()


def test_a_console_opens_the_new_journal_and_folds_it(old: Path, tmp_path: Path) -> None:
    new = tmp_path / "new.sqlite"
    assert migrate("--db", str(old), "--to", str(new)).returncode == 0
    store = SqlStore(new)  # as a console opens it: read-write, migrated to head
    try:
        assert store.journal.count() == len(rows(new))
        assert store.first_register() is not None
    finally:
        store.close()


def test_a_new_file_only_and_never_a_broken_journal(old: Path, tmp_path: Path) -> None:
    new = tmp_path / "new.sqlite"
    new.write_bytes(b"")
    out = migrate("--db", str(old), "--to", str(new))
    assert out.returncode == 2 and "exists" in out.stderr
    new.unlink()
    assert migrate("--db", str(tmp_path / "none.sqlite"), "--to", str(new)).returncode == 2

    c = sqlite3.connect(old)
    c.execute("UPDATE journal SET body = CAST(? AS BLOB) WHERE seq = 40", (b'{"at":1,"t":"tick"}',))
    c.commit()
    c.close()
    out = migrate("--db", str(old), "--to", str(new))
    assert out.returncode == 1 and "broken at seq 40" in out.stderr, out.stderr
    assert not new.exists() and not (tmp_path / "new.sqlite.partial").exists()
