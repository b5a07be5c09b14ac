"""Saved folds of the journal (the KPI fold), trusted only when the journal agrees with them.

Like engine checkpoints (checkpoints.py), a fold checkpoint names the journal record it has
folded up to by (seq, hash): on load the journal is asked for that record and a checkpoint it
does not confirm is skipped and logged. A checkpoint also says which fold layout
(``fold_version``) and which register (``register_version``) made it; loads ask for theirs only.
``max_at`` is the largest record time folded, so a computation "as known at ``now``" only uses
checkpoints with ``max_at <= now`` (all they folded is within ``now``).

Retention, per name, decided on each save (see ``to_keep``): the newest 3; the newest of each
China-time day (by ``max_at``) for 35 days back from the newest, so a daily or monthly report of
the last month starts close to its moment; the newest of each month for 13 months. Checkpoints
of another fold version or register are deleted on save: this build never trusts them.

Saves are one short write transaction (the blob is made before it): on SQLite the journal's
writer waits at most that long for the lock.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from typing import Final, NamedTuple

from sqlalchemy import Engine, delete, func, inspect, or_, select, text
from sqlalchemy.exc import DBAPIError

from console.app.kpi_defs import DAY_NS, cst_date
from console.io.store import schema
from console.io.store.db import BEGIN_OPTION
from console.io.store.errors import classify
from console.io.store.journal_checkpoints import journal_hash

log = logging.getLogger(__name__)
KEEP_NEWEST: Final = 3
KEEP_DAYS: Final = 35
KEEP_MONTHS: Final = 13
SAVE_LOCK: Final = 0x666F6C64  # "fold": advisory-lock key serialising saves on PostgreSQL
_F = schema.fold_checkpoints


class FoldCheckpoint(NamedTuple):
    id: int
    seq: int
    hash: str
    max_at: int
    records: int
    saved_ns: int
    blob: bytes


class FoldCheckpointInfo(NamedTuple):
    id: int
    name: str
    seq: int
    max_at: int
    fold_version: str
    register_version: str
    saved_ns: int
    size: int


def to_keep(rows: Sequence[tuple[int, int, int]]) -> set[int]:
    """Ids to keep among one name's checkpoints, given as (id, seq, max_at), newest seq first."""
    if not rows:
        return set()
    newest_at = max(at for _, _, at in rows)
    keep = {id_ for id_, _, _ in rows[:KEEP_NEWEST]}
    days: set[str] = set()
    months: set[str] = set()
    for id_, _, at in rows:
        day = cst_date(at)
        if day not in days:
            days.add(day)
            if newest_at - at <= KEEP_DAYS * DAY_NS:
                keep.add(id_)
        if day[:7] not in months:
            months.add(day[:7])
            if newest_at - at <= KEEP_MONTHS * 31 * DAY_NS:
                keep.add(id_)
    return keep


def save_fold_checkpoint(
    engine: Engine,
    name: str,
    *,
    seq: int,
    hash_: str,
    max_at: int,
    records: int,
    fold_version: str,
    register_version: str,
    blob: bytes,
    keep_newest: int | None = None,
) -> None:
    """Store a checkpoint of fold ``name`` at journal record ``seq`` (whose hash must be
    ``hash_``), then apply the retention (``keep_newest``: only that many newest, for folds
    nobody asks about a past moment, like the engine's). ValueError if the journal disagrees;
    JournalError on store failures."""
    if not isinstance(blob, bytes):
        raise ValueError(f"fold checkpoint blob must be bytes, got {type(blob).__name__}")
    try:
        with engine.connect().execution_options(**{BEGIN_OPTION: "IMMEDIATE"}) as conn, conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SAVE_LOCK})
            actual = journal_hash(conn, seq)
            if actual != hash_:
                raise ValueError(f"fold checkpoint at seq {seq}: journal has hash {actual}, not {hash_}")
            stale = or_(
                _F.c.seq == seq, _F.c.fold_version != fold_version, _F.c.register_version != register_version
            )
            conn.execute(delete(_F).where(_F.c.name == name, stale))
            conn.execute(
                _F.insert().values(
                    name=name,
                    seq=seq,
                    hash=hash_,
                    max_at=max_at,
                    records=records,
                    fold_version=fold_version,
                    register_version=register_version,
                    saved_ns=time.time_ns(),
                    blob=blob,
                )
            )
            rows = conn.execute(
                select(_F.c.id, _F.c.seq, _F.c.max_at).where(_F.c.name == name).order_by(_F.c.seq.desc())
            ).all()
            if keep_newest is not None:
                keep = {int(i) for i, _, _ in rows[:keep_newest]}
            else:
                keep = to_keep([(int(i), int(s), int(a)) for i, s, a in rows])
            drop = [int(i) for i, _, _ in rows if i not in keep]
            if drop:
                conn.execute(delete(_F).where(_F.c.id.in_(drop)))
    except (DBAPIError, OSError) as exc:
        raise classify(exc) from exc


def _has_table(engine: Engine) -> bool:
    """False on a store opened read-only below revision 0003 (it has no checkpoints)."""
    try:
        return inspect(engine).has_table(_F.name)
    except (DBAPIError, OSError) as exc:
        raise classify(exc) from exc


def fold_checkpoints(
    engine: Engine, name: str, *, fold_version: str, register_version: str, max_at: int
) -> Iterator[FoldCheckpoint]:
    """Usable checkpoints of fold ``name``, newest first: this fold version and register,
    ``max_at`` at or before the given one, and (seq, hash) confirmed by the journal. The journal
    disagreeing is logged and the checkpoint skipped. Blobs are read one at a time, as asked for."""
    if not _has_table(engine):
        return
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(_F.c.id, _F.c.seq, _F.c.hash, _F.c.max_at, _F.c.records, _F.c.saved_ns)
                .where(
                    _F.c.name == name,
                    _F.c.fold_version == fold_version,
                    _F.c.register_version == register_version,
                    _F.c.max_at <= max_at,
                )
                .order_by(_F.c.seq.desc())
            ).all()
    except (DBAPIError, OSError) as exc:
        raise classify(exc) from exc
    for id_, seq, hash_, at, records, saved_ns in rows:
        try:
            with engine.connect() as conn:
                actual = journal_hash(conn, seq)
                blob = None
                if actual == hash_:
                    blob = conn.execute(select(_F.c.blob).where(_F.c.id == id_)).scalar()
        except (DBAPIError, OSError) as exc:
            raise classify(exc) from exc
        if actual != hash_:
            log.warning(
                "ignoring %s checkpoint at seq %d: journal %s (checkpoint says %s)",
                name,
                seq,
                "has no such record" if actual is None else f"hash is {actual}",
                hash_,
            )
            continue
        if blob is None:  # pruned by another saver meanwhile
            continue
        yield FoldCheckpoint(
            int(id_), int(seq), str(hash_), int(at), int(records), int(saved_ns), bytes(blob)
        )


def list_fold_checkpoints(engine: Engine, name: str | None = None) -> list[FoldCheckpointInfo]:
    """What is stored (no blobs), newest first: for tools, benches and tests."""
    if not _has_table(engine):
        return []
    stmt = select(
        _F.c.id,
        _F.c.name,
        _F.c.seq,
        _F.c.max_at,
        _F.c.fold_version,
        _F.c.register_version,
        _F.c.saved_ns,
        func.length(_F.c.blob),
    ).order_by(_F.c.name, _F.c.seq.desc())
    if name is not None:
        stmt = stmt.where(_F.c.name == name)
    try:
        with engine.connect() as conn:
            return [FoldCheckpointInfo(*row) for row in conn.execute(stmt).all()]
    except (DBAPIError, OSError) as exc:
        raise classify(exc) from exc
