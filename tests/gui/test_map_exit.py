"""The officer's window, closed but never deleted, must not crash the process at exit.

QtWebEngine releases its profiles when the process ends; a map page still alive then made the
process print "Release of profile requested but WebEnginePage still not deleted" and die with
SIGSEGV after all its tests had passed (tests/gui/test_console_map.py, every run on its own).
console.ui.map.widget.release_all deletes each live map's page before its profile at exit.
The window is planted in a pytest run of its own, in a subprocess, so that its exit is seen."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parents[2]

PLANTED = """
import time

from console.ui.map import register_schemes

register_schemes()  # before the QApplication

from console.app.clock import FakeClock
from console.bootstrap import build_core, templates
from console.config import Settings
from console.domain import events as ev
from console.sim.district import generate
from console.ui.main_window import MainWindow
from console.ui.map.widget import MapView
from console.ui.operator import Operator
from console.ui.qtsink import QtSink


def test_window_with_map_closed_not_deleted(qtbot, tmp_path):
    register = generate(seed=7, households=400)
    settings = Settings(broker_host="127.0.0.1", broker_port=1, district="SIM", console_id="exit",
                        db_url=f"sqlite:///{tmp_path / 'journal.sqlite'}")
    sink = QtSink()
    core = build_core(settings, register=register, clock=FakeClock(time.time_ns()), sink=sink)
    view = MapView(out_dir=tmp_path / "map")
    bands = core.engine.query(lambda w: w.all_bands()).result(30)
    win = MainWindow(core.engine, sink, templates(), Operator("op1", "district_officer", "*"), "exit",
                     map_view=view)
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    with qtbot.waitSignal(view.rendered, timeout=30_000):
        view.load(register, bands)
    win.timer.stop()
    win.close()
    core.stop()
"""


def test_window_closed_but_not_deleted_exits_cleanly(tmp_path: Path) -> None:
    (tmp_path / "test_planted.py").write_text(PLANTED, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\nqt_api = pyside6\n", encoding="utf-8")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    env.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox --disable-gpu")
    out = subprocess.run(
        [
            sys.executable,
            "-X",
            "faulthandler",
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-c",
            str(tmp_path / "pytest.ini"),
            "--rootdir",
            str(tmp_path),
            str(tmp_path / "test_planted.py"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=240,
    )
    text = out.stdout + out.stderr
    assert "1 passed" in out.stdout, text[-3000:]
    assert "WebEnginePage still not deleted" not in text
    assert out.returncode == 0, (
        f"the process ended with {out.returncode} after its test passed:\n{text[-3000:]}"
    )
