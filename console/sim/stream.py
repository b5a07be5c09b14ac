"""Streaming a synthetic district's traffic (console.sim.traffic) onto a broker: what
``python -m console simulate`` runs.

Items are published with QoS 1, at most the Flow's window in flight, paced by the real clock
(an item goes out when the wall clock reaches its ``at_ns``) or, unpaced, as fast as the broker
acknowledges. Counters (by label) survive a Ctrl-C, so the driver can still print a summary.
"""

from __future__ import annotations

import heapq
import signal
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import paho.mqtt.client as mqtt

from console.sim import traffic
from console.sim.publisher import Flow
from console.sim.traffic import NS

_STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})


@contextmanager
def _not_between() -> Iterator[None]:
    """Ctrl-C / SIGTERM held off for the moment between a publish and its count (delivered
    right after): interrupted there, the summary said one fewer published than acknowledged.
    POSIX only (signal.pthread_sigmask); elsewhere nothing is held."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def with_storm(t: traffic.Traffic, storm: list[traffic.Item]) -> Iterator[traffic.Item]:
    """The traffic with a storm's items merged in by time."""
    if not storm:
        return iter(t)
    return heapq.merge(storm, iter(t), key=lambda it: it.at_ns)


class Streamer:
    """Publishes a time-ordered item stream through ``client``; ``progress`` is called about once
    a second with (seconds since the start, this streamer)."""

    def __init__(
        self,
        client: mqtt.Client,
        flow: Flow,
        *,
        paced: bool = True,
        progress: Callable[[float, Streamer], None] | None = None,
    ) -> None:
        self.client = client
        self.flow = flow
        self.paced = paced
        self.progress = progress
        self.counts: dict[str, int] = {}  # by label up to the first ':' (alarm, heartbeat, bad ...)
        self.began = time.monotonic()

    def run(self, items: Iterable[traffic.Item], count: int | None = None, end_ns: int | None = None) -> bool:
        """Publish until the items end, ``count`` are sent or the next item is due after ``end_ns``.

        False when the broker stopped acknowledging (the window stayed full for 30 s)."""
        flow = self.flow
        next_report = self.began + 1.0
        for item in items:
            if count is not None and flow.sent >= count:
                break
            if end_ns is not None and item.at_ns > end_ns:
                break
            if self.paced:
                while (wait := (item.at_ns - time.time_ns()) / NS) > 0:
                    time.sleep(min(wait, max(0.0, next_report - time.monotonic()), 0.5) or 0.001)
                    next_report = self._report(next_report)
            if not flow.before_send():
                return False
            with _not_between():
                self.client.publish(item.topic, item.payload, qos=1)
                flow.sent += 1
            key = item.label.split(":", 1)[0]
            self.counts[key] = self.counts.get(key, 0) + 1
            if time.monotonic() >= next_report:
                next_report = self._report(next_report)
        return True

    def _report(self, due: float) -> float:
        now = time.monotonic()
        if now < due:
            return due
        if self.progress is not None:
            self.progress(now - self.began, self)
        return now + 1.0

    def summary(self, interrupted: bool) -> dict[str, Any]:
        """published, acked, seconds (since the start, draining included), per_s, by_label, interrupted."""
        elapsed = time.monotonic() - self.began
        return {
            "published": self.flow.sent,
            "acked": self.flow.acked,
            "seconds": round(elapsed, 3),
            "per_s": round(self.flow.sent / elapsed, 1) if elapsed > 0 else 0.0,
            "by_label": dict(sorted(self.counts.items())),
            "interrupted": interrupted,
        }
