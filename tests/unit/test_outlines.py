"""Township outlines drawn from household points, and the households far from their township."""

from __future__ import annotations

import random

import pytest

from console.domain.geo import distance_m, in_china
from console.domain.outlines import convex_hull, far_from_township, outline, township_outlines
from console.domain.registry import Area, Household, Register


def _area2(ring: list[tuple[float, float]]) -> float:
    return sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(ring, ring[1:] + ring[:1], strict=True))


def test_hull_of_a_square_with_points_inside_and_on_its_edges() -> None:
    rng = random.Random(3)
    corners = [(0.0, 0.0), (2.0, 0.0), (2.0, 2.0), (0.0, 2.0)]
    inside = [(rng.uniform(0.1, 1.9), rng.uniform(0.1, 1.9)) for _ in range(500)]
    on_edges = [(1.0, 0.0), (2.0, 1.0), (0.5, 2.0), (0.0, 1.5)]
    hull = convex_hull([*inside, *on_edges, *corners, (1.0, 1.0), (0.0, 0.0)])
    assert hull == [(0.0, 0.0), (2.0, 0.0), (2.0, 2.0), (0.0, 2.0)]  # counter-clockwise, from the lowest
    assert _area2(hull) > 0


def test_hull_contains_every_point() -> None:
    rng = random.Random(11)
    pts = [(rng.gauss(106.3, 0.05), rng.gauss(29.6, 0.03)) for _ in range(2000)]
    hull = convex_hull(pts)
    assert 3 <= len(hull) < 60
    for p in pts:  # left of (or on) every edge of a counter-clockwise hull
        for a, b in zip(hull, hull[1:] + hull[:1], strict=True):
            assert (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]) >= -1e-12


def test_degenerate_hulls_come_back_as_they_are_and_outline_boxes_them() -> None:
    assert convex_hull([]) == []
    assert convex_hull([(1.0, 2.0), (1.0, 2.0)]) == [(1.0, 2.0)]
    assert convex_hull([(0.0, 0.0), (1.0, 1.0), (2.0, 2.0)]) == [(0.0, 0.0), (2.0, 2.0)]
    ring = outline([(106.3, 29.6)])
    assert len(ring) == 5 and ring[0] == ring[-1]
    assert _area2(ring[:-1]) > 0
    half = distance_m(29.6, 106.3, ring[0][1], 106.3)
    assert half == pytest.approx(150, rel=0.01)  # a 300 m box around one household
    two = outline([(106.30, 29.60), (106.31, 29.60)])
    assert min(p[0] for p in two) < 106.30 and max(p[0] for p in two) > 106.31


def _hh(code: str, town: str, lat: float, lon: float, crs: str = "wgs84") -> Household:
    return Household(
        code=code, district="D", township=town, community="C", grid="G", address="", lat=lat, lon=lon, crs=crs
    )


def test_township_outlines_are_closed_polygons_named_by_the_register() -> None:
    hs = [_hh(f"A{i}", "A", 29.6 + 0.001 * i, 106.3 + 0.002 * (i % 3)) for i in range(9)]
    hs += [_hh("B1", "B", 29.3, 105.9), _hh("X", "B", 0.0, 0.0), _hh("Y", "B", 29.3, 105.9, crs="utm")]
    reg = Register([Area(code="A", name="璧城街道", level="street", parent="D")], hs)
    fc = township_outlines(reg)
    assert [f["properties"] for f in fc["features"]] == [
        {"code": "A", "name": "璧城街道", "level": "street", "source": "households"},
        {"code": "B", "name": "B", "level": "township", "source": "households"},
    ]
    for f in fc["features"]:
        ring = f["geometry"]["coordinates"][0]
        assert f["geometry"]["type"] == "Polygon" and len(ring) >= 4 and ring[0] == ring[-1]
    b = fc["features"][1]["geometry"]["coordinates"][0]
    assert len(b) == 5  # one household: a box (the invalid ones are left out)


def test_far_from_township_warns_the_lone_typo_not_a_far_cluster() -> None:
    rng = random.Random(5)
    pts = {f"c{i}": (106.30 + rng.uniform(0, 0.01), 29.60 + rng.uniform(0, 0.01)) for i in range(40)}
    pts |= {f"far{i}": (106.40 + rng.uniform(0, 0.003), 29.60 + rng.uniform(0, 0.003)) for i in range(4)}
    pts["typo"] = (106.30, 29.96)  # 29.69 typed 29.96: ~40 km north
    far = far_from_township(pts)
    assert list(far) == ["typo"]
    d, limit = far["typo"]
    assert d > 35_000 and limit == 5000.0
    assert far_from_township(dict(list(pts.items())[:3]) | {"typo": pts["typo"]}) == {}  # < 5: not judged


def test_china_extent() -> None:
    assert in_china(29.56, 106.55) and in_china(53.5, 122.3) and in_china(39.5, 73.5)
    assert not in_china(1.35, 103.8) and not in_china(29.56, 140.0) and not in_china(106.55, 29.56)
