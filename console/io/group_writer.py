"""A SQLite file with one writer thread that group-commits (WAL, synchronous=FULL).

Used by the services' durable outboxes (the notification gateway's, the ingest bridge's): each
submitted operation (``fn(connection)``) returns a Future resolved only once the transaction
holding it is committed, i.e. durable. Whatever was submitted meanwhile is committed as one
transaction, so a storm of requests costs a handful of fsyncs, not one each.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


def _settle_all(settled: list[tuple[asyncio.Future[Any], Any]]) -> None:
    for fut, value in settled:
        if not fut.done():
            fut.set_result(value)


def _settle(fut: Future[Any] | asyncio.Future[Any], value: Any, error: BaseException | None) -> None:
    """A caller that stopped waiting (a cancelled task) cancelled its future: the work is done
    all the same."""
    if isinstance(fut, asyncio.Future):  # an operation that failed alone: resolved on its loop
        loop = fut.get_loop()

        def settle() -> None:
            if not fut.done():
                if error is not None:
                    fut.set_exception(error)
                else:
                    fut.set_result(value)

        try:
            loop.call_soon_threadsafe(settle)
        except RuntimeError:
            pass
        return
    if fut.done():
        return
    try:
        if error is not None:
            fut.set_exception(error)
        else:
            fut.set_result(value)
    except Exception:  # noqa: BLE001 (cancelled in between)
        pass


class WriterClosed(RuntimeError):
    pass


class GroupWriter:
    """Submit operations (``fn(connection)``); each batch of them is one transaction."""

    def __init__(self, path: Path, schema: str, name: str = "outbox") -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(schema)
        self._queue: queue.SimpleQueue[tuple[Callable[[sqlite3.Connection], Any], Any] | None] = (
            queue.SimpleQueue()
        )
        self.commits = 0
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=f"{name}-writer", daemon=True)
        self._thread.start()

    # --- the writer ---------------------------------------------------------------------------

    def submit(self, fn: Callable[[sqlite3.Connection], T]) -> Future[T]:
        fut: Future[T] = Future()
        if self._closed:
            fut.set_exception(WriterClosed(f"{self.path.name} is closed"))
            return fut
        self._queue.put((fn, fut))
        return fut

    def submit_async(
        self, fn: Callable[[sqlite3.Connection], T], loop: asyncio.AbstractEventLoop
    ) -> asyncio.Future[T]:
        """``submit`` for a caller on ``loop``: an asyncio future, resolved on the loop once
        durable; a batch resolves all of its futures on a loop with one wake-up (not one per
        operation: a storm of pushes would otherwise pay a thread hand-off each)."""
        fut: asyncio.Future[T] = loop.create_future()
        if self._closed:
            fut.set_exception(WriterClosed(f"{self.path.name} is closed"))
            return fut
        self._queue.put((fn, fut))
        return fut

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            batch = [item]
            while len(batch) < 2000:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self._queue.put(None)  # stop after this batch
                    break
                batch.append(nxt)
            self._commit(batch)

    def _commit(self, batch: list[tuple[Callable[[sqlite3.Connection], Any], Any]]) -> None:
        """One transaction for the whole batch; if an operation fails, the batch is rolled back
        and run again one operation a transaction, so one bad operation costs only itself."""
        db = self._db
        try:
            db.execute("BEGIN IMMEDIATE")
            values = [fn(db) for fn, _ in batch]
            db.execute("COMMIT")
        except Exception as exc:
            try:
                db.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            if len(batch) == 1:
                log.warning("%s: an operation failed: %s", self.path.name, type(exc).__name__)
                _settle(batch[0][1], None, exc)
            else:
                for one in batch:
                    self._commit([one])
            return
        self.commits += 1
        on_loops: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], Any]]] = {}
        for (_, fut), value in zip(batch, values, strict=True):  # only now: durable
            if isinstance(fut, asyncio.Future):
                on_loops.setdefault(fut.get_loop(), []).append((fut, value))
            else:
                _settle(fut, value, None)
        for loop, settled in on_loops.items():
            try:
                loop.call_soon_threadsafe(_settle_all, settled)
            except RuntimeError:  # the loop is closed: nobody waits any more
                pass

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        self._thread.join(timeout=10)
        self._db.close()
