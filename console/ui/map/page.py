"""Generate the offline map page once per register version and options.

folium draws the skeleton (Leaflet map, base layer, legend) with Leaflet served from files
copied beside the page; households are NOT baked into the HTML but written to
``households.js`` beside it and drawn by ``map.js`` on a canvas layer. Every page lives in its
own directory named by a hash of everything that shapes it, so a second build is a lookup.

Township outlines, in order: the district's own boundaries (imported into the store,
console/io/boundaries.py, passed in); else the shipped ``resources/map/boundaries.geojson`` when
its codes cover the register's townships (the synthetic demo district); else each township
drawn around its households (console.domain.outlines), and the legend says so.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Final

import folium
import msgspec
from branca.element import Element
from PySide6.QtCore import QCoreApplication

from console.domain import geo, outlines, registry
from console.paths import resource
from console.ui.map.mbtiles import MBTiles, token_for

log = logging.getLogger(__name__)

PAGE_FORMAT: Final = 4  # bump when the page layout or data file changes
BANDS: Final = ("critical", "high", "medium", "low", "unprotected")
BAND_COLOURS: Final = {
    "critical": "#d7191c",
    "high": "#f46d43",
    "medium": "#f1c232",
    "low": "#1a9850",
    "unprotected": "#7b7b8c",
}
BASES: Final = ("vector", "xyz", "mbtiles")
ASSETS: Final = ("leaflet/leaflet.js", "leaflet/leaflet.css", "map.js", "map.css")


class _OfflineMap(folium.Map):
    """folium.Map with Leaflet from the page directory and none of folium's CDN extras."""

    default_js = [("leaflet", "leaflet/leaflet.js")]  # noqa: RUF012 - folium's own attribute
    default_css = [("leaflet_css", "leaflet/leaflet.css")]  # noqa: RUF012


class _PageScripts(folium.MacroElement):  # type: ignore[misc]
    """Links our data and code after Leaflet, and boots map.js once folium's map exists."""

    _template = folium.template.Template(
        """
        {% macro header(this, kwargs) %}
            <link rel="stylesheet" href="map.css"/>
            <script src="qrc:///qtwebchannel/qwebchannel.js"></script>
            <script src="households.js"></script>
            <script src="map.js"></script>
        {% endmacro %}
        {% macro script(this, kwargs) %}
            GC.boot({{ this._parent.get_name() }}, {{ this.config|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__()
        self._name = "GuardianPage"
        self.config = config


def default_labels() -> dict[str, str]:
    """Words shown on the page, through Qt's translation system (context ``MapPage``)."""
    tr = QCoreApplication.translate
    return {
        "critical": tr("MapPage", "Critical (open alarm)"),
        "high": tr("MapPage", "High risk"),
        "medium": tr("MapPage", "Medium risk"),
        "low": tr("MapPage", "Low risk"),
        "unprotected": tr("MapPage", "Unprotected (device missing/offline)"),
        "legend": tr("MapPage", "Households by risk"),
        "search": tr("MapPage", "Code or address"),
        "no_match": tr("MapPage", "No household matches"),
        "unlocated": tr("MapPage", "without valid coordinates"),
        "households": tr("MapPage", "households"),
        "responders": tr("MapPage", "Nearby responders"),
        "no_boundaries": tr("MapPage", "Township boundaries unavailable"),
        "outlines_from_households": tr(
            "MapPage", "Township outlines drawn from households (no boundaries imported)"
        ),
    }


def household_rows(
    register: registry.Register, scope: str, display_crs: str
) -> tuple[list[list[Any]], list[list[str]], list[list[str]]]:
    """Rows ``[code, lat, lon, township_index, groups_bitmask, address]`` in display CRS.

    Returns (rows, townships ``[[code, name]]``, unlocated ``[[code, reason]]``): a household
    with bad coordinates or an unknown CRS is listed and counted, never silently dropped.
    """
    bits = {g: 1 << i for i, g in enumerate(registry.GROUPS)}
    towns: dict[str, int] = {}
    rows: list[list[Any]] = []
    unlocated: list[list[str]] = []
    for h in register.households.values():
        if not register.in_scope(h, scope):
            continue
        if h.crs not in geo.CRS_NAMES:
            unlocated.append([h.code, f"unknown_crs:{h.crs}"])
            continue
        if not geo.valid_lat_lon(h.lat, h.lon):
            unlocated.append([h.code, "invalid_coordinates"])
            continue
        lat, lon = (h.lat, h.lon) if h.crs == display_crs else geo.convert(h.lat, h.lon, h.crs, display_crs)
        ti = towns.get(h.township)
        if ti is None:
            ti = towns[h.township] = len(towns)
        mask = 0
        for r in h.residents:
            for g in r.groups:
                mask |= bits.get(g, 0)
        rows.append([h.code, round(lat, 6), round(lon, 6), ti, mask, h.address])
    townships = [[code, register.area_name(code)] for code in towns]
    return rows, townships, unlocated


def _register_digest(register: registry.Register) -> str:
    if register.version:
        return "v:" + register.version
    return "h:" + hashlib.sha256(registry.dumps(register)).hexdigest()


def _asset_digest() -> str:
    h = hashlib.sha256()
    for name in (*ASSETS, "boundaries.geojson"):
        p = resource("map", name)
        h.update(name.encode())
        h.update(p.read_bytes() if p.is_file() else b"<missing>")
    return h.hexdigest()


def _shipped_boundaries() -> dict[str, Any] | None:
    """The bundled (synthetic district's) township boundaries, or None when absent or unreadable."""
    path = resource("map", "boundaries.geojson")
    if not path.is_file():
        log.info("map: %s is missing", path)
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("type") != "FeatureCollection":
            raise ValueError("not a GeoJSON FeatureCollection")
    except (OSError, ValueError) as exc:
        log.warning("map: cannot read %s (%s)", path, exc)
        return None
    return dict(data)


def _codes(fc: dict[str, Any]) -> set[str]:
    return {str((f.get("properties") or {}).get("code", "")) for f in fc.get("features", [])}


def township_outlines(
    register: registry.Register, boundaries: dict[str, Any] | None, display_crs: str = "wgs84"
) -> tuple[dict[str, Any] | None, str]:
    """The outlines the page draws, in ``display_crs``, and where they come from: ``imported``
    (``boundaries``), ``shipped`` (the demo file, when its codes cover the register's
    townships), ``households`` (drawn around them) or ``none`` (nothing to draw)."""
    fc: dict[str, Any] | None
    if boundaries is not None:
        fc, source = json.loads(json.dumps(boundaries)), "imported"  # a copy: converted below
    else:
        fc, source = _shipped_boundaries(), "shipped"
        towns = {h.township for h in register.households.values()} | {a.code for a in register.townships()}
        if fc is None or not towns <= _codes(fc):
            fc, source = outlines.township_outlines(register), "households"
            if not fc["features"]:
                fc, source = None, "none"
    if fc is not None and display_crs != "wgs84":
        for feature in fc.get("features", []):
            _convert_coords(feature.get("geometry") or {}, display_crs)
    return fc, source


def _outlines_digest(boundaries: dict[str, Any] | None) -> str | None:
    if boundaries is None:
        return None  # shipped file: in the asset digest; drawn from households: the register's
    text = json.dumps(boundaries, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _convert_coords(geometry: dict[str, Any], dst: str) -> None:
    def walk(c: Any) -> Any:
        if c and isinstance(c[0], int | float):
            lat, lon = geo.convert(float(c[1]), float(c[0]), "wgs84", dst)
            return [lon, lat, *c[2:]]
        return [walk(x) for x in c]

    if "coordinates" in geometry:
        geometry["coordinates"] = walk(geometry["coordinates"])
    for g in geometry.get("geometries", []):
        _convert_coords(g, dst)


def _legend_html(labels: dict[str, str], source: str = "imported") -> str:
    note = {"households": labels["outlines_from_households"], "none": labels["no_boundaries"]}.get(source)
    notice = f'<div class="gc-outlines" data-outlines="{source}">{html.escape(note)}</div>' if note else ""
    items = "".join(
        f'<label class="gc-band" data-band="{b}"><input type="checkbox" checked data-band="{b}"/>'
        f'<span class="gc-swatch gc-{b}" style="background:{BAND_COLOURS[b]}"></span>'
        f'<span class="gc-label">{html.escape(labels[b])}</span><span class="gc-count" data-count="{b}">0</span></label>'
        for b in BANDS
    )
    return (
        f'<div id="gc-legend" class="gc-legend"><div class="gc-title">{html.escape(labels["legend"])}</div>'
        f'{items}<div class="gc-unlocated" hidden></div>{notice}</div>'
    )


def build_page(
    register: registry.Register,
    out_dir: Path,
    base: str = "vector",
    xyz_url: str | None = None,
    mbtiles: Path | None = None,
    *,
    scope: str = "*",
    display_crs: str = "wgs84",
    labels: dict[str, str] | None = None,
    boundaries: dict[str, Any] | None = None,
) -> Path:
    """Return ``index.html`` of the page for this register and options, building it if needed.

    ``display_crs`` is the system the base layer is drawn in: WGS-84 for the bundled vector
    layer and most intranet tile servers; ``gcj02`` for AMap-style tiles. ``boundaries``: the
    district's township outlines (GeoJSON, WGS-84) or None (see :func:`township_outlines`).
    """
    if base not in BASES:
        raise ValueError(f"unknown map base {base!r}; expected one of {', '.join(BASES)}")
    if base == "xyz" and not xyz_url:
        raise ValueError("base 'xyz' needs xyz_url, e.g. http://tiles.intranet/{z}/{x}/{y}.png")
    if base == "mbtiles" and mbtiles is None:
        raise ValueError("base 'mbtiles' needs the path of an .mbtiles file")
    if display_crs not in geo.CRS_NAMES:
        raise ValueError(f"unknown display CRS {display_crs!r}")
    labels = {**default_labels(), **(labels or {})}
    mb_path = Path(mbtiles).resolve() if mbtiles is not None and base == "mbtiles" else None
    options = {
        "format": PAGE_FORMAT,
        "register": _register_digest(register),
        "base": base,
        "xyz_url": xyz_url if base == "xyz" else None,
        "mbtiles": [str(mb_path), mb_path.stat().st_mtime_ns] if mb_path else None,
        "scope": scope,
        "display_crs": display_crs,
        "labels": labels,
        "assets": _asset_digest(),
        "boundaries": _outlines_digest(boundaries),
    }
    key = hashlib.sha256(json.dumps(options, sort_keys=True).encode()).hexdigest()[:20]
    page_dir = Path(out_dir) / f"page-{key}"
    index = page_dir / "index.html"
    if index.is_file():
        return index
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=out_dir))
    try:
        _write_page(tmp, register, base, xyz_url, mb_path, scope, display_crs, labels, boundaries)
        try:
            os.replace(tmp, page_dir)
        except OSError:
            if not index.is_file():  # another console built it first: theirs is identical
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return index


def _write_page(
    page_dir: Path,
    register: registry.Register,
    base: str,
    xyz_url: str | None,
    mb_path: Path | None,
    scope: str,
    display_crs: str,
    labels: dict[str, str],
    given: dict[str, Any] | None = None,
) -> None:
    rows, townships, unlocated = household_rows(register, scope, display_crs)
    if unlocated:
        log.warning("map: %d household(s) have no usable coordinates, e.g. %s", len(unlocated), unlocated[:3])
    for name in ASSETS:
        (page_dir / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(resource("map", name), page_dir / name)
    shutil.copytree(resource("map", "leaflet", "images"), page_dir / "leaflet" / "images")
    data = {"format": PAGE_FORMAT, "townships": townships, "rows": rows, "unlocated": unlocated}
    # A JSON literal is valid JS; JSON.parse of a string would be faster to parse but needs escaping.
    (page_dir / "households.js").write_bytes(b"window.GC_DATA = " + msgspec.json.encode(data) + b";\n")

    if rows:
        center = [sum(r[1] for r in rows) / len(rows), sum(r[2] for r in rows) / len(rows)]
    else:
        center = [29.56, 106.55]  # Chongqing, when a scope holds no locatable household
    m = _OfflineMap(location=center, zoom_start=12, tiles=None, control_scale=True, prefer_canvas=True)
    boundaries, source = township_outlines(register, given, display_crs)
    max_zoom = 19
    if base == "xyz":
        folium.TileLayer(tiles=xyz_url, attr="intranet tiles", name="xyz", max_zoom=max_zoom).add_to(m)
    elif base == "mbtiles" and mb_path is not None:
        tiles = MBTiles(mb_path)
        info = tiles.info
        tiles.close()
        folium.TileLayer(
            tiles=f"mbtiles://{token_for(mb_path)}/{{z}}/{{x}}/{{y}}",
            attr=html.escape(info.attribution or info.name),
            name="mbtiles",
            min_zoom=0,
            max_zoom=max_zoom,
            max_native_zoom=info.max_zoom,
            min_native_zoom=info.min_zoom,
        ).add_to(m)
    if boundaries is not None:
        filled = base == "vector"
        folium.GeoJson(
            boundaries,
            name="townships",
            style_function=lambda _f: {
                "color": "#5b6b7a",
                "weight": 1.5,
                "fillColor": "#eef1e6" if filled else "#000000",
                "fillOpacity": 0.9 if filled else 0.0,
            },
            interactive=False,
        ).add_to(m)
    m.get_root().html.add_child(Element(_legend_html(labels, source)))
    config = {
        "scope": scope,
        "base": base,
        "bands": list(BANDS),
        "colours": BAND_COLOURS,
        "labels": labels,
        "boundaries": boundaries is not None,
        "outlines": source,
        "maxZoom": max_zoom,
    }
    _PageScripts(config).add_to(m)
    m.save(str(page_dir / "index.html"))
