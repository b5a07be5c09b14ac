"""Register import into a real SQLite store: 1,000 rows with exactly 37 planted errors import 963
and report exactly those 37; re-import updates in place; a failed save changes nothing."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from console.domain import events as ev

N = 1000
PLANTS = (
    ["missing_code"] * 6
    + ["bad_phone"] * 6
    + ["unknown_township"] * 5
    + ["duplicate_device"] * 5  # within the file
    + ["duplicate_device_store"] * 5  # a device of a household already in the store
    + ["outside_district"] * 5
    + ["unknown_crs"] * 5
)
COLUMN = {
    "missing_code": "code",
    "bad_phone": "contacts",
    "unknown_township": "township",
    "duplicate_device": "devices",
    "duplicate_device_store": "devices",
    "outside_district": "lat",
    "unknown_crs": "crs",
}


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
) -> tuple[list[list[str]], dict[int, str]]:
    """Copy of ``clean`` with one error in each of 37 rows; {spreadsheet row: reason}."""
    col = {c: i for i, c in enumerate(header)}
    out = [list(r) for r in clean]
    planted: dict[int, str] = {}
    for k, kind in enumerate(PLANTS):
        i = 20 + k * 26  # spread over the file, never the first rows (duplicate sources)
        r = out[i]
        if kind == "missing_code":
            r[col["code"]] = ""
        elif kind == "bad_phone":
            first, *rest = r[col["contacts"]].split(";")
            parts = first.split(":")
            parts[2] = "1234567"
            r[col["contacts"]] = ";".join([":".join(parts), *rest])
        elif kind == "unknown_township":
            r[col["township"]] = "T99"
        elif kind == "duplicate_device":
            src = out[k % 20]  # an earlier row, never planted
            dev = src[col["devices"]].split(";")[0].split(":")[0]
            first, *rest = r[col["devices"]].split(";")
            r[col["devices"]] = ";".join([dev + ":" + ":".join(first.split(":")[1:]), *rest])
        elif kind == "duplicate_device_store":
            dev = stored[k % len(stored)][col["devices"]].split(";")[0].split(":")[0]
            first, *rest = r[col["devices"]].split(";")
            r[col["devices"]] = ";".join([dev + ":" + ":".join(first.split(":")[1:]), *rest])
        elif kind == "outside_district":
            r[col["lat"]] = "31.500000"
        elif kind == "unknown_crs":
            r[col["crs"]] = "utm50n"
        planted[i + 2] = "duplicate_device" if kind == "duplicate_device_store" else kind
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
    assert {e.row: e.reason for e in result.errors} == planted
    assert len(result.errors) == 37
    for e in result.errors:
        assert e.column == COLUMN[e.reason if e.reason != "duplicate_device" else "duplicate_device"]
    with (tmp_path / "errors.csv").open(encoding="utf-8-sig") as f:
        lines = list(csv.DictReader(f))
    assert sorted(int(x["row"]) for x in lines) == sorted(planted)
    assert all(x["reason"] == planted[int(x["row"])] for x in lines)
    assert progress[-1] == (1, 1, "save") and any(s == "validate" for *_, s in progress)

    reg = store.load_register()
    assert len(reg) == 10 + 963
    assert len(reg.device_index) == sum(len(h.devices) for h in reg.households.values())  # no device twice
    note = _notes(store)[-1]
    assert note.what == "register_import"
    summary = json.loads(note.detail)
    assert (len(summary["added"]), summary["updated"], summary["errors"]) == (963, [], 37)

    # second import: the clean file, five addresses changed -> 37 added, 5 updated, no duplicates
    col = header.index("address")
    second = [list(r) for r in clean]
    changed = [second[i][0] for i in (1, 2, 3, 500, 999)]
    for i in (1, 2, 3, 500, 999):
        second[i][col] += "（已搬迁）"
    result2 = import_file(_write_csv(tmp_path / "reg2.csv", header, second), store)
    assert result2.errors == []
    assert (len(result2.added), sorted(result2.updated), result2.unchanged) == (37, sorted(changed), 958)
    reg2 = store.load_register()
    assert len(reg2) == 10 + N
    assert reg2.households[changed[0]].address.endswith("（已搬迁）")
    summary2 = json.loads(_notes(store)[-1].detail)
    assert sorted(summary2["updated"]) == sorted(changed) and summary2["removed"] == []

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
