"""KPIs from a store without folding the whole journal: a ``KpiFold`` restored from the newest
checkpoint the journal confirms, fed only the records after it, and checkpointed again every
``SAVE_EVERY`` records it folds.

``compute_from_store`` is the one-shot form (reports): the KPIs as known at ``now`` over the
records with ``at <= now``, in seq order; equal, struct for struct, to a full fold of them.
``KpiCursor.live`` is the incremental form (the KPI panel): one fold kept in memory, fed the new
records at each refresh. It stops before the first record later than ``now`` (another
workstation's clock running ahead) and takes it up at a later refresh, so its fold is always
exactly "every record up to seq S" and can be checkpointed.

A checkpoint is used only when its fold version and register are this build's and this
register's, every record it folded is within ``now`` (``max_at <= now``), and the journal still
has its (seq, hash); a state that fails to load is logged and the next older one tried. Saving
never fails a computation: a store that is read-only, locked or full is logged and the fold goes
on (the next attempt comes ``SAVE_EVERY`` records later). Saves are one short transaction after
the state is made (~MBs, zlib'd), so on SQLite the ingest engine's journal writer waits at most
that long for WAL's single write lock; at 50k records apart they are rare.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Generator
from contextlib import closing, nullcontext
from typing import Any, Final, NamedTuple

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from console.app.kpi import KpiFold
from console.app.kpi_defs import Kpis
from console.app.kpi_state import FoldStateError, dump_fold, load_fold, state_version
from console.app.world_snapshot import gc_paused, register_key
from console.domain.checklist import Template
from console.domain.registry import Register
from console.domain.risk import Weights
from console.domain.world import Registers
from console.io.store import JournalError, schema
from console.io.store.errors import classify
from console.io.store.fold_checkpoints import fold_checkpoints, save_fold_checkpoint
from console.io.store.journal import sqlite_rows

log = logging.getLogger(__name__)
NAME: Final = "kpi"
SAVE_EVERY: Final = 50_000
PROGRESS_EVERY: Final = 100_000
_J = schema.journal

Row = tuple[int, int, str, bytes]  # seq, at_ns, hash, body


class Saved(NamedTuple):
    seq: int
    size: int
    dump_s: float
    write_s: float


class KpiCursor:
    """A KpiFold over one store's journal and how far it has folded."""

    def __init__(
        self,
        store: Any,
        register: Register,
        templates: dict[str, Template],
        weights: Weights,
        *,
        name: str = NAME,
        save: bool = True,
        save_every: int = SAVE_EVERY,
        pause_gc: bool = True,
        registers: Registers | None = None,
    ) -> None:
        self.store = store
        # the register the fold starts with (the journal's first RegisterChanged's) and where
        # the others it names are found
        self.registers = registers
        # Pausing the cyclic GC speeds a long fold, but it pauses it for the whole process: in
        # the live console (bus and engine threads) the panel's fold leaves it running.
        self._paused = gc_paused if pause_gc else nullcontext
        self.register = register
        self.templates = templates
        self.weights = weights
        self.name = name
        self.save_enabled = save and not getattr(store, "readonly", False)
        self.save_every = save_every
        self.key = register_key(register)
        self.fold: KpiFold | None = None
        self.seq = 0  # while ``exact``: every record with seq <= this and none after is folded
        self.hash = ""
        self.max_at = 0  # the largest record time folded
        self.exact = True  # False once a record was skipped for being later than ``now``
        self.loaded_seq: int | None = None  # the checkpoint the fold started from
        self.load_s = 0.0
        self.folded = 0  # records fed here (the tail)
        self.since_save = 0
        self.saves: list[Saved] = []

    # --- start ---------------------------------------------------------------------------

    def start(self, now: int) -> KpiFold:
        """The fold to go on from: the newest usable checkpoint with max_at <= now, else empty."""
        if self.fold is not None:
            return self.fold
        t = time.perf_counter()
        with self._paused():
            fold = self._load(now)
        self.load_s = time.perf_counter() - t
        self.fold = fold
        return fold

    def _load(self, now: int) -> KpiFold:
        for cp in fold_checkpoints(
            self.store.engine,
            self.name,
            fold_version=state_version(),
            register_version=self.key,
            max_at=now,
        ):
            try:
                fold = load_fold(cp.blob, self.register, self.templates, self.weights, self.registers)
            except FoldStateError as exc:
                log.warning("ignoring %s checkpoint at seq %d: %s", self.name, cp.seq, exc)
                continue
            if fold.records != cp.records:
                log.warning(
                    "ignoring %s checkpoint at seq %d: it holds %d records, its row says %d",
                    self.name,
                    cp.seq,
                    fold.records,
                    cp.records,
                )
                continue
            self.seq, self.hash, self.max_at, self.loaded_seq = cp.seq, cp.hash, cp.max_at, cp.seq
            log.info("%s fold from checkpoint at seq %d (%d records)", self.name, cp.seq, cp.records)
            return fold
        return KpiFold(self.register, self.templates, self.weights, registers=self.registers)

    # --- feeding -------------------------------------------------------------------------

    def feed(
        self,
        now: int,
        *,
        skip_later: bool = False,
        to_seq: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Fold the records after the fold's position (up to ``to_seq``) in seq order. A record
        later than ``now`` stops the feed (live), or with ``skip_later`` is left out and the rest
        folded (one-shot: every record with at <= now); returns the records folded."""
        fold = self.start(now)
        feed_body = fold.feed_body
        expect = self.seq + 1 if self.seq else self._first_seq()
        n = 0
        rows = self._rows(self.seq, now if skip_later else None, to_seq)
        # the fold makes many small acyclic objects: collections would walk the whole register
        with closing(rows), self._paused():
            for seq, at, hash_, body in rows:
                if at > now:
                    break  # only when not skip_later: the query left those out
                if seq != expect:
                    self.exact = False  # records expect..seq-1 are later than now: never saved
                feed_body(body)
                expect = seq + 1
                n += 1
                if self.exact:
                    self.seq, self.hash = seq, hash_
                    if at > self.max_at:
                        self.max_at = at
                    self.since_save += 1
                    if self.since_save >= self.save_every:
                        self.save()
                if progress is not None and n % PROGRESS_EVERY == 0:
                    progress(n)
        self.folded += n
        return n

    def live(self, now: int) -> Kpis:
        """The KPI panel's refresh: fold what is new, take the KPIs at ``now``."""
        fold = self.start(now)
        self.feed(now)
        with self._paused():
            return fold.snapshot(now)

    def _first_seq(self) -> int:
        first = self.store.journal.first_seq()
        return 1 if first is None else int(first)

    def _rows(self, after: int, now: int | None, to_seq: int | None) -> Generator[Row, None, None]:
        """(seq, at, hash, body) of records with seq > after (at <= now, seq <= to_seq), in order.
        SQLite reads straight off the DBAPI cursor (journal.sqlite_rows), as the reports do."""
        if self.store.dialect == "sqlite":
            # "+at_ns": keep the planner on the seq (rowid) range, never the at_ns index + a sort
            sql = "SELECT seq, at_ns, hash, body FROM journal WHERE seq > ?"
            params: list[int] = [after]
            if now is not None:
                sql += " AND +at_ns <= ?"
                params.append(now)
            if to_seq is not None:
                sql += " AND seq <= ?"
                params.append(to_seq)
            yield from _sqlite_rows(self.store.engine, sql + " ORDER BY seq", params)
            return
        stmt = select(_J.c.seq, _J.c.at_ns, _J.c.hash, _J.c.body).where(_J.c.seq > after)
        if now is not None:
            stmt = stmt.where(_J.c.at_ns <= now)
        if to_seq is not None:
            stmt = stmt.where(_J.c.seq <= to_seq)
        try:
            with self.store.engine.connect() as conn:
                result = conn.execution_options(yield_per=2000).execute(stmt.order_by(_J.c.seq))
                for seq, at, hash_, body in result:
                    yield int(seq), int(at), str(hash_), bytes(body)
        except (DBAPIError, OSError) as exc:
            raise classify(exc) from exc

    # --- saving --------------------------------------------------------------------------

    def save(self) -> bool:
        """Checkpoint the fold at its position; False (logged) when it cannot or may not."""
        self.since_save = 0  # a failed save is tried again SAVE_EVERY records later, not at once
        fold = self.fold
        if not (self.save_enabled and self.exact and fold is not None and self.seq and self.hash):
            return False
        t = time.perf_counter()
        try:
            blob = dump_fold(fold)
        except FoldStateError as exc:
            log.warning("not saving a %s checkpoint: %s", self.name, exc)
            return False
        made = time.perf_counter()
        try:
            save_fold_checkpoint(
                self.store.engine,
                self.name,
                seq=self.seq,
                hash_=self.hash,
                max_at=self.max_at,
                records=fold.records,
                fold_version=state_version(),
                register_version=self.key,
                blob=blob,
            )
        except (JournalError, ValueError) as exc:
            log.warning("could not save a %s checkpoint at seq %d: %s", self.name, self.seq, exc)
            return False
        self.saves.append(Saved(self.seq, len(blob), made - t, time.perf_counter() - made))
        return True


def _sqlite_rows(engine: Any, sql: str, params: list[int]) -> Generator[Row, None, None]:
    for seq, at, hash_, body in sqlite_rows(engine, sql, params):
        yield seq, at, hash_, bytes(body)


def compute_from_store(
    store: Any,
    register: Register,
    templates: dict[str, Template],
    weights: Weights,
    now: int,
    start: int | None = None,
    end: int | None = None,
    *,
    progress: Callable[[int], None] | None = None,
    save: bool = True,
    save_every: int = SAVE_EVERY,
) -> tuple[Kpis, KpiCursor]:
    """The KPIs as known at ``now`` (every record with at <= now, in seq order) over [start,
    end): the newest usable checkpoint plus the tail after it, checkpointing every
    ``save_every`` records folded (unless ``save`` is false or the store is read-only).
    Returns the KPIs and the cursor (``cursor.fold`` is the fold, with its World)."""
    cursor = KpiCursor(store, register, templates, weights, save=save, save_every=save_every)
    fold = cursor.start(now)
    cursor.feed(now, skip_later=True, progress=progress)
    with gc_paused():
        return fold.snapshot(now, start, end), cursor
