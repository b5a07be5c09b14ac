"""Rejected bus payloads, kept with their reason so they can be counted on screen and inspected."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, NamedTuple

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import DBAPIError

from console.io.store import schema
from console.io.store.bulk import insert_rows
from console.io.store.errors import classify

HEAD_BYTES: Final = 512
_Q = schema.quarantine


class QuarantineRow(NamedTuple):
    id: int
    at_ns: int
    topic: str
    reason: str
    detail: str
    head: bytes


def add_quarantine(engine: Engine, rows: Sequence[tuple[int, str, str, str, bytes]]) -> None:
    """Store (at_ns, topic, reason, detail, head_bytes) rows; head is cut to 512 bytes."""
    clean = [
        (int(at), str(topic), str(reason), str(detail), bytes(head[:HEAD_BYTES]))
        for at, topic, reason, detail, head in rows
    ]
    try:
        with engine.begin() as conn:
            insert_rows(conn, _Q, ("at_ns", "topic", "reason", "detail", "head"), clean)
    except (DBAPIError, OSError) as exc:
        raise classify(exc) from exc


def quarantine_counts(engine: Engine) -> dict[str, int]:
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(_Q.c.reason, func.count()).group_by(_Q.c.reason)).all()
    except (DBAPIError, OSError) as exc:
        raise classify(exc) from exc
    return {str(r): int(n) for r, n in rows}


def recent_quarantine(engine: Engine, limit: int = 100) -> list[QuarantineRow]:
    stmt = select(_Q).order_by(_Q.c.id.desc()).limit(limit)
    try:
        with engine.connect() as conn:
            rows = conn.execute(stmt).all()
    except (DBAPIError, OSError) as exc:
        raise classify(exc) from exc
    return [QuarantineRow(int(r[0]), int(r[1]), r[2], r[3], r[4], bytes(r[5])) for r in rows]
