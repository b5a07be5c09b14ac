"""Wall mode (console/ui/wall.py): the officer's ranked queue, 1-5-30 counters and township ranking
on a full screen of its own, opened by F11, closed by Esc, never touching the officer's selection.

The same rig as tests/gui/test_storm_queue.py: a real engine under a FakeClock driving the real
MainWindow with storms generated from a register; the wall is waited on by condition, its own
1 s timer stopped and its refresh driven by the queue model's signals or by hand.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from console.app.data import load_triage
from console.domain.triage import queue_of
from console.paths import resource
from console.ui.queue_model import overdue
from console.ui.triage_header import TriageHeader
from console.ui.wall import TOP_ROWS, TOWNSHIPS, WallWindow
from tests.gui.test_storm_queue import StormRig, storm
from tests.support import NS

W = load_triage(resource("triage.toml"))


@pytest.fixture
def rig(qtbot: Any) -> Iterator[StormRig]:
    s = storm("co_rising")
    r = StormRig(qtbot, s.register, s.events[0].at - NS)
    yield r
    if r.window.wall is not None:
        r.window.wall.close()
    r.close()


def open_wall(rig: StormRig, size: tuple[int, int] = (1920, 1080)) -> WallWindow:
    """F11 in the officer's window, as the officer would; then sized as a 1080p wall (the
    offscreen screen is 800 px: full screen there shows fewer rows)."""
    rig.key(Qt.Key.Key_F11)
    wall = rig.window.wall
    assert isinstance(wall, WallWindow)
    wall.timer.stop()  # the 1 s refresh is driven by hand
    rig.qtbot.waitExposed(wall)
    rig.qtbot.waitUntil(wall.isFullScreen, timeout=5000)
    wall.showNormal()
    wall.resize(*size)
    rig.qtbot.waitUntil(lambda: wall.size().toTuple() == size, timeout=5000)
    return wall


def ranked_top(rig: StormRig) -> list[int]:
    return [r.incident for r in rig.window.queue.ranked()[:TOP_ROWS]]


def feed_some(rig: StormRig, n: int) -> None:
    s = storm("co_rising")
    done = getattr(rig, "_fed", 0)
    rig.feed(s.events[done : done + n])
    rig._fed = done + n  # type: ignore[attr-defined]
    rig.caught_up()


def test_the_wall_shows_the_ranked_top_rows_and_the_officers_counters(rig: StormRig) -> None:
    feed_some(rig, 150)
    rig.window.on_second()
    wall = open_wall(rig)
    assert wall.minimumSizeHint().width() <= 1280  # fits a 1280 px wide second screen
    rig.qtbot.waitUntil(lambda: wall.row_capacity == TOP_ROWS, timeout=5000)
    want = rig.world(lambda w: [r.incident for r in queue_of(w, W)[:TOP_ROWS]])
    assert len(want) == TOP_ROWS
    rig.qtbot.waitUntil(lambda: wall.top() == want, timeout=5000)
    assert wall.top() == ranked_top(rig)
    first = wall.rows[0]
    inc = rig.window.queue.incidents[want[0]]
    assert inc.household in first.why.full and first.countdown.text().startswith("1′")
    # the counters and the storm banner are the officer's header's
    header = rig.window.header
    for key in TriageHeader.TILES:
        assert wall.header.values[key].text() == header.values[key].text(), key
    assert header.storm_banner.isVisible() and wall.header.storm_banner.isVisible()
    assert wall.header.storm_banner.text() == header.storm_banner.text()
    assert wall.header.compliance.text() == header.compliance.text()
    # it follows the deltas: more of the storm, a minute later, the corroborated CO on top
    s = storm("co_rising")
    rig.feed(s.events[150:], until=s.corroborated_at + 5 * NS)
    rig.advance(40)
    rig.caught_up()
    rig.window.on_second()
    want = rig.world(lambda w: [r.incident for r in queue_of(w, W)[:TOP_ROWS]])
    rig.qtbot.waitUntil(lambda: wall.top() == want, timeout=5000)
    emergency = rig.incident(s.emergency).id
    assert emergency in wall.top()[:3]
    wall.refresh()  # the once-a-second refresh, by hand
    for key in TriageHeader.TILES:
        assert wall.header.values[key].text() == header.values[key].text(), key
    assert int(wall.header.values["over_1"].text()) > 0
    # large type, no scroll bars, no buttons
    for label in [*wall.header.values.values(), wall.rows[0].place, wall.rows[0].why]:
        assert label.font().pixelSize() >= 28
    assert not wall.findChildren(type(rig.window.take_next_button)) or all(
        not b.isVisible() for b in wall.findChildren(type(rig.window.take_next_button))
    )


def test_townships_are_ranked_worst_first(rig: StormRig) -> None:
    feed_some(rig, 200)
    rig.advance(45)  # the earliest are past their 1-minute mark, the latest not
    rig.caught_up()
    rig.window.on_second()
    wall = open_wall(rig)
    wall.refresh()
    now = rig.clock.now_ns()
    tally: dict[str, list[int]] = {}
    for inc in rig.open_now().values():
        t = tally.setdefault(inc.township, [0, 0])
        t[0] += 1
        t[1] += overdue(inc, now)
    expected = sorted(((c, n, late) for c, (n, late) in tally.items()), key=lambda x: (-x[2], -x[1], x[0]))
    assert wall.shown_townships == expected[:TOWNSHIPS]
    lates = [late for _, _, late in wall.shown_townships]
    assert lates == sorted(lates, reverse=True) and lates[0] > 0 and len(set(lates)) > 1
    name, n_open, n_late = wall.town_cells[0]
    code, n, late = wall.shown_townships[0]
    assert (n_open.text(), n_late.text()) == (str(n), str(late))
    assert name.full == rig.register.areas[code].name


def test_esc_closes_the_wall_and_f11_toggles_it(rig: StormRig) -> None:
    feed_some(rig, 40)
    wall = open_wall(rig)
    closed: list[bool] = []
    wall.closed.connect(lambda: closed.append(True))
    wall.activateWindow()
    rig.qtbot.waitUntil(lambda: QApplication.activeWindow() is wall, timeout=2000)
    rig.qtbot.keyClick(wall, Qt.Key.Key_Escape)
    assert closed and rig.window.wall is None
    wall = open_wall(rig)
    rig.key(Qt.Key.Key_F11)  # again, in the officer's window: closes it
    assert rig.window.wall is None and not wall.isVisible()
    assert rig.window.wall_action.shortcut().toString() == "F11"
    # on a 1280 x 720 screen: fewer rows, still the top of the ranked queue, nothing cut off
    wall = open_wall(rig, (1280, 720))
    rig.qtbot.waitUntil(lambda: 0 < len(wall.top()) < TOP_ROWS, timeout=5000)
    assert wall.top() == ranked_top(rig)[: len(wall.top())]
    last = wall.rows[len(wall.top()) - 1]
    assert last.geometry().bottom() <= wall.left_box.height()
    assert 0 < len(wall.shown_townships) and wall.town_box.childrenRect().bottom() <= wall.town_box.height()


def test_opening_the_wall_does_not_change_the_officers_selection(rig: StormRig) -> None:
    feed_some(rig, 120)
    win = rig.window
    ids = rig.view_ids()
    target = ids[5]
    win.select(target)
    win.table.setFocus()
    rig.key(Qt.Key.Key_A, win.table)  # worked: pinned at its row
    rig.qtbot.waitUntil(lambda: win.queue.incidents[target].ack_at is not None, timeout=5000)
    row = rig.view_ids().index(target)
    resets: list[str] = []
    for model in (win.queue, win.proxy):
        model.modelReset.connect(lambda m=model: resets.append(type(m).__name__))
    selections: list[bool] = []
    win.table.selectionModel().selectionChanged.connect(lambda *_: selections.append(True))
    wall = open_wall(rig)
    rig.qtbot.waitUntil(lambda: wall.top() == ranked_top(rig), timeout=5000)
    assert not selections, "opening the wall changed the officer's selection"
    assert win.highlighted() == target and win.selected == target
    # the storm goes on under both screens (rows inserted above move the selection with them)
    feed_some(rig, 60)
    rig.qtbot.waitUntil(lambda: wall.top() == ranked_top(rig), timeout=5000)
    assert win.highlighted() == target and win.selected == target
    assert win.queue.pinned == target and rig.view_ids().index(target) == row
    assert win.panel.incident is not None and win.panel.incident.id == target
    assert not resets
    # the wall shows the ranked order, not the officer's pin
    assert wall.top() == ranked_top(rig)
    wall.close()
    assert win.highlighted() == target


def test_the_screenshots_command_writes_the_four_pngs(tmp_path: Path, qapp: Any) -> None:
    out = tmp_path / "shots"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "console",
            "screenshots",
            "--out",
            str(out),
            "--households",
            "900",
            "--incidents",
            "50",
            "--duration",
            "30",
            "--size",
            "1200x720",
            "--wall-size",
            "1280x720",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    sizes = {"main": (1200, 720), "wall": (1280, 720)}
    for which in ("main", "wall"):
        for locale in ("zh_CN", "en"):
            png = out / f"{which}_{locale}.png"
            img = QImage(str(png))
            assert not img.isNull(), png
            assert (img.width(), img.height()) == sizes[which], png
            colours = {img.pixel(x, y) for x in range(0, img.width(), 37) for y in range(0, img.height(), 23)}
            assert len(colours) > 20, f"{png} looks blank"
    # the map painted in the wall (not the blank page of a grab at loadFinished)
    wall = QImage(str(out / "wall_en.png"))
    map_area = {wall.pixel(x, y) for x in range(800, 1270, 9) for y in range(250, 500, 7)}
    assert len(map_area) > 10
