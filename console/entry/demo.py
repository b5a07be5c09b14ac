"""``python -m console demo``: the embedded broker, a simulated district (its traffic and its
SMS / voice gateway, each in its own process) and the console, logged in as the demo officer.

Ctrl-C or SIGTERM stops it all in order and exits 0; nothing it started outlives it, not even
when it is killed or Qt cannot start (console.io.processes)."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

READY = "demo: ready (Ctrl-C stops it)"  # printed once the window is up

EXIT_CODES = (
    "exit codes: 0 the window was closed, --duration ran out, or Ctrl-C / SIGTERM stopped it;"
    " 2 bad usage; 1 an error stopped it (a traceback on stderr)."
)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        prog="python -m console demo",
        description="embedded broker + simulated district + console",
        epilog=EXIT_CODES,
    )
    p.add_argument("--duration", type=float, help="run this many seconds, then exit 0")
    p.add_argument("--screenshot", type=Path, help="save a screenshot of the main window at the end")
    p.add_argument("--households", type=int, default=30_000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--rate", type=float, default=6.0, help="alarm stories per minute")
    p.add_argument("--storm", type=int, default=0)
    p.add_argument("--locale", default="zh_CN", choices=["zh_CN", "en"])
    p.add_argument("--workdir", type=Path, help="keep the demo journal here (default: a fresh temp dir)")
    p.add_argument("--size", default="1366x768", help="window size, e.g. 1920x1080 for a wall screen")
    args = p.parse_args(argv)
    from console import bootstrap
    from console.io.processes import stop_on_ctrl_c_and_sigterm

    bootstrap.setup_logging()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="guardian-demo-"))
    print(f"demo: working in {workdir}", flush=True)
    try:
        with stop_on_ctrl_c_and_sigterm():
            return run_demo(args, workdir)
    except KeyboardInterrupt:  # Ctrl-C / SIGTERM before the window was up; all of it is stopped
        print("demo: interrupted, stopped", file=sys.stderr, flush=True)
        return 0


def run_demo(args: argparse.Namespace, workdir: Path) -> int:
    from PySide6.QtCore import QTimer

    from console import bootstrap
    from console.io.broker import DEMO_PASSWORD, DEMO_USERNAME
    from console.sim.district import generate

    app = bootstrap.gui_app(args.locale)  # first: a Qt that cannot start aborts before any child
    with bootstrap.local_run(workdir) as run:
        settings = bootstrap.local_settings(
            run.host, run.port, "demo", db_url=f"sqlite:///{workdir / 'journal.sqlite'}", locale=args.locale
        )
        register = generate(seed=args.seed, households=args.households)
        sink = bootstrap.ui_sink()
        run.core = core = bootstrap.build_core(settings, register=register, sink=sink)
        op = bootstrap.sign_in(
            core, settings.console_id, "demo", "演示值班员", "district_officer", "*", "demo-officer"
        )
        common = ["--host", run.host, "--port", str(run.port), "--username", DEMO_USERNAME]
        common += ["--password", DEMO_PASSWORD, "--district", "SIM"]
        # the simulator provider; its grid workers and cadres reply "1" after a few seconds, so
        # the demo shows dispatch confirmed from the field
        run.child(["gateway", *common, "--speed", "4", "--sim-reply-after", "8"], "gateway.log")
        sim = ["simulate", *common, "--households", str(args.households), "--seed", str(args.seed)]
        sim += ["--rate", str(args.rate), "--heartbeats-per-s", "200", "--bad-ratio", "0.01"]
        sim += ["--dup-ratio", "0.01", "--quiet", "--storm", str(args.storm or 12), "--storm-window", "8"]
        run.child(sim, "simulate.log")
        w, h = (int(x) for x in args.size.lower().split("x"))
        QTimer.singleShot(0, lambda: print(READY, flush=True))  # once the window's event loop runs
        rc = bootstrap.run_console(core, sink, op, "live", args.duration, args.screenshot, (w, h))
    del app
    return rc
