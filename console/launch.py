"""``python -m console run`` and ``python -m console demo``: start the officer's console."""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from console.config import Settings, add_flags, from_args

log = logging.getLogger("console")


def _child(args: list[str], log_path: Path) -> subprocess.Popen[bytes]:
    with open(log_path, "wb") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "console", *args], stdout=out, stderr=subprocess.STDOUT
        )


def _start_broker(workdir: Path) -> tuple[subprocess.Popen[bytes], str, int]:
    """The embedded broker in its own process (it stands for the district's broker)."""
    logp = workdir / "broker.log"
    proc = _child(["broker", "--port", "0", "--data-dir", str(workdir / "broker")], logp)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        text = logp.read_text(errors="replace") if logp.exists() else ""
        m = re.search(r"listening on ([\d.]+):(\d+)", text)
        if m:
            return proc, m.group(1), int(m.group(2))
        if proc.poll() is not None:
            raise RuntimeError(f"embedded broker failed: {text[-500:]}")
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("embedded broker did not start within 30 s")


def run_window(
    core: Any,
    sink: Any,
    operator: Any,
    settings: Settings,
    mode: str,
    duration: float | None,
    screenshot: Path | None,
    size: tuple[int, int] | None = None,
) -> int:
    import qasync
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from console.bootstrap import templates
    from console.ui.main_window import MainWindow

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    map_view = None
    try:
        from console.ui.map.widget import MapView

        map_view = MapView()
        bands = core.engine.query(lambda w: w.all_bands()).result(30)
        map_view.load(core.world.register, bands, operator.scope)
    except ImportError:
        log.warning("map pane not available in this build")
    from console.config import remember

    window = MainWindow(
        core.engine,
        sink,
        templates(),
        operator,
        settings.console_id,
        mode=mode,
        map_view=map_view,
        check_login=core.store.check_login,
        save_locale=lambda loc: remember("locale", loc),
        kpi_compute=kpi_for(core),
        run_import=importer_for(core),
    )
    if size is not None:
        window.resize(*size)
    window.show()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    signal.signal(signal.SIGINT, lambda *_: app.quit())
    if duration:

        def finish() -> None:
            if screenshot is not None:
                window.grab().save(str(screenshot))
                print(f"screenshot saved: {screenshot}", flush=True)
            app.quit()

        QTimer.singleShot(int(duration * 1000), finish)
    with loop:
        loop.run_forever()
    return 0


def kpi_for(core: Any, save_every: int | None = None) -> Any:
    """KPIs for the panel: folded from the journal (not the screen), so replay agrees. One fold
    lives as long as the console; each refresh (on the panel's worker thread) feeds it only the
    records journaled since the last, starting from the newest KPI checkpoint, and checkpoints it
    every ``save_every`` records (console/io/kpi_store.py)."""
    import threading

    from console.app.data import load_weights
    from console.bootstrap import templates
    from console.io.kpi_store import SAVE_EVERY, KpiCursor
    from console.paths import resource

    cursor = KpiCursor(
        core.store,
        core.world.register,
        templates(),
        load_weights(resource("risk.toml")),
        save_every=save_every or SAVE_EVERY,
        pause_gc=False,  # the engine and bus threads run meanwhile
    )
    lock = threading.Lock()  # the panel runs one refresh at a time; this makes sure of it

    def run() -> Any:
        with lock:
            return cursor.live(core.engine.clock.now_ns())

    run.cursor = cursor  # type: ignore[attr-defined]
    return run


def importer_for(core: Any) -> Any:
    from console.io.registry_import import import_file

    def run(path: Path, replace: bool, progress: Any) -> Any:
        return import_file(path, core.store, replace=replace, progress=progress)

    return run


def _logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("alembic", "amqtt", "transitions"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def local_settings(host: str, port: int, console_id: str, **kw: Any) -> Settings:
    """Settings for a console on the embedded (demo / training) broker, with its credentials."""
    from console.io.broker import DEMO_PASSWORD, DEMO_USERNAME

    return Settings(
        broker_host=host,
        broker_port=port,
        broker_username=DEMO_USERNAME,
        broker_password=DEMO_PASSWORD,
        district="SIM",
        console_id=console_id,
        **kw,
    )


def sign_in(core: Any, console_id: str, op_id: str, name: str, role: str, scope: str, password: str) -> Any:
    """Make sure the (demo / trainee) account exists and journal its login on this console."""
    from console.ui.main_window import Operator

    if core.store.check_login(op_id, password) is None:
        core.store.add_operator(op_id, name, role, scope, password)
    op = Operator(op_id, role, scope, name)
    _login_event(core, op, console_id)
    return op


def stop_children(children: list[subprocess.Popen[bytes]]) -> None:
    for c in reversed(children):
        if c.poll() is None:
            c.terminate()
            try:
                c.wait(10)
            except subprocess.TimeoutExpired:
                c.kill()


def _login_event(core: Any, op: Any, console_id: str) -> None:
    from console.domain import events as ev

    core.engine.submit_command(
        ev.Login(at=0, operator=op.id, console=console_id, role=op.role, scope=op.scope)
    )


def main_run(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m console run", description="the officer's console")
    add_flags(p)
    p.add_argument("--duration", type=float, help="run this many seconds, then exit 0 (kiosk checks)")
    p.add_argument("--screenshot", type=Path, help="with --duration: save a screenshot at the end")
    args = p.parse_args(argv)
    from console.config import ConfigError

    try:
        settings = from_args(args)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    _logging()
    from console.bootstrap import build_core, open_store
    from console.ui.app import create_app
    from console.ui.login import LoginDialog
    from console.ui.main_window import Operator
    from console.ui.qtsink import QtSink

    app = create_app(settings.locale)
    try:
        store = open_store(settings)
    except Exception as exc:  # noqa: BLE001
        print(f"cannot open the journal: {exc}", file=sys.stderr)
        return 1
    if not store.list_operators():
        print(
            "no operator accounts yet: python -m console operators add ID --name NAME --role district_officer --scope '*'",
            file=sys.stderr,
        )
        return 2
    dlg = LoginDialog(store.check_login)
    if dlg.exec() != LoginDialog.DialogCode.Accepted:
        return 1
    acct = dlg.result_operator
    op = Operator(acct.id, acct.role, acct.scope, acct.name)
    if op.scope != "*":
        settings.township = settings.township or op.scope
    sink = QtSink()
    core = build_core(settings, sink=sink, store=store)
    _login_event(core, op, settings.console_id)
    try:
        mode = "training" if settings.training else "live"
        return run_window(core, sink, op, settings, mode, args.duration, args.screenshot)
    finally:
        del app
        core.stop()


def main_demo(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        prog="python -m console demo", description="embedded broker + simulated district + console"
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
    _logging()
    from console.bootstrap import build_core
    from console.sim.district import generate
    from console.ui.app import create_app
    from console.ui.qtsink import QtSink

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="guardian-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"demo: working in {workdir}", flush=True)
    children: list[subprocess.Popen[bytes]] = []
    core = None
    try:
        broker, host, port = _start_broker(workdir)
        children.append(broker)
        from console.io.broker import DEMO_PASSWORD, DEMO_USERNAME

        creds = ["--username", DEMO_USERNAME, "--password", DEMO_PASSWORD]
        settings = local_settings(
            host, port, "demo", db_url=f"sqlite:///{workdir / 'journal.sqlite'}", locale=args.locale
        )
        app = create_app(settings.locale)
        register = generate(seed=args.seed, households=args.households)
        sink = QtSink()
        core = build_core(settings, register=register, sink=sink)
        op = sign_in(core, settings.console_id, "demo", "演示值班员", "district_officer", "*", "demo-officer")
        common = ["--host", host, "--port", str(port), *creds, "--district", "SIM"]
        children.append(_child(["gateway", *common, "--speed", "4"], workdir / "gateway.log"))
        sim = ["simulate", *common, "--households", str(args.households), "--seed", str(args.seed)]
        sim += [
            "--rate",
            str(args.rate),
            "--heartbeats-per-s",
            "200",
            "--bad-ratio",
            "0.01",
            "--dup-ratio",
            "0.01",
            "--quiet",
        ]
        sim += ["--storm", str(args.storm or 12), "--storm-window", "8"]
        children.append(_child(sim, workdir / "simulate.log"))
        w, h = (int(x) for x in args.size.lower().split("x"))
        rc = run_window(core, sink, op, settings, "live", args.duration, args.screenshot, (w, h))
        del app
        return rc
    finally:
        stop_children(children)
        if core is not None:
            core.stop()


main = main_run
