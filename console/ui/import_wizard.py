"""Register import wizard: pick a file, watch it being checked and saved, read the errors.

The UI never writes the store and never imports console.io: ``bootstrap.importer_for`` makes
``run_import`` (``console.io.registry_import.import_file`` bound to the store) and the main
window hands it to the wizard. It runs on a worker thread;
progress arrives as queued signals, so the window keeps painting through a 30,000-row file.
An optional township-boundaries file (GeoJSON) is imported after the register on the same
thread by ``run_boundaries`` (``bootstrap.boundaries_importer_for``); errors and warnings of
both are listed with their severity.
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
# (path) -> result with features, townships, errors, warnings (row = feature number), saved
RunBoundaries = Callable[[Path], Any]
BOUNDARY_SUFFIXES = (".geojson", ".json")


def _t(text: str) -> str:
    return QCoreApplication.translate("import", text)


class _Bridge(QObject):
    progress = Signal(int, int, str)
    done = Signal(object, object, str)  # register result, boundaries result | None, its failure
    failed = Signal(str)


class _FilePage(QWizardPage):
    def __init__(self, with_boundaries: bool = False) -> None:
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
        self.boundaries = QLineEdit()
        self.boundaries.setPlaceholderText(_t("Township boundaries (GeoJSON, optional)"))
        self.boundaries.textChanged.connect(self.completeChanged)
        if with_boundaries:
            browse_b = QPushButton(_t("Browse…"))
            browse_b.clicked.connect(self._browse_boundaries)
            row_b = QHBoxLayout()
            row_b.addWidget(self.boundaries, 1)
            row_b.addWidget(browse_b)
            lay.addWidget(QLabel(_t("Township boundaries (GeoJSON, optional)")))
            lay.addLayout(row_b)

    def _browse_boundaries(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, _t("Township boundaries"), "", "GeoJSON (*.geojson *.json)"
        )
        if name:
            self.boundaries.setText(name)

    def boundaries_path(self) -> Path | None:
        text = self.boundaries.text().strip()
        return Path(text) if text else None

    def _browse(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, _t("Register file"), "", "Register (*.csv *.xlsx)")
        if name:
            self.path.setText(name)

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        p = Path(self.path.text().strip())
        b = self.boundaries_path()
        boundaries_ok = b is None or (b.suffix.lower() in BOUNDARY_SUFFIXES and b.is_file())
        return p.suffix.lower() in (".csv", ".xlsx") and p.is_file() and boundaries_ok


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
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(
            [_t("Row"), _t("Column"), _t("Reason"), _t("Detail"), _t("Severity")]
        )
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.save = QPushButton(_t("Save error report…"))
        lay = QVBoxLayout(self)
        lay.addWidget(self.summary)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.save)


class ImportWizard(QWizard):
    finishedImport = Signal(object)  # the importer's result
    failedImport = Signal(str)

    finishedBoundaries = Signal(object)  # the boundaries importer's result, when it ran

    def __init__(
        self, run_import: RunImport, parent: Any = None, *, run_boundaries: RunBoundaries | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(_t("Import household register"))
        self.run_import = run_import
        self.run_boundaries = run_boundaries
        self.result_: Any = None
        self.boundaries_result: Any = None
        self.boundaries_error = ""
        self.error = ""
        self.finished_run = False
        self._thread: threading.Thread | None = None
        self._bridge = _Bridge()
        self._bridge.progress.connect(self._progress)
        self._bridge.done.connect(self._done)
        self._bridge.failed.connect(self._failed)
        self.file_page = _FilePage(with_boundaries=run_boundaries is not None)
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
        boundaries = self.file_page.boundaries_path() if self.run_boundaries is not None else None
        run_boundaries = self.run_boundaries
        self.finished_run = False
        self.button(QWizard.WizardButton.BackButton).setEnabled(False)

        def work() -> None:
            try:
                result = self.run_import(path, replace, self._bridge.progress.emit)
            except Exception as exc:  # told to the officer, never a crash
                self._bridge.failed.emit(f"{type(exc).__name__}: {exc}")
                return
            b_result, b_error = None, ""
            if boundaries is not None and run_boundaries is not None:
                self._bridge.progress.emit(0, 1, "boundaries")
                try:
                    b_result = run_boundaries(boundaries)
                except Exception as exc:  # the register is imported; only the outlines failed
                    b_error = f"{type(exc).__name__}: {exc}"
                self._bridge.progress.emit(1, 1, "boundaries")
            self._bridge.done.emit(result, b_result, b_error)

        self._thread = threading.Thread(target=work, name="register-import", daemon=True)
        self._thread.start()

    def _progress(self, done: int, total: int, stage: str) -> None:
        self.run_page.bar.setMaximum(max(1, total))
        self.run_page.bar.setValue(done)
        text = {
            "validate": _t("Checking rows: {done} of {total}"),
            "save": _t("Saving (one transaction)…"),
            "boundaries": _t("Checking the township boundaries…"),
        }
        self.run_page.stage.setText(text.get(stage, stage).format(done=done, total=total))

    def _finish(self) -> None:
        self._thread = None
        self.finished_run = True
        self.run_page.completeChanged.emit()

    def _done(self, r: Any, b: Any = None, b_error: str = "") -> None:
        self.result_ = r
        self.boundaries_result = b
        self.boundaries_error = b_error
        self._finish()
        warnings = list(getattr(r, "warnings", []))
        lines = [
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
        ]
        if warnings:
            lines.append(
                _t("{warnings} warnings: those rows were imported; please check them.").format(
                    warnings=len(warnings)
                )
            )
        entries = [(str(e.row), e) for e in [*r.errors, *warnings]]
        if b is not None:
            lines.append(
                _t(
                    "Township boundaries: {features} features, {townships} townships, {errors} errors, "
                    "{warnings} warnings. {state}"
                ).format(
                    features=b.features,
                    townships=len(b.townships),
                    errors=len(b.errors),
                    warnings=len(b.warnings),
                    state=_t("Saved.")
                    if b.saved or getattr(b, "unchanged", False)
                    else _t("Nothing was saved."),
                )
            )
            feature = _t("feature {n}")
            entries += [(feature.format(n=e.row) if e.row else "", e) for e in [*b.errors, *b.warnings]]
        elif b_error:
            lines.append(_t("The township boundaries were not imported: {m}").format(m=b_error))
        self.result_page.summary.setText("\n".join(lines))
        t = self.result_page.table
        t.setRowCount(len(entries))
        severity = {"error": _t("error"), "warning": _t("warning")}
        for i, (row, e) in enumerate(entries):
            sev = getattr(e, "severity", "error")
            for c, v in enumerate((row, e.column, e.reason, e.detail, severity.get(sev, sev))):
                t.setItem(i, c, QTableWidgetItem(v))
        self.result_page.save.setEnabled(bool(entries))
        self.finishedImport.emit(r)
        if b is not None:
            self.finishedBoundaries.emit(b)

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
            save_errors([*self.result_.errors, *getattr(self.result_, "warnings", [])], Path(name))


def save_errors(errors: Any, path: Path) -> None:
    """The register's report as ``write_errors`` writes it (console.io.registry_import)."""
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(["row", "severity", "column", "code", "reason", "detail"])
        for e in sorted(errors, key=lambda e: e.row):
            w.writerow([e.row, getattr(e, "severity", "error"), e.column, e.code, e.reason, e.detail])
