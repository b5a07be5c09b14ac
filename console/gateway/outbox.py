"""The gateway's durable outbox: SQLite (WAL, synchronous=FULL) in its data dir.

Why it exists: a provider's send is not idempotent. A request is written here (and only then
acknowledged to the broker) before any provider is called; each attempt is written before the
call and its result after, so after a crash the gateway knows which sends may have gone out
(an attempt with no result: ask the provider first) and never sends again what a provider
accepted. Receipts and replies are written here before they are published and marked once the
broker has acknowledged them, so none is lost to a crash either. The limits
(console/gateway/limits.py) are counted from the attempts kept here, so a restart does not
reset them.

One writer thread owns the connection and commits whatever was submitted meanwhile as one
transaction (group commit, console/io/group_writer.py): a storm of 800 requests costs a handful of fsyncs, not 4,000.
Nothing secret is ever written here: requests, attempts (provider name, its id for the send,
its error code), receipts and replies only.
"""

from __future__ import annotations

import sqlite3
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from console.io.group_writer import GroupWriter

SCHEMA = """
CREATE TABLE IF NOT EXISTS requests(
    req TEXT PRIMARY KEY,
    payload BLOB NOT NULL,
    phone TEXT NOT NULL,
    channel TEXT NOT NULL,
    received_ns INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending'  -- pending | accepted | failed | blocked
);
CREATE INDEX IF NOT EXISTS requests_phone ON requests(phone, received_ns);
CREATE TABLE IF NOT EXISTS attempts(
    req TEXT NOT NULL,
    n INTEGER NOT NULL,
    provider TEXT NOT NULL,
    channel TEXT NOT NULL,
    phone TEXT NOT NULL,
    started_ns INTEGER NOT NULL,
    result TEXT,            -- NULL: no answer recorded yet (a crash in the call); accepted | refused | retry | timeout
    provider_id TEXT NOT NULL DEFAULT '',
    code TEXT NOT NULL DEFAULT '',
    finished_ns INTEGER,
    PRIMARY KEY(req, n)
);
CREATE INDEX IF NOT EXISTS attempts_started ON attempts(started_ns);
CREATE TABLE IF NOT EXISTS receipts(
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    req TEXT NOT NULL,
    status TEXT NOT NULL,
    detail TEXT NOT NULL,
    at TEXT NOT NULL,
    provider TEXT NOT NULL,
    published INTEGER NOT NULL DEFAULT 0,
    UNIQUE(req, status, provider)
);
CREATE TABLE IF NOT EXISTS replies(
    id TEXT PRIMARY KEY,
    payload BLOB NOT NULL,
    published INTEGER NOT NULL DEFAULT 0
);
"""

# results of an attempt that mean "the provider may have counted this send" (for the limits)
COUNTED = ("accepted", "timeout")


@dataclass(frozen=True)
class Attempt:
    req: str
    n: int
    provider: str
    channel: str
    phone: str
    started_ns: int
    result: str | None = None
    provider_id: str = ""
    code: str = ""


@dataclass(frozen=True)
class StoredReceipt:
    seq: int
    req: str
    status: str
    detail: str
    at: str
    provider: str


@dataclass
class StoredRequest:
    req: str
    payload: bytes
    phone: str
    channel: str
    received_ns: int
    state: str
    attempts: list[Attempt] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)  # receipts recorded, oldest first


class Outbox(GroupWriter):
    """The gateway's tables on a GroupWriter (console/io/group_writer.py)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, SCHEMA, "gateway-outbox")

    # --- operations ---------------------------------------------------------------------------

    def add_requests(self, rows: list[tuple[str, bytes, str, str, int]]) -> Future[list[bool]]:
        """(req, payload, phone, channel, received_ns) each; True for each one that is new."""

        def op(db: sqlite3.Connection) -> list[bool]:
            new = []
            for row in rows:
                cur = db.execute(
                    "INSERT OR IGNORE INTO requests(req, payload, phone, channel, received_ns)"
                    " VALUES (?, ?, ?, ?, ?)",
                    row,
                )
                new.append(cur.rowcount == 1)
            return new

        return self.submit(op)

    def set_state(self, req: str, state: str) -> Future[None]:
        def op(db: sqlite3.Connection) -> None:
            db.execute("UPDATE requests SET state = ? WHERE req = ?", (state, req))

        return self.submit(op)

    def start_attempt(self, a: Attempt) -> Future[None]:
        """Before the provider is called: what a crash in the call leaves behind."""

        def op(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT INTO attempts(req, n, provider, channel, phone, started_ns) VALUES (?, ?, ?, ?, ?, ?)",
                (a.req, a.n, a.provider, a.channel, a.phone, a.started_ns),
            )

        return self.submit(op)

    def finish_attempt(
        self, req: str, n: int, result: str, provider_id: str, code: str, finished_ns: int, state: str | None
    ) -> Future[None]:
        def op(db: sqlite3.Connection) -> None:
            db.execute(
                "UPDATE attempts SET result = ?, provider_id = ?, code = ?, finished_ns = ? WHERE req = ? AND n = ?",
                (result, provider_id, code[:200], finished_ns, req, n),
            )
            if state is not None:
                db.execute("UPDATE requests SET state = ? WHERE req = ?", (state, req))

        return self.submit(op)

    def add_receipt(
        self, req: str, status: str, detail: str, at: str, provider: str, state: str | None = None
    ) -> Future[int | None]:
        """The receipt's seq, or None when the same (req, status, provider) is already there."""

        def op(db: sqlite3.Connection) -> int | None:
            cur = db.execute(
                "INSERT OR IGNORE INTO receipts(req, status, detail, at, provider) VALUES (?, ?, ?, ?, ?)",
                (req, status, detail, at, provider),
            )
            if state is not None:
                db.execute("UPDATE requests SET state = ? WHERE req = ?", (state, req))
            return cur.lastrowid if cur.rowcount == 1 else None

        return self.submit(op)

    def mark_receipts_published(self, seqs: list[int]) -> Future[None]:
        def op(db: sqlite3.Connection) -> None:
            db.executemany("UPDATE receipts SET published = 1 WHERE seq = ?", [(s,) for s in seqs])

        return self.submit(op)

    def add_reply(self, reply_id: str, payload: bytes) -> Future[bool]:
        """True when the reply is new (the provider's retry of a callback is not)."""

        def op(db: sqlite3.Connection) -> bool:
            cur = db.execute("INSERT OR IGNORE INTO replies(id, payload) VALUES (?, ?)", (reply_id, payload))
            return cur.rowcount == 1

        return self.submit(op)

    def mark_reply_published(self, reply_id: str) -> Future[None]:
        def op(db: sqlite3.Connection) -> None:
            db.execute("UPDATE replies SET published = 1 WHERE id = ?", (reply_id,))

        return self.submit(op)

    # --- reading (also through the writer: one connection, one order) ---------------------------

    def load(self, since_ns: int) -> Future[dict[str, StoredRequest]]:
        """Every request received since ``since_ns``, with its attempts and receipts' statuses."""

        def op(db: sqlite3.Connection) -> dict[str, StoredRequest]:
            out: dict[str, StoredRequest] = {}
            for req, payload, phone, channel, received, state in db.execute(
                "SELECT req, payload, phone, channel, received_ns, state FROM requests"
                " WHERE received_ns >= ? ORDER BY received_ns",
                (since_ns,),
            ):
                out[req] = StoredRequest(req, bytes(payload), phone, channel, received, state)
            for row in db.execute(
                "SELECT req, n, provider, channel, phone, started_ns, result, provider_id, code"
                " FROM attempts ORDER BY req, n"
            ):
                r = out.get(row[0])
                if r is not None:
                    r.attempts.append(Attempt(*row))
            for req, status in db.execute("SELECT req, status FROM receipts ORDER BY seq"):
                r = out.get(req)
                if r is not None:
                    r.statuses.append(status)
            return out

        return self.submit(op)

    def known(self, req: str) -> Future[bool]:
        def op(db: sqlite3.Connection) -> bool:
            return db.execute("SELECT 1 FROM requests WHERE req = ?", (req,)).fetchone() is not None

        return self.submit(op)

    def counted_sends(self, since_ns: int) -> Future[list[tuple[str, str, str, int]]]:
        """(provider, channel, phone, started_ns) of every send a provider may have counted
        since ``since_ns``: accepted, timed out, or with no result yet."""

        def op(db: sqlite3.Connection) -> list[tuple[str, str, str, int]]:
            return [
                (p, c, ph, int(t))
                for p, c, ph, t in db.execute(
                    "SELECT provider, channel, phone, started_ns FROM attempts WHERE started_ns >= ?"
                    " AND (result IS NULL OR result IN ('accepted', 'timeout')) ORDER BY started_ns",
                    (since_ns,),
                )
            ]

        return self.submit(op)

    def unpublished_receipts(self) -> Future[list[StoredReceipt]]:
        def op(db: sqlite3.Connection) -> list[StoredReceipt]:
            return [
                StoredReceipt(*row)
                for row in db.execute(
                    # not one older than a receipt already out for the same request: the
                    # console takes the latest as the state, and must not be set back
                    "SELECT seq, req, status, detail, at, provider FROM receipts r WHERE published = 0"
                    " AND seq > COALESCE((SELECT MAX(seq) FROM receipts p WHERE p.req = r.req"
                    " AND p.published = 1), 0) ORDER BY seq"
                )
            ]

        return self.submit(op)

    def unpublished_replies(self) -> Future[list[tuple[str, bytes]]]:
        def op(db: sqlite3.Connection) -> list[tuple[str, bytes]]:
            return [
                (i, bytes(p)) for i, p in db.execute("SELECT id, payload FROM replies WHERE published = 0")
            ]

        return self.submit(op)

    def latest_receipt(self, req: str) -> Future[StoredReceipt | None]:
        def op(db: sqlite3.Connection) -> StoredReceipt | None:
            row = db.execute(
                "SELECT seq, req, status, detail, at, provider FROM receipts WHERE req = ? ORDER BY seq DESC LIMIT 1",
                (req,),
            ).fetchone()
            return StoredReceipt(*row) if row else None

        return self.submit(op)

    def dump(self) -> Future[list[tuple[Any, ...]]]:
        """Every row of every table (tests: nothing secret may be in any)."""

        def op(db: sqlite3.Connection) -> list[tuple[Any, ...]]:
            rows: list[tuple[Any, ...]] = []
            for table in ("requests", "attempts", "receipts", "replies"):
                rows.extend(db.execute(f"SELECT * FROM {table}"))  # noqa: S608 (fixed names)
            return rows

        return self.submit(op)
