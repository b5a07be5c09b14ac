"""Archiving old months out of the live journal without breaking its chain.

Rows are copied verbatim into a separate SQLite file (with the boundary hashes), the file is
verified, and only then — in one locked transaction on the live store — an ``archive_marks``
row is written and the archived rows are removed. This module is the *only* code that deletes
journal rows; ``verify`` resumes the live chain from the last mark's hash.

Retention: GB 50440 (fire-safety monitoring systems) asks that alarm records be kept at least
one year, so months younger than 365 days are refused unless explicitly forced.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError

from console.domain.chain import GENESIS, Break
from console.io.store import schema
from console.io.store.db import sqlite_uri
from console.io.store.errors import JournalError, classify
from console.io.store.journal import lock_for_append, writer
from console.io.store.verify import VerifyResult, verify_rows

RETENTION_DAYS: Final = 365
_NS_PER_DAY: Final = 86_400 * 1_000_000_000
_BATCH: Final = 5000
_J = schema.journal
_M = schema.archive_marks
_ARCHIVE_DDL: Final = (
    "CREATE TABLE journal (seq INTEGER PRIMARY KEY, at_ns BIGINT NOT NULL, source TEXT NOT NULL,"
    " type TEXT NOT NULL, key TEXT NOT NULL, console TEXT NOT NULL, body BLOB NOT NULL,"
    " prev TEXT NOT NULL, hash TEXT NOT NULL)",
    "CREATE INDEX ix_journal_at_ns ON journal (at_ns)",
    "CREATE TABLE archive_info (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
)


class ArchiveRefused(Exception):
    """Archiving would break a rule (retention, an existing output file, a broken chain)."""


@dataclass(frozen=True)
class ArchiveResult:
    first_seq: int
    last_seq: int
    rows: int
    prev_hash: str
    last_hash: str
    file: Path
    sha256: str


def month_start_ns(text_: str) -> int:
    """``YYYY-MM`` -> the first instant of that month in the machine's local time, UTC ns."""
    try:
        dt = datetime.strptime(text_, "%Y-%m")
    except ValueError as exc:
        raise ValueError(f"--before wants YYYY-MM, got {text_!r}") from exc
    return int(dt.astimezone().timestamp()) * 1_000_000_000


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def chain_start(engine: Engine) -> tuple[str, int]:
    """(prev hash, first seq) where the live journal must begin: after the last mark, or genesis."""
    with engine.connect() as conn:
        mark = conn.execute(
            select(_M.c.last_seq, _M.c.last_hash).order_by(_M.c.last_seq.desc()).limit(1)
        ).first()
    return (str(mark[1]), int(mark[0]) + 1) if mark else (GENESIS, 1)


def plan(engine: Engine, before_ns: int) -> tuple[int, int] | None:
    """(first_seq, last_seq): the longest prefix of the live chain accepted before ``before_ns``."""
    with engine.connect() as conn:
        first = conn.execute(select(func.min(_J.c.seq))).scalar()
        if first is None:
            return None
        boundary = conn.execute(select(func.min(_J.c.seq)).where(_J.c.at_ns >= before_ns)).scalar()
        last = (boundary - 1) if boundary is not None else conn.execute(select(func.max(_J.c.seq))).scalar()
    return (int(first), int(last)) if last is not None and last >= first else None


def verify_archive_file(path: Path) -> VerifyResult:
    """Verify an archive file on its own, from the boundary hash it records."""
    conn = sqlite3.connect(sqlite_uri(path, "ro"), uri=True)
    try:
        info = dict(conn.execute("SELECT key, value FROM archive_info").fetchall())
        result = VerifyResult(start_seq=int(info["first_seq"]))
        cur = conn.execute(
            "SELECT seq, at_ns, source, type, key, console, body, prev, hash FROM journal ORDER BY seq"
        )
        verify_rows(cur, str(info["prev_hash"]), int(info["first_seq"]), result)
        if result.ok and (result.head_seq != int(info["last_seq"]) or result.head_hash != info["last_hash"]):
            result.broken = Break(result.head_seq, "archive_incomplete")
        return result
    finally:
        conn.close()


def archive(
    engine: Engine,
    before_ns: int,
    out: Path,
    *,
    now_ns: int | None = None,
    force_younger: bool = False,
    source_name: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> ArchiveResult | None:
    """Move the journal prefix older than ``before_ns`` into ``out``. None if there is nothing."""
    now_ns = time.time_ns() if now_ns is None else now_ns
    if now_ns - before_ns < RETENTION_DAYS * _NS_PER_DAY and not force_younger:
        raise ArchiveRefused(
            f"refusing to archive records younger than {RETENTION_DAYS} days: GB 50440 asks that alarm"
            " records be kept at least one year (use --force-younger to override)"
        )
    out = out.resolve()
    if out.exists():
        raise ArchiveRefused(f"{out} already exists; choose a new file name")
    try:
        prev_hash, start = chain_start(engine)
        span = plan(engine, before_ns)
        if span is None:
            return None
        first, last = span
        if first != start:
            raise ArchiveRefused(
                f"live journal starts at seq {first}, expected {start}: run `audit verify` first"
            )
        rows = _copy(engine, first, last, prev_hash, out, source_name, progress)
    except (DBAPIError, OSError) as exc:
        raise classify(exc) from exc
    check = verify_archive_file(out)
    if not check.ok or check.records != rows:
        raise JournalError(
            "corrupt", f"archive {out} did not verify ({check.broken}); live journal untouched"
        )
    digest = file_sha256(out)
    result = ArchiveResult(first, last, rows, prev_hash, check.head_hash, out, digest)
    try:
        _mark_and_remove(engine, result, now_ns)
    except (DBAPIError, OSError) as exc:
        raise classify(exc) from exc
    return result


def _copy(
    engine: Engine,
    first: int,
    last: int,
    prev_hash: str,
    out: Path,
    source_name: str,
    progress: Callable[[int, int], None] | None,
) -> int:
    out.parent.mkdir(parents=True, exist_ok=True)
    dst = sqlite3.connect(out, isolation_level=None)
    total = last - first + 1
    n = 0
    last_hash = prev_hash
    try:
        dst.execute("PRAGMA synchronous=FULL")
        dst.execute("BEGIN")
        for ddl in _ARCHIVE_DDL:
            dst.execute(ddl)
        stmt = (
            select(*[_J.c[c] for c in schema.JOURNAL_COLUMNS])
            .where(_J.c.seq.between(first, last))
            .order_by(_J.c.seq)
        )
        insert = f"INSERT INTO journal ({', '.join(schema.JOURNAL_COLUMNS)}) VALUES ({', '.join('?' * 9)})"
        with engine.connect() as conn:
            result = conn.execution_options(yield_per=_BATCH).execute(stmt)
            for part in result.partitions():
                batch = [(*r[:6], bytes(r[6]), r[7], r[8]) for r in part]
                dst.executemany(insert, batch)
                n += len(batch)
                last_hash = batch[-1][8]
                if progress is not None:
                    progress(n, total)
        info = {
            "first_seq": str(first),
            "last_seq": str(last),
            "prev_hash": prev_hash,
            "last_hash": last_hash,
            "rows": str(n),
            "source": source_name,
            "created_ns": str(time.time_ns()),
            "format": "guardian-journal-archive/1",
        }
        dst.executemany("INSERT INTO archive_info VALUES (?, ?)", list(info.items()))
        dst.execute("COMMIT")
    except BaseException:
        dst.close()
        out.unlink(missing_ok=True)
        raise
    dst.close()
    return n


def _mark_and_remove(engine: Engine, a: ArchiveResult, now_ns: int) -> None:
    """The dedicated delete path: re-check under the write lock, write the mark, remove the rows."""
    with writer(engine) as conn, conn.begin():
        lock_for_append(conn)
        live_last = conn.execute(select(_J.c.hash).where(_J.c.seq == a.last_seq)).scalar()
        n = conn.execute(
            select(func.count()).select_from(_J).where(_J.c.seq.between(a.first_seq, a.last_seq))
        ).scalar()
        if live_last != a.last_hash or n != a.rows:
            raise JournalError("corrupt", "live journal changed while archiving; nothing removed")
        conn.execute(
            _M.insert().values(
                first_seq=a.first_seq,
                last_seq=a.last_seq,
                prev_hash=a.prev_hash,
                last_hash=a.last_hash,
                rows=a.rows,
                file_name=str(a.file),
                file_sha256=a.sha256,
                created_ns=now_ns,
            )
        )
        conn.execute(
            text("DELETE FROM journal WHERE seq BETWEEN :a AND :b"), {"a": a.first_seq, "b": a.last_seq}
        )
