"""What a township's household points say about it: an outline and its outliers.

A district that imported no township boundaries still gets outlines on the map: each township
is the convex hull of its households (a small box around one or two). The same points decide
which household is far from the rest of its township, a likely typo the importer warns about.

The hull is Andrew's monotone chain in pure Python (O(n log n), 30,000 points in well under a
second): one small function here against shapely, a heavy binary dependency (GEOS) in the
frozen build for nothing else. Pure: standard library + console.domain.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from statistics import median
from typing import Any, Final

from console.domain import geo
from console.domain.registry import Register

Point = tuple[float, float]  # (lon, lat), the GeoJSON order

BOX_HALF_M: Final = 150.0  # the box drawn around a township of one or two households
OUTLIER_MIN_HOUSEHOLDS: Final = 5
OUTLIER_MIN_M: Final = 5000.0
OUTLIER_FACTOR: Final = 4.0
OUTLIER_ALONE_M: Final = 2000.0


def _cross(o: Point, a: Point, b: Point) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def convex_hull(points: Iterable[Point]) -> list[Point]:
    """The hull's corners counter-clockwise, first corner not repeated; collinear points dropped.

    Fewer than 3 corners (one point, two, all on a line) come back as they are."""
    pts = sorted(set(points))
    if len(pts) <= 2:
        return pts
    lower: list[Point] = []
    for p in pts:
        while len(lower) >= 2 and _cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[Point] = []
    for p in reversed(pts):
        while len(upper) >= 2 and _cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def _box(points: Sequence[Point], half_m: float = BOX_HALF_M) -> list[Point]:
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    dlat = half_m / 111_195.0
    dlon = dlat / max(0.01, math.cos(math.radians(sum(lats) / len(lats))))
    lon0, lon1, lat0, lat1 = min(lons) - dlon, max(lons) + dlon, min(lats) - dlat, max(lats) + dlat
    return [(lon0, lat0), (lon1, lat0), (lon1, lat1), (lon0, lat1)]


def outline(points: Sequence[Point]) -> list[Point]:
    """A closed ring (RFC 7946: counter-clockwise, last position = first) around ``points``."""
    hull = convex_hull(points)
    ring = hull if len(hull) >= 3 else _box(hull)
    return [*ring, ring[0]]


def township_points(register: Register) -> dict[str, list[Point]]:
    """WGS-84 (lon, lat) of every household with usable coordinates, by township code."""
    out: dict[str, list[Point]] = {}
    for h in register.households.values():
        if h.crs not in geo.CRS_NAMES or not geo.valid_lat_lon(h.lat, h.lon):
            continue
        lat, lon = geo.to_wgs84(h.lat, h.lon, h.crs)
        out.setdefault(h.township, []).append((lon, lat))
    return out


def township_outlines(register: Register) -> dict[str, Any]:
    """A GeoJSON FeatureCollection (WGS-84): one Polygon per township that has a household."""
    features = []
    for code, points in sorted(township_points(register).items()):
        area = register.areas.get(code)
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "code": code,
                    "name": area.name if area else code,
                    "level": area.level if area else "township",
                    "source": "households",
                },
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[round(x, 6), round(y, 6)] for x, y in outline(points)]],
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def far_from_township(
    points: Mapping[str, Point],
    *,
    min_households: int = OUTLIER_MIN_HOUSEHOLDS,
    min_m: float = OUTLIER_MIN_M,
    factor: float = OUTLIER_FACTOR,
    alone_m: float = OUTLIER_ALONE_M,
) -> dict[str, tuple[float, float]]:
    """The households of ONE township lying far from the rest: {key: (distance_m, limit_m)}.

    The centre is the coordinate-wise median point and the spread the median distance to it,
    both robust: a few typos move neither. A point is far when its distance exceeds
    ``max(min_m, factor * spread)`` AND no other household of the township lies within
    ``alone_m``: households cluster by grid, so a far grid of a large town is a cluster (not
    warned), while a mistyped coordinate lands alone. A township of fewer than
    ``min_households`` is never judged. (The synthetic district, 30,000 households, gets none.)
    """
    if len(points) < min_households:
        return {}
    clat = median(p[1] for p in points.values())
    clon = median(p[0] for p in points.values())
    dist = {k: geo.distance_m(p[1], p[0], clat, clon) for k, p in points.items()}
    limit = max(min_m, factor * median(dist.values()))
    out = {}
    for k, d in dist.items():
        if d <= limit:
            continue
        lon, lat = points[k]
        if all(geo.distance_m(lat, lon, q[1], q[0]) > alone_m for j, q in points.items() if j != k):
            out[k] = (d, limit)
    return out
