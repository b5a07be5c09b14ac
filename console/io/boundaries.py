"""Import a district's own township boundaries (GeoJSON), optional: the map draws them.

The file is an RFC 7946 FeatureCollection in WGS-84 (``crs="gcj02"`` / ``"bd09"`` converts a
file drawn on AMap / Baidu). Every feature is checked and every problem reported, then the
file is saved as a whole or not at all:

- a Polygon or MultiPolygon with ``properties.code`` (and an optional ``name``), one feature
  per township (a township in several parts is one MultiPolygon);
- every ring closed (last position = first) with at least 4 positions, each position a
  finite ``[lon, lat]`` inside China's extent (console.domain.geo.in_china);
- every code a township/street of the stored register (the register defines the areas).

A register township without a boundary is a warning (the map draws the others). What was put
in force is journaled as ``SystemNote(what="boundaries_import")`` before it is saved; the same
outlines again change and journal nothing. The driver is ``python -m console import-boundaries``
(console.entry.import_boundaries).
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from console.domain import events as ev
from console.domain.geo import CRS_NAMES, in_china, to_wgs84
from console.io.registry_import import RowError
from console.io.store.boundaries_store import digest_of

CONSOLE: Final = "boundaries-import"
GEOMETRIES: Final = ("Polygon", "MultiPolygon")


class BoundariesFileError(Exception):
    """The file as a whole cannot be used (unreadable, not JSON, not a FeatureCollection)."""


@dataclass
class BoundariesResult:
    """``errors`` / ``warnings`` are RowErrors whose ``row`` is the feature's number (1-based;
    0 for the file as a whole) and ``code`` the township code."""

    features: int = 0
    townships: list[str] = field(default_factory=list)  # codes with a boundary
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    digest: str = ""
    saved: bool = False
    unchanged: bool = False  # the same outlines were already in force
    geojson: dict[str, Any] | None = None  # the outlines in force after the import (WGS-84)

    # the register wizard's result shape, so its table and summary read both alike
    @property
    def total(self) -> int:
        return self.features


def read_geojson(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise BoundariesFileError(f"{path.name}: cannot read ({type(exc).__name__}: {exc})") from exc
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise BoundariesFileError(f"{path.name}: not a GeoJSON FeatureCollection")
    if not isinstance(data.get("features"), list):
        raise BoundariesFileError(f"{path.name}: a FeatureCollection without a features list")
    return data


class _Check:
    def __init__(self, n: int, code: str) -> None:
        self.n, self.code = n, code
        self.errors: list[RowError] = []

    def err(self, column: str, reason: str, detail: str = "") -> None:
        self.errors.append(RowError(self.n, column, reason, detail[:200], self.code))


def _position(c: _Check, p: Any, crs: str) -> list[float] | None:
    if not (isinstance(p, list) and len(p) >= 2 and all(isinstance(v, int | float) for v in p[:2])):
        c.err("geometry", "bad_position", repr(p)[:80])
        return None
    lon, lat = float(p[0]), float(p[1])
    if not (math.isfinite(lon) and math.isfinite(lat)):
        c.err("geometry", "bad_position", repr(p)[:80])
        return None
    if crs != "wgs84":
        lat, lon = to_wgs84(lat, lon, crs)
    if not in_china(lat, lon):
        c.err("geometry", "outside_china", f"{p[0]},{p[1]} ({crs})")
        return None
    return [round(lon, 7), round(lat, 7)]


def _polygon(c: _Check, rings: Any, crs: str) -> list[list[list[float]]]:
    if not isinstance(rings, list) or not rings:
        c.err("geometry", "bad_polygon", "a polygon needs at least one ring")
        return []
    out = []
    for k, ring in enumerate(rings):
        if not isinstance(ring, list) or len(ring) < 4:
            size = len(ring) if isinstance(ring, list) else 0
            c.err("geometry", "ring_too_short", f"ring {k}: {size} positions (at least 4)")
            continue
        if ring[0] != ring[-1]:
            c.err("geometry", "ring_not_closed", f"ring {k}: {ring[0]} ... {ring[-1]}")
            continue
        before = len(c.errors)
        converted = [_position(c, p, crs) for p in ring]
        if len(c.errors) > before:
            del c.errors[before + 1 :]  # the first bad position of a ring is enough
            continue
        out.append([p for p in converted if p is not None])
    return out


def check_feature(n: int, feature: Any, crs: str) -> tuple[dict[str, Any] | None, list[RowError]]:
    """One feature, normalised (WGS-84, properties code / name only), or its errors."""
    props = feature.get("properties") if isinstance(feature, dict) else None
    code = str(props.get("code") or "").strip() if isinstance(props, dict) else ""
    c = _Check(n, code)
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        c.err(
            "type", "not_a_feature", str(feature.get("type") if isinstance(feature, dict) else feature)[:80]
        )
        return None, c.errors
    if not code:
        c.err("properties.code", "missing_code")
    geom = feature.get("geometry")
    kind = geom.get("type") if isinstance(geom, dict) else None
    if kind not in GEOMETRIES:
        c.err("geometry", "bad_geometry", f"{kind}: expected Polygon or MultiPolygon")
        return None, c.errors
    assert isinstance(geom, dict)
    coords = geom.get("coordinates")
    if kind == "Polygon":
        new: Any = _polygon(c, coords, crs)
    elif isinstance(coords, list) and coords:
        new = [_polygon(c, poly, crs) for poly in coords]
    else:
        c.err("geometry", "bad_polygon", "a MultiPolygon needs at least one polygon")
    if c.errors:
        return None, c.errors
    name = props.get("name") if isinstance(props, dict) else None
    properties = {"code": code, **({"name": str(name)} if name else {})}
    return {"type": "Feature", "properties": properties, "geometry": {"type": kind, "coordinates": new}}, []


def validate(
    data: dict[str, Any], townships: dict[str, str] | None, crs: str = "wgs84"
) -> tuple[dict[str, Any], BoundariesResult]:
    """The normalised FeatureCollection and what was found. ``townships``: the stored register's
    township codes and names (None: the store holds no register, so no code is known)."""
    if crs not in CRS_NAMES:
        raise ValueError(f"unknown coordinate system {crs!r}; expected one of {', '.join(CRS_NAMES)}")
    result = BoundariesResult(features=len(data["features"]))
    known = townships or {}
    features = []
    seen: dict[str, int] = {}
    for i, f in enumerate(data["features"]):
        n = i + 1
        feature, errs = check_feature(n, f, crs)
        code = feature["properties"]["code"] if feature is not None else ""
        if feature is not None:
            if code in seen:
                errs.append(
                    RowError(n, "properties.code", "duplicate_code", f"also feature {seen[code]}", code)
                )
            elif code not in known:
                why = "the store holds no register" if townships is None else "not a township of the register"
                errs.append(RowError(n, "properties.code", "unknown_township", f"{code}: {why}", code))
        if errs:
            result.errors.extend(errs)
            continue
        assert feature is not None
        seen[code] = n
        if "name" not in feature["properties"] and code in known:
            feature["properties"]["name"] = known[code]
        features.append(feature)
    if not data["features"]:
        result.errors.append(RowError(0, "features", "no_features", "the FeatureCollection is empty"))
    result.townships = sorted(seen)
    for code in sorted(set(known) - set(seen)):
        result.warnings.append(
            RowError(0, "properties.code", "no_boundary", f"{code} {known[code]}", code, "warning")
        )
    return {"type": "FeatureCollection", "features": features}, result


def import_boundaries(
    path: str | Path,
    store: Any,
    *,
    crs: str = "wgs84",
    dry_run: bool = False,
    at_ns: int | None = None,
) -> BoundariesResult:
    """Validate ``path`` against the stored register and, when it has no error, put it in force
    in ``store`` (a SqlStore). Raises BoundariesFileError when the file is unusable."""
    p = Path(path)
    data = read_geojson(p)
    register = store.load_register()
    towns = {a.code: a.name for a in register.townships()} if register is not None else None
    fc, result = validate(data, towns, crs)
    if result.errors:
        return result
    result.digest = digest_of(fc)
    if dry_run:
        return result
    if store.boundaries_digest() == result.digest:
        result.unchanged = True
        result.geojson = fc
        return result
    at = at_ns if at_ns is not None else time.time_ns()
    summary = {
        "digest": result.digest,
        "file": p.name,
        "crs": crs,
        "townships": result.townships,
        "warnings": len(result.warnings),
    }
    note = ev.SystemNote(at=at, what="boundaries_import", detail=json.dumps(summary, ensure_ascii=False))
    store.journal.append([(at, "system", "sys", ev.key_of(note), ev.encode(note))], CONSOLE)
    saved = store.save_boundaries(fc)
    assert saved == result.digest
    result.saved = True
    result.geojson = fc
    return result
