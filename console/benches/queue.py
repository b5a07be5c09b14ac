"""``python -m console bench queue [--incidents 500] [--rate 1000] [--duration 90] --json``.

The storm queue on the UI thread: how long the ranked queue (QueueModel, under the sort proxy and
table the main window uses) and the 1-5-30 header take to take one delta, with ~500 open
incidents while 1,000 messages a second arrive.

The storm is generated from the register (console.sim.storms.hidden_fire, fixed seed): false
alarms of every kind that re-report and restore, a few repeaters, heartbeats filling every second,
and one real fire whose smoke detector corroborates it part-way. The engine's side is the engine's
own code, run in this thread so every delta can be checked against the world it came from: the
bus messages go through the intake (decode, dedupe, heartbeats held and coalesced), the World
applies them in order under a FakeClock the bench moves, a Tick when something is due, the
requests marked published, and every ``--batch-ms`` of storm time (the engine's 20 Hz flush)
``changed_since_last`` makes the Delta the engine would send. That Delta goes to the queue and
the header, timed (``update_*``: what the window's delta handler costs; ``frame_*``: that plus the
table's layout and paint), then the model's top rows are compared with
``console.domain.triage.queue_of(world)`` computed afresh: ``top_correct`` is 1 when they agree after
every update and the real fire is the first row from its corroboration on.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from typing import Any

log = logging.getLogger(__name__)

GOAL_MS = 16.0  # one frame at 60 Hz


def _pct(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    s = sorted(xs)
    return s[min(len(s) - 1, int(q * len(s)))]


class _Fold:
    """The engine's side of the storm, synchronous: intake, heartbeat coalescing, apply, ticks,
    published requests, and the delta of what changed."""

    def __init__(self, world: Any, clock: Any) -> None:
        from console.app.intake import Intake

        self.world = world
        self.clock = clock
        self.intake = Intake()
        self.beats: dict[str, list[Any]] = {}
        self.held = 0
        self.beats_since = clock.now_ns()
        self.alerts: list[Any] = []
        self.refusals: list[Any] = []
        self.applied = 0

    def apply(self, e: Any) -> None:
        from console.domain import events as ev
        from console.domain.effects import Alert, CommandRefused, PublishRequest

        fx = self.world.apply(e)
        self.applied += 1
        published = tuple(f.request.req for f in fx if isinstance(f, PublishRequest))
        self.alerts += [f for f in fx if isinstance(f, Alert)]
        self.refusals += [f for f in fx if isinstance(f, CommandRefused)]
        if published:
            self.world.apply(ev.NotifyPublished(at=e.at, reqs=published))
            for req in published:  # a provider takes each at once (the gateway's receipts)
                self.world.apply(ev.NotifyReceipt(at=e.at, req=req, status="accepted", provider="sim"))

    def _flush_beats(self, at: int) -> None:
        from console.domain import events as ev

        for township, bl in sorted(self.beats.items()):
            self.apply(ev.Heartbeats(at=at, township=township, beats=tuple(bl)))
        self.beats, self.held, self.beats_since = {}, 0, at

    def feed(self, end: int, messages: list[Any]) -> Any:
        """Take one batch of bus messages up to console time ``end``; the Delta of what changed."""
        from console.app.beats import MAX_BEATS, WINDOW_S
        from console.app.delta import Status, changed_since_last
        from console.domain import events as ev

        for m in messages:
            self.clock.set(max(m.at, self.clock.now_ns()))
            out, beats = self.intake.sort([m], self.clock.now_ns)
            for e in out:
                self.apply(e)
            for township, bl in beats.items():
                self.beats.setdefault(township, []).extend(bl)
                self.held += len(bl)
            if self.held >= MAX_BEATS:
                self._flush_beats(self.clock.now_ns())
        self.clock.set(max(end, self.clock.now_ns()))
        now = self.clock.now_ns()
        if self.beats and now - self.beats_since >= int(WINDOW_S * 1e9):
            self._flush_beats(now)
        due = self.world.next_due()
        if due is not None and due <= now:
            self.apply(ev.Tick(at=max(now, self.world.now)))
        status = Status(now=now, bus="connected", bus_since=0, journal="ok")
        delta = changed_since_last(self.world, self.alerts, self.refusals, status)
        self.alerts, self.refusals = [], []
        return delta


def run(argv: list[str]) -> dict[str, Any]:
    p = argparse.ArgumentParser(prog="python -m console bench queue")
    p.add_argument("--households", type=int, default=6000)
    p.add_argument("--incidents", type=int, default=500, help="homes alarming in the storm")
    p.add_argument("--rate", type=float, default=1000.0, help="bus messages per second of storm time")
    p.add_argument("--duration", type=float, default=90.0, help="seconds of storm time")
    p.add_argument("--batch-ms", type=float, default=50.0, help="storm time per delta (the engine's flush)")
    p.add_argument("--top", type=int, default=8, help="rows compared with queue_of after each update")
    p.add_argument("--seed", type=int, default=15)
    args = p.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PySide6.QtCore import QSortFilterProxyModel, Qt
    from PySide6.QtWidgets import QAbstractItemView, QApplication, QTableView

    from console.app.clock import FakeClock
    from console.app.data import load_triage
    from console.bootstrap import make_world
    from console.domain.triage import queue_of
    from console.paths import resource
    from console.sim.district import generate
    from console.sim.storms import NS, batches, hidden_fire
    from console.ui.queue_model import SORT_ROLE, QueueModel
    from console.ui.triage_header import TriageHeader

    app = QApplication.instance() or QApplication(sys.argv[:1])
    weights = load_triage(resource("triage.toml"))
    storm = hidden_fire(
        generate(seed=args.seed, households=args.households),
        seed=args.seed,
        incidents=args.incidents,
        rate=args.rate,
        duration_s=args.duration,
    )
    clock = FakeClock(storm.start - NS)
    fold = _Fold(make_world(storm.register), clock)

    # the window's queue: the model under a sort proxy and a table, and the header
    queue = QueueModel(storm.register, clock.now_ns, "*", weights)
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(queue)
    proxy.setSortRole(SORT_ROLE)
    proxy.setDynamicSortFilter(True)
    table = QTableView()
    table.setModel(proxy)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSortingEnabled(True)
    table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
    table.resize(1000, 600)
    table.show()
    header = TriageHeader(clock.now_ns, storm_rules=(weights.storm.window_s, weights.storm.more_than))
    header.show()
    app.processEvents()

    update_ms: list[float] = []
    frame_ms: list[float] = []
    tick_ms: list[float] = []
    mismatches = 0
    fire_checked = 0
    open_peak = 0
    next_second = storm.start + NS
    wall0 = time.perf_counter()
    for end, messages in batches(storm, args.batch_ms / 1000):
        delta = fold.feed(end, messages)
        if delta.incidents:
            t0 = time.perf_counter()
            queue.update(delta.incidents)
            header.update_incidents(delta.incidents)
            header.refresh()
            t1 = time.perf_counter()
            app.processEvents()
            t2 = time.perf_counter()
            update_ms.append((t1 - t0) * 1000)
            frame_ms.append((t2 - t0) * 1000)
            want = [r.incident for r in queue_of(fold.world, weights)]
            shown = [
                proxy.index(r, 0).data(Qt.ItemDataRole.UserRole) for r in range(min(args.top, len(want)))
            ]
            if len(want) != queue.rowCount() or shown != want[: args.top]:
                mismatches += 1
                log.warning(
                    "at %+.2f s the queue shows %s, queue_of %s",
                    (end - storm.start) / NS,
                    shown,
                    want[: args.top],
                )
            if end > storm.corroborated_at:  # its smoke alarm is in this batch or an earlier one
                fire_checked += 1
                top = queue.rows[0].household if queue.rows else None
                if top != storm.emergency:
                    mismatches += 1
                    log.warning(
                        "at %+.2f s the first row is %s, not the fire %s",
                        (end - storm.start) / NS,
                        top,
                        storm.emergency,
                    )
            open_peak = max(open_peak, len(want))
        if end >= next_second:  # the window's 1 s tick: countdowns repaint, the header recounts
            next_second += NS
            t0 = time.perf_counter()
            queue.tick()
            header.refresh()
            app.processEvents()
            tick_ms.append((time.perf_counter() - t0) * 1000)
    wall_s = time.perf_counter() - wall0
    table.close()
    header.close()
    return {
        "update_p99_ms": round(_pct(update_ms, 0.99), 2),
        "update_p50_ms": round(statistics.median(update_ms), 2) if update_ms else None,
        "update_max_ms": round(max(update_ms), 2) if update_ms else None,
        "frame_p99_ms": round(_pct(frame_ms, 0.99), 2),
        "tick_p99_ms": round(_pct(tick_ms, 0.99), 2),
        "goal_ms": GOAL_MS,
        "updates": len(update_ms),
        "open_incidents": open_peak,
        "msgs_per_s": round(len(storm.messages) / storm.duration_s),
        "messages": len(storm.messages),
        "events_applied": fold.applied,
        "top_correct": int(mismatches == 0 and fire_checked > 0),
        "top_mismatches": mismatches,
        "fire_checked_updates": fire_checked,
        "drive_msgs_per_s": round(len(storm.messages) / wall_s),
    }
