"""Read raster tiles from an MBTiles file (SQLite) with the standard library only.

MBTiles stores rows in TMS order (y grows northwards); Leaflet asks in XYZ order (y grows
southwards), so y is flipped here. Only raster formats are served: Leaflet cannot draw
vector (pbf) tiles without a plugin.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Final

MIME: Final = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}


class MBTilesError(Exception):
    """The file is missing, is not an MBTiles database, or holds a format we cannot draw."""


@dataclass(frozen=True)
class TileSetInfo:
    name: str
    format: str
    min_zoom: int
    max_zoom: int
    bounds: tuple[float, float, float, float] | None  # west, south, east, north (WGS-84)
    attribution: str

    @property
    def mime(self) -> str:
        return MIME[self.format]


def token_for(path: Path) -> str:
    """A stable host name for a tile file in ``mbtiles://TOKEN/z/x/y`` URLs (no path leaks)."""
    return hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]


class MBTiles:
    """One open MBTiles file. Thread-safe: the scheme handler may be called from any thread."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise MBTilesError(f"MBTiles file not found: {self.path}")
        uri = self.path.resolve().as_uri() + "?mode=ro"
        try:
            self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)
            meta = dict(self._db.execute("SELECT name, value FROM metadata").fetchall())
            self._db.execute("SELECT 1 FROM tiles LIMIT 1").fetchall()
        except sqlite3.DatabaseError as exc:
            raise MBTilesError(f"{self.path} is not an MBTiles file: {exc}") from exc
        self._lock = threading.Lock()
        self.info = self._info(meta)
        self.served = 0
        self.missing = 0

    def _info(self, meta: dict[str, str]) -> TileSetInfo:
        fmt = str(meta.get("format", "png")).lower()
        if fmt not in MIME:
            raise MBTilesError(f"{self.path}: tile format {fmt!r} cannot be drawn (raster png/jpg/webp only)")
        zooms = self._db.execute("SELECT MIN(zoom_level), MAX(zoom_level) FROM tiles").fetchone()
        min_zoom = int(meta.get("minzoom", zooms[0] if zooms[0] is not None else 0))
        max_zoom = int(meta.get("maxzoom", zooms[1] if zooms[1] is not None else 18))
        bounds: tuple[float, float, float, float] | None = None
        raw = meta.get("bounds")
        if raw:
            parts = [float(p) for p in str(raw).split(",")]
            if len(parts) == 4:
                bounds = (parts[0], parts[1], parts[2], parts[3])
        return TileSetInfo(
            name=str(meta.get("name", self.path.stem)),
            format=fmt,
            min_zoom=min_zoom,
            max_zoom=max_zoom,
            bounds=bounds,
            attribution=str(meta.get("attribution", "")),
        )

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        """The tile at XYZ (z, x, y), or None when the file has none there."""
        if z < 0 or not (0 <= x < (1 << z)) or not (0 <= y < (1 << z)):
            return None
        tms_y = (1 << z) - 1 - y
        with self._lock:
            row = self._db.execute(
                "SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?",
                (z, x, tms_y),
            ).fetchone()
        if row is None:
            self.missing += 1
            return None
        self.served += 1
        return bytes(row[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
