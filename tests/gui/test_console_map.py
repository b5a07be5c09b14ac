"""The map inside the officer's window: a new alarm turns its household critical without a
reload, selecting the incident centres the map and shows the proposed responders, and a click
on a household opens its safety file."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from console.app.clock import FakeClock
from console.bootstrap import build_core, templates
from console.config import Settings
from console.domain import events as ev
from console.domain.codec import device_topic
from console.sim.district import generate
from console.sim.traffic import payload
from console.ui.main_window import MainWindow
from console.ui.map.widget import MapView
from console.ui.operator import Operator
from console.ui.qtsink import QtSink
from tests.fixtures.brokers import publish_paho


@pytest.fixture
def window(
    tmp_path: Path, mosquitto: Any, qtbot: Any, load_map: Any
) -> Iterator[tuple[MainWindow, Any, Any]]:
    register = generate(seed=7, households=400)
    s = Settings(
        broker_host=mosquitto.host,
        broker_port=mosquitto.port,
        district="SIM",
        console_id="mapgui",
        db_url=f"sqlite:///{tmp_path / 'journal.sqlite'}",
    )
    sink = QtSink()
    core = build_core(s, register=register, clock=FakeClock(time.time_ns()), sink=sink)
    core.engine.submit_command(
        ev.Login(at=0, operator="op1", console="mapgui", role="district_officer", scope="*")
    )
    view = MapView(out_dir=tmp_path / "map")
    bands = core.engine.query(lambda w: w.all_bands()).result(30)
    win = MainWindow(
        core.engine, sink, templates(), Operator("op1", "district_officer", "*"), "mapgui", map_view=view
    )
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    load_map(view, register, bands)
    yield win, core, register
    win.timer.stop()
    win.close()
    core.stop()


def test_alarm_turns_household_critical_select_shows_responders_click_opens_file(
    window: tuple[MainWindow, Any, Any], mosquitto: Any, qtbot: Any, run_js: Any
) -> None:
    win, _core, register = window
    view = win.map_view
    assert isinstance(view, MapView)
    loads = view.load_count if hasattr(view, "load_count") else None
    hh = next(h for h in register.households.values() if any(d.kind == "smoke" for d in h.devices))
    dev = next(d for d in hh.devices if d.kind == "smoke")
    publish_paho(
        mosquitto,
        [(device_topic("SIM", hh.township, dev.id), payload(dev.id, "smoke", "alarm", time.time_ns(), "m1"))],
    )
    qtbot.waitUntil(lambda: run_js(view, f"GC.markerInfo({hh.code!r})")["band"] == "critical", timeout=15000)
    if loads is not None:
        assert view.load_count == loads  # recoloured in place, no reload
    # the new incident is selected (first in the queue): map centred, responders drawn
    qtbot.waitUntil(lambda: win.selected is not None, timeout=5000)
    qtbot.waitUntil(lambda: run_js(view, "document.querySelectorAll('.gc-resp').length") >= 1, timeout=10000)
    # a click on the household opens its safety file
    pos = run_js(view, f"GC.markerInfo({hh.code!r})")
    target = view.view.focusProxy()
    QTest.mouseClick(
        target,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        QPoint(int(pos["x"]), int(pos["y"])),
    )
    qtbot.waitUntil(lambda: win.house_file is not None and win.house_file.isVisible(), timeout=10000)
    assert win.house_file.hh.code == hh.code
