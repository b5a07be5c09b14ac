"""The bridge's drainer: the outbox's waiting events -> the broker, in order, each marked
published only on its PUBACK (console/bridge/service.py says why).

Stores hand their new rows over in memory (``hand_over``), so while it keeps up an event costs
no read of the outbox; the outbox is read at start (what an earlier run left), and whenever the
memory would pass MEM_MAX (a broker down for long): then until it has caught up again. Every event
is published after every one stored before it, and once (``last``, the highest seq published).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from typing import Final

from console.app.changes import Changes
from console.bridge.outbox import BridgeOutbox, Waiting
from console.io.paho_bus import MqttBus

log = logging.getLogger("console.bridge")
MEM_MAX: Final = 50_000  # events waiting in memory for the drainer; beyond, it reads the outbox
BATCH: Final = 500


class Drainer:
    def __init__(
        self,
        outbox: BridgeOutbox,
        window: int,
        clock_ns: Callable[[], int],
        changes: Changes,
        on_published: Callable[[int], None],
    ) -> None:
        self.outbox = outbox
        self.window = window  # published, not yet acknowledged by the broker, at most
        self.clock_ns = clock_ns
        self.changes = changes
        self.on_published = on_published  # how many were acknowledged (the service's counters)
        self.depth = 0  # events in the outbox waiting for the broker's PUBACK
        self.outbox_reads = 0  # reads of the outbox that found events (not the memory hand-over)
        self._wake = asyncio.Event()
        self._acked: list[int] = []
        self._mem: deque[Waiting] = deque()
        self._mem_on = False
        self._mem_overflow = False

    def hand_over(self, rows: list[Waiting]) -> None:
        """Rows just stored, in seq order: counted, and handed over in memory while it keeps up."""
        self.depth += len(rows)
        if self._mem_on:
            if len(self._mem) + len(rows) <= MEM_MAX:
                self._mem.extend(rows)
            else:
                self._mem_on, self._mem_overflow = False, True
        if rows:
            self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    async def run(self, bus: MqttBus) -> None:
        """Publish waiting events in order, at most ``window`` unacknowledged at a time: first
        what the outbox holds (from an earlier run, or past MEM_MAX), then, once caught up, what
        each store hands over in memory. Every event is published after every one stored before
        it (``last``: the highest seq published; anything at or below it is skipped)."""
        last = 0
        inflight: set[asyncio.Future[None]] = set()
        from_outbox = True
        while True:
            if len(inflight) >= self.window:
                _, inflight = await asyncio.wait(inflight, return_when=asyncio.FIRST_COMPLETED)
                await self.mark_acked()
                continue
            room = min(BATCH, self.window - len(inflight))
            if self._mem_overflow:
                from_outbox, self._mem_overflow = True, False
                self._mem.clear()
            rows: list[Waiting] = []
            if from_outbox:
                rows = await self.outbox.waiting(last, room)
                self.outbox_reads += bool(rows)
                if len(rows) < room:
                    # caught up: stores hand their rows over from now on; what was stored while
                    # this read ran is read once more (the seq filter drops a row seen twice)
                    self._mem_on, from_outbox = True, False
                    tail = await self.outbox.waiting(rows[-1].seq if rows else last, room)
                    rows.extend(tail)
            while self._mem and len(rows) < room:
                r = self._mem.popleft()
                rows.append(r)
            rows.sort(key=lambda r: r.seq)
            fresh: list[Waiting] = []
            for r in rows:  # each seq once (read again, or both read and handed over), in order
                if r.seq > (fresh[-1].seq if fresh else last):
                    fresh.append(r)
            rows = fresh
            if not rows:
                await self.mark_acked()
                self._wake.clear()
                if self._mem or self._mem_overflow:
                    continue
                try:
                    await asyncio.wait_for(self._wake.wait(), 1.0)
                except TimeoutError:
                    pass
                continue
            for r in rows:
                fut = bus.publish(r.topic, r.payload, qos=1)
                fut.add_done_callback(self._acked_cb(r.seq))
                inflight.add(fut)
                last = r.seq
            await self.mark_acked()

    def _acked_cb(self, seq: int) -> Callable[[asyncio.Future[None]], None]:
        def cb(fut: asyncio.Future[None]) -> None:
            if fut.cancelled():
                return
            if fut.exception() is not None:
                log.error(
                    "bridge: publish of event %d refused: %s; it is sent again after a restart",
                    seq,
                    fut.exception(),
                )
                return
            self._acked.append(seq)

        return cb

    async def mark_acked(self) -> None:
        if not self._acked:
            return
        seqs, self._acked = self._acked, []
        try:
            await self.outbox.published(seqs, self.clock_ns())
        except Exception as exc:  # noqa: BLE001 (published again after a restart: deduplicated)
            log.error("bridge: cannot mark %d events published: %s", len(seqs), exc)
            return
        self.depth = max(0, self.depth - len(seqs))
        self.on_published(len(seqs))
        self.changes.bump()
