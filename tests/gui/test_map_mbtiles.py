"""MBTiles base layer: tiles read from a local SQLite file through the mbtiles:// scheme."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QColor, QImage

from console.ui.map.mbtiles import MBTiles, MBTilesError, token_for


def _png(colour: str) -> bytes:
    img = QImage(1, 1, QImage.Format.Format_RGB32)
    img.fill(QColor(colour))
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    img.save(buf, "PNG")
    return bytes(data.data())


def make_mbtiles(path: Path, max_zoom: int = 2) -> Path:
    """Every tile of zooms 0..max_zoom; tile (x, tms_row) at z=1 has its own colour."""
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
    db.execute(
        "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)"
    )
    meta = {
        "name": "test",
        "format": "png",
        "minzoom": "0",
        "maxzoom": str(max_zoom),
        "bounds": "106,29,107,30",
    }
    db.executemany("INSERT INTO metadata VALUES (?, ?)", meta.items())
    colours = ["#ff0000", "#00ff00", "#0000ff", "#ffff00"]
    for z in range(max_zoom + 1):
        for x in range(1 << z):
            for row in range(1 << z):
                db.execute(
                    "INSERT INTO tiles VALUES (?, ?, ?, ?)", (z, x, row, _png(colours[(x * 2 + row) % 4]))
                )
    db.commit()
    db.close()
    return path


def test_reader_flips_y_from_xyz_to_tms(tmp_path: Path) -> None:
    tiles = MBTiles(make_mbtiles(tmp_path / "t.mbtiles"))
    assert tiles.info.max_zoom == 2 and tiles.info.mime == "image/png"
    top_left = QImage.fromData(tiles.tile(1, 0, 0) or b"")  # XYZ y=0 is the northern row = TMS row 1
    assert top_left.pixelColor(0, 0) == QColor("#00ff00")
    assert tiles.tile(1, 0, 5) is None and tiles.tile(9, 0, 0) is None
    tiles.close()


def test_reader_rejects_non_mbtiles(tmp_path: Path) -> None:
    bogus = tmp_path / "x.mbtiles"
    bogus.write_bytes(b"not a database at all" * 100)
    with pytest.raises(MBTilesError, match="not an MBTiles"):
        MBTiles(bogus)
    with pytest.raises(MBTilesError, match="not found"):
        MBTiles(tmp_path / "missing.mbtiles")


def test_page_draws_tiles_from_the_file(
    map_factory: Any, load_map: Any, run_js: Any, sim_register: Any, qtbot: Any, tmp_path: Path
) -> None:
    path = make_mbtiles(tmp_path / "district.mbtiles")
    view = map_factory(base="mbtiles", mbtiles=path)
    load_map(view, sim_register, {})
    qtbot.waitUntil(lambda: view.tiles.served > 0, timeout=10_000)
    assert view.guard.blocked_urls == []
    token = token_for(path)
    run_js(
        view,
        f"window.T = null; var i = new Image(); i.onload = () => window.T = i.naturalWidth; i.src = 'mbtiles://{token}/0/0/0.png'; 1",
    )
    qtbot.waitUntil(lambda: run_js(view, "window.T") == 1, timeout=10_000)
    before = view.tiles.not_found
    run_js(view, f"var j = new Image(); j.src = 'mbtiles://{token}/1/0/7.png'; 1")
    qtbot.waitUntil(lambda: view.tiles.not_found > before, timeout=10_000)
