"""``python -m console simulate``: a separate process that stands for the district's devices.

It publishes the synthetic register's traffic (console.sim.traffic) to a broker with QoS 1,
paced by the real clock (or as fast as the broker takes it with ``--burst``), prints counters
once a second and a summary at the end. ``--write-resources`` regenerates the shipped
map boundaries, register CSVs and drill scenarios instead.
"""

from __future__ import annotations

import argparse
import gc
import heapq
import json
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from console.domain import registry
from console.sim import district, traffic

NS = 1_000_000_000


class BrokerError(RuntimeError):
    """The broker could not be reached or refused us; the message says which."""


def connect_client(
    host: str,
    port: int,
    client_id: str = "",
    username: str | None = None,
    password: str | None = None,
    clean_session: bool = True,
    timeout: float = 10.0,
    on_connect: Any = None,
    prepare: Any = None,
) -> mqtt.Client:
    """A paho client (MQTT 3.1.1) connected with its loop thread running, or BrokerError.

    ``prepare(client)`` runs before connecting (set callbacks there: a persistent session
    may deliver at once); ``on_connect(client)`` after every successful (re)connect.
    """
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv311,
        clean_session=clean_session,
    )
    if username:
        client.username_pw_set(username, password)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    connected = threading.Event()
    failure: list[str] = []

    def _on_connect(c: mqtt.Client, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        if rc.is_failure:
            failure.append(str(rc))
            connected.set()
            return
        sock = c.socket()
        if isinstance(sock, socket.socket):  # small receipts / alarms should not wait on Nagle
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if on_connect is not None:
            on_connect(c)
        connected.set()

    client.on_connect = _on_connect
    if prepare is not None:
        prepare(client)
    try:
        client.connect(host, port, keepalive=30)
    except OSError as exc:
        raise BrokerError(f"cannot reach the broker at {host}:{port}: {exc}") from exc
    client.loop_start()
    if not connected.wait(timeout):
        client.loop_stop()
        raise BrokerError(f"no answer from the broker at {host}:{port} within {timeout:.0f} s")
    if failure:
        client.loop_stop()
        raise BrokerError(f"the broker at {host}:{port} refused the connection: {failure[0]}")
    return client


class Flow:
    """Counts QoS 1 acknowledgements so the publisher keeps a bounded window in flight."""

    def __init__(self, window: int = 2000) -> None:
        self.window = window
        self.sent = 0
        self.acked = 0
        self._cond = threading.Condition()

    def on_publish(self, client: Any, userdata: Any, mid: int, rc: Any, props: Any) -> None:
        with self._cond:
            self.acked += 1
            self._cond.notify_all()

    def before_send(self, timeout: float = 30.0) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self.sent - self.acked < self.window, timeout)

    def drain(self, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self.acked >= self.sent, timeout)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m console simulate", description=__doc__)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=1883)
    p.add_argument("--username")
    p.add_argument("--password")
    p.add_argument("--district", default=district.DISTRICT)
    p.add_argument("--households", type=int, default=30_000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--register", type=Path, help="a register JSON (registry.dumps) instead of generating one")
    p.add_argument("--rate", type=float, default=2.0, help="alarm stories per minute")
    p.add_argument("--troubles", type=float, default=0.5, help="faults / low battery / tamper per minute")
    p.add_argument("--heartbeats-per-s", type=float, help="compress heartbeat periods to about this rate")
    p.add_argument("--storm", type=int, default=0, help="start with an alarm storm of N alarms")
    p.add_argument("--storm-window", type=float, default=30.0, help="seconds the storm spreads over")
    p.add_argument("--bad-ratio", type=float, default=0.0)
    p.add_argument("--dup-ratio", type=float, default=0.0)
    p.add_argument("--unregistered-ratio", type=float, default=0.02)
    stop = p.add_mutually_exclusive_group()
    stop.add_argument("--duration", type=float, help="seconds of (simulated) time to publish")
    stop.add_argument("--count", type=int, help="number of messages to publish")
    p.add_argument("--burst", action="store_true", help="do not pace by the real clock")
    p.add_argument("--client-id", default="")
    p.add_argument("--quiet", action="store_true", help="no per-second progress lines")
    p.add_argument(
        "--write-resources", type=Path, metavar="DIR", help="regenerate shipped resources and exit"
    )
    return p


def write_resources(root: Path) -> list[Path]:
    """resources/map/boundaries.geojson, register/{template,sample}.csv, scenarios/*.jsonl."""
    from console.sim import drill

    written = [district.write_boundaries(root / "map" / "boundaries.geojson")]
    small = district.generate(seed=7, households=1000)
    written.append(district.write_register_csv(small, root / "register" / "sample.csv"))
    written.append(district.write_register_csv(small, root / "register" / "template.csv", limit=1))
    written += drill.write_scenarios(root / "scenarios", district.generate())
    return written


def _stream(t: traffic.Traffic, storm: list[traffic.Item]) -> Iterator[traffic.Item]:
    if not storm:
        return iter(t)
    return heapq.merge(storm, iter(t), key=lambda it: it.at_ns)


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if args.write_resources:
        for path in write_resources(args.write_resources):
            print(f"wrote {path}")
        return 0
    for name in ("bad_ratio", "dup_ratio", "unregistered_ratio"):
        if not 0.0 <= getattr(args, name) <= 1.0:
            print(f"simulate: --{name.replace('_', '-')} must be between 0 and 1", file=sys.stderr)
            return 2
    if args.register:
        try:
            reg = registry.loads(args.register.read_bytes())
        except (OSError, ValueError) as exc:
            print(f"simulate: cannot read register {args.register}: {exc}", file=sys.stderr)
            return 2
    else:
        reg = district.generate(seed=args.seed, households=args.households, district=args.district)
    if len(reg) == 0:
        print("simulate: the register has no households", file=sys.stderr)
        return 2
    scale = traffic.scale_for(reg, args.heartbeats_per_s) if args.heartbeats_per_s else 1.0
    start = time.time_ns()
    cfg = traffic.TrafficConfig(
        seed=args.seed,
        start_ns=start,
        alarms_per_min=args.rate,
        troubles_per_min=args.troubles,
        heartbeat_scale=scale,
        dup_ratio=args.dup_ratio,
        bad_ratio=args.bad_ratio,
        unregistered_ratio=args.unregistered_ratio,
    )
    t = traffic.Traffic(reg, cfg)
    storm = t.storm(args.storm, at_ns=start, window_s=args.storm_window) if args.storm else []
    gc.freeze()  # the register is a million long-lived objects: keep them out of every GC pass
    try:
        client = connect_client(args.host, args.port, args.client_id, args.username, args.password)
    except BrokerError as exc:
        print(f"simulate: {exc}", file=sys.stderr)
        return 1
    flow = Flow()
    client.on_publish = flow.on_publish
    print(
        f"simulate: {len(reg)} households, {len(t.devs)} devices, ~{t.heartbeats_per_s():.1f} heartbeats/s, "
        f"{args.rate:g} alarms/min -> {args.host}:{args.port}",
        flush=True,
    )
    counts: dict[str, int] = {}
    end_ns = start + int(args.duration * NS) if args.duration is not None else None
    interrupted = False
    began = time.monotonic()
    next_report = began + 1.0
    try:
        for item in _stream(t, storm):
            if args.count is not None and flow.sent >= args.count:
                break
            if end_ns is not None and item.at_ns > end_ns:
                break
            if not args.burst:
                while (wait := (item.at_ns - time.time_ns()) / NS) > 0:
                    time.sleep(min(wait, max(0.0, next_report - time.monotonic()), 0.5) or 0.001)
                    next_report = _report(args, flow, counts, began, next_report)
            if not flow.before_send():
                print("simulate: the broker stopped acknowledging; giving up", file=sys.stderr)
                break
            client.publish(item.topic, item.payload, qos=1)
            flow.sent += 1
            key = item.label.split(":", 1)[0]
            counts[key] = counts.get(key, 0) + 1
            if time.monotonic() >= next_report:
                next_report = _report(args, flow, counts, began, next_report)
    except KeyboardInterrupt:
        interrupted = True
    try:
        drained = flow.drain(timeout=30.0)
    except KeyboardInterrupt:
        drained = False
    client.disconnect()
    client.loop_stop()
    elapsed = time.monotonic() - began
    summary = {
        "published": flow.sent,
        "acked": flow.acked,
        "seconds": round(elapsed, 3),
        "per_s": round(flow.sent / elapsed, 1) if elapsed > 0 else 0.0,
        "by_label": dict(sorted(counts.items())),
        "interrupted": interrupted,
    }
    print("summary: " + json.dumps(summary, ensure_ascii=False), flush=True)
    if not drained:
        print(f"simulate: {flow.sent - flow.acked} messages were not acknowledged", file=sys.stderr)
        return 1
    return 0


def _report(args: argparse.Namespace, flow: Flow, counts: dict[str, int], began: float, due: float) -> float:
    now = time.monotonic()
    if now < due:
        return due
    if not args.quiet:
        parts = " ".join(f"{k}={v}" for k, v in sorted(counts.items()))
        print(f"[{now - began:6.1f}s] sent={flow.sent} acked={flow.acked} {parts}", flush=True)
    return now + 1.0
