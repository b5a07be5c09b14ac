"""Reports from the window (#20 point 4): the 报表 menu makes the shift, daily and monthly
reports as PDF or XLSX on a worker thread with a progress dialog (cancellable), saves them where
the officer chose and opens them; a failure is said in words."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDate, QUrl
from PySide6.QtWidgets import QPushButton

from console.reports.build import build_report
from console.reports.data import ReportError
from console.ui.report_menu import CST, NS, ReportMenu, shift_period
from tests.gui.shift_rig import ShiftRig


def cst_ns(*args: int) -> int:
    return int(datetime(*args, tzinfo=CST).timestamp()) * NS


def test_the_shift_runs_from_the_login_at_most_12_hours() -> None:
    now = cst_ns(2026, 12, 1, 14, 20, 10)
    assert shift_period(cst_ns(2026, 12, 1, 8, 13, 27), now) == ("2026-12-01", "08:13-14:21")
    assert shift_period(None, now) == ("2026-12-01", "02:21-14:21")  # no login known: the last 12 h
    assert shift_period(cst_ns(2026, 11, 30, 8, 0), now) == ("2026-12-01", "02:21-14:21")
    assert shift_period(now - NS, now) == ("2026-12-01", "14:20-14:21")  # just taken over
    night = shift_period(cst_ns(2026, 11, 30, 20, 0), cst_ns(2026, 12, 1, 7, 59, 30))
    assert night == ("2026-11-30", "20:00-08:00")  # the builder reads it as ending the next morning


class Rig(ShiftRig):
    """The shift rig with the window's report menu over a builder the test hands in."""

    def __init__(self, qtbot: Any, path: Path, folder: Path) -> None:
        super().__init__(qtbot, path)
        self.opened: list[QUrl] = []
        self.folder = folder
        self.calls: list[tuple[str, str, Path, str]] = []

    def use(self, make: Callable[..., Path]) -> ReportMenu:
        def record(kind: str, spec: str, out: Path, shift: str, progress: Callable[[int], None]) -> Path:
            self.calls.append((kind, spec, out, shift))
            return make(kind, spec, out, shift, progress)

        menu = self.window.reports
        menu.make_report = record
        menu.opener = lambda url: self.opened.append(url) or True
        menu.folder = self.folder
        for a in menu.actions.values():
            a.setEnabled(True)
        return menu


@pytest.fixture
def rig(qtbot: Any, tmp_path: Path) -> Iterator[Rig]:
    r = Rig(qtbot, tmp_path / "journal.sqlite", tmp_path / "Documents")
    yield r
    job = r.window.reports.job
    if job is not None:
        job.wait(10_000)
    r.close()


def ask(rig: Rig, qtbot: Any, kind: str) -> Any:
    menu = rig.window.reports
    menu.actions[kind].trigger()
    qtbot.waitUntil(lambda: menu.dialog is not None and menu.dialog.isVisible(), timeout=5000)
    return menu.dialog


def real(rig: Rig) -> Callable[..., Path]:
    def make(kind: str, spec: str, out: Path, shift: str, progress: Callable[[int], None]) -> Path:
        return build_report(rig.store, kind, spec, out, shift, progress)

    return make


def test_the_reports_menu_offers_shift_daily_and_monthly(rig: Rig) -> None:
    w = rig.window
    titles = [a.text() for a in w.menuBar().actions()]
    assert "Reports" in [t.replace("&", "") for t in titles]
    menu = w.reports.menu
    assert [a.text() for a in menu.actions()] == [
        "Shift report (my shift)…",
        "Daily report…",
        "Monthly report…",
    ]


@pytest.mark.parametrize("fmt", ["xlsx", "pdf"])
def test_a_daily_report_is_made_in_the_background_saved_and_opened(
    rig: Rig, qtbot: Any, tmp_path: Path, fmt: str
) -> None:
    rig.realistic_incident()
    rig.use(real(rig))
    dlg = ask(rig, qtbot, "daily")
    day = datetime.fromtimestamp(rig.clock.now_ns() / NS, tz=CST)
    assert dlg.date.date() == QDate(day.year, day.month, day.day)
    dlg.fmt.setCurrentIndex(["pdf", "xlsx"].index(fmt))
    assert dlg.path.text().startswith(str(rig.folder)) and dlg.path.text().endswith("." + fmt)
    dlg.path.setText(str(tmp_path / "out" / f"day.{fmt}"))
    menu = rig.window.reports
    with qtbot.waitSignal(menu.finished, timeout=60_000) as done:
        dlg.buttons.accepted.emit()
        assert menu.progress is not None and menu.progress.isVisible()
    path = tmp_path / "out" / f"day.{fmt}"
    assert done.args == [path] and path.stat().st_size > 1000
    assert rig.calls == [("daily", f"{day:%Y-%m-%d}", path, "08:00-20:00")]
    assert rig.opened == [QUrl.fromLocalFile(str(path))]
    assert menu.progress is None
    qtbot.waitUntil(lambda: menu.job is None, timeout=5000)  # the thread is over and let go
    assert str(path) in rig.window.statusBar().currentMessage()


def test_the_shift_report_covers_this_officers_shift(rig: Rig, qtbot: Any, tmp_path: Path) -> None:
    rig.use(real(rig))
    rig.advance(3 * 3600 + 90)  # three hours into the shift
    dlg = ask(rig, qtbot, "shift")
    assert not dlg.date.isVisible()  # the shift needs no day: it is this officer's
    spec, hours = shift_period(rig.window.shift_start, rig.clock.now_ns())
    assert hours in dlg.period.text().replace(" to ", "-")
    dlg.fmt.setCurrentIndex(1)
    menu = rig.window.reports
    with qtbot.waitSignal(menu.finished, timeout=60_000):
        dlg.buttons.accepted.emit()
    kind, got_spec, out, shift = rig.calls[0]
    assert (kind, got_spec, shift) == ("handover", spec, hours)
    assert out.parent == rig.folder and out.suffix == ".xlsx" and out.exists()


def test_the_monthly_report_takes_a_month(rig: Rig, qtbot: Any, tmp_path: Path) -> None:
    rig.use(lambda kind, spec, out, shift, progress: out)
    dlg = ask(rig, qtbot, "monthly")
    assert dlg.date.displayFormat() == "yyyy-MM"
    dlg.date.setDate(QDate(2026, 11, 17))
    with qtbot.waitSignal(rig.window.reports.finished, timeout=10_000):
        dlg.buttons.accepted.emit()
    assert rig.calls[0][:2] == ("monthly", "2026-11")


def test_cancel_stops_the_report_and_writes_nothing(rig: Rig, qtbot: Any, tmp_path: Path) -> None:
    go = threading.Event()
    written: list[Path] = []

    def slow(kind: str, spec: str, out: Path, shift: str, progress: Callable[[int], None]) -> Path:
        assert go.wait(10)  # the officer cancels while the journal is read
        progress(5000)  # the next batch: the cancel is seen here
        written.append(out)
        return out

    menu = rig.use(slow)
    dlg = ask(rig, qtbot, "daily")
    dlg.buttons.accepted.emit()
    qtbot.waitUntil(lambda: menu.progress is not None and menu.progress.isVisible(), timeout=5000)
    # the window is not blocked while the report is made: it still answers
    rig.window.left_tabs.setCurrentIndex(1)
    assert rig.window.left_tabs.currentIndex() == 1
    with qtbot.waitSignal(menu.finished, timeout=10_000) as done:
        cancel = menu.progress.findChild(QPushButton)
        assert cancel.text() == "Cancel"
        cancel.click()
        go.set()
    assert done.args == [None] and written == [] and rig.opened == []
    assert "cancelled" in rig.window.statusBar().currentMessage()


def test_a_failed_report_is_said_in_words(rig: Rig, qtbot: Any) -> None:
    def broken(kind: str, spec: str, out: Path, shift: str, progress: Callable[[int], None]) -> Path:
        raise ReportError("the store holds no household register; import one first (import-register)")

    menu = rig.use(broken)
    dlg = ask(rig, qtbot, "daily")
    with qtbot.waitSignal(menu.finished, timeout=10_000):
        dlg.buttons.accepted.emit()
    assert menu.error is not None and menu.error.isVisible()
    assert menu.error.text() == "There is no household register yet: import it first (Register → Import)."
    assert "ReportError" in menu.error.detailedText()
    assert rig.opened == []
    menu.error.close()


def test_without_a_builder_the_entries_are_off(rig: Rig) -> None:
    assert not any(a.isEnabled() for a in rig.window.reports.actions.values())
