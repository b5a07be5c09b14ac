"""An import through the wizard takes effect in the running window within seconds (issue 18
item 3): no restart, the "no register yet" hint goes, the map draws the new households (their
townships outlined from the households: no boundaries file), a newly registered device's alarm
is placed in its household, and the incident raised before the import keeps its history.

Real parts: a real Mosquitto, a real SQLite store the console core uses, the real importer run
by the real wizard on its worker thread, the real map page offscreen.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from console import bootstrap
from console.app.clock import FakeClock
from console.config import Settings
from console.domain import events as ev
from console.domain.codec import device_topic
from console.domain.registry import Register
from console.sim.traffic import payload
from console.ui.main_window import MainWindow
from console.ui.map.widget import MapView
from console.ui.operator import Operator
from console.ui.qtsink import QtSink
from tests.fixtures import real_district as rd
from tests.fixtures.brokers import publish_paho


@pytest.fixture
def window(tmp_path: Path, mosquitto: Any, qtbot: Any, load_map: Any) -> Iterator[tuple[MainWindow, Any]]:
    s = Settings(
        broker_host=mosquitto.host,
        broker_port=mosquitto.port,
        district=rd.DISTRICT,  # as the installer's console.toml says; the store has no register yet
        console_id="ybgui",
        db_url=f"sqlite:///{tmp_path / 'journal.sqlite'}",
    )
    sink = QtSink()
    core = bootstrap.build_core(s, clock=FakeClock(time.time_ns()), sink=sink)
    core.engine.submit_command(
        ev.Login(at=0, operator="op1", console="ybgui", role="district_officer", scope="*")
    )
    view = MapView(out_dir=tmp_path / "map")
    win = MainWindow(
        core.engine,
        sink,
        bootstrap.templates(),
        Operator("op1", "district_officer", "*"),
        "ybgui",
        map_view=view,
        run_import=bootstrap.importer_for(core),
        run_boundaries=bootstrap.boundaries_importer_for(core),
    )
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    load_map(view, Register([], []), {})
    yield win, core
    win.timer.stop()
    win.close()
    core.stop()


def alarm(h: rd.Home, k: int, tag: str) -> tuple[str, bytes]:
    dev, kind = h.devices[k]
    return device_topic(rd.DISTRICT, h.township, dev), payload(
        dev, kind, "alarm", time.time_ns(), f"{tag}-{dev}"
    )


def shown(run_js: Any, view: MapView) -> int | None:
    """Households the page holds (None while it is loading)."""
    try:
        counts = run_js(view, "typeof GC.counts === 'function' ? GC.counts() : 'null'", timeout=5000)
    except Exception:  # noqa: BLE001 - a page between loads
        return None
    return None if counts is None else sum(counts["bands"].values())


def test_a_wizard_import_takes_effect_in_the_running_window(
    window: tuple[MainWindow, Any], mosquitto: Any, qtbot: Any, run_js: Any, tmp_path: Path
) -> None:
    win, core = window
    view = win.map_view
    assert isinstance(view, MapView)
    assert win.no_register.isVisible() and len(win.register) == 0
    homes = rd.homes(3, 1)
    publish_paho(mosquitto, [alarm(homes[2], 0, "before")])
    qtbot.waitUntil(lambda: any(i.unregistered for i in win.queue.incidents.values()), timeout=15_000)
    (early,) = win.queue.incidents.values()

    win.open_import()
    wiz = win.import_wizard
    wiz.file_page.path.setText(str(rd.write_csv(tmp_path / "yubei.csv", homes)))
    with qtbot.waitSignal(wiz.finishedImport, timeout=30_000) as sig:
        wiz.next()
    assert sig.args[0].saved and not sig.args[0].errors
    wiz.close()

    # within seconds, no restart: the window has the register, the map its households
    qtbot.waitUntil(lambda: len(win.register) == len(homes), timeout=15_000)
    assert not win.no_register.isVisible()
    qtbot.waitUntil(lambda: shown(run_js, view) == len(homes), timeout=30_000)
    note = run_js(view, "document.body.innerText")
    assert "drawn from households" in note or "按住户位置绘制" in note

    # a newly registered device's alarm is placed in its household, with its address
    publish_paho(mosquitto, [alarm(homes[1], 1, "after")])

    def placed() -> Any:
        return next((i for i in win.queue.incidents.values() if i.household == homes[1].code), None)

    qtbot.waitUntil(lambda: placed() is not None, timeout=15_000)
    row = win.queue.row_of(placed().id)
    cell = win.queue.index(row, win.queue.COLUMNS.index("address"))
    # the column shows what differs (building, unit, room); the whole address is its tooltip
    full = str(win.queue.data(cell, Qt.ItemDataRole.ToolTipRole))
    assert full.endswith(str(win.queue.data(cell))) and len(full) > len(str(win.queue.data(cell)))
    assert "渝北区" in full or "双龙湖" in full or "统景" in full
    # the incident from before the import keeps its history
    kept = win.queue.incidents[early.id]
    assert kept.household == early.household and kept.timeline[: len(early.timeline)] == early.timeline
    assert core.engine.query(lambda w: w.register.version).result(10) == sig.args[0].version
