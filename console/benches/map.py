"""``python -m console bench map [--households N] [--screenshot PATH] --json``.

Times the real widget offscreen: page generation (cold), page load to painted (page already
generated, the usual start-up), recolour round trips through runJavaScript, and a pan frame.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _env() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if "QTWEBENGINE_CHROMIUM_FLAGS" not in os.environ:
        root = hasattr(os, "geteuid") and os.geteuid() == 0
        os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = "--disable-gpu" + (" --no-sandbox" if root else "")


def _wait(app: Any, done: Callable[[], bool], timeout_s: float, what: str) -> None:
    from PySide6.QtCore import QEventLoop

    deadline = time.perf_counter() + timeout_s
    while not done():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"bench map: timed out waiting for {what}")
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)


def _poll_number(app: Any, view: Any, expr: str) -> float:
    """Ask the page for ``expr`` until it is a number (runJavaScript cannot await a promise)."""
    deadline = time.perf_counter() + 10
    while time.perf_counter() < deadline:
        box: list[Any] = []
        view.evaluate(expr, box.append)
        _wait(app, lambda box=box: bool(box), 10, expr)
        if isinstance(box[0], int | float):
            return float(box[0])
    raise TimeoutError(f"bench map: {expr} never became a number")


def run(argv: list[str]) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="console bench map")
    parser.add_argument("--households", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--screenshot", type=Path, default=None, help="save the district view as PNG")
    args = parser.parse_args(argv)
    _env()
    from console.ui.map import register_schemes

    register_schemes()
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    from console.sim.district import generate
    from console.ui.map.page import build_page
    from console.ui.map.widget import MapView

    register = generate(seed=args.seed, households=args.households)
    codes = list(register.households)
    out_dir = Path(tempfile.mkdtemp(prefix="gc-bench-map-"))
    t0 = time.perf_counter()
    index = build_page(register, out_dir)
    build_s = time.perf_counter() - t0

    view = MapView(out_dir=out_dir)
    view.resize(1280, 800)
    view.show()
    bands = {c: "high" for c in codes[::50]} | {c: "medium" for c in codes[7::20]}
    t0 = time.perf_counter()
    view.load(register, bands)
    _wait(app, view.grab_ready, 60, "the page to render")
    load_s = time.perf_counter() - t0
    assert view.page_path == index and not view.guard.blocked_urls, "bench page was not the offline one"

    def round_trip(changes: dict[str, str]) -> float:
        box: list[dict[str, Any]] = []
        start = time.perf_counter()
        view.set_bands(changes, done=box.append)
        _wait(app, lambda: bool(box), 10, "a recolour")
        return (time.perf_counter() - start) * 1000

    one = [round_trip({codes[i * 97 % len(codes)]: ("critical" if i % 2 else "high")}) for i in range(20)]
    thousand = []
    for k in range(5):
        band = ("critical", "unprotected", "low", "medium", "high")[k]
        thousand.append(round_trip({c: band for c in codes[k * 1000 : (k + 1) * 1000]}))

    frames: list[float] = []
    for i in range(10):
        view.evaluate(f"GC.panFrame({200 if i % 2 else -200}, 0)")
        frames.append(_poll_number(app, view, "GC.lastPanMs"))

    page_dir = index.parent
    figures: dict[str, Any] = {
        "households": len(codes),
        "load_s": round(load_s, 3),
        "build_s": round(build_s, 3),
        "load_cold_s": round(build_s + load_s, 3),
        "recolor_one_ms": round(statistics.median(one), 2),
        "recolor_1000_ms": round(statistics.median(thousand), 2),
        "pan_frame_ms": round(statistics.median(frames), 2),
        "page_bytes": index.stat().st_size,
        "data_bytes": (page_dir / "households.js").stat().st_size,
        "blocked_requests": len(view.guard.blocked_urls),
        "js_errors": len(view.js_errors),
    }
    if args.screenshot is not None:
        critical = {codes[len(codes) // 3]: "critical", codes[len(codes) // 2]: "critical"}
        unprotected = {c: "unprotected" for c in codes[3::60]}
        view.set_filter()
        view.load(register, bands | unprotected | critical)
        _wait(app, view.grab_ready, 30, "the district view to render")
        view.grab().save(str(args.screenshot))
        figures["screenshot"] = str(args.screenshot)
    from PySide6.QtCore import QCoreApplication, QEvent

    view.close()
    view.deleteLater()  # the page goes before its profile, not at interpreter exit
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    shutil.rmtree(out_dir, ignore_errors=True)
    return figures
