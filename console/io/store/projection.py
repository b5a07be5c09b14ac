"""Projection snapshots: what the engine currently believes, for reports and a quick start-up.

Generic on purpose: a few indexed columns plus the whole row as JSON, replaced wholesale in one
transaction. The journal, not this, is the truth; this can always be recomputed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec
from sqlalchemy import Engine, Table, delete, select
from sqlalchemy.exc import DBAPIError

from console.io.store import schema
from console.io.store.bulk import insert_rows
from console.io.store.errors import classify

_ROW_COLS = ("id", "household", "kind", "state", "opened_ns", "version", "body")
_CHECK_COLS = ("incident", "step", "state", "at_ns", "body")
_NOTE_COLS = ("req", "incident", "channel", "role", "status", "at_ns", "body")
_enc = msgspec.json.Encoder(order="sorted")


def _json(d: Mapping[str, Any]) -> str:
    return _enc.encode(d).decode()


def _s(d: Mapping[str, Any], k: str) -> str:
    v = d.get(k)
    return "" if v is None else str(v)


def _i(d: Mapping[str, Any], k: str) -> int:
    v = d.get(k)
    return int(v) if isinstance(v, int | float) else 0


def _rows(items: Sequence[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
    out = []
    for d in items:
        if "id" not in d:
            raise ValueError(f"projection row without 'id': {sorted(d)[:8]}")
        out.append(
            (
                str(d["id"]),
                _s(d, "household"),
                _s(d, "kind"),
                _s(d, "state"),
                _i(d, "opened_ns"),
                _i(d, "version"),
                _json(d),
            )
        )
    return out


def write_projection(
    engine: Engine,
    incidents: Sequence[Mapping[str, Any]],
    tickets: Sequence[Mapping[str, Any]],
    *,
    checklist: Sequence[Mapping[str, Any]] | None = None,
    notifications: Sequence[Mapping[str, Any]] | None = None,
) -> None:
    """Replace the snapshot. ``checklist`` / ``notifications`` are left as they were when None."""
    work: list[tuple[Table, tuple[str, ...], list[tuple[Any, ...]]]] = [
        (schema.incidents, _ROW_COLS, _rows(incidents)),
        (schema.tickets, _ROW_COLS, _rows(tickets)),
    ]
    if checklist is not None:
        rows: list[tuple[Any, ...]] = [
            (_s(d, "incident"), _s(d, "step"), _s(d, "state"), _i(d, "at_ns"), _json(d)) for d in checklist
        ]
        work.append((schema.checklist_progress, _CHECK_COLS, rows))
    if notifications is not None:
        rows = [
            (
                _s(d, "req"),
                _s(d, "incident"),
                _s(d, "channel"),
                _s(d, "role"),
                _s(d, "status"),
                _i(d, "at_ns"),
                _json(d),
            )
            for d in notifications
        ]
        work.append((schema.notifications, _NOTE_COLS, rows))
    try:
        with engine.begin() as conn:
            for table, cols, rows in work:
                conn.execute(delete(table))
                insert_rows(conn, table, cols, rows)
    except (DBAPIError, OSError) as exc:
        raise classify(exc) from exc


def read_projection(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """{"incidents": [...], "tickets": [...], "checklist": [...], "notifications": [...]}."""
    tables = {
        "incidents": (schema.incidents, schema.incidents.c.id),
        "tickets": (schema.tickets, schema.tickets.c.id),
        "checklist": (schema.checklist_progress, schema.checklist_progress.c.incident),
        "notifications": (schema.notifications, schema.notifications.c.req),
    }
    out: dict[str, list[dict[str, Any]]] = {}
    try:
        with engine.connect() as conn:
            for name, (table, order) in tables.items():
                bodies = conn.execute(select(table.c.body).order_by(order)).scalars()
                out[name] = [msgspec.json.decode(b) for b in bodies]
    except (DBAPIError, OSError) as exc:
        raise classify(exc) from exc
    return out
