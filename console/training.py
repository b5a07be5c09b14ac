"""Training: a console marked TRAINING, on a loopback broker, with its own journal.

``python -m console training [--scenario NAME] [--speed X] [--duration S]`` starts the embedded
broker on loopback, a console in TRAINING mode whose journal is ``training.sqlite`` (never the
live ``journal.sqlite``), and, with ``--scenario``, publishes that drill into it
(``python -m console drill``). Drills may also be run by hand against the printed port.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import Any, Final

from console.config import Settings

LOOPBACK: Final = ("127.0.0.1", "localhost", "::1")
TRAINEE: Final = ("trainee", "培训学员", "district_officer", "*", "training")


class TrainingError(ValueError):
    """A training set-up that could reach real people or the live journal."""


def training_settings(base: Settings) -> Settings:
    """``base`` made safe for a drill: TRAINING mode, the per-user ``training.sqlite`` journal
    (a configured database URL is ignored: it may be the center's live store) and a loopback
    broker (a drill must never reach the district's alarm bus or its SMS gateway)."""
    if base.broker_host not in LOOPBACK:
        raise TrainingError(f"training publishes through a local broker only, not {base.broker_host}")
    s = dataclasses.replace(base, training=True, db_url="")
    if s.journal_url() == dataclasses.replace(base, training=False, db_url="").journal_url():
        raise TrainingError("the training journal would be the live journal")
    return s


def main(argv: list[str]) -> int:
    from console.launch import (
        _child,
        _logging,
        _start_broker,
        local_settings,
        run_window,
        sign_in,
        stop_children,
    )

    p = argparse.ArgumentParser(prog="python -m console training", description=__doc__)
    p.add_argument("--scenario", help="drill to publish once the console is up (name or .jsonl)")
    p.add_argument("--speed", type=float, default=1.0, help="drill speed factor")
    p.add_argument("--duration", type=float, help="run this many seconds, then exit 0")
    p.add_argument("--households", type=int, default=30_000, help="the drills' district size")
    p.add_argument("--workdir", type=Path, help="broker and log files here (default: a temp dir)")
    args = p.parse_args(argv)
    _logging()
    import tempfile

    from console.bootstrap import build_core
    from console.io.broker import DEMO_PASSWORD, DEMO_USERNAME
    from console.sim.district import generate
    from console.ui.app import create_app
    from console.ui.qtsink import QtSink

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="guardian-training-"))
    workdir.mkdir(parents=True, exist_ok=True)
    children: list[Any] = []
    core = None
    try:
        broker, host, port = _start_broker(workdir)
        children.append(broker)
        base = local_settings(host, port, "training")
        try:
            settings = training_settings(base)
        except TrainingError as exc:
            print(f"training: {exc}", file=sys.stderr)
            return 2
        print(f"training: journal {settings.journal_url()}, broker {host}:{port}", flush=True)
        app = create_app(settings.locale)
        sink = QtSink()
        core = build_core(settings, register=generate(households=args.households), sink=sink)
        op = sign_in(core, "training", *TRAINEE)
        if args.scenario:
            drill = ["drill", args.scenario, "--host", host, "--port", str(port)]
            drill += ["--username", DEMO_USERNAME, "--password", DEMO_PASSWORD, "--speed", str(args.speed)]
            children.append(_child(drill, workdir / "drill.log"))
        else:
            print(
                f"training: run a drill with: python -m console drill NAME --port {port} "
                f"--username {DEMO_USERNAME} --password {DEMO_PASSWORD}",
                flush=True,
            )
        rc = run_window(core, sink, op, settings, "training", args.duration, None)
        del app
        return rc
    finally:
        stop_children(children)
        if core is not None:
            core.stop()
