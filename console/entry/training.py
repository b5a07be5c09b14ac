"""``python -m console training [--scenario NAME] [--speed X] [--duration S]``: a console marked
TRAINING, on a loopback broker, with its own journal.

Starts the embedded broker on loopback, a console in TRAINING mode whose journal is
``training.sqlite`` (never the live ``journal.sqlite``; console.config.training_settings), and,
with ``--scenario``, publishes that drill into it (``python -m console drill``). Drills may also
be run by hand against the printed port.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Final

TRAINEE: Final = ("trainee", "培训学员", "district_officer", "*", "training")


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m console training", description=__doc__)
    p.add_argument("--scenario", help="drill to publish once the console is up (name or .jsonl)")
    p.add_argument("--speed", type=float, default=1.0, help="drill speed factor")
    p.add_argument("--duration", type=float, help="run this many seconds, then exit 0")
    p.add_argument("--households", type=int, default=30_000, help="the drills' district size")
    p.add_argument("--workdir", type=Path, help="broker and log files here (default: a temp dir)")
    args = p.parse_args(argv)
    from console import bootstrap
    from console.config import TrainingError, training_settings
    from console.io.broker import DEMO_PASSWORD, DEMO_USERNAME
    from console.sim.district import generate

    bootstrap.setup_logging()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="guardian-training-"))
    with bootstrap.local_run(workdir) as run:
        host, port = run.host, run.port
        try:
            settings = training_settings(bootstrap.local_settings(host, port, "training"))
        except TrainingError as exc:
            print(f"training: {exc}", file=sys.stderr)
            return 2
        print(f"training: journal {settings.journal_url()}, broker {host}:{port}", flush=True)
        app = bootstrap.gui_app(settings.locale)
        sink = bootstrap.ui_sink()
        register = generate(households=args.households)
        run.core = core = bootstrap.build_core(settings, register=register, sink=sink)
        op = bootstrap.sign_in(core, "training", *TRAINEE)
        if args.scenario:
            drill = ["drill", args.scenario, "--host", host, "--port", str(port)]
            drill += ["--username", DEMO_USERNAME, "--password", DEMO_PASSWORD, "--speed", str(args.speed)]
            run.child(drill, "drill.log")
        else:
            print(
                f"training: run a drill with: python -m console drill NAME --port {port} "
                f"--username {DEMO_USERNAME} --password {DEMO_PASSWORD}",
                flush=True,
            )
        rc = bootstrap.run_console(core, sink, op, "training", args.duration, None)
        del app
        return rc
