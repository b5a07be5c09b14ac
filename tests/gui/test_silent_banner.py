"""The silent-township banner: the status view's red banner names the silent townships (and the
whole district) in Chinese and in English, and goes away when they are heard again."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtWidgets import QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from console.app.delta import Status
from console.app.silence import DISTRICT, Silence, SilentArea
from console.sim.district import generate
from console.ui.status_view import SILENT_LINES, StatusView
from tests.support import NS, T0

T03 = SilentArea(area="T03", name="示范街道三", expected=60, seen=2, since=T0, window_s=600)
ALL = SilentArea(area=DISTRICT, name="示范区", expected=1560, seen=19, since=T0, window_s=600)
NAMELESS = SilentArea(area="T40", name="T40", expected=25, seen=0, since=T0, window_s=900)


def status(*silent: SilentArea) -> Status:
    return Status(now=T0, bus="connected", bus_since=0, journal="ok", silent=silent)


@pytest.fixture
def view(qtbot: QtBot) -> Iterator[StatusView]:
    """The real status view, its banner in a shown window as MainWindow lays it out."""
    host = QWidget()
    sv = StatusView("live", host)
    lay = QVBoxLayout(host)
    lay.addWidget(sv.banner)
    lay.addWidget(sv.counters)
    qtbot.addWidget(host)
    host.show()
    qtbot.waitExposed(host)
    yield sv


def test_a_silent_township_raises_the_banner_in_english_and_it_goes_when_heard_again(
    view: StatusView,
) -> None:
    assert view.banner.isHidden()
    view.show(status(T03))
    assert view.banner.isVisible()
    assert view.banner.text() == (
        "SILENT — township 示范街道三 (T03): 2 device message(s) in 10 min, about 60 expected"
    )
    view.show(status())
    assert view.banner.isHidden() and view.reasons(status()) == []


def test_the_banner_in_chinese(view: StatusView, zh: None) -> None:
    view.show(status(ALL, T03, NAMELESS))
    assert view.banner.isVisible()
    assert view.banner.text().split("\n") == [
        "全区设备静默 — 10 分钟内只收到 19 条设备消息，应约 1560 条",
        "静默：示范街道三（T03） 10 分钟内只收到 2 条设备消息，应约 60 条",
        "静默：T40 15 分钟内只收到 0 条设备消息，应约 25 条",
    ]
    view.show(status())
    assert view.banner.isHidden()


def test_the_whole_district_comes_first_and_a_long_list_is_cut(view: StatusView) -> None:
    many = tuple(
        SilentArea(area=f"T{i:02d}", name=f"T{i:02d}", expected=40, seen=1, since=T0, window_s=600)
        for i in range(1, SILENT_LINES + 4)
    )
    lines = view.reasons(status(ALL, *many))
    assert lines[0] == (
        "DISTRICT SILENT — 19 device message(s) from the whole district in 10 min, about 1560 expected"
    )
    assert lines[1:-1] == [
        f"SILENT — township {a.area}: 1 device message(s) in 10 min, about 40 expected"
        for a in many[:SILENT_LINES]
    ]
    assert lines[-1] == "… and 3 more silent township(s)"


def test_silence_beside_a_lost_bus_and_a_failing_journal(view: StatusView) -> None:
    s = Status(
        now=T0,
        bus="blind",
        bus_since=0,
        journal="failing",
        journal_error="disk full",
        pending=3,
        silent=(T03,),
    )
    view.show(s)
    lines = view.banner.text().split("\n")
    assert len(lines) == 3 and lines[0].startswith("ALARM BUS LOST") and lines[2].startswith("SILENT")


def test_what_silence_reports_is_what_the_banner_shows(view: StatusView, zh: None) -> None:
    """From the register to the words: a township that sends nothing for a window is named."""
    reg = generate(seed=7, households=2000)
    sil = Silence(reg)
    sil.start(T0)
    for t in sorted({h.township for h in reg.households.values()}):
        if t != "T05":
            sil.observe(t, T0 + 5 * NS, 1_000)
    (t05,) = sil.report(T0 + 600 * NS, True)
    view.show(status(t05))
    name = reg.area_name("T05")
    assert view.banner.text() == (
        f"静默：{name}（T05） 10 分钟内只收到 0 条设备消息，应约 {round(sil.expected('T05'))} 条"
    )


# --- the engine's watchdog (console/app/engine.py) -----------------------------------------------


def test_an_engine_rebuilt_by_the_watchdog_raises_the_banner_for_two_minutes(view: StatusView) -> None:
    from console.ui.status_view import ENGINE_NOTICE_S

    failed = Status(
        now=T0 + 5 * NS,
        bus="connected",
        bus_since=0,
        journal="ok",
        engine_restarts=1,
        engine_failure="Boom: injected",
        engine_restarted_at=T0,
    )
    view.show(failed)
    assert view.banner.isVisible()
    assert (
        view.banner.text()
        == "ENGINE FAILED and was rebuilt from the journal (1 time(s)) — tell IT: Boom: injected"
    )
    later = Status(
        **{
            **{f: getattr(failed, f) for f in failed.__struct_fields__},
            "now": T0 + (ENGINE_NOTICE_S + 1) * NS,
        }
    )
    view.show(later)
    assert view.banner.isHidden()


def test_an_engine_that_stays_down_says_so_in_chinese(view: StatusView, zh: None) -> None:
    dead = Status(
        now=T0,
        bus="connected",
        bus_since=0,
        journal="ok",
        engine_restarts=4,
        engine_failure="Boom",
        engine_dead=True,
    )
    view.show(dead)
    assert view.banner.isVisible()
    assert view.banner.text() == "处理引擎已停止 — 本台不再处理警情：请立即重启本台并通知信息科（Boom）"


# --- backups (console/io/backup.py): the amber line when the newest is more than two days old ---


def test_an_overdue_backup_folder_shows_the_amber_line_and_a_fresh_one_does_not(
    qtbot: QtBot, tmp_path: Any
) -> None:
    from datetime import UTC, datetime, timedelta

    from console.bootstrap import backup_status_of

    folder = tmp_path / "backups"
    folder.mkdir()
    old = datetime.now(UTC) - timedelta(days=3)
    (folder / f"journal-{old:%Y%m%d-%H%M%S}.sqlite").write_bytes(b"")
    sv = StatusView("live", None, backup_status=backup_status_of(str(folder)))
    host = QWidget()
    lay = QVBoxLayout(host)
    lay.addWidget(sv.backup_banner)
    lay.addWidget(sv.counters)
    qtbot.addWidget(host)
    host.show()
    sv.show(status())
    assert sv.backup_banner.isVisible()
    shown = old.astimezone().strftime("%Y-%m-%d %H:%M")
    assert (
        sv.backup_banner.text() == f"BACKUP OVERDUE — the last backup of the journal is from {shown}; tell IT"
    )
    assert sv.counters.text().endswith(f"last backup {shown}")
    assert not sv.banner.isVisible()  # not a blind reason: the console still hears (no sound)
    new = datetime.now(UTC) - timedelta(hours=1)
    (folder / f"journal-{new:%Y%m%d-%H%M%S}.sqlite").write_bytes(b"")
    sv._backup = None  # the next look at the folder (once a minute in the window)
    sv.show(status())
    assert sv.backup_banner.isHidden()


def test_backups_off_are_said_in_the_status_bar_only(view: StatusView) -> None:
    view.show(status())
    assert view.backup_banner.isHidden()
    assert view.counters.text().endswith("automatic backups off")
