"""The import wizard over the real importers and a real SQLite store: a register with an outlier
(a warning) and an optional boundaries file, run on the worker thread one after the other."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.elsewhere import rows, square, write_csv


@pytest.fixture
def store(tmp_path: Path) -> Any:
    from console.io.store import SqlStore

    s = SqlStore(tmp_path / "journal.sqlite")
    yield s
    s.close()


def _wizard(qtbot: Any, store: Any, threads: list[str]) -> Any:
    from console.io.boundaries import import_boundaries
    from console.io.registry_import import import_file
    from console.ui.import_wizard import ImportWizard

    def run_import(path: Path, replace: bool, progress: Any) -> Any:
        threads.append(threading.current_thread().name)
        return import_file(path, store, replace=replace, progress=progress)

    def run_boundaries(path: Path) -> Any:
        threads.append(threading.current_thread().name)
        return import_boundaries(path, store)

    wiz = ImportWizard(run_import, run_boundaries=run_boundaries)
    qtbot.addWidget(wiz)
    wiz.show()
    return wiz


def _table(wiz: Any) -> list[list[str]]:
    t = wiz.result_page.table
    return [[t.item(r, c).text() for c in range(t.columnCount())] for r in range(t.rowCount())]


def test_register_and_boundaries_with_their_warnings(qtbot: Any, store: Any, tmp_path: Path) -> None:
    reg = write_csv(tmp_path / "reg.csv", rows())
    geo = tmp_path / "townships.geojson"
    geo.write_text(
        json.dumps({"type": "FeatureCollection", "features": [square("500227001", 29.60, 106.30)]}),
        encoding="utf-8",
    )
    threads: list[str] = []
    wiz = _wizard(qtbot, store, threads)
    wiz.file_page.path.setText(str(reg))
    wiz.file_page.boundaries.setText(str(tmp_path / "missing.geojson"))
    assert not wiz.file_page.isComplete()  # a named boundaries file must exist
    wiz.file_page.boundaries.setText(str(geo))
    assert wiz.file_page.isComplete()
    with qtbot.waitSignal(wiz.finishedBoundaries, timeout=20_000) as sig:
        wiz.next()
    assert threads == ["register-import", "register-import"]
    assert sig.args[0].saved and store.boundaries_digest() == sig.args[0].digest
    wiz.next()
    text = wiz.result_page.summary.text()
    assert "15 valid, 0 errors" in text
    assert "1 warnings: those rows were imported" in text
    assert "Township boundaries: 1 features, 1 townships, 0 errors, 1 warnings. Saved." in text
    table = _table(wiz)
    assert [(r[0], r[2], r[4]) for r in table] == [
        ("16", "far_from_township", "warning"),
        ("", "no_boundary", "warning"),
    ]
    assert "500227102" in table[1][3]
    assert len(store.load_register()) == 15

    out = tmp_path / "report.csv"
    from console.ui.import_wizard import save_errors

    save_errors([*wiz.result_.errors, *wiz.result_.warnings], out)
    assert out.read_text(encoding="utf-8-sig").splitlines()[:2] == [
        "row,severity,column,code,reason,detail",
        f"16,warning,lat,BS00015,far_from_township,{wiz.result_.warnings[0].detail}",
    ]


def test_bad_boundaries_are_listed_as_errors_and_not_saved(qtbot: Any, store: Any, tmp_path: Path) -> None:
    reg = write_csv(tmp_path / "reg.csv", rows())
    geo = tmp_path / "bad.geojson"
    geo.write_text(
        json.dumps({"type": "FeatureCollection", "features": [square("T03", 29.60, 106.30)]}),
        encoding="utf-8",
    )
    wiz = _wizard(qtbot, store, [])
    wiz.file_page.path.setText(str(reg))
    wiz.file_page.boundaries.setText(str(geo))
    with qtbot.waitSignal(wiz.finishedImport, timeout=20_000):
        wiz.next()
    wiz.next()
    assert "0 townships, 1 errors, 2 warnings. Nothing was saved." in wiz.result_page.summary.text()
    assert [(r[0], r[2], r[4]) for r in _table(wiz)][1] == ("feature 1", "unknown_township", "error")
    assert store.load_boundaries() is None
    assert len(store.load_register()) == 15  # the register is imported all the same
