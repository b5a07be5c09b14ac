"""Register import into a real SQLite store: 1,000 rows with exactly 37 planted errors and 2
planted outliers import 963 (the outliers among them, with a warning) and report exactly those
37 errors and 2 warnings; re-import updates in place; a failed save changes nothing."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from console.domain import events as ev

N = 1000
PLANTS = (
    ["missing_code"] * 4
    + ["bad_phone"] * 4
    + ["district_renamed"] * 3  # area_name_conflict with the stored register
    + ["community_renamed"] * 2  # area_name_conflict with an earlier row of the file
    + ["duplicate_device"] * 5  # within the file
    + ["duplicate_device_store"] * 5  # a device of a household already in the store
    + ["outside_china"] * 5
    + ["unknown_crs"] * 5
    + ["area_parent_conflict"] * 4  # a community moved under another township
)
REASON = {
    "district_renamed": "area_name_conflict",
    "community_renamed": "area_name_conflict",
    "duplicate_device_store": "duplicate_device",
}
COLUMN = {
    "missing_code": "code",
    "bad_phone": "contacts",
    "district_renamed": "district_name",
    "community_renamed": "community_name",
    "duplicate_device": "devices",
    "duplicate_device_store": "devices",
    "outside_china": "lat",
    "unknown_crs": "crs",
    "area_parent_conflict": "community",
}
OUTLIERS = (303, 707)  # indexes of rows moved ~28 km north: imported, with a warning


@pytest.fixture(scope="module")
def rows() -> tuple[list[str], list[list[str]], list[list[str]]]:
    """(header, 10 rows already in the store, 1,000 clean rows for the file)."""
    from console.domain.registry import CSV_COLUMNS
    from console.sim.district import generate
    from console.sim.register_csv import register_rows

    reg = generate(seed=7, households=N + 10)
    all_rows = list(register_rows(reg))
    return list(CSV_COLUMNS), all_rows[:10], all_rows[10:]


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(header)
        w.writerows(rows)
    return path


def _plant(
    header: list[str], clean: list[list[str]], stored: list[list[str]]
) -> tuple[list[list[str]], dict[int, tuple[str, str]]]:
    """Copy of ``clean`` with one error in each of 37 rows and 2 outliers;
    {spreadsheet row: (reason, column)} of the errors."""
    col = {c: i for i, c in enumerate(header)}
    out = [list(r) for r in clean]
    planted: dict[int, tuple[str, str]] = {}
    for k, kind in enumerate(PLANTS):
        i = 20 + k * 26  # spread over the file, never the first rows (duplicate sources)
        while out[i][col["community"]] != out[i - 1][col["community"]]:
            i += 1  # an area conflict needs the community defined by an earlier row
        assert i not in OUTLIERS
        r = out[i]
        if kind == "missing_code":
            r[col["code"]] = ""
        elif kind == "bad_phone":
            first, *rest = r[col["contacts"]].split(";")
            parts = first.split(":")
            parts[2] = "1234567"
            r[col["contacts"]] = ";".join([":".join(parts), *rest])
        elif kind == "district_renamed":
            r[col["district_name"]] = "另一个区"
        elif kind == "community_renamed":
            r[col["community_name"]] += "（改名）"
        elif kind == "area_parent_conflict":
            other = out[5]  # a household of T01, like the stored ones
            assert r[col["township"]] != other[col["township"]]
            for c in ("township", "township_name", "township_level"):
                r[col[c]] = other[col[c]]
        elif kind == "duplicate_device":
            src = out[k % 20]  # an earlier row, never planted
            dev = src[col["devices"]].split(";")[0].split(":")[0]
            first, *rest = r[col["devices"]].split(";")
            r[col["devices"]] = ";".join([dev + ":" + ":".join(first.split(":")[1:]), *rest])
        elif kind == "duplicate_device_store":
            dev = stored[k % len(stored)][col["devices"]].split(";")[0].split(":")[0]
            first, *rest = r[col["devices"]].split(";")
            r[col["devices"]] = ";".join([dev + ":" + ":".join(first.split(":")[1:]), *rest])
        elif kind == "outside_china":
            if k % 2:
                r[col["lat"]] = "1.350000"  # Singapore
            else:
                r[col["lon"]] = "140.000000"  # east of the Heilong-Wusuli confluence
        elif kind == "unknown_crs":
            r[col["crs"]] = "utm50n"
        planted[i + 2] = (REASON.get(kind, kind), COLUMN[kind])
    for i in OUTLIERS:
        out[i][col["lat"]] = f"{float(out[i][col['lat']]) + 0.25:.6f}"
    return out, planted


@pytest.fixture
def store(tmp_path: Path) -> Any:
    from console.io.store import SqlStore

    s = SqlStore(f"sqlite:///{tmp_path / 'journal.sqlite'}")
    yield s
    s.close()


def _notes(store: Any) -> list[ev.SystemNote]:
    out = []
    for r in store.journal.read(1):
        e = ev.decode(r.body)
        if isinstance(e, ev.SystemNote):
            out.append(e)
    return out


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_1000_rows_37_errors_then_reimport(
    rows: tuple[list[str], list[list[str]], list[list[str]]], store: Any, tmp_path: Path, fmt: str
) -> None:
    from console.io.registry_import import import_file

    header, stored, clean = rows
    import_file(_write_csv(tmp_path / "first10.csv", header, stored), store)
    bad, planted = _plant(header, clean, stored)
    assert len(planted) == 37
    path = _write_csv(tmp_path / "reg.csv", header, bad)
    if fmt == "xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.append(header)
        for r in bad:
            ws.append(r)
        path = tmp_path / "reg.xlsx"
        wb.save(path)
    progress: list[tuple[int, int, str]] = []
    result = import_file(
        path, store, errors_out=tmp_path / "errors.csv", progress=lambda *a: progress.append(a)
    )

    assert result.total == N and result.valid == N - 37 == 963
    assert {e.row: (e.reason, e.column) for e in result.errors} == planted
    assert len(result.errors) == 37
    assert all(e.severity == "error" for e in result.errors)
    conflicts = [e for e in result.errors if e.reason == "area_name_conflict"]
    assert sorted("(the store)" in e.detail for e in conflicts) == [False, False, True, True, True]
    assert all("'另一个区'" in e.detail or "（改名）" in e.detail for e in conflicts)
    assert all("(row " in e.detail for e in conflicts if e.column == "community_name")
    assert [(w.row, w.reason, w.severity) for w in result.warnings] == [
        (i + 2, "far_from_township", "warning") for i in OUTLIERS
    ]
    with (tmp_path / "errors.csv").open(encoding="utf-8-sig") as f:
        lines = list(csv.DictReader(f))
    errors_csv = [x for x in lines if x["severity"] == "error"]
    assert sorted(int(x["row"]) for x in errors_csv) == sorted(planted)
    assert all(x["reason"] == planted[int(x["row"])][0] for x in errors_csv)
    assert [(int(x["row"]), x["reason"]) for x in lines if x["severity"] == "warning"] == [
        (i + 2, "far_from_township") for i in OUTLIERS
    ]
    assert len(lines) == 37 + 2
    assert progress[-1] == (1, 1, "save") and any(s == "validate" for *_, s in progress)

    reg = store.load_register()
    assert len(reg) == 10 + 963
    assert reg.areas["SIM"].name == "模拟区 (Simulated District)"
    assert {clean[i][0] for i in OUTLIERS} <= set(reg.households)
    assert len(reg.device_index) == sum(len(h.devices) for h in reg.households.values())  # no device twice
    note = _notes(store)[-1]
    assert note.what == "register_import"
    summary = json.loads(note.detail)
    assert (len(summary["added"]), summary["updated"], summary["errors"], summary["warnings"]) == (
        963,
        [],
        37,
        2,
    )

    # second import: the clean file, five addresses changed -> 37 added, 5 updated, no duplicates
    col = header.index("address")
    second = [list(r) for r in clean]
    changed = [second[i][0] for i in (1, 2, 3, 500, 999)]
    for i in (1, 2, 3, 500, 999):
        second[i][col] += "（已搬迁）"
    result2 = import_file(_write_csv(tmp_path / "reg2.csv", header, second), store)
    assert result2.errors == [] and result2.warnings == []
    # the two outliers come back to their place: updated too
    moved = [clean[i][0] for i in OUTLIERS]
    assert (len(result2.added), sorted(result2.updated), result2.unchanged) == (
        37,
        sorted(changed + moved),
        956,
    )
    reg2 = store.load_register()
    assert len(reg2) == 10 + N
    assert reg2.households[changed[0]].address.endswith("（已搬迁）")
    summary2 = json.loads(_notes(store)[-1].detail)
    assert sorted(summary2["updated"]) == sorted(changed + moved) and summary2["removed"] == []

    # the same file again changes nothing and journals nothing
    count = store.journal.count()
    result3 = import_file(tmp_path / "reg2.csv", store)
    assert (result3.added, result3.updated, result3.saved) == ([], [], False)
    assert store.journal.count() == count


def test_failed_save_never_half_imports(
    rows: tuple[list[str], list[list[str]], list[list[str]]],
    store: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from console.io.registry_import import import_file
    from console.io.store import register_store

    header, stored, clean = rows
    import_file(_write_csv(tmp_path / "first10.csv", header, stored), store)
    before = store.load_register()
    real = register_store.insert_rows

    def failing(conn: Any, table: Any, cols: Any, data: Any) -> None:
        if table.name == "devices":  # households and contacts are already written by now
            raise OSError("disk full (simulated)")
        real(conn, table, cols, data)

    monkeypatch.setattr(register_store, "insert_rows", failing)
    with pytest.raises(Exception, match="disk full"):
        import_file(_write_csv(tmp_path / "reg.csv", header, clean[:200]), store)
    monkeypatch.undo()
    after = store.load_register()
    assert sorted(after.households) == sorted(before.households)
    assert [n.what for n in _notes(store)][-2:] == ["register_import", "register_import_failed"]


def test_unreadable_files_say_why(store: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from console.entry.import_register import main

    bad = tmp_path / "bad.csv"
    bad.write_text("code,address\nX,somewhere\n", encoding="utf-8")
    assert main([str(bad), "--db", str(store.url)]) == 2
    assert "missing columns" in capsys.readouterr().err
    assert main([str(tmp_path / "nope.txt"), "--db", str(store.url)]) == 2
    assert "expected a .csv or .xlsx" in capsys.readouterr().err


def test_cli_imports_the_shipped_templates(store: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from console.entry.import_register import main
    from console.paths import resource

    assert main([str(resource("register", "template.xlsx")), "--db", str(store.url)]) == 0
    assert "1 valid, 0 errors" in capsys.readouterr().out
    assert main([str(resource("register", "template.csv")), "--db", str(store.url)]) == 0
    assert "unchanged 1" in capsys.readouterr().out
