"""The bridge's durable outbox: SQLite (WAL, synchronous=FULL) in its data dir, on a GroupWriter.

A push is answered 200 only once what it means is committed here: the bus events it became
(``events``, in arrival order, each under its dedupe key) or the reason it was quarantined
(``quarantine``). An event leaves only once the broker acknowledged it (``published_ns``), so a
crash anywhere between the platform's push and the broker's PUBACK publishes it after the
restart; a platform's retry of a push already stored finds its keys and adds nothing. The
devices in alarm (``alarms``: products that report no restore, only their normal status, need
it, console/bridge/products.py) are kept in the same transaction as the events that change it,
and so are the ids each platform device was seen with (``aliases``: CTWing's and IoTDA's
online/offline notices name only the platform's device id, the register knows the IMEI).
Published events are kept ``keep_published_s`` (their keys deduplicate a late retry), then
pruned.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from console.io.group_writer import GroupWriter

SCHEMA = """
CREATE TABLE IF NOT EXISTS events(
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    evt TEXT NOT NULL,
    received_ns INTEGER NOT NULL,
    published_ns INTEGER
);
CREATE INDEX IF NOT EXISTS events_waiting ON events(seq) WHERE published_ns IS NULL;
CREATE INDEX IF NOT EXISTS events_published ON events(published_ns) WHERE published_ns IS NOT NULL;
CREATE TABLE IF NOT EXISTS quarantine(
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ns INTEGER NOT NULL,
    platform TEXT NOT NULL,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL,
    head BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS aliases(
    platform TEXT NOT NULL,
    device_id TEXT NOT NULL,
    ids TEXT NOT NULL,  -- JSON: every id the platform gave for it (imei, imsi ...)
    PRIMARY KEY(platform, device_id)
);
CREATE TABLE IF NOT EXISTS alarms(
    dev TEXT NOT NULL,
    kind TEXT NOT NULL,
    PRIMARY KEY(dev, kind)
);
"""
HEAD = 4096  # bytes of a quarantined body kept
T = TypeVar("T")


@dataclass(frozen=True)
class Row:
    key: str
    topic: str
    payload: bytes
    evt: str
    received_ns: int


@dataclass(frozen=True)
class Waiting:
    seq: int
    topic: str
    payload: bytes


@dataclass(frozen=True)
class Stored:
    new: list[tuple[int, int]]  # (index in the rows given, seq) of each event added, in order
    duplicates: int  # events whose key was there already (a platform's retry)


class BridgeOutbox(GroupWriter):
    def __init__(self, path: Path) -> None:
        super().__init__(path, SCHEMA, "bridge-outbox")
        self.loop: asyncio.AbstractEventLoop | None = None  # the service's: its operations resolve there

    def _op(self, fn: Callable[[sqlite3.Connection], T]) -> Awaitable[T]:
        """The service's hot path (store, read the waiting rows, mark published): an asyncio
        future on its loop (one wake-up per batch), else a plain Future wrapped."""
        if self.loop is not None:
            return self.submit_async(fn, self.loop)
        return asyncio.wrap_future(self.submit(fn))

    def store(
        self,
        rows: list[Row],
        quarantined: list[tuple[int, str, str, str, bytes]],
        alarms_on: list[tuple[str, str]],
        alarms_off: list[tuple[str, str]],
        aliases: list[tuple[str, str, str]] | None = None,
    ) -> Awaitable[Stored]:
        """One push: its events, its quarantine rows (at_ns, platform, reason, detail, body) and
        the alarm states it changes, in one transaction."""

        def op(db: sqlite3.Connection) -> Stored:
            new: list[tuple[int, int]] = []
            for i, r in enumerate(rows):
                cur = db.execute(
                    "INSERT OR IGNORE INTO events(key, topic, payload, evt, received_ns) VALUES (?, ?, ?, ?, ?)",
                    (r.key, r.topic, r.payload, r.evt, r.received_ns),
                )
                if cur.rowcount == 1 and cur.lastrowid is not None:
                    new.append((i, cur.lastrowid))
            for at, platform, reason, detail, body in quarantined:
                db.execute(
                    "INSERT INTO quarantine(at_ns, platform, reason, detail, head) VALUES (?, ?, ?, ?, ?)",
                    (at, platform, reason, detail[:512], body[:HEAD]),
                )
            # (most pushes change none of these: no statement at all then)
            if alarms_on:
                db.executemany("INSERT OR IGNORE INTO alarms(dev, kind) VALUES (?, ?)", alarms_on)
            if alarms_off:
                db.executemany("DELETE FROM alarms WHERE dev = ? AND kind = ?", alarms_off)
            if aliases:
                db.executemany(
                    "INSERT OR REPLACE INTO aliases(platform, device_id, ids) VALUES (?, ?, ?)", aliases
                )
            return Stored(new, len(rows) - len(new))

        return self._op(op)

    def waiting(self, after_seq: int, limit: int) -> Awaitable[list[Waiting]]:
        """Events not yet acknowledged by the broker, oldest first, after ``after_seq``."""

        def op(db: sqlite3.Connection) -> list[Waiting]:
            cur = db.execute(
                "SELECT seq, topic, payload FROM events WHERE published_ns IS NULL AND seq > ? ORDER BY seq LIMIT ?",
                (after_seq, limit),
            )
            return [Waiting(seq, topic, bytes(payload)) for seq, topic, payload in cur]

        return self._op(op)

    def published(self, seqs: list[int], at_ns: int) -> Awaitable[None]:
        def op(db: sqlite3.Connection) -> None:
            db.executemany("UPDATE events SET published_ns = ? WHERE seq = ?", [(at_ns, s) for s in seqs])

        return self._op(op)

    def depth(self) -> Awaitable[int]:
        """Events waiting for the broker."""

        def op(db: sqlite3.Connection) -> int:
            return int(db.execute("SELECT count(*) FROM events WHERE published_ns IS NULL").fetchone()[0])

        return self._op(op)

    def alarms(self) -> Awaitable[set[tuple[str, str]]]:
        def op(db: sqlite3.Connection) -> set[tuple[str, str]]:
            return {(d, k) for d, k in db.execute("SELECT dev, kind FROM alarms")}

        return self._op(op)

    def aliases(self) -> Awaitable[dict[tuple[str, str], str]]:
        def op(db: sqlite3.Connection) -> dict[tuple[str, str], str]:
            return {(p, d): ids for p, d, ids in db.execute("SELECT platform, device_id, ids FROM aliases")}

        return self._op(op)

    def prune(self, before_ns: int) -> Awaitable[int]:
        """Forget published events older than ``before_ns`` (their keys no longer deduplicate)."""

        def op(db: sqlite3.Connection) -> int:
            cur = db.execute(
                "DELETE FROM events WHERE published_ns IS NOT NULL AND published_ns < ?", (before_ns,)
            )
            return cur.rowcount

        return self._op(op)

    def quarantined(self) -> Future[list[tuple[str, str, str, bytes]]]:
        """(platform, reason, detail, head) of every quarantined push, oldest first."""

        def op(db: sqlite3.Connection) -> list[tuple[str, str, str, bytes]]:
            cur = db.execute("SELECT platform, reason, detail, head FROM quarantine ORDER BY id")
            return [(p, r, d, bytes(h)) for p, r, d, h in cur]

        return self.submit(op)
