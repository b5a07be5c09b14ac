"""Bus drain rate: BusClient (ack after done) vs a plain aiomqtt subscriber, through Mosquitto.

A separate process publishes N QoS 1 messages with paho. Two scenarios:
- ``live``: the subscriber is connected while the publisher runs (bounded by the publisher);
- ``backlog``: the subscriber is away while N messages queue at the broker, then drains them
  (the pure receive rate, and what a console sees after an outage).
Mosquitto runs the shipped resources/mosquitto/console.conf (loopback variant); ``--inflight``
overrides its max_inflight_messages to show what the window costs an ack-after-journal client.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import deque
from pathlib import Path
from typing import Any

from console.io.mqtt_config import loopback_conf, shipped_conf_path

PAYLOAD = (
    b'{"v":1,"id":"%07d","dev":"860000000000001","kind":"smoke","evt":"heartbeat",'
    b'"ts":"2026-05-01T08:00:00+08:00","seq":%d,"bat":87,"rssi":-71,"hb":3600}'
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Mosquitto:
    def __init__(self, workdir: Path, inflight: int | None) -> None:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.port = _free_port()
        overrides = {"max_inflight_messages": str(inflight)} if inflight is not None else None
        conf = workdir / "mosquitto.conf"
        (workdir / "data").mkdir(exist_ok=True)
        text = shipped_conf_path().read_text(encoding="utf-8")
        conf.write_text(
            loopback_conf(text, self.port, workdir / "data", workdir / "log", overrides), encoding="utf-8"
        )
        self.proc = subprocess.Popen(
            [binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("mosquitto did not start") from None
                time.sleep(0.01)

    def close(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(10)


def _publisher(port: int, district: str, n: int) -> subprocess.Popen[bytes]:
    args = [sys.executable, "-m", "console.benches.bus_drain", "--publish", str(port), district, str(n)]
    return subprocess.Popen(args, stdout=subprocess.PIPE)


def _publish_main(port: int, district: str, n: int) -> None:
    """Child process: publish n QoS 1 messages as fast as paho can, print the rate."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{uuid.uuid4().hex[:6]}")
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect("127.0.0.1", port, 60)
    client.loop_start()
    t0 = time.perf_counter()
    pending: deque[Any] = deque()
    for i in range(n):
        if len(pending) >= 30_000:  # packet ids are 16 bit: never more than 65535 outstanding
            pending.popleft().wait_for_publish(600)
        pending.append(
            client.publish(f"guard/v1/evt/{district}/tw{i % 8}/dev{i % 5000}", PAYLOAD % (i, i), qos=1)
        )
    for info in pending:
        info.wait_for_publish(600)
    dt = time.perf_counter() - t0
    client.disconnect()
    client.loop_stop()
    print(f"{n / dt:.0f}", flush=True)


class _Counter:
    def __init__(self, n: int) -> None:
        self.n = n
        self.count = 0
        self.first = 0.0
        self.last = 0.0
        self.done = threading.Event()

    def add(self, k: int) -> None:
        now = time.perf_counter()
        if self.count == 0:
            self.first = now
        self.count += k
        if self.count >= self.n:
            self.last = now
            self.done.set()

    def rate(self) -> float:
        return self.count / (self.last - self.first) if self.last > self.first else 0.0


class _GroupCommit:
    """A stand-in journal: takes every waiting batch, 'commits' for commit_ms, then acks them all."""

    def __init__(self, commit_ms: float) -> None:
        import queue

        self.commit_s = commit_ms / 1000
        self.q: queue.Queue[Any] = queue.Queue()
        threading.Thread(target=self._main, daemon=True).start()

    def _main(self) -> None:
        import queue

        while True:
            items = [self.q.get()]
            with contextlib.suppress(queue.Empty):
                while True:
                    items.append(self.q.get_nowait())
            time.sleep(self.commit_s)  # the simulated fsync
            for done in items:
                done()


_COMMIT_MS = 0.0


def _bus_subscriber(port: int, district: str, counter: _Counter) -> Any:
    from console.io.bus import BusClient
    from console.io.bus_config import BusConfig

    commit = _GroupCommit(_COMMIT_MS) if _COMMIT_MS > 0 else None

    def on_batch(batch: list[Any], done: Any) -> None:
        counter.add(len(batch))
        if commit is None:
            done()
        else:
            commit.q.put(done)

    cfg = BusConfig("127.0.0.1", port, district, None, f"bench-{district}", receipts=False)
    client = BusClient(cfg, on_batch, lambda s, d: None)
    client.start()
    deadline = time.monotonic() + 10
    while client.state != "connected":
        if time.monotonic() > deadline:
            raise RuntimeError("bus did not connect")
        time.sleep(0.01)
    return client


class _RawSubscriber:
    """``async for message in client.messages``: aiomqtt as documented (acks on receipt)."""

    def __init__(self, port: int, district: str, counter: _Counter) -> None:
        self.port, self.district, self.counter = port, district, counter
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._main, daemon=True)
        self.thread.start()
        if not self.ready.wait(10):
            raise RuntimeError("raw subscriber did not connect")

    def _main(self) -> None:
        loop = asyncio.SelectorEventLoop()
        asyncio.set_event_loop(loop)
        self.loop = loop
        self.task = loop.create_task(self._run())
        try:
            loop.run_until_complete(self.task)
        except asyncio.CancelledError:
            pass
        loop.close()

    async def _run(self) -> None:
        import aiomqtt

        async with aiomqtt.Client(
            "127.0.0.1", self.port, identifier=f"bench-raw-{self.district}", clean_session=False
        ) as client:
            await client.subscribe(f"guard/v1/evt/{self.district}/#", qos=1)
            self.ready.set()
            async for _message in client.messages:
                self.counter.add(1)
                if self.counter.done.is_set():
                    break

    def stop(self) -> None:
        if self.thread.is_alive():
            self.loop.call_soon_threadsafe(self.task.cancel)
        self.thread.join(10)


def _run_one(port: int, mode: str, scenario: str, n: int) -> dict[str, Any]:
    district = f"b{uuid.uuid4().hex[:8]}"
    counter = _Counter(n)
    start = _bus_subscriber if mode == "bus" else _RawSubscriber
    sub = start(port, district, counter)
    if scenario == "backlog":
        sub.stop()  # the session stays; the broker queues for it
        counter = _Counter(n)
    pub = _publisher(port, district, n)
    out, _ = pub.communicate(timeout=900)
    pub_rate = float(out.decode().strip() or 0)
    t0 = time.perf_counter()
    if scenario == "backlog":
        sub = start(port, district, counter)
    finished = counter.done.wait(600)
    elapsed = time.perf_counter() - t0
    sub.stop()
    return {
        "received": counter.count,
        "complete": finished,
        "rate_msg_s": round(counter.rate()),
        "publisher_msg_s": round(pub_rate),
        "wall_s_after_publish": round(elapsed, 2),
    }


def run(argv: list[str]) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="bench bus_drain")
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--modes", default="bus,raw")
    parser.add_argument("--scenarios", default="live,backlog")
    parser.add_argument("--inflight", default="", help="comma list of max_inflight_messages to try")
    parser.add_argument(
        "--commit-ms", type=float, default=0.0, help="BusClient: simulated journal commit per group"
    )
    args = parser.parse_args(argv)
    global _COMMIT_MS
    _COMMIT_MS = args.commit_ms
    inflights: list[int | None] = [int(x) for x in args.inflight.split(",") if x] or [None]
    figures: dict[str, Any] = {"messages": args.messages, "commit_ms": args.commit_ms}
    for inflight in inflights:
        with tempfile.TemporaryDirectory(prefix="bench-bus-") as tmp:
            broker = _Mosquitto(Path(tmp), inflight)
            try:
                for mode in args.modes.split(","):
                    for scenario in args.scenarios.split(","):
                        key = f"{mode}_{scenario}" + (f"_inflight{inflight}" if inflight is not None else "")
                        print(f"bus_drain: {key} ...", file=sys.stderr, flush=True)
                        figures[key] = _run_one(broker.port, mode, scenario, args.messages)
            finally:
                broker.close()
    return figures


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--publish":
        _publish_main(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]))
    else:
        import json

        print(json.dumps(run(sys.argv[1:]), indent=2))
