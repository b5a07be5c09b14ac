"""Heartbeats held for coalescing, with the acknowledgements that wait for them.

At a district's natural rate most ingest batches hold a single heartbeat; a journal record
each would grow the journal by millions of rows a day. The engine holds heartbeats for up to
``window_s`` (or ``max_beats``) and journals them together (console/domain/liveness.py: the
beats that change something in full, the rest as places in one ``Seen`` record). Alarms never
wait here; only the acknowledgements of the batches the beats came in do, and a beat that
brings a device back online is journaled at once (``liveness.urgent``).

The window bounds how late a device's last sign of life is stamped (the flush's time) and so
how much later than its beat its offline grace may end: 5 s against a grace of at least 12.5
minutes (2.5 periods of the shortest, 5-minute, heartbeat).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from console.domain import events as ev

WINDOW_S = 5.0
MAX_BEATS = 500  # unacknowledged messages are a broker resource: flush sooner when this many wait


class BeatBuffer:
    def __init__(self, window_s: float = WINDOW_S, max_beats: int = MAX_BEATS) -> None:
        self.window_s = window_s
        self.max_beats = max_beats
        self._beats: dict[str, list[ev.Beat]] = {}
        self._dones: list[Callable[[], None]] = []
        self._count = 0
        self._since = 0

    def __bool__(self) -> bool:
        return bool(self._beats or self._dones)

    def add(self, beats: dict[str, list[ev.Beat]], done: Callable[[], None] | None) -> bool:
        """Hold these beats (and the batch's ack); True when the buffer should be flushed now."""
        if not self:
            self._since = time.monotonic_ns()
        for township, bl in beats.items():
            self._beats.setdefault(township, []).extend(bl)
        self._count += sum(len(bl) for bl in beats.values())
        if done is not None:
            self._dones.append(done)
        return self._count >= self.max_beats

    def due(self) -> bool:
        return bool(self) and time.monotonic_ns() - self._since >= int(self.window_s * 1_000_000_000)

    def take(self) -> tuple[dict[str, list[ev.Beat]], list[Callable[[], None]]]:
        """The held beats by township, and the acknowledgements waiting on them."""
        beats, dones = self._beats, self._dones
        self._beats, self._dones, self._count = {}, [], 0
        return beats, dones
