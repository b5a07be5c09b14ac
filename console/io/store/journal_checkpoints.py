"""Journal checkpoints (the ``checkpoints`` table): a state blob named by the journal record it
summarises, trusted only when the journal agrees; ``audit verify`` also compares the newest
ones with the journal to catch a cut-off tail.

A checkpoint names the journal record it summarises by (seq, hash). On load the journal is
asked for that record: if it is not there or its hash differs, the checkpoint is ignored (and
the reason logged), so a replay from a bad checkpoint can never hide a changed journal.
"""

from __future__ import annotations

import logging
import time
from typing import Final

from sqlalchemy import Connection, Engine, delete, select
from sqlalchemy.exc import DBAPIError

from console.io.store import schema
from console.io.store.errors import classify

log = logging.getLogger(__name__)
KEEP: Final = 3
_C = schema.checkpoints
_J = schema.journal
_M = schema.archive_marks


def journal_hash(conn: Connection, seq: int) -> str | None:
    """The journal's hash of record ``seq`` (for an archived record, only the boundary one its
    archive mark names), or None."""
    h = conn.execute(select(_J.c.hash).where(_J.c.seq == seq)).scalar()
    if h is None:
        h = conn.execute(select(_M.c.last_hash).where(_M.c.last_seq == seq)).scalar()
    return None if h is None else str(h)


def save_checkpoint(engine: Engine, seq: int, hash_: str, blob: bytes) -> None:
    """Store a checkpoint for journal record ``seq``; keeps the newest few."""
    if not isinstance(blob, bytes):
        raise ValueError(f"checkpoint blob must be bytes, got {type(blob).__name__}")
    try:
        with engine.begin() as conn:
            actual = journal_hash(conn, seq)
            if actual != hash_:
                raise ValueError(f"checkpoint at seq {seq}: journal has hash {actual}, not {hash_}")
            conn.execute(delete(_C).where(_C.c.seq == seq))
            conn.execute(_C.insert().values(seq=seq, hash=hash_, saved_ns=time.time_ns(), blob=blob))
            keep = conn.execute(select(_C.c.seq).order_by(_C.c.seq.desc()).limit(KEEP)).scalars().all()
            conn.execute(delete(_C).where(_C.c.seq.not_in(keep)))
    except (DBAPIError, OSError) as exc:
        raise classify(exc) from exc


def latest_checkpoint(engine: Engine) -> tuple[int, str, bytes] | None:
    """The newest checkpoint whose (seq, hash) the journal confirms; others are skipped, logged."""
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(_C.c.seq, _C.c.hash).order_by(_C.c.seq.desc())).all()
            for seq, hash_ in rows:
                actual = journal_hash(conn, seq)
                if actual != hash_:
                    log.warning(
                        "ignoring checkpoint at seq %d: journal %s (checkpoint says %s)",
                        seq,
                        "has no such record" if actual is None else f"hash is {actual}",
                        hash_,
                    )
                    continue
                blob = conn.execute(select(_C.c.blob).where(_C.c.seq == seq)).scalar_one()
                return int(seq), str(hash_), bytes(blob)
    except (DBAPIError, OSError) as exc:
        raise classify(exc) from exc
    return None
