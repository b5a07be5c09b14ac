"""Bus drain rate: BusClient (ack after done) vs a plain aiomqtt subscriber, through Mosquitto.

A separate process publishes N QoS 1 messages with paho. Two scenarios:
- ``live``: the subscriber is connected while the publisher runs (bounded by the publisher);
- ``backlog``: the subscriber is away while N messages queue at the broker, then drains them
  (the pure receive rate, and what a console sees after an outage).
Mosquitto runs the shipped resources/mosquitto/console.conf (loopback variant); ``--inflight``
overrides its max_inflight_messages to show what the window costs an ack-after-journal client.

``publish_backlog`` (used by ``bench ingest``) writes QoS 1 PUBLISH packets straight onto a socket
and returns only once the broker has acknowledged every one: a backlog publisher that is done,
for certain, before a drain starts, at tens of thousands of msg/s where paho's loop thread
manages a few thousand on this kind of machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Sequence
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
    def __init__(self, workdir: Path, inflight: int | None, queued: int | None = None) -> None:
        """``queued``: raise the shipped max_queued_messages to at least this (a bigger backlog)."""
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.port = _free_port()
        overrides = {"max_inflight_messages": str(inflight)} if inflight is not None else {}
        if queued is not None and queued > 100_000:  # the shipped limit (resources/mosquitto)
            overrides["max_queued_messages"] = str(queued)
        conf = workdir / "mosquitto.conf"
        (workdir / "data").mkdir(exist_ok=True)
        text = shipped_conf_path().read_text(encoding="utf-8")
        conf.write_text(
            loopback_conf(text, self.port, workdir / "data", workdir / "log", overrides or None),
            encoding="utf-8",
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


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        n, digit = n >> 7, n & 0x7F
        out.append(digit | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _packet(kind: int, body: bytes) -> bytes:
    return bytes([kind]) + _varint(len(body)) + body


def _string(s: str) -> bytes:
    b = s.encode()
    return struct.pack("!H", len(b)) + b


def publish_backlog(port: int, messages: Sequence[tuple[str, bytes]], window: int = 30_000) -> float:
    """Publish (topic, payload) pairs at QoS 1 over a plain socket (MQTT 3.1.1) and return once
    the broker has sent a PUBACK for every one: the publish rate (msg/s, to the last PUBACK).

    Mosquitto acknowledges a QoS 1 PUBLISH after it has queued the message for every
    subscription, so when this returns an offline persistent session holds all of them.
    At most ``window`` stay unacknowledged (packet ids are 16 bit)."""
    sock = socket.create_connection(("127.0.0.1", port), 10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    connect = (
        _string("MQTT")
        + bytes([4, 0x02])
        + struct.pack("!H", 60)
        + _string(f"bench-bl-{uuid.uuid4().hex[:6]}")
    )
    sock.sendall(_packet(0x10, connect))
    connack = sock.recv(4)
    if connack[:1] != b"\x20" or connack[3:4] != b"\x00":
        sock.close()
        raise RuntimeError(f"backlog publisher: CONNACK {connack!r}")
    acked = 0
    cond = threading.Condition()
    failed: list[str] = []

    def reader() -> None:
        nonlocal acked
        buf = b""
        try:
            while acked < len(messages):
                chunk = sock.recv(65536)
                if not chunk:
                    failed.append("connection closed")
                    break
                buf += chunk
                whole = len(buf) - len(buf) % 4
                if any(buf[i] != 0x40 for i in range(0, whole, 4)):
                    failed.append(f"unexpected packet {buf[:8]!r}")
                    break
                with cond:
                    acked += whole // 4
                    cond.notify_all()
                buf = buf[whole:]
        except OSError as exc:
            failed.append(str(exc))
        with cond:
            cond.notify_all()

    t0 = time.perf_counter()
    rd = threading.Thread(target=reader, name="bench-backlog-acks", daemon=True)
    rd.start()
    chunk: list[bytes] = []
    for i, (topic, payload) in enumerate(messages):
        mid = i % 65535 + 1
        chunk.append(_packet(0x32, _string(topic) + struct.pack("!H", mid) + payload))
        if len(chunk) >= 500 or i == len(messages) - 1:
            with cond:
                while i + 1 - acked > window and not failed:
                    cond.wait(10)
            sock.sendall(b"".join(chunk))
            chunk.clear()
    with cond:
        while acked < len(messages) and not failed:
            if not cond.wait(600):
                failed.append("no PUBACK for 600 s")
    dt = time.perf_counter() - t0
    rd.join(10)
    with contextlib.suppress(OSError):
        sock.sendall(b"\xe0\x00")  # DISCONNECT
    sock.close()
    if failed or acked != len(messages):
        raise RuntimeError(f"backlog publisher: {acked} of {len(messages)} acknowledged ({failed})")
    return len(messages) / dt if dt > 0 else 0.0


class _Counter:
    def __init__(self, n: int) -> None:
        self.n = n
        self.count = 0
        self.bytes = 0
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
    """``async for message in client.messages``: aiomqtt as documented (acks on receipt).

    ``topics`` (default: the district's device events) and ``identifier`` let a bench subscribe
    exactly as the console does; the payload bytes seen are summed into ``counter.bytes``."""

    def __init__(
        self,
        port: int,
        district: str,
        counter: _Counter,
        topics: Sequence[str] | None = None,
        identifier: str | None = None,
    ) -> None:
        self.port, self.district, self.counter = port, district, counter
        self.topics = list(topics or [f"guard/v1/evt/{district}/#"])
        self.identifier = identifier or f"bench-raw-{district}"
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._main, name="bench-raw-aiomqtt", daemon=True)
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
            "127.0.0.1", self.port, identifier=self.identifier, clean_session=False
        ) as client:
            await client.subscribe([(t, 1) for t in self.topics])
            self.ready.set()
            counter = self.counter
            async for message in client.messages:
                payload = message.payload
                counter.bytes += len(payload) if isinstance(payload, bytes | bytearray) else 0
                counter.add(1)
                if counter.done.is_set():
                    break

    def stop(self) -> None:
        if self.thread.is_alive():
            self.loop.call_soon_threadsafe(self.task.cancel)
        self.thread.join(10)


class _PahoSubscriber:
    """paho's own network loop (``loop_start``), PUBACK on receipt (after ``on_message``), Nagle
    off as the console has it: the receive ceiling of the MQTT library under the console's stack.

    Same arguments as ``_RawSubscriber``."""

    def __init__(
        self,
        port: int,
        district: str,
        counter: _Counter,
        topics: Sequence[str] | None = None,
        identifier: str | None = None,
    ) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        self.counter = counter
        topics = list(topics or [f"guard/v1/evt/{district}/#"])
        self.ready = threading.Event()
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=identifier or f"bench-paho-{district}", clean_session=False
        )

        def on_connect(c: Any, _u: Any, _f: Any, _rc: Any, _p: Any) -> None:
            sock = c.socket()
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            c.subscribe([(t, 1) for t in topics])

        def on_subscribe(_c: Any, _u: Any, _mid: Any, _rc: Any, _p: Any) -> None:
            self.ready.set()

        def on_message(_c: Any, _u: Any, message: Any) -> None:
            counter.bytes += len(message.payload)
            counter.add(1)

        client.on_connect = on_connect
        client.on_subscribe = on_subscribe
        client.on_message = on_message
        client.connect("127.0.0.1", port, 60)
        client.loop_start()
        self.client = client
        if not self.ready.wait(10):
            self.stop()
            raise RuntimeError("paho subscriber did not connect")

    def stop(self) -> None:
        self.client.disconnect()  # a clean DISCONNECT: the persistent session stays
        self.client.loop_stop()


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
