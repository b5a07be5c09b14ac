"""``python -m console drill SCENARIO``: publish a training scenario through a local broker.

The scenarios and their publishing are console.sim.drill; this driver parses the arguments,
connects (console.sim.publisher) and prints what went out.
"""

from __future__ import annotations

import argparse
import sys

from console.sim import drill
from console.sim.drill import ScenarioError, ScenarioItem, load_scenario, publish_scenario, resolve
from console.sim.publisher import BrokerError, Flow, connect_client


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m console drill", description=drill.__doc__)
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

    try:
        publish_scenario(client, flow, header, items, args.speed, run, None if args.quiet else show)
    except KeyboardInterrupt:
        print("drill: interrupted", file=sys.stderr)
    ok = flow.drain(timeout=30.0)
    client.disconnect()
    client.loop_stop()
    print(f"drill: published {flow.sent}, acknowledged {flow.acked}", flush=True)
    return 0 if ok else 1
