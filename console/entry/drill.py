"""``python -m console drill SCENARIO``: publish a training scenario through a local broker.

The scenarios and their publishing are console.sim.drill; this driver parses the arguments,
connects (console.sim.publisher) and prints what went out.
"""

from __future__ import annotations

import argparse
import sys

from console.io.processes import stop_on_ctrl_c_and_sigterm
from console.sim import drill
from console.sim.drill import ScenarioError, ScenarioItem, load_scenario, publish_scenario, resolve
from console.sim.publisher import BrokerError, Flow, connect_client

DRAIN_S = 30.0  # after the last message: how long the broker gets to acknowledge the rest
DRAIN_INTERRUPTED_S = 5.0

EXIT_CODES = (
    "exit codes: 0 every message published was acknowledged by the broker (or Ctrl-C before"
    " anything was published); 1 no connection to the broker, or messages left unacknowledged;"
    " 2 an unknown or invalid scenario, --speed not positive, or bad usage."
)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m console drill", description=drill.__doc__, epilog=EXIT_CODES)
    ap.add_argument("scenario", help=f"a name ({', '.join(drill.SCENARIOS)}) or a .jsonl path")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=1883)
    ap.add_argument("--username")
    ap.add_argument("--password")
    ap.add_argument("--speed", type=float, default=1.0, help="divide every after_s by this")
    ap.add_argument("--district", help="publish under this district instead of the scenario's")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    if args.speed <= 0:
        print("drill: --speed must be positive", file=sys.stderr)
        return 2
    try:
        with stop_on_ctrl_c_and_sigterm():  # SIGTERM: its parent stopping it, or its parent's end
            return publish(args)
    except KeyboardInterrupt:  # outside the publishing (which handles its own): nothing to drain
        print("drill: interrupted", file=sys.stderr)
        return 0


def publish(args: argparse.Namespace) -> int:
    try:
        header, items = load_scenario(resolve(args.scenario))
    except ScenarioError as exc:
        print(f"drill: {exc}", file=sys.stderr)
        return 2
    if args.district:
        header.district = args.district

    try:
        client = connect_client(args.host, args.port, "", args.username, args.password)
    except BrokerError as exc:
        print(f"drill: {exc}", file=sys.stderr)
        return 1
    flow = Flow()
    client.on_publish = flow.on_publish
    run = drill.run_id()
    print(
        f"drill: {header.scenario} — {header.title_zh} / {header.title_en}: {len(items)} messages", flush=True
    )

    def show(item: ScenarioItem) -> None:
        p = item.payload
        print(f"[{item.after_s:7.1f}s] {item.township} {item.dev} {p.get('kind')} {p.get('evt')} {item.note}")

    interrupted = False
    try:
        publish_scenario(client, flow, header, items, args.speed, run, None if args.quiet else show)
    except KeyboardInterrupt:
        interrupted = True
        print("drill: interrupted", file=sys.stderr)
    try:  # interrupted: the broker may be going too (its parent's end), so a shorter wait
        ok = flow.drain(timeout=DRAIN_INTERRUPTED_S if interrupted else DRAIN_S)
    except KeyboardInterrupt:
        ok = False
    client.disconnect()
    client.loop_stop()
    print(f"drill: published {flow.sent}, acknowledged {flow.acked}", flush=True)
    return 0 if ok else 1
