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
    nowhere = Register([], [], version="empty")  # no shipped file and no household to draw around
    html = page.build_page(nowhere, tmp_path / "out").read_text(encoding="utf-8")
    assert '"boundaries": false' in html and '"outlines": "none"' in html
    assert "Township boundaries unavailable" in html
    # without the shipped file a register's townships are drawn around its households
    drawn = page.build_page(_register("v1"), tmp_path / "out").read_text(encoding="utf-8")
    assert '"boundaries": true' in drawn and '"outlines": "households"' in drawn


def _elsewhere() -> Register:
    """A district the synthetic generator never makes: codes, names and places of its own."""
    areas = [
        Area(code="500227", name="璧山区", level="district"),
        Area(code="500227001", name="璧城街道", level="street", parent="500227"),
        Area(code="500227102", name="正兴镇", level="township", parent="500227"),
    ]
    hs = [
        Household(
            code=f"BS{i}",
            district="500227",
            township="500227001",
            community="500227001001",
            grid="g",
            address=f"{i}号",
            lat=29.60 + 0.003 * (i % 3),
            lon=106.30 + 0.004 * (i // 3),
        )
        for i in range(7)
    ]
    hs.append(
        Household(
            code="BS9",
            district="500227",
            township="500227102",
            community="500227102001",
            grid="g",
            address="九号",
            lat=29.30,
            lon=105.90,
            crs="gcj02",
        )
    )
    return Register(areas, hs, version="bs-1")


def _drawn(index: Path) -> dict[str, Any]:
    """The township GeoJSON folium embedded in the page."""
    text = index.read_text(encoding="utf-8")
    start = text.index('{"features"') if '{"features"' in text else text.index('{"type": "FeatureCollection"')
    data, _ = json.JSONDecoder().raw_decode(text[start:])
    assert isinstance(data, dict)
    return data


def test_a_register_elsewhere_gets_outlines_drawn_from_its_households(tmp_path: Path) -> None:
    reg = _elsewhere()
    index = page.build_page(reg, tmp_path)
    html = index.read_text(encoding="utf-8")
    assert '"outlines": "households"' in html
    assert "Township outlines drawn from households (no boundaries imported)" in html
    assert 'data-outlines="households"' in html
    fc = _drawn(index)
    props = {f["properties"]["code"]: f["properties"]["name"] for f in fc["features"]}
    assert props == {"500227001": "璧城街道", "500227102": "正兴镇"}
    street = next(f for f in fc["features"] if f["properties"]["code"] == "500227001")
    ring = street["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 5  # the hull of a 3 x 3 lattice's occupied corners
    assert {round(ring[0][1], 3), round(ring[2][1], 3)} == {29.600, 29.606}


def test_the_synthetic_district_keeps_the_shipped_outlines(tmp_path: Path) -> None:
    from console.sim.district import generate

    index = page.build_page(generate(seed=7, households=60), tmp_path)
    html = index.read_text(encoding="utf-8")
    assert '"outlines": "shipped"' in html and "data-outlines" not in html
    assert len(_drawn(index)["features"]) == 22


def test_imported_boundaries_are_drawn_and_key_the_page(tmp_path: Path) -> None:
    reg = _elsewhere()
    square = [[106.2, 29.5], [106.4, 29.5], [106.4, 29.7], [106.2, 29.7], [106.2, 29.5]]
    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": "500227001", "name": "璧城街道"},
                "geometry": {"type": "Polygon", "coordinates": [square]},
            }
        ],
    }
    plain = page.build_page(reg, tmp_path)
    given = page.build_page(reg, tmp_path, boundaries=fc)
    assert given != plain
    assert page.build_page(reg, tmp_path, boundaries=json.loads(json.dumps(fc))) == given  # by content
    html = given.read_text(encoding="utf-8")
    assert '"outlines": "imported"' in html and "data-outlines" not in html
    assert _drawn(given)["features"][0]["geometry"]["coordinates"] == [square]
    moved = json.loads(json.dumps(fc))
    moved["features"][0]["geometry"]["coordinates"][0][0] = [106.1, 29.5]
    moved["features"][0]["geometry"]["coordinates"][0][-1] = [106.1, 29.5]
    assert page.build_page(reg, tmp_path, boundaries=moved) not in (given, plain)
    assert fc["features"][0]["geometry"]["coordinates"] == [square]  # the caller's dict is not touched
    gcj = page.build_page(reg, tmp_path, boundaries=fc, display_crs="gcj02")
    assert _drawn(gcj)["features"][0]["geometry"]["coordinates"] != [square]


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
