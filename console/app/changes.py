"""``Changes``: a generation counter with a condition, for "wake me when this may have changed".

Whoever changes watched state calls ``bump()``; ``wait_for(predicate, timeout)`` re-checks the
predicate after each bump (outside the lock, so the predicate may itself ask another thread, as
a query to the engine does) until it holds or the timeout passes. The engine and the bus client
bump on every change an outside observer can see (journal position, counters, connection
state); tests and tools wait on them instead of polling.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class Changes:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._generation = 0

    def bump(self) -> None:
        with self._cond:
            self._generation += 1
            self._cond.notify_all()

    def wait_for(self, predicate: Callable[[], T], timeout: float) -> T:
        """The predicate's first truthy value, or its last value once ``timeout`` has passed."""
        deadline = time.monotonic() + timeout
        while True:
            with self._cond:
                seen = self._generation
            value = predicate()
            remaining = deadline - time.monotonic()
            if value or remaining <= 0:
                return value
            with self._cond:
                if self._generation == seen:
                    self._cond.wait(remaining)  # woken by bump(); a missed bump shows in the check
