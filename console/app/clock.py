"""Clocks. The real one is read only at the edges; tests use the fake."""

from __future__ import annotations

import threading
import time


class SystemClock:
    def now_ns(self) -> int:
        return time.time_ns()


class FakeClock:
    """A clock that moves only when told to. Thread-safe."""

    def __init__(self, start_ns: int = 1_795_831_200_000_000_000) -> None:
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
