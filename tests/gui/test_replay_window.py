"""The REPLAY window over a journal file, no broker: scrub, jump, step, play at max to the end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from console.app.replay import Replay, replay_all
from console.benches.replay import build_day, write_sqlite
from console.bootstrap import make_world, templates
from console.io.store.store import SqlStore
from console.sim.district import generate
from console.ui.replay_window import ReplayWindow


@pytest.fixture(scope="module")
def journal(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any, list[Any], Any]:
    register = generate(seed=3, households=200)
    mem, live = build_day(register, lambda: make_world(register), 6000, seed=3, alarms_per_min=4.0)
    path = tmp_path_factory.mktemp("replay-gui") / "copied-from-workstation-2.sqlite"
    write_sqlite(mem.records, path, register)
    return path, register, mem.records, live


@pytest.fixture
def window(qtbot: Any, journal: tuple[Path, Any, list[Any], Any]) -> Iterator[ReplayWindow]:
    path = journal[0]
    store = SqlStore(path, readonly=True)
    register = store.load_register()
    assert register is not None
    replay = Replay(lambda: make_world(register), store.journal.read, interval=512)
    win = ReplayWindow(replay, register, templates(), path.name, total=store.journal.count())
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.indexed, timeout=60_000):
        win.start()
    yield win
    win.pause()
    store.close()


def open_at(records: list[Any], register: Any, pos: int) -> set[int]:
    w, _ = replay_all(lambda: make_world(register), records[:pos])
    return {i.id for i in w.open_incidents()}


def test_scrub_shows_the_incidents_open_at_that_moment(
    window: ReplayWindow, journal: tuple[Path, Any, list[Any], Any], qtbot: Any
) -> None:
    _, register, records, _ = journal
    assert window.mode_mark.isVisible()
    assert "REPLAY" in window.mode_mark.text() and "REPLAY" in window.windowTitle()
    assert not any(b.isEnabled() for b in window.panel.buttons.values()), "read only"
    for pos in (len(records) * 2 // 3, len(records) // 3):  # forward, then back past checkpoints
        with qtbot.waitSignal(window.positionChanged, timeout=10_000):
            window.timeline.scrubbed.emit(pos)
        expect = open_at(records, register, pos)
        assert expect, "the moment should have open incidents"
        shown = {window.queue.data(window.queue.index(r, 0), 256) for r in range(window.queue.rowCount())}
        assert shown == expect
        assert window.replay.clock.now_ns() == records[pos - 1].at


def test_jump_to_an_incident_start_selects_it(window: ReplayWindow, qtbot: Any) -> None:
    m = window.replay.markers[len(window.replay.markers) // 2]
    window.jump_to(m.incident)
    assert window.replay.pos == m.pos
    assert window.panel.incident is not None and window.panel.incident.id == m.incident
    assert f"#{m.incident}" in window.panel.header.text()
    assert window.panel.timeline.rowCount() >= 1
    before = window.replay.pos
    qtbot.mouseClick(window.step_btn, Qt_left())
    assert window.replay.pos == before + 1


def test_play_at_max_to_the_end(
    window: ReplayWindow, journal: tuple[Path, Any, list[Any], Any], qtbot: Any
) -> None:
    _, _, records, live = journal
    window.seek(0)
    window.set_speed("max")
    with qtbot.waitSignal(window.finished, timeout=60_000):
        window.play()
    assert not window.timer.isActive()
    assert window.replay.pos == len(records)
    assert window.replay.world.projection_hash() == live.projection_hash()
    shown = {window.queue.rows[r].id for r in range(window.queue.rowCount())}
    assert shown == {i.id for i in live.open_incidents()}
    assert "open" in window.kpi.text()


def test_play_at_60x_moves_sixty_simulated_seconds_per_second(window: ReplayWindow, qtbot: Any) -> None:
    r = window.replay
    window.seek(len(r.seqs) // 4)
    start_sim = r.clock.now_ns()
    window.set_speed("60x")
    window.play()
    qtbot.waitUntil(lambda: r.clock.now_ns() - start_sim >= 30 * 1_000_000_000, timeout=10_000)
    window.pause()
    assert r.pos == r.pos_at_time(r.clock.now_ns())


def Qt_left() -> Any:  # noqa: N802 - reads like the Qt enum it returns
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton
