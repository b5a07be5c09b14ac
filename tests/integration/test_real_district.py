"""A district the synthetic generator never makes: its register defines its own areas and imports
through the real CLI (a subprocess) into a real SQLite store; its township boundaries import with
``import-boundaries``, and a bad boundaries file is refused whole."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from console.domain import events as ev
from console.domain.geo import wgs84_to_gcj02
from tests.fixtures.elsewhere import rows as _rows
from tests.fixtures.elsewhere import square as _square
from tests.fixtures.elsewhere import write_csv as _write

ROOT = Path(__file__).resolve().parents[2]


def console(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "console", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _notes(db: Path, what: str) -> list[ev.SystemNote]:
    from console.io.store import SqlStore

    with SqlStore(db) as store:
        out = []
        for r in store.journal.read(1):
            e = ev.decode(r.body)
            if isinstance(e, ev.SystemNote) and e.what == what:
                out.append(e)
        return out


@pytest.fixture
def imported(tmp_path: Path) -> Path:
    """A store holding the real district's register, imported by the CLI."""
    db = tmp_path / "journal.sqlite"
    reg = _write(tmp_path / "璧山区.csv", _rows())
    r = console("import-register", str(reg), "--db", str(db), "--errors", str(tmp_path / "report.csv"))
    assert r.returncode == 0, r.stderr
    assert "15 rows: 15 valid, 0 errors in 0 rows, 1 warnings" in r.stdout
    assert "warning far_from_township" in r.stderr and "BS00015" not in r.stdout
    with (tmp_path / "report.csv").open(encoding="utf-8-sig") as f:
        report = list(csv.DictReader(f))
    assert [(x["row"], x["severity"], x["reason"], x["code"]) for x in report] == [
        ("16", "warning", "far_from_township", "BS00015")
    ]
    return db


def test_a_real_districts_register_defines_its_areas(imported: Path) -> None:
    from console.io.store import SqlStore

    with SqlStore(imported) as store:
        reg = store.load_register()
    assert reg is not None and len(reg) == 15
    assert reg.areas["500227"].name == "璧山区"
    assert {(a.code, a.name, a.level, a.parent) for a in reg.townships()} == {
        ("500227001", "璧城街道", "street", "500227"),
        ("500227102", "正兴镇", "township", "500227"),
    }
    assert reg.areas["500227102002"].level == "village"  # 石院村: the level from the name
    assert reg.areas["500227102002"].parent == "500227102"
    gcj = reg.households["BS00008"]
    assert gcj.crs == "gcj02" and gcj.lon != pytest.approx(105.90, abs=1e-4)
    assert "BS00015" in reg.households  # the outlier is imported


def test_renamed_and_moved_areas_are_refused_against_the_store(imported: Path, tmp_path: Path) -> None:
    rows = _rows()[:2]
    rows[0]["township_name"] = "璧城镇"  # the stored name is 璧城街道
    rows[1]["township"] = "500227102"  # community 500227001002 moved under 正兴镇
    rows[1]["township_name"] = "正兴镇"
    r = console("import-register", str(_write(tmp_path / "bad.csv", rows)), "--db", str(imported))
    assert r.returncode == 3
    assert "2 rows: 0 valid, 2 errors in 2 rows" in r.stdout
    assert "area_name_conflict 500227001: keeps '璧城街道' (the store), row gives '璧城镇'" in r.stderr
    assert "area_parent_conflict 500227001002: under '500227001' (the store)" in r.stderr


def test_boundaries_import_saves_and_loads_back(imported: Path, tmp_path: Path) -> None:
    from console.io.store import SqlStore

    fc = {"type": "FeatureCollection", "features": [_square("500227001", 29.60, 106.30, name="璧城街道")]}
    path = tmp_path / "townships.geojson"
    path.write_text(json.dumps(fc, ensure_ascii=False), encoding="utf-8")
    r = console("import-boundaries", str(path), "--db", str(imported))
    assert r.returncode == 0, r.stderr
    assert "1 features: 1 townships, 0 errors, 1 warnings; saved" in r.stdout
    assert "townships without a boundary (1): 500227102" in r.stderr
    with SqlStore(imported) as store:
        saved = store.load_boundaries()
        digest = store.boundaries_digest()
    assert saved is not None and [f["properties"] for f in saved["features"]] == [
        {"code": "500227001", "name": "璧城街道"}
    ]
    ring = fc["features"][0]["geometry"]["coordinates"][0]
    assert saved["features"][0]["geometry"]["coordinates"] == [[[round(x, 7), round(y, 7)] for x, y in ring]]
    assert digest is not None and digest[:12] in r.stdout
    notes = _notes(imported, "boundaries_import")
    assert len(notes) == 1
    detail = json.loads(notes[0].detail)
    assert detail == {
        "digest": digest,
        "file": "townships.geojson",
        "crs": "wgs84",
        "townships": ["500227001"],
        "warnings": 1,
    }

    again = console("import-boundaries", str(path), "--db", str(imported))
    assert again.returncode == 0 and "already in force" in again.stdout
    assert len(_notes(imported, "boundaries_import")) == 1

    # both townships, drawn on AMap (GCJ-02): converted to WGS-84 on the way in
    gcj = [wgs84_to_gcj02(29.30, 105.90), wgs84_to_gcj02(29.60, 106.30)]
    fc2 = {
        "type": "FeatureCollection",
        "features": [_square("500227102", *gcj[0]), _square("500227001", *gcj[1])],
    }
    path.write_text(json.dumps(fc2), encoding="utf-8")
    r2 = console("import-boundaries", str(path), "--db", str(imported), "--crs", "gcj02")
    assert r2.returncode == 0 and "2 townships, 0 errors, 0 warnings; saved" in r2.stdout
    with SqlStore(imported) as store:
        saved2 = store.load_boundaries()
    assert saved2 is not None
    first = saved2["features"][0]
    assert first["properties"] == {"code": "500227102", "name": "正兴镇"}  # the register's name
    lon, lat = first["geometry"]["coordinates"][0][0]
    # the GCJ-02 offset here is ~500 m; what is left is its change across the 3 km half-square
    assert (lat, lon) == pytest.approx((29.27, 105.87), abs=1e-4)
    assert (lat, lon) != pytest.approx((gcj[0][0] - 0.03, gcj[0][1] - 0.03), abs=1e-3)


def test_bad_boundaries_are_refused_and_nothing_is_saved(imported: Path, tmp_path: Path) -> None:
    from console.io.store import SqlStore

    open_ring = _square("500227001", 29.60, 106.30)
    open_ring["geometry"]["coordinates"][0].pop()
    tiny = _square("500227102", 29.30, 105.90)
    ring = tiny["geometry"]["coordinates"][0]
    tiny["geometry"]["coordinates"][0] = [ring[0], ring[1], ring[0]]  # 3 positions
    line = {
        "type": "Feature",
        "properties": {"code": "500227102"},
        "geometry": {"type": "LineString", "coordinates": [[105.9, 29.3], [105.95, 29.35]]},
    }
    features = [
        open_ring,
        tiny,
        _square("T03", 29.60, 106.40),  # a synthetic district's township: not in this register
        _square("500227102", 40.0, 150.0),  # in the Pacific
        line,
    ]
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    r = console("import-boundaries", str(path), "--db", str(imported))
    assert r.returncode == 3, r.stdout + r.stderr
    assert "5 features: 0 townships, 5 errors" in r.stdout and "nothing saved" in r.stdout
    for reason in ("ring_not_closed", "ring_too_short", "unknown_township", "outside_china", "bad_geometry"):
        assert reason in r.stderr
    with SqlStore(imported) as store:
        assert store.load_boundaries() is None and store.boundaries_digest() is None
    assert _notes(imported, "boundaries_import") == []

    path.write_text("{not json", encoding="utf-8")
    assert console("import-boundaries", str(path), "--db", str(imported)).returncode == 2
    path.write_text(json.dumps({"type": "Feature"}), encoding="utf-8")
    unusable = console("import-boundaries", str(path), "--db", str(imported))
    assert unusable.returncode == 2 and "not a GeoJSON FeatureCollection" in unusable.stderr


def test_import_boundaries_is_a_documented_subcommand() -> None:
    r = console("--help")
    assert "import-boundaries" in r.stdout
    h = console("import-boundaries", "--help")
    assert h.returncode == 0
    assert "Exit codes: 0 saved" in h.stdout and "--crs" in h.stdout
