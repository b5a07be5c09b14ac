"""The journal: append-only, hash-chained, gapless, durable on return from ``append``.

Every append takes the database's write lock first (SQLite ``BEGIN IMMEDIATE``, PostgreSQL an
advisory transaction lock), then reads the chain head *inside* that transaction and seals the
new rows after it. So several writers (threads, processes, workstations sharing PostgreSQL)
still make one gapless chain. There is deliberately no update or delete here; archiving is
the one path that removes rows (console/io/store/archive.py) and it leaves a mark verify follows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Final, NamedTuple

from sqlalchemy import Connection, Engine, func, select, text
from sqlalchemy.exc import SQLAlchemyError

from console.domain.chain import GENESIS, Record, seal
from console.io.store import schema
from console.io.store.db import BEGIN_OPTION
from console.io.store.errors import classify

JOURNAL_LOCK: Final = 0x6A6F75726E616C  # advisory-lock key for appends on PostgreSQL
_KEYS_CHUNK: Final = 500
# what a store call can fail with; each is turned into the port's JournalError (errors.classify)
STORE_FAILURES: Final = (SQLAlchemyError, OSError, sqlite3.Error)
_J = schema.journal
_COLS = [_J.c[name] for name in schema.JOURNAL_COLUMNS]
_SQLITE_READ: Final = f"SELECT {', '.join(schema.JOURNAL_COLUMNS)} FROM journal WHERE seq >= ?"
_SQLITE_ROWS: Final = "SELECT seq, at_ns, type, body FROM journal WHERE seq >= ?"
_SQLITE_HEAD: Final = "SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1"
_SQLITE_MARK: Final = "SELECT last_seq, last_hash FROM archive_marks ORDER BY last_seq DESC LIMIT 1"
_SQLITE_INSERT: Final = (
    f"INSERT INTO journal ({', '.join(schema.JOURNAL_COLUMNS)}) VALUES ({', '.join('?' * 9)})"
)


class JournalRow(NamedTuple):
    """A journal record as replay reads it (console.app.replay.Row)."""

    seq: int
    at: int
    type: str
    body: bytes


def sqlite_rows(engine: Engine, sql: str, params: Sequence[Any]) -> Iterator[Any]:
    """Rows of a SELECT straight off a pooled SQLite DBAPI cursor, 2,000 at a time: for reads of
    every record, where SQLAlchemy's per-row processing costs more than the read."""
    try:
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            try:
                cur.execute(sql, params)
                while rows := cur.fetchmany(2000):
                    yield from rows
            finally:
                cur.close()
        finally:
            raw.close()
    except STORE_FAILURES as exc:
        raise classify(exc) from exc


def _record(row: Sequence[Any]) -> Record:
    seq, at, source, type_, key, console, body, prev, hash_ = row
    return Record(
        seq=seq,
        at=at,
        source=source,
        type=type_,
        key=key,
        console=console,
        body=bytes(body),
        prev=prev,
        hash=hash_,
    )


def head(conn: Connection) -> tuple[int, str]:
    """(seq, hash) of the chain head: the last row, else the last archive mark, else genesis."""
    row = conn.execute(select(_J.c.seq, _J.c.hash).order_by(_J.c.seq.desc()).limit(1)).first()
    if row is not None:
        return int(row[0]), str(row[1])
    m = schema.archive_marks
    mark = conn.execute(select(m.c.last_seq, m.c.last_hash).order_by(m.c.last_seq.desc()).limit(1)).first()
    if mark is not None:
        return int(mark[0]), str(mark[1])
    return 0, GENESIS


def _seal_all(
    start: tuple[int, str], items: Sequence[tuple[int, str, str, str, bytes]], console: str
) -> list[Record]:
    seq, prev = start
    records: list[Record] = []
    for at, source, type_, key, body in items:
        seq += 1
        r = seal(prev, seq, at, source, type_, key, console, body)
        records.append(r)
        prev = r.hash
    return records


def lock_for_append(conn: Connection) -> None:
    """Inside a transaction begun with BEGIN IMMEDIATE (SQLite) this is a no-op; on PostgreSQL it
    serialises appenders until commit."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": JOURNAL_LOCK})


def writer(engine: Engine) -> Connection:
    """A connection whose transactions take the write lock up front."""
    return engine.connect().execution_options(**{BEGIN_OPTION: "IMMEDIATE"})


def _check(items: Sequence[tuple[int, str, str, str, bytes]], console: str) -> None:
    if not isinstance(console, str):
        raise ValueError(f"journal append: console must be str, got {type(console).__name__}")
    for i, item in enumerate(items):
        if len(item) != 5:
            raise ValueError(
                f"journal item {i}: expected (at, source, type, key, body), got {len(item)} fields"
            )
        at, source, type_, key, body = item
        if not isinstance(at, int) or isinstance(at, bool):
            raise ValueError(f"journal item {i}: at must be int ns, got {type(at).__name__}")
        for name, value in (("source", source), ("type", type_), ("key", key)):
            if not isinstance(value, str):
                raise ValueError(f"journal item {i}: {name} must be str, got {type(value).__name__}")
        if not isinstance(body, bytes):
            raise ValueError(f"journal item {i}: body must be bytes, got {type(body).__name__}")


class SqlJournal:
    """console.app.ports.Journal over SQLAlchemy (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._sqlite = engine.dialect.name == "sqlite"

    @property
    def engine(self) -> Engine:
        return self._engine

    def append(self, items: Sequence[tuple[int, str, str, str, bytes]], console: str) -> list[Record]:
        """Seal and store ``items`` in one transaction (group commit); durable on return."""
        if not items:
            return []
        _check(items, console)
        try:
            if self._sqlite:
                return self._append_sqlite(items, console)
            with writer(self._engine) as conn, conn.begin():
                lock_for_append(conn)
                records = _seal_all(head(conn), items, console)
                self._insert(conn, records)
        except STORE_FAILURES as exc:
            raise classify(exc) from exc
        return records

    def _append_sqlite(self, items: Sequence[tuple[int, str, str, str, bytes]], console: str) -> list[Record]:
        """The hot path on SQLite, straight on the DBAPI connection (SQLAlchemy's per-statement
        overhead was most of the cost of a one-row commit)."""
        raw = self._engine.raw_connection()
        ok = False
        try:
            cur = raw.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                row = cur.execute(_SQLITE_HEAD).fetchone() or cur.execute(_SQLITE_MARK).fetchone()
                start = (int(row[0]), str(row[1])) if row else (0, GENESIS)
                records = _seal_all(start, items, console)
                cur.executemany(
                    _SQLITE_INSERT,
                    [
                        (r.seq, r.at, r.source, r.type, r.key, r.console, r.body, r.prev, r.hash)
                        for r in records
                    ],
                )
                cur.execute("COMMIT")
                ok = True
            finally:
                if not ok:
                    try:
                        cur.execute("ROLLBACK")
                    except sqlite3.Error:
                        pass
                cur.close()
        finally:
            if ok:
                raw.close()  # back to the pool
            else:
                raw.invalidate()  # a failed connection is not reused
        return records

    def _insert(self, conn: Connection, records: list[Record]) -> None:
        conn.execute(
            _J.insert(),
            [
                {
                    "seq": r.seq,
                    "at_ns": r.at,
                    "source": r.source,
                    "type": r.type,
                    "key": r.key,
                    "console": r.console,
                    "body": r.body,
                    "prev": r.prev,
                    "hash": r.hash,
                }
                for r in records
            ],
        )

    def _stream(self, stmt: Any) -> Iterator[Record]:
        try:
            with self._engine.connect() as conn:
                result = conn.execution_options(yield_per=2000).execute(stmt)
                for row in result:
                    yield _record(row)
        except STORE_FAILURES as exc:
            raise classify(exc) from exc

    def read(self, from_seq: int = 1, to_seq: int | None = None) -> Iterator[Record]:
        """Records with from_seq <= seq (<= to_seq), in order, streamed."""
        if self._engine.dialect.name == "sqlite":
            return self._read_sqlite(from_seq, to_seq)
        stmt = select(*_COLS).where(_J.c.seq >= from_seq)
        if to_seq is not None:
            stmt = stmt.where(_J.c.seq <= to_seq)
        return self._stream(stmt.order_by(_J.c.seq))

    def _read_sqlite(self, from_seq: int, to_seq: int | None) -> Iterator[Record]:
        """``read`` straight off the DBAPI cursor: replay and recovery read every record, and
        SQLAlchemy's row processing was a third of a replay's time per record."""
        for row in self._sqlite_range(_SQLITE_READ, from_seq, to_seq):
            yield _record(row)

    def read_rows(self, from_seq: int = 1, to_seq: int | None = None) -> Iterator[JournalRow]:
        """Like ``read`` but only (seq, at, type, body): what a replay needs. On SQLite it leaves
        the hash chain's two 64-character strings and the other text columns unread."""
        if self._engine.dialect.name != "sqlite":
            for r in self.read(from_seq, to_seq):
                yield JournalRow(r.seq, r.at, r.type, r.body)
            return
        for seq, at, type_, body in self._sqlite_range(_SQLITE_ROWS, from_seq, to_seq):
            yield JournalRow(seq, at, type_, bytes(body))

    def _sqlite_range(self, select_sql: str, from_seq: int, to_seq: int | None) -> Iterator[Any]:
        if to_seq is None:
            yield from sqlite_rows(self._engine, select_sql + " ORDER BY seq", (from_seq,))
        else:
            yield from sqlite_rows(
                self._engine, select_sql + " AND seq <= ? ORDER BY seq", (from_seq, to_seq)
            )

    def read_time(self, from_ns: int, to_ns: int) -> Iterator[Record]:
        """Records accepted in [from_ns, to_ns), in seq order."""
        stmt = select(*_COLS).where(_J.c.at_ns >= from_ns, _J.c.at_ns < to_ns).order_by(_J.c.seq)
        return self._stream(stmt)

    def get(self, seq: int) -> Record | None:
        return next(self.read(seq, seq), None)

    def last(self) -> Record | None:
        return next(self._stream(select(*_COLS).order_by(_J.c.seq.desc()).limit(1)), None)

    def first_seq(self) -> int | None:
        v = self._scalar(select(func.min(_J.c.seq)))
        return None if v is None else int(v)

    def count(self) -> int:
        return self._scalar(select(func.count()).select_from(_J)) or 0

    def count_time(self, from_ns: int, to_ns: int) -> int:
        stmt = select(func.count()).select_from(_J).where(_J.c.at_ns >= from_ns, _J.c.at_ns < to_ns)
        return self._scalar(stmt) or 0

    def _scalar(self, stmt: Any) -> Any:
        try:
            with self._engine.connect() as conn:
                return conn.execute(stmt).scalar()
        except STORE_FAILURES as exc:
            raise classify(exc) from exc

    def keys_present(self, keys: Iterable[str], type_: str = "dev") -> set[str]:
        """Which of ``keys`` (of journal type ``type_``) are already journaled: dedupe across restarts."""
        wanted = list(dict.fromkeys(keys))
        found: set[str] = set()
        try:
            with self._engine.connect() as conn:
                for i in range(0, len(wanted), _KEYS_CHUNK):
                    chunk = wanted[i : i + _KEYS_CHUNK]
                    stmt = select(_J.c.key).where(_J.c.key.in_(chunk), _J.c.type == type_).distinct()
                    found.update(conn.execute(stmt).scalars())
        except STORE_FAILURES as exc:
            raise classify(exc) from exc
        return found

    def close(self) -> None:
        try:
            self._engine.dispose()
        except SQLAlchemyError:  # closing must not raise on a broken store
            pass
