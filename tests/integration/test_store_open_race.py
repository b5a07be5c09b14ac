"""Two processes opening one fresh SQLite file: switching it to WAL needs an exclusive lock, and
in the deadlock-avoiding case SQLite answers "database is locked" at once, without its busy
handler (seen once in CI: test_journal_crash.py's two writer processes). That case cannot be
produced on demand, so the retry is checked with a cursor that answers as SQLite did; the real
file part is the last test."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from console.io.store import SqlStore
from console.io.store import db as store_db


class Answers:
    """A cursor whose WAL switch is refused ``refusals`` times, as by another opener's lock."""

    def __init__(self, refusals: int) -> None:
        self.refusals = refusals
        self.mode = "delete"
        self.tries = 0

    def execute(self, sql: str) -> Any:
        if sql == "PRAGMA journal_mode=WAL":
            self.tries += 1
            if self.tries <= self.refusals:
                raise sqlite3.OperationalError("database is locked")
            self.mode = "wal"
        return self

    def fetchone(self) -> tuple[str]:
        return (self.mode,)


def test_wal_switch_refused_at_once_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_db.time, "sleep", lambda _s: None)
    cur = Answers(refusals=3)
    store_db._set_wal(cur, timeout_s=5.0)  # type: ignore[arg-type]
    assert cur.mode == "wal" and cur.tries == 4


def test_wal_switch_still_refused_after_the_timeout_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter(range(0, 1000, 1))
    monkeypatch.setattr(store_db.time, "sleep", lambda _s: None)
    monkeypatch.setattr(store_db.time, "monotonic", lambda: float(next(clock)))
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        store_db._set_wal(Answers(refusals=10**6), timeout_s=3.0)  # type: ignore[arg-type]


def test_a_file_already_in_wal_is_not_switched_again(tmp_path: Path) -> None:
    SqlStore(tmp_path / "j.sqlite").close()
    conn = sqlite3.connect(tmp_path / "j.sqlite")
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        # another connection in a read transaction: a switch would need its lock; none is asked
        conn.execute("BEGIN")
        conn.execute("SELECT count(*) FROM journal").fetchall()
        store = SqlStore(tmp_path / "j.sqlite", busy_timeout_ms=100)
        store.close()
    finally:
        conn.close()
