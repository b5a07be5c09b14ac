"""``python -m console headless``: the console core (bus, engine, journal) with no window.

For a server-room relay, for benchmarks and for the crash tests: it journals and acknowledges
exactly as the desktop console does. One status line per second on stdout; SIGTERM stops it.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from pathlib import Path

from console.config import add_flags, from_args


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m console headless", description=__doc__.splitlines()[0])
    add_flags(p)
    p.add_argument("--register-json", type=Path, help="a register file (registry.dumps) to use")
    p.add_argument("--sim-households", type=int, help="use the synthetic district with N households")
    p.add_argument("--status-every", type=float, default=1.0)
    args = p.parse_args(argv)
    from console.config import ConfigError

    try:
        settings = from_args(args)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    from console import bootstrap
    from console.domain import registry

    bootstrap.setup_logging(logging.WARNING)

    register = None
    if args.register_json:
        register = registry.loads(args.register_json.read_bytes())
    elif args.sim_households:
        from console.sim.district import generate

        register = generate(seed=7, households=args.sim_households)
    try:
        core = bootstrap.build_core(settings, register=register)
    except Exception as exc:  # noqa: BLE001
        print(f"headless: cannot start: {exc}", file=sys.stderr)
        return 1
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    print("headless: ready", flush=True)
    try:
        while not done.wait(args.status_every):
            st = core.engine.status()
            print(
                json.dumps(
                    {
                        "bus": st.bus,
                        "journal": st.journal,
                        "received": st.received,
                        "duplicates": st.duplicates,
                        "rejected": st.rejected,
                        "open": st.open_incidents,
                        "seq": st.last_seq,
                    }
                ),
                flush=True,
            )
    finally:
        core.stop()
    return 0
