"""build_page: generated once per register version and options, no CDN, households beside it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from console.domain.registry import Area, Household, Register
from console.ui.map import page


def _register(version: str, lat: float = 29.56) -> Register:
    areas = [Area(code="T1", name="解放碑街道", level="street")]
    hs = [
        Household(
            code="H1",
            district="D",
            township="T1",
            community="C",
            grid="g",
            address="一号",
            lat=lat,
            lon=106.55,
        ),
        Household(
            code="H2",
            district="D",
            township="T1",
            community="C",
            grid="g",
            address="二号",
            lat=29.57,
            lon=106.56,
            crs="utm",
        ),
    ]
    return Register(areas, hs, version=version)


def test_page_is_built_once_per_version_and_options(tmp_path: Path) -> None:
    first = page.build_page(_register("v1"), tmp_path)
    stamp = first.stat().st_mtime_ns
    assert page.build_page(_register("v1"), tmp_path) == first
    assert first.stat().st_mtime_ns == stamp
    assert page.build_page(_register("v2"), tmp_path) != first
    assert page.build_page(_register("v1"), tmp_path, scope="T1") != first
    assert page.build_page(_register("", lat=29.56), tmp_path) != page.build_page(
        _register("", lat=29.58), tmp_path
    )


def test_page_is_offline_and_households_are_a_separate_file(tmp_path: Path) -> None:
    index = page.build_page(_register("v1"), tmp_path)
    html = index.read_text(encoding="utf-8")
    for cdn in ("cdn.jsdelivr", "code.jquery", "bootstrap", "cdnjs", "fontawesome", "https://"):
        assert cdn not in html
    assert "H1" not in html
    assert (index.parent / "leaflet" / "leaflet.js").is_file()
    data = json.loads(
        (index.parent / "households.js").read_text(encoding="utf-8").split("=", 1)[1].rstrip().rstrip(";")
    )
    assert [r[0] for r in data["rows"]] == ["H1"]
    assert data["unlocated"] == [["H2", "unknown_crs:utm"]]


def test_missing_boundaries_give_a_plain_background(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "resources"
    shutil.copytree(page.resource("map"), fake / "map", ignore=shutil.ignore_patterns("boundaries.geojson"))
    monkeypatch.setattr(page, "resource", lambda *parts: fake.joinpath(*parts))
    index = page.build_page(_register("v1"), tmp_path / "out")
    assert '"boundaries": false' in index.read_text(encoding="utf-8")


def test_bad_options_are_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown map base"):
        page.build_page(_register("v1"), tmp_path, base="google")
    with pytest.raises(ValueError, match="needs xyz_url"):
        page.build_page(_register("v1"), tmp_path, base="xyz")


def test_missing_boundaries_page_still_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, map_factory: Any, load_map: Any
) -> None:
    fake = tmp_path / "resources"
    shutil.copytree(page.resource("map"), fake / "map", ignore=shutil.ignore_patterns("boundaries.geojson"))
    monkeypatch.setattr(page, "resource", lambda *parts: fake.joinpath(*parts))
    view = map_factory()
    load_map(view, _register("v1"), {"H1": "critical"})
    assert view.last_counts["bands"]["critical"] == 1
    assert view.last_counts["unlocated"] == 1
    assert view.js_errors == []
