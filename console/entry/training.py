"""``python -m console training [--scenario NAME] [--speed X] [--duration S]``: a console marked
TRAINING, on a loopback broker, with its own journal.

Starts the embedded broker on loopback, a console in TRAINING mode whose journal is
``training.sqlite`` (never the live ``journal.sqlite``; console.config.training_settings), and,
with ``--scenario``, publishes that drill into it (``python -m console drill``). Drills may also
be run by hand against the printed port. Ctrl-C or SIGTERM stops it all in order and exits 0;
nothing it started outlives it (console.io.processes).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from console.config import Settings

TRAINEE: Final = ("trainee", "培训学员", "district_officer", "*", "training")
READY: Final = "training: ready (Ctrl-C stops it)"  # printed once the window is up

EXIT_CODES: Final = (
    "exit codes: 0 the window was closed, --duration ran out, or Ctrl-C / SIGTERM stopped it;"
    " 2 training refused (console.config.training_settings: not a loopback broker, the live"
    " journal) or bad usage; 1 an error stopped it (a traceback on stderr)."
)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m console training", description=__doc__, epilog=EXIT_CODES)
    p.add_argument("--scenario", help="drill to publish once the console is up (name or .jsonl)")
    p.add_argument("--speed", type=float, default=1.0, help="drill speed factor")
    p.add_argument("--duration", type=float, help="run this many seconds, then exit 0")
    p.add_argument("--households", type=int, default=30_000, help="the drills' district size")
    p.add_argument("--workdir", type=Path, help="broker and log files here (default: a temp dir)")
    args = p.parse_args(argv)
    from console import bootstrap
    from console.config import TrainingError, training_settings
    from console.io.broker import LOOPBACK
    from console.io.processes import stop_on_ctrl_c_and_sigterm

    bootstrap.setup_logging()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="guardian-training-"))
    try:
        # Refused before anything starts; checked again on the broker's real address.
        settings = training_settings(bootstrap.local_settings(LOOPBACK, 0, "training"))
        with stop_on_ctrl_c_and_sigterm():
            return run_training(args, workdir, settings)
    except TrainingError as exc:
        print(f"training: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C / SIGTERM before the window was up; all of it is stopped
        print("training: interrupted, stopped", file=sys.stderr, flush=True)
        return 0


def run_training(args: argparse.Namespace, workdir: Path, settings: Settings) -> int:
    from PySide6.QtCore import QTimer

    from console import bootstrap
    from console.config import training_settings
    from console.io.broker import DEMO_PASSWORD, DEMO_USERNAME
    from console.sim.district import generate

    app = bootstrap.gui_app(settings.locale)  # first: a Qt that cannot start aborts before any child
    with bootstrap.local_run(workdir) as run:
        host, port = run.host, run.port
        settings = training_settings(dataclasses.replace(settings, broker_host=host, broker_port=port))
        print(f"training: journal {settings.journal_url()}, broker {host}:{port}", flush=True)
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
        QTimer.singleShot(0, lambda: print(READY, flush=True))  # once the window's event loop runs
        rc = bootstrap.run_console(core, sink, op, "training", args.duration, None)
    del app
    return rc
