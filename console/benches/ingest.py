"""``python -m console bench ingest``: bus -> engine -> journal -> UI thread, through Mosquitto.

A separate process publishes the traffic (98 % heartbeats, 2 % alarms, alarm ids carry their
publish time). The console side is the real thing: BusClient (ack after journal), the engine
thread, a SQLite journal (WAL, synchronous=FULL) and a Qt event loop receiving the deltas.
Phase ``backlog``: N messages queue at the broker while the console is away; it comes back
and drains them through the whole pipeline -> per_s (the console's sustained rate), lost, dups.
Phase ``paced``: 1,000 msg/s background for a few seconds -> publish-to-UI p50/p99 and UI lag.
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
from pathlib import Path
from typing import Any

DISTRICT = "BENCH"
HOUSEHOLDS = 5000


def _pct(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def _publish_main(port: int, n: int, rate: float, offset: int) -> None:
    """Child process: publish n messages (2 % alarms) at ``rate`` msg/s (0: as fast as possible)."""
    import paho.mqtt.client as mqtt

    from console.domain.codec import device_topic
    from console.sim.district import generate
    from console.sim.traffic import payload

    reg = generate(seed=7, households=HOUSEHOLDS, district=DISTRICT)
    hhs = [h for h in reg.households.values() if any(d.kind == "smoke" for d in h.devices)]
    devs = [(h.township, d.id, d.kind) for h in hhs for d in h.devices]
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"bench-ingest-{uuid.uuid4().hex[:6]}")
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect("127.0.0.1", port, 60)
    client.loop_start()
    pending: deque[Any] = deque()
    t0 = time.perf_counter()
    alarms = 0
    for i in range(n):
        if rate:
            delay = t0 + i / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        now = time.time_ns()
        k = offset + i
        if k % 50 == 0:
            h = hhs[(k // 50) % len(hhs)]
            d = next(d for d in h.devices if d.kind == "smoke")
            body = payload(d.id, "smoke", "alarm", now, f"a{k}-{now}")
            topic = device_topic(DISTRICT, h.township, d.id)
            alarms += 1
        else:
            tw, dev, kind = devs[k % len(devs)]
            body = payload(dev, kind, "heartbeat", now, f"h{k}", bat=90, hb=3600)
            topic = device_topic(DISTRICT, tw, dev)
        if len(pending) >= 30_000:
            pending.popleft().wait_for_publish(600)
        pending.append(client.publish(topic, body, qos=1))
    for info in pending:
        info.wait_for_publish(600)
    dt = time.perf_counter() - t0
    client.disconnect()
    client.loop_stop()
    print(f"{n / dt:.0f} {alarms}", flush=True)


def _publisher(port: int, n: int, rate: float, offset: int) -> subprocess.Popen[str]:
    args = [
        sys.executable,
        "-m",
        "console.benches.ingest",
        "--publish",
        str(port),
        str(n),
        str(rate),
        str(offset),
    ]
    return subprocess.Popen(args, stdout=subprocess.PIPE, text=True)


def run(argv: list[str]) -> dict[str, Any]:
    p = argparse.ArgumentParser(prog="python -m console bench ingest")
    p.add_argument("--messages", type=int, default=100_000)
    p.add_argument("--paced-rate", type=float, default=1000.0)
    p.add_argument("--paced-seconds", type=float, default=10.0)
    args = p.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, QTimer

    from console.app.delta import Delta
    from console.benches.bus_drain import _Mosquitto
    from console.bootstrap import build_core
    from console.config import Settings
    from console.sim.district import generate
    from console.ui.qtsink import QtSink

    app = QCoreApplication.instance() or QCoreApplication(sys.argv[:1])
    work = Path(tempfile.mkdtemp(prefix="guardian-bench-ingest-"))
    broker = _Mosquitto(work, None)
    reg = generate(seed=7, households=HOUSEHOLDS, district=DISTRICT)
    settings = Settings(
        broker_host="127.0.0.1",
        broker_port=broker.port,
        district=DISTRICT,
        console_id="bench",
        db_url=f"sqlite:///{work / 'journal.sqlite'}",
    )
    sink = QtSink()
    seen: dict[str, float] = {}
    latency_from = [0]  # alarm numbers from here on count in the publish-to-UI figures
    lat: list[float] = []
    lags: list[float] = []

    class Receiver(QObject):
        def on_delta(self, d: Delta) -> None:
            now = time.time_ns()
            for inc in d.incidents:
                for key in inc.alarms:
                    if key not in seen:
                        seen[key] = now
                        ident = key.split("/", 1)[1]
                        if ident.startswith("a") and "-" in ident:
                            k, published = ident[1:].split("-", 1)
                            # the paced figures are the paced phase's own alarms: a backlog alarm
                            # whose delta lands just after the drain has waited in the backlog
                            if int(k) >= latency_from[0]:
                                lat.append((now - int(published)) / 1e6)

    rx = Receiver()
    sink.delta.connect(rx.on_delta)
    tick = QTimer()
    tick.setInterval(10)
    last = [time.perf_counter()]

    def on_tick() -> None:
        now = time.perf_counter()
        lags.append(max(0.0, (now - last[0]) * 1000 - 10))
        last[0] = now

    tick.timeout.connect(on_tick)

    def run_until(pred: Any, timeout: float) -> bool:
        loop = QEventLoop()
        deadline = time.monotonic() + timeout
        poll = QTimer()
        poll.setInterval(20)
        poll.timeout.connect(lambda: (pred() or time.monotonic() > deadline) and loop.quit())
        poll.start()
        loop.exec()
        poll.stop()
        return bool(pred())

    # 1. open the persistent session once, then go away while the backlog is published
    first = build_core(settings, register=reg, sink=sink)
    run_until(lambda: first.engine.status().bus == "connected", 30)
    first.stop()
    pub = _publisher(broker.port, args.messages, 0, 0)
    pub_out = (pub.communicate(timeout=900)[0] or "0 0").split()
    # 2. the console comes back and drains the backlog through the whole pipeline
    t0 = time.perf_counter()
    core = build_core(settings, register=reg, sink=sink)
    tick.start()
    last[0] = time.perf_counter()

    def journaled() -> int:
        return core.engine.status().received

    first_seen = [0.0]

    def drained() -> bool:
        n = journaled()
        if n and not first_seen[0]:
            first_seen[0] = time.perf_counter()
        return n >= args.messages and core.bus.stats()["in_flight"] == 0

    ok = run_until(drained, 600)
    end = time.perf_counter()
    burst_s = end - (first_seen[0] or t0)
    startup_s = (first_seen[0] or end) - t0
    burst_lags = list(lags)
    # paced
    lat.clear()
    lags.clear()
    latency_from[0] = args.messages
    n2 = int(args.paced_rate * args.paced_seconds)
    pub2 = _publisher(broker.port, n2, args.paced_rate, args.messages)
    ok2 = run_until(lambda: journaled() >= args.messages + n2 and core.bus.stats()["in_flight"] == 0, 600)
    pub2.communicate(timeout=600)
    tick.stop()
    expected = {k for k in range(args.messages + n2) if k % 50 == 0}
    from sqlalchemy import text

    with core.store.engine.connect() as conn:
        keys = [k for (k,) in conn.execute(text("SELECT key FROM journal WHERE type = 'dev'"))]
    got = {int(k.split("/", 1)[1][1:].split("-", 1)[0]) for k in keys}
    incidents = core.engine.query(lambda w: [list(i.alarms) for i in w.incidents.values()]).result(30)
    all_keys = [k for alarms in incidents for k in alarms]
    core.stop()
    broker.close()
    del app
    return {
        "messages": args.messages,
        "per_s": round(args.messages / burst_s),
        "publisher_per_s": int(pub_out[0]),
        "startup_s": round(startup_s, 2),
        "lost": len(expected - got),
        "dup_incidents": len(all_keys) - len(set(all_keys)) + (len(keys) - len(set(keys))),
        "p50_ms": round(_pct(lat, 0.5), 1),
        "p99_ms": round(_pct(lat, 0.99), 1),
        "ui_lag_p99_ms": round(_pct(lags, 0.99), 1),
        "burst_ui_lag_p99_ms": round(_pct(burst_lags, 0.99), 1),
        "paced_rate": args.paced_rate,
        "alarms_seen_paced": len(lat),
        "alarms_seen_total": sum(1 for k in seen if k.split("/", 1)[1].startswith("a")),
        "completed": ok and ok2,
        "ui_lag_mean_ms": round(statistics.fmean(burst_lags + lags), 2) if lags else None,
    }


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "--publish":
        _publish_main(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]))
