"""``migrate-journal``: an old SQLite journal rewritten into a new file with heartbeats in the
compact form (console/app/compaction.py), verified; the old journal is left as it was.

1. The old journal's chain is verified first: a broken journal is never rewritten (its break
   would be sealed into a new chain and no longer show).
2. The old file is copied with SQLite's online backup API (one moment's journal; the register,
   its versions, the operators, the quarantine come along), as ``NEW.partial``.
3. In the copy, the journal rows and what points at their seqs and hashes (the stored chain
   checkpoints, the engine and KPI fold states) are deleted; archive marks stay, so a journal
   whose oldest months were archived goes on from the same boundary.
4. The old records are folded in order and appended in their new form, 2,000 a transaction;
   at the end a ``SystemNote`` ``migrated`` names the old file, its head seq and hash, and the
   counts, so an auditor can tie the new chain to the old one.
5. The copy is checked (``integrity_check`` and the chain) and only then named ``NEW``.
The old journal's signed anchors witness the old chain only; the console signs the new one as
it runs. PostgreSQL journals are not rewritten by this command (docs/store.md).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, NamedTuple

from console.app.compaction import Item, Old, Rewriter
from console.domain import events as ev
from console.domain.world import World
from console.io.backup import BackupError, Refused, file_exists, name_copy, verify_copy
from console.io.store.db import sqlite_uri
from console.io.store.journal import sqlite_rows

BATCH: Final = 2000
_OLD: Final = "SELECT seq, at_ns, source, type, key, console, body FROM journal WHERE seq >= ? ORDER BY seq"
# what names the old chain's seqs and hashes: not true of the new one
_CLEARED: Final = ("journal", "checkpoints", "fold_checkpoints")


class Appended(NamedTuple):
    """What the rewrite read: the old records, those of heartbeats, those kept undecoded."""

    old_records: int
    old_heartbeat_records: int
    unreadable: int


@dataclass(frozen=True)
class Rewrite:
    path: Path
    old_records: int
    old_heartbeat_records: int
    new_records: int
    old_bytes: int
    new_bytes: int
    head_seq: int
    head_hash: str
    unreadable: int
    seconds: float


def _old_records(engine: Any) -> Iterator[Old]:
    for seq, at, source, type_, key, console, body in sqlite_rows(engine, _OLD, (1,)):
        yield Old(seq, at, source, type_, key, console, bytes(body))


def rewrite_journal(
    source: Path,
    dest: Path,
    make_world: Callable[[Any], World],
    progress: Callable[[int, int], None] | None = None,
) -> Rewrite:
    """Rewrite the SQLite journal ``source`` into the new file ``dest`` (see the module doc).
    ``make_world(store)`` gives the World the old journal folds into (its first register and
    the store's register versions); ``progress(done, total)`` is told as records go."""
    from console.io.store.store import SqlStore
    from console.io.store.verify import verify_engine

    t0 = time.perf_counter()
    if not source.is_file():
        raise Refused(f"no journal at {source}")
    if file_exists(dest):
        raise Refused(f"{dest} exists: migrate-journal writes a new file only")
    if dest.resolve() == source.resolve():
        raise Refused(f"{dest} is the journal itself: the old journal is kept, write a new file")
    old = SqlStore(str(source), readonly=True)
    try:
        checked = verify_engine(old.engine)
        if checked.broken is not None:
            raise BackupError(
                f"{source}: journal chain broken at seq {checked.broken.seq} ({checked.broken.reason}):"
                " not rewritten (audit verify says more)"
            )
        total = old.journal.count()
        old_head = (checked.head_seq, checked.head_hash)
    finally:
        old.close()
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        src = sqlite3.connect(sqlite_uri(source, "ro"), uri=True)
        try:
            dst = sqlite3.connect(partial)
            try:
                src.backup(dst)
                tables = {r[0] for r in dst.execute("SELECT name FROM sqlite_master WHERE type='table'")}
                for t in _CLEARED:
                    if t in tables:
                        dst.execute(f"DELETE FROM {t}")  # noqa: S608 - names from _CLEARED
                dst.commit()
                dst.execute("VACUUM")
            finally:
                dst.close()
        finally:
            src.close()
        result = _append(source, partial, make_world, total, old_head, progress)
        checked_new = verify_copy(partial)
        name_copy(partial, dest)
    except (sqlite3.Error, OSError) as exc:
        raise BackupError(f"rewriting {source} into {dest} failed: {exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
        for side in ("-wal", "-shm"):
            Path(str(partial) + side).unlink(missing_ok=True)
    return Rewrite(
        path=dest,
        old_records=result.old_records,
        old_heartbeat_records=result.old_heartbeat_records,
        new_records=checked_new.records,
        old_bytes=source.stat().st_size,
        new_bytes=dest.stat().st_size,
        head_seq=checked_new.head_seq,
        head_hash=checked_new.head_hash,
        unreadable=result.unreadable,
        seconds=time.perf_counter() - t0,
    )


def _append(
    source: Path,
    partial: Path,
    make_world: Callable[[Any], World],
    total: int,
    old_head: tuple[int, str],
    progress: Callable[[int, int], None] | None,
) -> Appended:
    from console.io.store.store import SqlStore

    old = SqlStore(str(source), readonly=True)
    new = SqlStore(str(partial))
    try:
        rewriter = Rewriter(make_world(old))
        batch: list[Item] = []
        console = ""
        done = 0
        last_at = 0

        def put() -> None:
            if batch:
                new.journal.append(batch, console)
                batch.clear()

        def records() -> Iterator[Old]:
            nonlocal done
            for r in _old_records(old.engine):
                done += 1
                if progress is not None and done % 10_000 == 0:
                    progress(done, total)
                yield r

        for out in rewriter.rewrite(records()):
            if out.console != console or len(batch) >= BATCH:
                put()
                console = out.console
            batch.append(out.item)
            last_at = max(last_at, out.item[0])
        put()
        note = ev.SystemNote(
            at=last_at,
            what="migrated",
            detail=(
                f"from {source.name}: head seq {old_head[0]} {old_head[1]}, {done} records"
                f" ({rewriter.old_heartbeat_records} of heartbeats) rewritten with heartbeats as places"
            ),
        )
        new.journal.append(
            [(note.at, ev.source_of(note), ev.type_of(note), ev.key_of(note), ev.encode(note))], "migrate"
        )
        if progress is not None:
            progress(done, total)
    finally:
        old.close()
        new.close()
    return Appended(done, rewriter.old_heartbeat_records, rewriter.unreadable)
