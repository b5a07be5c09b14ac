"""The window's 报表 (Reports) menu: the shift report (this officer's shift: since they took the
console, at most the last 12 h), the daily report (a day) and the monthly report (a month), each
as PDF or XLSX (console/reports; docs/kpi.md says what each one holds).

The report is made on a worker thread (QThread: the journal is folded, which takes a while on a
month), with a progress dialog that can cancel it (between journal batches: the builder's
progress callback raises); it is saved where the officer chooses (the Documents folder by
default) and opened when done. The builder is handed in (``make_report``, wired by the
bootstrap: the UI does not import console.reports); so is the opener (tests inject one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Final

from PySide6.QtCore import QDate, QObject, QStandardPaths, QThread, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QWidget,
)

CST: Final = timezone(timedelta(hours=8))  # the reports' periods are China time (docs/kpi.md)
NS: Final = 1_000_000_000
SHIFT_MAX_S: Final = 12 * 3600  # a shift report covers at most the last 12 h
KINDS: Final = ("shift", "daily", "monthly")
FORMATS: Final = ("pdf", "xlsx")

# make_report(kind, spec, out, shift, progress) -> the file written; kind as console/reports
# names it (daily | monthly | handover), spec its --date, shift its --shift (handover only)
MakeReport = Callable[[str, str, Path, str, Callable[[int], None]], Path]


class Cancelled(Exception):
    """The officer cancelled the report (raised from the builder's progress callback)."""


@dataclass(frozen=True)
class Request:
    kind: str  # shift | daily | monthly
    fmt: str  # pdf | xlsx
    spec: str  # the report's --date: YYYY-MM-DD (shift, daily) or YYYY-MM (monthly)
    shift: str  # HH:MM-HH:MM, China time (shift only)
    path: Path

    def builder_kind(self) -> str:
        return "handover" if self.kind == "shift" else self.kind


def shift_period(start_ns: int | None, now_ns: int) -> tuple[str, str]:
    """(date, "HH:MM-HH:MM") of a shift from ``start_ns`` (the officer took the console) to now,
    China time, at whole minutes: at most the last 12 h, and at least one minute."""
    end = datetime.fromtimestamp(now_ns / NS, tz=CST)
    end = end.replace(second=0, microsecond=0) + timedelta(minutes=1)  # now is inside it
    earliest = end - timedelta(seconds=SHIFT_MAX_S)
    start = datetime.fromtimestamp(start_ns / NS, tz=CST) if start_ns else earliest
    start = max(start.replace(second=0, microsecond=0), earliest)
    if start >= end:
        start = end - timedelta(minutes=1)
    return start.strftime("%Y-%m-%d"), f"{start:%H:%M}-{end:%H:%M}"


def default_dir() -> Path:
    """The officer's Documents folder, else the console's data folder."""
    docs = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    if docs and Path(docs).is_dir():
        return Path(docs)
    from console.paths import data_dir

    return data_dir()


class ReportDialog(QDialog):
    """What to make: the kind (preset by the menu entry), its day or month, PDF or XLSX, and the
    file to save it to."""

    def __init__(
        self,
        kind: str,
        today: QDate,
        shift: tuple[str, str],
        folder: Path,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("reportDialog")
        self.setMinimumWidth(520)
        self.shift = shift
        self.folder = folder
        self._named = False  # the officer chose the file: it no longer follows the choices
        form = QFormLayout(self)
        self.kind = QComboBox()
        self.kind.setObjectName("reportKind")
        for k, text in (
            ("shift", self.tr("Shift report")),
            ("daily", self.tr("Daily report")),
            ("monthly", self.tr("Monthly report")),
        ):
            self.kind.addItem(text, k)
        self.kind.setCurrentIndex(KINDS.index(kind))
        form.addRow(self.tr("Report"), self.kind)
        self.date = QDateEdit(today)
        self.date.setObjectName("reportDate")
        self.date.setCalendarPopup(True)
        self.date.setMaximumDate(today)
        self.date_label = QLabel(self.tr("Day"))
        form.addRow(self.date_label, self.date)
        self.period = QLabel()
        self.period.setObjectName("reportPeriod")
        self.period.setWordWrap(True)
        form.addRow(self.period)
        self.fmt = QComboBox()
        self.fmt.setObjectName("reportFormat")
        self.fmt.addItem(self.tr("PDF (to print)"), "pdf")
        self.fmt.addItem(self.tr("Excel workbook (XLSX)"), "xlsx")
        form.addRow(self.tr("Format"), self.fmt)
        self.path = QLineEdit()
        self.path.setObjectName("reportPath")
        self.path.textEdited.connect(lambda _t: setattr(self, "_named", True))
        self.path.textChanged.connect(lambda _t: self._check())
        browse = QPushButton(self.tr("Choose…"))
        browse.setObjectName("reportBrowse")
        browse.setAutoDefault(False)
        browse.clicked.connect(self.browse)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        form.addRow(self.tr("Save to"), row)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Make the report"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        self.kind.currentIndexChanged.connect(lambda _i: self._follow())
        self.fmt.currentIndexChanged.connect(lambda _i: self._follow())
        self.date.dateChanged.connect(lambda _d: self._follow())
        self._follow()

    def current_kind(self) -> str:
        return str(self.kind.currentData())

    def spec(self) -> str:
        d = self.date.date()
        if self.current_kind() == "shift":
            return self.shift[0]
        if self.current_kind() == "monthly":
            return f"{d.year():04d}-{d.month():02d}"
        return f"{d.year():04d}-{d.month():02d}-{d.day():02d}"

    def file_name(self) -> str:
        kind = self.current_kind()
        title = {
            "shift": self.tr("Shift report"),
            "daily": self.tr("Daily report"),
            "monthly": self.tr("Monthly report"),
        }[kind]
        when = self.shift[0] + "_" + self.shift[1].replace(":", "") if kind == "shift" else self.spec()
        return f"{title} {when}.{self.fmt.currentData()}".replace(" ", "_")

    def _follow(self) -> None:
        kind = self.current_kind()
        self.date.setVisible(kind != "shift")
        self.date_label.setVisible(kind != "shift")
        self.date.setDisplayFormat("yyyy-MM" if kind == "monthly" else "yyyy-MM-dd")
        self.date_label.setText(self.tr("Month") if kind == "monthly" else self.tr("Day"))
        if kind == "shift":
            start, _, end = self.shift[1].partition("-")
            self.period.setText(
                self.tr("Your shift: %1 %2 to %3 (China time), at most the last 12 hours.")
                .replace("%1", self.shift[0])
                .replace("%2", start)
                .replace("%3", end)
            )
        elif kind == "daily":
            self.period.setText(self.tr("The whole day, 00:00 to 24:00 (China time)."))
        else:
            self.period.setText(self.tr("The whole month, day by day (China time)."))
        if self._named and self.path.text().strip():
            p = Path(self.path.text().strip())
            self.path.setText(str(p.with_suffix("." + str(self.fmt.currentData()))))
        else:
            self.path.setText(str(self.folder / self.file_name()))
        self.setWindowTitle(self.kind.currentText())

    def browse(self) -> None:
        fmt = str(self.fmt.currentData())
        filt = self.tr("PDF (*.pdf)") if fmt == "pdf" else self.tr("Excel workbook (*.xlsx)")
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Save the report"), self.path.text(), filt)
        if path:
            self._named = True
            if not path.lower().endswith("." + fmt):
                path += "." + fmt
            self.path.setText(path)

    def _check(self) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(bool(self.path.text().strip()))

    def request(self) -> Request:
        kind = self.current_kind()
        return Request(
            kind=kind,
            fmt=str(self.fmt.currentData()),
            spec=self.spec(),
            shift=self.shift[1] if kind == "shift" else "",
            path=Path(self.path.text().strip()),
        )


class ReportJob(QThread):
    """One report on its own thread; ``cancel()`` stops it at the next journal batch."""

    progressed = Signal(int)  # records read so far
    done = Signal(object)  # the file written
    failed = Signal(object)  # the exception
    cancelled = Signal()

    def __init__(self, make: MakeReport, req: Request, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.make = make
        self.req = req
        self._stop = False

    def cancel(self) -> None:
        self._stop = True

    def _progress(self, n: int) -> None:
        if self._stop:
            raise Cancelled
        self.progressed.emit(n)

    def run(self) -> None:
        r = self.req
        try:
            path = self.make(r.builder_kind(), r.spec, r.path, r.shift or "08:00-20:00", self._progress)
        except Cancelled:
            self.cancelled.emit()
            return
        except Exception as exc:  # noqa: BLE001 - shown to the officer in words, never a crash
            self.failed.emit(exc)
            return
        self.done.emit(path)


class ReportMenu(QObject):
    """The menu's entries and the run of one report at a time."""

    finished = Signal(object)  # the file written, or None (failed or cancelled)

    def __init__(
        self,
        window: Any,
        make_report: MakeReport | None,
        shift_start: Callable[[], int | None],
        now: Callable[[], int],
        opener: Callable[[QUrl], Any] | None = None,
        folder: Path | None = None,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.make_report = make_report
        self.shift_start = shift_start
        self.now = now
        self.opener = opener or QDesktopServices.openUrl
        self.folder = folder
        self.dialog: ReportDialog | None = None
        self.progress: QProgressDialog | None = None
        self.job: ReportJob | None = None
        self.error: QMessageBox | None = None
        self.menu = QMenu(window)
        self.menu.setObjectName("reportMenu")
        self.actions: dict[str, QAction] = {}
        for k in KINDS:
            a = self.menu.addAction("")
            a.triggered.connect(lambda _c=False, k=k: self.ask(k))
            a.setObjectName(f"act_report_{k}")
            a.setEnabled(make_report is not None)
            self.actions[k] = a
        self.retranslate()

    def retranslate(self) -> None:
        self.menu.setTitle(self.tr("Re&ports"))
        self.actions["shift"].setText(self.tr("Shift report (my shift)…"))
        self.actions["daily"].setText(self.tr("Daily report…"))
        self.actions["monthly"].setText(self.tr("Monthly report…"))
        for a in self.actions.values():
            a.setToolTip(self.tr("PDF or XLSX, saved where you choose and opened when done"))

    def ask(self, kind: str) -> None:
        """The report dialog for ``kind``; OK starts it."""
        if self.make_report is None:
            return
        if self.job is not None:
            self.window.statusBar().showMessage(
                self.tr("A report is being made: wait for it, or cancel it."), 8000
            )
            return
        now = self.now()
        d = datetime.fromtimestamp(now / NS, tz=CST)
        today = QDate(d.year, d.month, d.day)
        folder = self.folder or default_dir()
        dlg = ReportDialog(kind, today, shift_period(self.shift_start(), now), folder, self.window)
        dlg.accepted.connect(lambda: self.start(dlg.request()))
        dlg.finished.connect(lambda _r: setattr(self, "dialog", None))
        self.dialog = dlg
        dlg.open()

    def start(self, req: Request) -> None:
        """Make ``req`` on a worker thread, with a cancellable progress dialog."""
        if self.make_report is None or self.job is not None:
            return
        job = ReportJob(self.make_report, req, self)
        self.job = job
        bar = QProgressDialog(self.window)
        bar.setObjectName("reportProgress")
        bar.setWindowTitle(self.tr("Making the report"))
        bar.setLabelText(self.tr("Reading the journal…"))
        bar.setCancelButtonText(self.tr("Cancel"))
        bar.setRange(0, 0)  # how many records there are is not known before the end
        bar.setMinimumDuration(0)
        bar.setAutoClose(False)
        bar.setAutoReset(False)
        bar.canceled.connect(self._cancel)
        self.progress = bar
        job.progressed.connect(self._progressed)
        job.done.connect(self._done)
        job.failed.connect(self._failed)
        job.cancelled.connect(self._cancelled)
        job.finished.connect(self._job_over)
        bar.show()
        job.start()

    def _progressed(self, n: int) -> None:
        if self.progress is not None:
            self.progress.setLabelText(self.tr("Reading the journal… %1 records").replace("%1", f"{n:,}"))

    def _cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            if self.progress is not None:
                self.progress.setLabelText(self.tr("Cancelling…"))

    def _close_progress(self) -> None:
        if self.progress is not None:
            self.progress.canceled.disconnect(self._cancel)
            self.progress.close()
            self.progress.deleteLater()
            self.progress = None

    def _done(self, path: Path) -> None:
        self._close_progress()
        self.window.statusBar().showMessage(self.tr("Report saved: %1").replace("%1", str(path)), 15000)
        if not self.opener(QUrl.fromLocalFile(str(path))):
            self.window.statusBar().showMessage(
                self.tr("Report saved: %1 (no program to open it)").replace("%1", str(path)), 15000
            )
        self.finished.emit(path)

    def _failed(self, exc: BaseException) -> None:
        self._close_progress()
        box = QMessageBox(QMessageBox.Icon.Warning, self.tr("The report was not made"), self.words_of(exc))
        box.setObjectName("reportError")
        box.setParent(self.window, box.windowFlags())
        box.setDetailedText(f"{type(exc).__name__}: {exc}")
        self.error = box
        box.open()
        self.window.statusBar().showMessage(self.words_of(exc), 15000)
        self.finished.emit(None)

    def words_of(self, exc: BaseException) -> str:
        """Why a report failed, in words (the builder's own message goes to the details)."""
        text = str(exc)
        if isinstance(exc, PermissionError):
            return self.tr("Cannot write the file there: choose another folder.")
        if isinstance(exc, OSError):
            return self.tr("Cannot write the file: %1").replace("%1", exc.strerror or text)
        if "no household register" in text:
            return self.tr("There is no household register yet: import it first (Register → Import).")
        return self.tr("The report could not be made. The details say why; tell the administrator.")

    def _cancelled(self) -> None:
        self._close_progress()
        self.window.statusBar().showMessage(self.tr("Report cancelled: no file written."), 8000)
        self.finished.emit(None)

    def _job_over(self) -> None:
        job, self.job = self.job, None
        if job is not None:
            job.deleteLater()
