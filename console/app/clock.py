"""Clocks. The real one is read only at the edges; tests use the fake."""

from __future__ import annotations

import threading
import time
from typing import Final

FIXED_START_NS: Final = 1_795_831_200_000_000_000
"""2026-11-28 10:00 +08:00 (a winter Saturday morning): where the fake clock, the synthetic
traffic and the benches start, so their runs are reproducible."""


class SystemClock:
    def now_ns(self) -> int:
        return time.time_ns()


class FakeClock:
    """A clock that moves only when told to. Thread-safe."""

    def __init__(self, start_ns: int = FIXED_START_NS) -> None:
        self._now = start_ns
        self._lock = threading.Lock()

    def now_ns(self) -> int:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> int:
        with self._lock:
            self._now += int(seconds * 1_000_000_000)
            return self._now

    def set(self, now_ns: int) -> None:
        with self._lock:
            self._now = now_ns
