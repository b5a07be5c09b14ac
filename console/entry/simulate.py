"""``python -m console simulate``: a separate process that stands for the district's devices.

It publishes the synthetic register's traffic (console.sim.traffic) to a broker with QoS 1,
paced by the real clock (or as fast as the broker takes it with ``--burst``), prints counters
once a second and a summary at the end. ``--write-resources`` regenerates the shipped
map boundaries, register CSVs and drill scenarios instead.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from pathlib import Path

from console.domain import registry
from console.io.processes import stop_on_ctrl_c_and_sigterm
from console.sim import district, traffic
from console.sim.publisher import BrokerError, Flow, connect_client
from console.sim.resources import write_resources
from console.sim.stream import Streamer, with_storm
from console.sim.traffic import NS

DRAIN_S = 30.0  # after the last message: how long the broker gets to acknowledge the rest
DRAIN_INTERRUPTED_S = 5.0

EXIT_CODES = (
    "exit codes: 0 every message published was acknowledged (or --write-resources done, or Ctrl-C"
    " before publishing began); 1 no connection to the broker, or messages left unacknowledged;"
    " 2 a ratio outside 0..1, a register that cannot be read or has no households, or bad usage."
)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m console simulate", description=__doc__, epilog=EXIT_CODES)
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


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        with stop_on_ctrl_c_and_sigterm():  # SIGTERM: its parent stopping it, or its parent's end
            return publish(args)
    except KeyboardInterrupt:  # outside the streaming (which handles its own): nothing to drain
        print("simulate: interrupted", file=sys.stderr)
        return 0


def publish(args: argparse.Namespace) -> int:
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
    end_ns = start + int(args.duration * NS) if args.duration is not None else None
    interrupted = False
    streamer = Streamer(client, flow, paced=not args.burst, progress=None if args.quiet else _progress)
    try:
        if not streamer.run(with_storm(t, storm), count=args.count, end_ns=end_ns):
            print("simulate: the broker stopped acknowledging; giving up", file=sys.stderr)
    except KeyboardInterrupt:
        interrupted = True
    try:  # interrupted: the broker may be going too (its parent's end), so a shorter wait
        drained = flow.drain(timeout=DRAIN_INTERRUPTED_S if interrupted else DRAIN_S)
    except KeyboardInterrupt:
        drained = False
    client.disconnect()
    client.loop_stop()
    summary = streamer.summary(interrupted)
    print("summary: " + json.dumps(summary, ensure_ascii=False), flush=True)
    if not drained:
        print(f"simulate: {flow.sent - flow.acked} messages were not acknowledged", file=sys.stderr)
        return 1
    return 0


def _progress(elapsed: float, s: Streamer) -> None:
    parts = " ".join(f"{k}={v}" for k, v in sorted(s.counts.items()))
    print(f"[{elapsed:6.1f}s] sent={s.flow.sent} acked={s.flow.acked} {parts}", flush=True)
