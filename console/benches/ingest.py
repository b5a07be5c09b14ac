"""``python -m console bench ingest``: bus -> engine -> journal -> UI thread, through Mosquitto,
side by side with a raw subscriber draining the same backlog.

The traffic is 98 % heartbeats and 2 % alarms (alarm ids carry their publish time). The console
side is the real thing (build_core): BusClient (ack after journal), the engine thread, a SQLite
journal (WAL, synchronous=FULL) and a Qt event loop receiving the deltas on a QtSink.

``--runs`` runs, each with two drains of the same backlog, each on a fresh Mosquitto (and, for
the console, a fresh journal); which of the two goes first alternates between runs, so neither
always gets the warmer (or the busier) machine:
- ``raw``: plain subscribers acknowledging on receipt, nothing journaled, with the console's
  own subscriptions and client settings (persistent session, Nagle off), each draining the
  backlog on its own: ``aiomqtt`` (bus_drain._RawSubscriber, ``async for message in
  client.messages`` as aiomqtt documents it: the raw drain the issue names and ``bench
  bus_drain`` runs, on the library the console itself uses) and ``paho`` (bus_drain.
  _PahoSubscriber: paho's own loop, the ceiling of the MQTT library on this machine: the
  console does its receiving *and* its journaling under one interpreter lock, so against it
  the ratio is bounded by the receive's share of the console's CPU). ``--raw`` picks which
  and in what order; the first is the one ``raw_per_s`` and ``ratio_*`` compare with, the
  others get ``raw_<client>_per_s`` and ``ratio_<client>_*``;
- ``console``: the whole pipeline; a message counts once journaled and acknowledged.
In each drain the subscriber first opens its persistent session and goes away; the backlog
(``--messages``, the same bytes for both drains of a run) is then published into the broker and
every PUBACK awaited (bus_drain.publish_backlog) before the subscriber comes back: the publisher
never competes with the drain for the CPU, and the drain starts with the whole backlog queued.
Both rates are first message received -> last message done (the console's seen by a 20 ms poll of
its bus counters: bus.stats() is not free); ``ratio_*`` compare the console
with the raw drain of the SAME run (the machine moves ±30 % between runs).

After the runs, one phase ``paced`` (fresh broker and journal; one heartbeat of every device
first, so the console is in its steady state): a paho publisher in another process sends
``--paced-rate`` msg/s for ``--paced-seconds`` to the connected console -> publish-to-UI
p50/p99 of its alarms and the UI thread's timer lag.
``machine_busy_pct`` / ``machine_steal_pct`` (all CPUs, /proc/stat) cover the whole bench;
``*_cpu_s`` are CPU seconds per thread of this process and of the broker during the drains.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DISTRICT = "BENCH"
HOUSEHOLDS = 5000
ALARM_EVERY = 50  # 2 % alarms


def _pct(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


class _Traffic:
    """The bench's messages: message k is an alarm when k % 50 == 0, else a heartbeat."""

    def __init__(self) -> None:
        from console.sim.district import generate

        reg = generate(seed=7, households=HOUSEHOLDS, district=DISTRICT)
        self.hhs = [h for h in reg.households.values() if any(d.kind == "smoke" for d in h.devices)]
        self.devs = [(h.township, d.id, d.kind) for h in self.hhs for d in h.devices]

    def message(self, k: int, now: int) -> tuple[str, bytes]:
        from console.domain.codec import device_topic
        from console.sim.traffic import payload

        if k % ALARM_EVERY == 0:
            h = self.hhs[(k // ALARM_EVERY) % len(self.hhs)]
            d = next(d for d in h.devices if d.kind == "smoke")
            return device_topic(DISTRICT, h.township, d.id), payload(
                d.id, "smoke", "alarm", now, f"a{k}-{now}"
            )
        return self.heartbeat(k, now)

    def heartbeat(self, k: int, now: int) -> tuple[str, bytes]:
        from console.domain.codec import device_topic
        from console.sim.traffic import payload

        tw, dev, kind = self.devs[k % len(self.devs)]
        body = payload(dev, kind, "heartbeat", now, f"h{k}", bat=90, hb=3600)
        return device_topic(DISTRICT, tw, dev), body


def _publish_main(port: int, n: int, rate: float, offset: int) -> None:
    """Child process (the paced phase): publish n messages at ``rate`` msg/s with paho."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    traffic = _Traffic()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-ingest-{uuid.uuid4().hex[:6]}")
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect("127.0.0.1", port, 60)
    client.loop_start()
    pending: deque[Any] = deque()
    t0 = time.perf_counter()
    for i in range(n):
        delay = t0 + i / rate - time.perf_counter() if rate else 0
        if delay > 0:
            time.sleep(delay)
        topic, body = traffic.message(offset + i, time.time_ns())
        if len(pending) >= 30_000:
            pending.popleft().wait_for_publish(600)
        pending.append(client.publish(topic, body, qos=1))
    for info in pending:
        info.wait_for_publish(600)
    acked = sum(1 for info in pending if info.is_published())
    dt = time.perf_counter() - t0
    client.disconnect()
    client.loop_stop()
    print(f"{n / dt:.0f} {acked}", flush=True)


def _publisher(port: int, n: int, rate: float, offset: int) -> subprocess.Popen[str]:
    args = [sys.executable, "-m", "console.benches.ingest", "--publish"]
    args += [str(port), str(n), str(rate), str(offset)]
    return subprocess.Popen(args, stdout=subprocess.PIPE, text=True, encoding="utf-8")


def _machine() -> tuple[int, int, int]:
    from console.benches.bridge import _machine as machine

    return machine()


def _cpu(broker_pid: int) -> dict[str, float]:
    """CPU seconds so far of each thread of this process and of the broker (Linux /proc)."""
    from console.benches.bridge import _proc_cpu, _thread_cpu

    return {**_thread_cpu(), "broker": _proc_cpu(broker_pid)}


def _cpu_delta(a: dict[str, float], b: dict[str, float]) -> dict[str, float]:
    return {k: round(v - a.get(k, 0.0), 2) for k, v in b.items() if v - a.get(k, 0.0) > 0.005}


@dataclass
class _UI:
    """The UI thread's side: alarm keys as deltas reach it, publish-to-UI latencies, timer lag."""

    seen: dict[str, int] = field(default_factory=dict)
    lat: list[float] = field(default_factory=list)
    lags: list[float] = field(default_factory=list)
    last: float = 0.0

    def reset(self) -> None:
        self.seen.clear()
        self.lat.clear()
        self.lags.clear()
        self.last = time.perf_counter()

    def on_delta(self, d: Any) -> None:
        now = time.time_ns()
        for inc in d.incidents:
            for key in inc.alarms:
                if key not in self.seen:
                    self.seen[key] = now
                    ident = key.split("/", 1)[1]
                    if ident.startswith("a") and "-" in ident:
                        self.lat.append((now - int(ident.split("-", 1)[1])) / 1e6)

    def on_tick(self) -> None:
        now = time.perf_counter()
        self.lags.append(max(0.0, (now - self.last) * 1000 - 10))
        self.last = now


def _run_until(pred: Callable[[], bool], timeout: float, every_ms: int = 5) -> bool:
    """Run the Qt event loop (the sink's deliveries) until ``pred()`` or the timeout."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    deadline = time.monotonic() + timeout
    poll = QTimer()
    poll.setInterval(every_ms)

    def check() -> None:
        if pred() or time.monotonic() > deadline:
            loop.quit()

    poll.timeout.connect(check)
    poll.start()
    loop.exec()
    poll.stop()
    return bool(pred())


def _tally(core: Any, k0: int, n: int, acked_before: int = 0) -> dict[str, int]:
    """Messages k0..k0+n not journaled, and duplicates. An alarm is journaled as a record of its
    own (by key); heartbeats are coalesced (how is the engine's business), so for them
    journaled means acknowledged: the bus acknowledges a batch only once it is committed."""
    from sqlalchemy import text

    with core.store.engine.connect() as conn:
        keys = [k for (k,) in conn.execute(text("SELECT key FROM journal WHERE type = 'dev'"))]
    got = {int(k.split("/", 1)[1][1:].split("-", 1)[0]) for k in keys}
    alarms = {k for k in range(k0, k0 + n) if k % ALARM_EVERY == 0}
    incidents = core.engine.query(lambda w: [list(i.alarms) for i in w.incidents.values()]).result(30)
    in_incidents = [k for alarms_ in incidents for k in alarms_]
    bus = core.bus.stats()
    lost_alarms = len(alarms - got)
    unacked = max(0, n - (bus["acked"] - acked_before))
    return {
        "lost": max(lost_alarms, unacked),  # an alarm never acknowledged counts once
        "lost_alarms": lost_alarms,
        "unacknowledged": unacked,
        "duplicates": len(keys) - len(set(keys)) + len(in_incidents) - len(set(in_incidents)),
        "redelivered": max(0, bus["received"] - acked_before - n),
        "alarms_journaled": len(got & alarms),
    }


class _Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        from PySide6.QtCore import QTimer

        from console.io.bus_config import BusConfig
        from console.sim.district import generate
        from console.ui.qtsink import QtSink

        self.args = args
        self.root = Path(tempfile.mkdtemp(prefix="guardian-bench-ingest-"))
        self.reg = generate(seed=7, households=HOUSEHOLDS, district=DISTRICT)
        self.traffic = _Traffic()
        self.sink = QtSink()
        self.ui = _UI()
        self.sink.delta.connect(self.ui.on_delta)
        self.tick = QTimer()
        self.tick.setInterval(10)
        self.tick.timeout.connect(self.ui.on_tick)
        # the raw drain subscribes to exactly what the console subscribes to
        self.topics = BusConfig("127.0.0.1", 1883, DISTRICT, None, "bench").subscriptions()
        self.count = 0

    def _dir(self, what: str) -> Path:
        self.count += 1
        d = self.root / f"{self.count:02d}-{what}"
        d.mkdir()
        return d

    def _settings(self, port: int, work: Path) -> Any:
        from console.config import Settings

        return Settings(
            broker_host="127.0.0.1",
            broker_port=port,
            district=DISTRICT,
            console_id="bench",
            db_url=f"sqlite:///{work / 'journal.sqlite'}",
        )

    def backlog(self) -> list[tuple[str, bytes]]:
        now = time.time_ns()
        return [self.traffic.message(k, now + k) for k in range(self.args.messages)]

    def drain_raw(self, backlog: list[tuple[str, bytes]], client: str) -> dict[str, Any]:
        from console.benches.bus_drain import (
            _Counter,
            _Mosquitto,
            _PahoSubscriber,
            _RawSubscriber,
            publish_backlog,
        )

        subscriber = _PahoSubscriber if client == "paho" else _RawSubscriber
        n = len(backlog)
        broker = _Mosquitto(self._dir(f"raw-{client}"), None, queued=n)
        try:
            ident = f"bench-raw-{uuid.uuid4().hex[:6]}"
            subscriber(broker.port, DISTRICT, _Counter(n), self.topics, ident).stop()  # session, away
            pub_per_s = publish_backlog(broker.port, backlog)
            counter = _Counter(n)
            cpu0 = _cpu(broker.proc.pid)
            t0 = time.perf_counter()
            sub = subscriber(broker.port, DISTRICT, counter, self.topics, ident)
            ok = counter.done.wait(600)
            wall = time.perf_counter() - t0
            cpu = _cpu_delta(cpu0, _cpu(broker.proc.pid))
            sub.stop()
        finally:
            broker.close()
        return {
            "per_s": counter.rate(),
            "received": counter.count,
            "same_bytes": counter.bytes == sum(len(p) for _, p in backlog),
            "complete": ok,
            "wall_s": wall,
            "publisher_per_s": pub_per_s,
            "cpu_s": cpu,
        }

    def drain_console(self, backlog: list[tuple[str, bytes]]) -> dict[str, Any]:
        from console.benches.bus_drain import _Mosquitto, publish_backlog
        from console.bootstrap import build_core

        n = len(backlog)
        work = self._dir("console")
        broker = _Mosquitto(work, None, queued=n)
        try:
            settings = self._settings(broker.port, work)
            first = build_core(settings, register=self.reg, sink=self.sink)
            _run_until(lambda: first.engine.status().bus == "connected", 30)
            first.stop()  # the persistent session stays; the broker queues for it
            pub_per_s = publish_backlog(broker.port, backlog)
            self.ui.reset()
            t0 = time.perf_counter()
            core = build_core(settings, register=self.reg, sink=self.sink)
            cpu0 = _cpu(broker.proc.pid)  # the drain's, not the start's (build_core's) CPU
            self.tick.start()
            self.ui.last = time.perf_counter()
            first_at = [0.0]

            def drained() -> bool:
                s = core.bus.stats()
                if s["received"] and not first_at[0]:
                    first_at[0] = time.perf_counter()
                return bool(s["acked"] >= n and s["in_flight"] == 0)

            ok = _run_until(drained, 600, every_ms=20)  # bus.stats() is not free: not too often
            end = time.perf_counter()
            self.tick.stop()
            cpu = _cpu_delta(cpu0, _cpu(broker.proc.pid))
            bus = core.bus.stats()
            status = core.engine.status()
            tally = _tally(core, 0, n)
            core.stop()
        finally:
            broker.close()
        return {
            "per_s": n / (end - first_at[0]) if first_at[0] and end > first_at[0] else 0.0,
            "received": status.received,
            "bus_received": bus["received"],
            "acked": bus["acked"],
            "batches": bus["batches"],
            "complete": ok,
            "startup_s": (first_at[0] or end) - t0,
            "publisher_per_s": pub_per_s,
            "ui_lag_p99_ms": _pct(self.ui.lags, 0.99),
            "alarms_on_ui": sum(1 for k in self.ui.seen if k.split("/", 1)[1].startswith("a")),
            "cpu_s": cpu,
            **tally,
        }

    def paced(self) -> dict[str, Any]:
        from console.benches.bus_drain import _Mosquitto, publish_backlog
        from console.bootstrap import build_core

        args = self.args
        n = int(args.paced_rate * args.paced_seconds)
        work = self._dir("paced")
        broker = _Mosquitto(work, None)

        def acked(k: int) -> Callable[[], bool]:
            return lambda: bool(core.bus.stats()["acked"] >= k and core.bus.stats()["in_flight"] == 0)

        try:
            core = build_core(self._settings(broker.port, work), register=self.reg, sink=self.sink)
            _run_until(lambda: core.engine.status().bus == "connected", 30)
            # Warm-up: one heartbeat from every device, so the paced phase sees a console in its
            # steady state. A device's first heartbeat (back online, a period of its own) is
            # journaled at once, not coalesced (console/app/beats.py): on a fresh journal the
            # paced traffic would otherwise be all first heartbeats, a commit per tiny batch.
            now = time.time_ns()
            warm = [self.traffic.heartbeat(i, now + i) for i in range(len(self.traffic.devs))]
            publish_backlog(broker.port, warm)
            warmed = _run_until(acked(len(warm)), 600)
            self.ui.reset()
            self.tick.start()
            pub = _publisher(broker.port, n, args.paced_rate, 0)
            ok = _run_until(acked(len(warm) + n), 600)
            out = (pub.communicate(timeout=600)[0] or "0 0").split()
            self.tick.stop()
            tally = _tally(core, 0, n, acked_before=len(warm))
            core.stop()
        finally:
            broker.close()
        return {
            "messages": n,
            "complete": warmed and ok and int(out[1]) == n,
            "warm_up_messages": len(warm),
            "publisher_per_s": int(out[0]),
            "p50_ms": _pct(self.ui.lat, 0.5),
            "p99_ms": _pct(self.ui.lat, 0.99),
            "ui_lag_p99_ms": _pct(self.ui.lags, 0.99),
            "ui_lag_mean_ms": statistics.fmean(self.ui.lags) if self.ui.lags else float("nan"),
            "alarms_seen": len(self.ui.lat),
            **tally,
        }


def _sum_cpu(drains: list[dict[str, Any]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for d in drains:
        for k, v in d["cpu_s"].items():
            out[k] = round(out.get(k, 0.0) + v, 2)
    return out


def run(argv: list[str]) -> dict[str, Any]:
    p = argparse.ArgumentParser(prog="python -m console bench ingest")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--messages", type=int, default=100_000)
    p.add_argument("--paced-rate", type=float, default=1000.0)
    p.add_argument("--paced-seconds", type=float, default=10.0)
    p.add_argument(
        "--raw",
        default="aiomqtt,paho",
        help="the raw drains' clients, comma separated (aiomqtt, paho); the first is the ratio's",
    )
    args = p.parse_args(argv)
    clients = [c.strip() for c in args.raw.split(",") if c.strip()]
    if not clients or any(c not in ("aiomqtt", "paho") for c in clients):
        p.error(f"--raw: aiomqtt and/or paho, not {args.raw!r}")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QCoreApplication

    load0 = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    machine0 = _machine()
    app = QCoreApplication.instance() or QCoreApplication(sys.argv[:1])
    bench = _Bench(args)
    raw_of: dict[str, list[dict[str, Any]]] = {c: [] for c in clients}
    consoles: list[dict[str, Any]] = []
    orders: list[str] = []
    drains = ["console", *clients]
    for i in range(args.runs):
        backlog = bench.backlog()  # the same bytes for every drain of this run
        k = i % len(drains)
        order = drains[k:] + drains[:k]  # each goes first in turn
        orders.append(",".join(order))
        for which in order:
            print(f"bench ingest: run {i + 1}/{args.runs} {which} ...", file=sys.stderr, flush=True)
            if which == "console":
                consoles.append(bench.drain_console(backlog))
            else:
                raw_of[which].append(bench.drain_raw(backlog, which))
        del backlog
    raws = raw_of[clients[0]]
    all_raws = [r for c in clients for r in raw_of[c]]
    print("bench ingest: paced ...", file=sys.stderr, flush=True)
    paced = bench.paced()
    machine1 = _machine()
    del app
    busy, steal, total = (b - a for a, b in zip(machine0, machine1, strict=True))
    per_s = [c["per_s"] for c in consoles]
    raw_per_s = [r["per_s"] for r in raws]
    ratios = [c / r if r else 0.0 for c, r in zip(per_s, raw_per_s, strict=True)]
    n = args.messages
    same = all(r["received"] == n and r["same_bytes"] for r in all_raws) and all(
        c["received"] == n and c["bus_received"] == n for c in consoles
    )
    others: dict[str, Any] = {}
    for c in clients[1:]:
        rs = [r["per_s"] for r in raw_of[c]]
        rr = [x / r if r else 0.0 for x, r in zip(per_s, rs, strict=True)]
        others[f"raw_{c}_per_s"] = round(statistics.median(rs))
        others[f"raw_{c}_per_s_runs"] = [round(x) for x in rs]
        others[f"ratio_{c}_min"] = round(min(rr), 3)
        others[f"ratio_{c}_median"] = round(statistics.median(rr), 3)
    return {
        "runs": args.runs,
        "messages": n,
        "per_s_min": round(min(per_s)),
        "per_s_median": round(statistics.median(per_s)),
        "raw_per_s": round(statistics.median(raw_per_s)),
        "raw_client": clients[0],
        "ratio_min": round(min(ratios), 3),
        "ratio_median": round(statistics.median(ratios), 3),
        "lost": sum(c["lost"] for c in consoles) + paced["lost"],
        "duplicates": sum(c["duplicates"] for c in consoles) + paced["duplicates"],
        "p50_ms": round(paced["p50_ms"], 1),
        "p99_ms": round(paced["p99_ms"], 1),
        "p99_phase": "one paced phase after the runs (fresh broker and journal, every device heard once first)",
        "paced_rate": args.paced_rate,
        "paced_messages": paced["messages"],
        "alarms_seen_paced": paced["alarms_seen"],
        "ui_lag_p99_ms": round(paced["ui_lag_p99_ms"], 1),
        "ui_lag_mean_ms": round(paced["ui_lag_mean_ms"], 2),
        "burst_ui_lag_p99_ms": round(max(c["ui_lag_p99_ms"] for c in consoles), 1),
        "per_s_runs": [round(x) for x in per_s],
        "raw_per_s_runs": [round(x) for x in raw_per_s],
        "ratio_runs": [round(x, 3) for x in ratios],
        **others,
        "orders": orders,
        "same_messages": same,
        "completed": same and paced["complete"] and all(d["complete"] for d in all_raws + consoles),
        "startup_s": round(statistics.median(c["startup_s"] for c in consoles), 2),
        "publisher_per_s": round(statistics.median(d["publisher_per_s"] for d in all_raws + consoles)),
        "console_batches_median": round(statistics.median(c["batches"] for c in consoles)),
        "alarms_seen_total": sum(c["alarms_on_ui"] for c in consoles) + paced["alarms_seen"],
        "console_cpu_s": _sum_cpu(consoles),
        "raw_cpu_s": _sum_cpu(raws),
        **{f"raw_{c}_cpu_s": _sum_cpu(raw_of[c]) for c in clients[1:]},
        "loadavg_start": [round(x, 2) for x in load0],
        "machine_busy_pct": round(100 * busy / total, 1) if total else -1.0,
        "machine_steal_pct": round(100 * steal / total, 1) if total else -1.0,
    }


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "--publish":
        _publish_main(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]))
