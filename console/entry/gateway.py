"""``python -m console gateway``: the SMS / voice gateway simulator as its own process.

The simulator is console.sim.gateway; this driver parses the arguments, starts it and prints
its counters whenever they change, until Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from typing import Any

import msgspec

from console.io.processes import stop_on_ctrl_c_and_sigterm
from console.sim import gateway
from console.sim.gateway import GatewaySimulator
from console.sim.publisher import BrokerError

EXIT_CODES = (
    "exit codes: 0 stopped by Ctrl-C or SIGTERM; 1 no connection to the broker or no subscription;"
    " 2 --speed not positive, or bad usage."
)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        prog="python -m console gateway", description=gateway.__doc__, epilog=EXIT_CODES
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=1883)
    p.add_argument("--username")
    p.add_argument("--password")
    p.add_argument("--district", default="SIM")
    p.add_argument("--speed", type=float, default=1.0, help="divide every delay by this")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--client-id")
    args = p.parse_args(argv)
    if args.speed <= 0:
        print("gateway: --speed must be positive", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    gw = GatewaySimulator(
        args.host,
        args.port,
        args.district,
        args.speed,
        args.seed,
        args.username,
        args.password,
        args.client_id,
    )
    last: dict[str, Any] = {}
    try:
        with stop_on_ctrl_c_and_sigterm():  # SIGTERM: its parent stopping it, or its parent's end
            gw.start()
            while True:
                time.sleep(1.0)
                now = gw.counters()
                if now != last:
                    print("gateway: " + msgspec.json.encode(now).decode(), flush=True)
                    last = now
    except BrokerError as exc:
        print(f"gateway: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    finally:
        gw.stop()
    print("gateway: stopped " + msgspec.json.encode(gw.counters()).decode(), flush=True)
    return 0
