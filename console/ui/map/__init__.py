"""The offline risk map: folium/Leaflet page in a QtWebEngine view. See docs/map.md.

Call :func:`register_schemes` before creating the QApplication (needed for MBTiles).
"""

from __future__ import annotations

from console.ui.map.tiles import register_schemes

__all__ = ["register_schemes"]
