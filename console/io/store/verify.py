"""Fast chain verification: a raw DBAPI cursor, plain tuples and chain.record_hash.

No ORM and no Record objects per row (that costs more than the SHA-256 itself). Verification
starts where archiving left off (the last archive mark, or an archive file's own boundary),
checks the marks chain onto itself, and compares the latest checkpoints so a truncated tail
or a consistently rewritten suffix is caught too.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import Engine, inspect
from sqlalchemy.exc import DBAPIError

from console.domain.chain import GENESIS, Break, record_hash
from console.io.store.errors import classify

FETCH: Final = 5000
SELECT: Final = "SELECT seq, at_ns, source, type, key, console, body, prev, hash FROM journal"


@dataclass
class VerifyResult:
    records: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    start_seq: int = 1
    seconds: float = 0.0
    broken: Break | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.broken is None

    @property
    def rate(self) -> float:
        return self.records / self.seconds if self.seconds > 0 else 0.0


def verify_rows(
    cursor: Any,
    prev: str,
    expect_seq: int,
    result: VerifyResult,
    progress: Callable[[int], None] | None = None,
    watch: dict[int, str] | None = None,
) -> None:
    """Walk ``cursor`` (already executed, rows in seq order), filling ``result``."""
    rh = record_hash
    watch = watch or {}
    n = 0
    seq = expect_seq
    while True:
        rows = cursor.fetchmany(FETCH)
        if not rows:
            break
        for row in rows:
            seq, at, source, type_, key, console, body, p, h = row
            if seq != expect_seq:
                result.broken = Break(seq, "gap" if seq > expect_seq else "reordered")
                return
            if p != prev:
                result.broken = Break(seq, "bad_prev")
                return
            try:
                ok = rh(p, seq, at, source, type_, key, console, body) == h
            except (TypeError, ValueError, AttributeError, UnicodeError):
                result.broken = Break(seq, "bad_row")
                return
            if not ok:
                result.broken = Break(seq, "bad_hash")
                return
            if seq in watch and watch[seq] != h:
                result.broken = Break(seq, "checkpoint_mismatch")
                return
            prev = h
            expect_seq = seq + 1
        n += len(rows)
        result.records = n
        result.head_seq, result.head_hash = seq, prev
        if progress is not None:
            progress(n)


def _marks(conn: Any, result: VerifyResult) -> tuple[str, int]:
    """Where the live chain starts, after checking the archive marks chain onto each other."""
    cur = conn.cursor()
    cur.execute(
        "SELECT first_seq, last_seq, prev_hash, last_hash, file_name FROM archive_marks ORDER BY first_seq"
    )
    prev, expect = GENESIS, 1
    for first, last, prev_hash, last_hash, name in cur.fetchall():
        if first != expect or prev_hash != prev or last < first:
            result.broken = Break(first, "bad_archive_mark")
            break
        result.notes.append(f"seq {first}..{last} archived to {name}")
        prev, expect = last_hash, last + 1
    cur.close()
    return prev, expect


def _archive_start(conn: Any) -> tuple[str, int]:
    cur = conn.cursor()
    cur.execute("SELECT key, value FROM archive_info")
    info = dict(cur.fetchall())
    cur.close()
    return str(info["prev_hash"]), int(info["first_seq"])


def _checkpoints(conn: Any) -> dict[int, str]:
    cur = conn.cursor()
    cur.execute("SELECT seq, hash FROM checkpoints ORDER BY seq DESC LIMIT 3")
    rows = {int(s): str(h) for s, h in cur.fetchall()}
    cur.close()
    return rows


def verify_engine(engine: Engine, progress: Callable[[int], None] | None = None) -> VerifyResult:
    """Verify the whole stored chain (live part after archive marks; archive files on their own)."""
    result = VerifyResult()
    t0 = time.perf_counter()
    try:
        tables = set(inspect(engine).get_table_names())
        raw = engine.raw_connection()
        try:
            prev, expect = GENESIS, 1
            if "archive_marks" in tables:
                prev, expect = _marks(raw, result)
            elif "archive_info" in tables:
                prev, expect = _archive_start(raw)
                result.notes.append(f"archive file starting at seq {expect}")
            if result.broken is not None:
                return result
            watch = _checkpoints(raw) if "checkpoints" in tables else {}
            result.start_seq, result.head_seq, result.head_hash = expect, expect - 1, prev
            if engine.dialect.name == "postgresql":
                dbapi: Any = raw.driver_connection
                cur = dbapi.cursor(name="guardian_verify")  # server-side: stream
                cur.itersize = FETCH
            else:
                cur = raw.cursor()
            cur.execute(SELECT + " ORDER BY seq")
            verify_rows(cur, prev, expect, result, progress, watch)
            cur.close()
            if result.broken is None and watch and max(watch) > result.head_seq:
                result.broken = Break(max(watch), "truncated")
            if result.records == 0 and result.broken is None:
                result.notes.append("journal is empty")
        finally:
            raw.rollback()
            raw.close()
    except (DBAPIError, OSError) as exc:
        raise classify(exc) from exc
    finally:
        result.seconds = time.perf_counter() - t0
    return result
