"""``python -m console screenshots [--out docs/screenshots]``: the storm, as the officer and the wall
see it, in Chinese and English, as PNG files.

Offscreen and deterministic: a register generated with a fixed seed, an alarm storm generated from
it (console.sim.storms.hidden_fire: false alarms of every kind, one real fire), a real engine (an
in-memory journal, notifications dropped) under a FakeClock, and the real MainWindow with its map.
The storm is played up to a moment after the fire's corroboration, 8 s before its 1-minute mark,
when the storm banner is up, most other homes are past their mark, and the fire is the first row; N takes it, so the incident panel and the map show it.
Then the main window and the wall (console/ui/wall.py) are grabbed once each map has painted.
Files: ``main_<locale>.png`` and ``wall_<locale>.png`` for each locale.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

LOCALES = ("zh_CN", "en")

EXIT_CODES = (
    "exit codes: 0 every PNG is written; 2 bad usage; 1 an error stopped it, e.g. a map that did"
    " not load or paint within 60 s (a traceback on stderr)."
)


class _Dropped:
    """The engine's publisher: notification requests go nowhere (no gateway in a screenshot)."""

    def publish(
        self, topic: str, payload: bytes, qos: int = 1, on_acked: Callable[[], None] | None = None
    ) -> bool:
        if on_acked is not None:
            on_acked()  # as if a broker had taken it: the screenshots show the alert as out
        return True


def _env() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if "QTWEBENGINE_CHROMIUM_FLAGS" not in os.environ:
        root = hasattr(os, "geteuid") and os.geteuid() == 0
        os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = "--disable-gpu" + (" --no-sandbox" if root else "")


def _wait(done: Callable[[], bool], what: str, timeout_s: float = 60.0) -> None:
    from PySide6.QtCore import QCoreApplication, QEventLoop

    deadline = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError(f"screenshots: timed out waiting for {what}")
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)


def _painted(view: Any) -> None:
    """Wait until the map has loaded and painted what it was last told (its ``rendered`` signal)."""
    _wait(view.grab_ready, "the map to load")
    seen: list[bool] = []
    view.rendered.connect(lambda: seen.append(True))
    view.evaluate("GC.requestRendered()")
    _wait(lambda: bool(seen), "the map to paint")


def _size(text: str) -> tuple[int, int]:
    w, h = (int(x) for x in text.lower().split("x"))
    return w, h


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m console screenshots", description=__doc__, epilog=EXIT_CODES)
    p.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    p.add_argument("--households", type=int, default=6000)
    p.add_argument("--incidents", type=int, default=300)
    p.add_argument("--duration", type=float, default=60.0, help="seconds of storm generated")
    p.add_argument("--seed", type=int, default=15)
    p.add_argument("--size", default="1600x900", help="the main window")
    p.add_argument("--wall-size", default="1920x1080", help="the wall screen")
    p.add_argument("--locale", action="append", choices=LOCALES, help="default: both")
    p.add_argument(
        "--shift",
        action="store_true",
        help="the gallery of a whole shift instead (login to handover: OUT/shift/LOCALE/*.png)",
    )
    args = p.parse_args(argv)
    _env()
    from console import bootstrap

    if args.shift:
        from console.entry.shift_shots import shoot_shift

        if hasattr(time, "tzset"):  # the clock on the screens as a Chongqing workstation shows it
            os.environ["TZ"] = "Asia/Shanghai"
            time.tzset()
        app = bootstrap.gui_app("zh_CN")
        for locale in args.locale or LOCALES:
            for path in shoot_shift(app, locale, args.out, _size(args.size), _wait):
                print(f"screenshots: {path}", flush=True)
        return 0
    from console.sim.district import generate
    from console.sim.storms import hidden_fire

    app = bootstrap.gui_app("zh_CN")
    storm = hidden_fire(
        generate(seed=args.seed, households=args.households),
        seed=args.seed,
        incidents=args.incidents,
        duration_s=args.duration,
    )
    args.out.mkdir(parents=True, exist_ok=True)
    pages = Path(tempfile.mkdtemp(prefix="gc-screenshots-"))
    try:
        for locale in args.locale or LOCALES:
            for path in shoot(app, storm, locale, args, pages):
                print(f"screenshots: {path}", flush=True)
    finally:
        shutil.rmtree(pages, ignore_errors=True)
    return 0


def shoot(app: Any, storm: Any, locale: str, args: argparse.Namespace, pages: Path) -> list[Path]:
    from PySide6.QtCore import QCoreApplication, QEvent

    from console.app.clock import FakeClock
    from console.app.engine import Engine
    from console.app.memjournal import MemoryJournal
    from console.bootstrap import make_world, templates, ui_sink
    from console.domain import events as ev
    from console.sim.storms import NS, batches
    from console.ui.app import install_translations
    from console.ui.main_window import MainWindow
    from console.ui.map.widget import MapView
    from console.ui.operator import Operator
    from console.ui.wall import open_wall

    install_translations(app, locale)
    console_id = f"shots-{locale}"
    clock = FakeClock(storm.start - NS)
    sink = ui_sink()
    engine = Engine(make_world(storm.register), MemoryJournal(), clock, console_id, _Dropped(), sink)
    engine.start()
    name = "值班员" if locale == "zh_CN" else "Duty officer"
    engine.submit_command(
        ev.Login(at=0, operator="duty", console=console_id, role="district_officer", scope="*")
    )
    engine.submit_command(ev.BusStatus(at=0, state="connected"))
    map_view = MapView(out_dir=pages)
    map_view.load(storm.register, engine.query(lambda w: w.all_bands()).result(30), "*")
    window = MainWindow(
        engine,
        sink,
        templates(),
        Operator("duty", "district_officer", "*", name),
        console_id,
        map_view=map_view,
    )
    window.timer.stop()  # the 1 s tick is driven here, on the fake clock
    window.resize(*_size(args.size))
    window.show()
    wall = None
    try:
        # the fire corroborated and 8 s from its 1-minute mark, most of the others past theirs
        moment = max(storm.corroborated_at + 8 * NS, storm.emergency_opened + 52 * NS)
        for end, messages in batches(storm, 0.1):
            if end > moment:
                break
            clock.set(end)
            if messages:
                engine.submit_bus(messages)
            engine.query(lambda w: None).result(30)
        clock.set(moment)
        engine.poke()
        for _ in range(2):  # the second answers after the tick the poke made due
            engine.query(lambda w: None).result(30)
        want = engine.query(lambda w: {i.id: i.version for i in w.open_incidents()}).result(30)
        _wait(
            lambda: {k: v.version for k, v in window.queue.incidents.items()} == want, "the queue to catch up"
        )
        window.on_second()
        window.take_next()  # N: the top of the new lane, the fire
        chosen = window.queue.incidents.get(window.highlighted() or -1)
        if chosen is None or chosen.household != storm.emergency:
            raise RuntimeError(f"screenshots: the fire {storm.emergency} is not the first new row")
        if not window.header.storm_banner.isVisible():
            raise RuntimeError("screenshots: the storm banner is not up at the chosen moment")
        _painted(map_view)
        out = args.out
        shots = [out / f"main_{locale}.png", out / f"wall_{locale}.png"]
        window.grab().save(str(shots[0]))

        wall = open_wall(window, full_screen=False)
        wall.timer.stop()
        wall.resize(*_size(args.wall_size))
        wall.refresh()
        if wall.map_view is not None:
            _painted(wall.map_view)
        QCoreApplication.processEvents()
        wall.grab().save(str(shots[1]))
        return shots
    finally:
        if wall is not None:
            wall.close()
        window.close()
        engine.stop()
        window.deleteLater()  # its map with it: the page goes before its profile, not at exit
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
