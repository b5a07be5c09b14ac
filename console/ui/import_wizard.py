"""Register import wizard: pick a file, watch it being checked and saved, read the errors.

The UI never writes the store and never imports console.io: ``bootstrap.importer_for`` makes
``run_import`` (``console.io.registry_import.import_file`` bound to the store) and the main
window hands it to the wizard. It runs on a worker thread;
progress arrives as queued signals, so the window keeps painting through a 30,000-row file.
"""

from __future__ import annotations

import csv
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWizard,
    QWizardPage,
)

# (path, replace, progress(done, total, stage)) -> result with total, valid, added, updated,
# unchanged, removed, errors[row, column, reason, detail, code], saved
RunImport = Callable[[Path, bool, Callable[[int, int, str], None]], Any]


def _t(text: str) -> str:
    return QCoreApplication.translate("import", text)


class _Bridge(QObject):
    progress = Signal(int, int, str)
    done = Signal(object)
    failed = Signal(str)


class _FilePage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle(_t("Choose the register file"))
        self.setSubTitle(_t("CSV or XLSX in the template's columns (resources/register/template.xlsx)."))
        self.path = QLineEdit()
        self.path.textChanged.connect(self.completeChanged)
        browse = QPushButton(_t("Browse…"))
        browse.clicked.connect(self._browse)
        self.replace = QCheckBox(_t("Remove households that are not in the file"))
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        lay = QVBoxLayout(self)
        lay.addLayout(row)
        lay.addWidget(self.replace)

    def _browse(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, _t("Register file"), "", "Register (*.csv *.xlsx)")
        if name:
            self.path.setText(name)

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        p = Path(self.path.text().strip())
        return p.suffix.lower() in (".csv", ".xlsx") and p.is_file()


class _RunPage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle(_t("Importing"))
        self.bar = QProgressBar()
        self.stage = QLabel("")
        lay = QVBoxLayout(self)
        lay.addWidget(self.stage)
        lay.addWidget(self.bar)

    def initializePage(self) -> None:  # noqa: N802 - Qt override
        self.w.start()

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        return self.w.finished_run


class _ResultPage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle(_t("Result"))
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels([_t("Row"), _t("Column"), _t("Reason"), _t("Detail")])
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.save = QPushButton(_t("Save error report…"))
        lay = QVBoxLayout(self)
        lay.addWidget(self.summary)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.save)


class ImportWizard(QWizard):
    finishedImport = Signal(object)  # the importer's result
    failedImport = Signal(str)

    def __init__(self, run_import: RunImport, parent: Any = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_t("Import household register"))
        self.run_import = run_import
        self.result_: Any = None
        self.error = ""
        self.finished_run = False
        self._thread: threading.Thread | None = None
        self._bridge = _Bridge()
        self._bridge.progress.connect(self._progress)
        self._bridge.done.connect(self._done)
        self._bridge.failed.connect(self._failed)
        self.file_page = _FilePage()
        self.run_page = _RunPage(self)
        self.result_page = _ResultPage()
        self.result_page.save.clicked.connect(self._save_errors)
        for p in (self.file_page, self.run_page, self.result_page):
            self.addPage(p)

    # --- running -------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        path = Path(self.file_page.path.text().strip())
        replace = self.file_page.replace.isChecked()
        self.finished_run = False
        self.button(QWizard.WizardButton.BackButton).setEnabled(False)

        def work() -> None:
            try:
                result = self.run_import(path, replace, self._bridge.progress.emit)
                self._bridge.done.emit(result)
            except Exception as exc:  # told to the officer, never a crash
                self._bridge.failed.emit(f"{type(exc).__name__}: {exc}")

        self._thread = threading.Thread(target=work, name="register-import", daemon=True)
        self._thread.start()

    def _progress(self, done: int, total: int, stage: str) -> None:
        self.run_page.bar.setMaximum(max(1, total))
        self.run_page.bar.setValue(done)
        text = {"validate": _t("Checking rows: {done} of {total}"), "save": _t("Saving (one transaction)…")}
        self.run_page.stage.setText(text.get(stage, stage).format(done=done, total=total))

    def _finish(self) -> None:
        self._thread = None
        self.finished_run = True
        self.run_page.completeChanged.emit()

    def _done(self, r: Any) -> None:
        self.result_ = r
        self._finish()
        self.result_page.summary.setText(
            _t(
                "{total} rows: {valid} valid, {errors} errors. Added {added}, updated {updated}, "
                "unchanged {unchanged}, removed {removed}.{saved}"
            ).format(
                total=r.total,
                valid=r.valid,
                errors=len(r.errors),
                added=len(r.added),
                updated=len(r.updated),
                unchanged=r.unchanged,
                removed=len(r.removed),
                saved="" if r.saved else " " + _t("Nothing was changed."),
            )
        )
        t = self.result_page.table
        t.setRowCount(len(r.errors))
        for i, e in enumerate(r.errors):
            for c, v in enumerate((str(e.row), e.column, e.reason, e.detail)):
                t.setItem(i, c, QTableWidgetItem(v))
        self.result_page.save.setEnabled(bool(r.errors))
        self.finishedImport.emit(r)

    def _failed(self, message: str) -> None:
        self.error = message
        self._finish()
        self.result_page.summary.setText(
            _t("The import failed and nothing was changed: {m}").format(m=message)
        )
        self.result_page.save.setEnabled(False)
        self.failedImport.emit(message)

    def _save_errors(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, _t("Error report"), "register_errors.csv", "CSV (*.csv)")
        if name and self.result_ is not None:
            save_errors(self.result_.errors, Path(name))


def save_errors(errors: Any, path: Path) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(["row", "column", "code", "reason", "detail"])
        for e in errors:
            w.writerow([e.row, e.column, e.code, e.reason, e.detail])
