"""``MapView``: the risk map widget the console embeds.

Python owns the state (bands, filter, scope) and the page is a view of it: calls made before
the page reports ready are queued, and a reloaded page is brought back to the same state.
Recolouring goes through ``runJavaScript``, never a reload, so 1,000 changes cost milliseconds.
"""

from __future__ import annotations

import atexit
import json
import logging
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtQuick import QQuickWindow
from PySide6.QtQuickWidgets import QQuickWidget
from PySide6.QtWebChannel import QWebChannel
from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineProfile, QWebEngineSettings
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QVBoxLayout, QWidget
from shiboken6 import Shiboken

from console.domain import geo, registry
from console.ui.map.bridge import MapBridge
from console.ui.map.guard import OfflineGuard, private_profile
from console.ui.map.page import BANDS, build_page
from console.ui.map.tiles import SCHEME, MBTilesHandler, schemes_registered

log = logging.getLogger(__name__)

# Every MapView not yet deleted. QtWebEngine releases its profiles when the process exits; a page
# still alive then ("Release of profile requested but WebEnginePage still not deleted") makes the
# process die with SIGSEGV after it has done its work. A window closed but never deleted (a test's
# window, a window the officer closed at exit) leaves exactly that, so at exit, before PySide tears
# the QApplication down, each live map deletes its page and then its profile (release_all).
_LIVE: weakref.WeakSet[MapView] = weakref.WeakSet()
_RELEASE_AT_EXIT: list[bool] = []


def release_all() -> None:
    """Delete every live map's page, then its profile (registered with atexit)."""
    for view in list(_LIVE):
        view.release()


class _MapPage(QWebEnginePage):
    """Routes the page's console to Python logging and keeps its errors for tests and status."""

    def __init__(self, profile: QWebEngineProfile, parent: QWidget) -> None:
        super().__init__(profile, parent)
        self.js_errors: list[str] = []

    def javaScriptConsoleMessage(
        self, level: QWebEnginePage.JavaScriptConsoleMessageLevel, message: str, line: int, source: str
    ) -> None:
        if level == QWebEnginePage.JavaScriptConsoleMessageLevel.ErrorMessageLevel:
            self.js_errors.append(f"{source}:{line}: {message}")
            log.warning("map page error %s:%d: %s", source, line, message)
        else:
            log.debug("map page %s:%d: %s", source, line, message)


class MapView(QWidget):
    """The district or township risk map. See docs/map.md for the page contract."""

    ready = Signal()
    rendered = Signal()
    householdClicked = Signal(str)
    counts = Signal(dict)
    searchResults = Signal(list)
    blockedRequest = Signal(str)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        out_dir: Path | None = None,
        base: str = "vector",
        xyz_url: str | None = None,
        mbtiles: Path | None = None,
        display_crs: str = "wgs84",
        default_band: str = "low",
    ) -> None:
        super().__init__(parent)
        if default_band not in BANDS:
            raise ValueError(f"unknown default band {default_band!r}")
        self._out_dir = out_dir
        self._base, self._xyz_url, self._mbtiles = base, xyz_url, mbtiles
        self._display_crs = display_crs
        self._default_band = default_band
        # Creation order is teardown order: the view (and its page) must go before the profile.
        self._view = QWebEngineView(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._view)
        self.guard = OfflineGuard([xyz_url] if base == "xyz" and xyz_url else [], self)
        self.guard.blocked.connect(self.blockedRequest)
        self._profile = private_profile(self.guard, self)
        self.tiles = MBTilesHandler(self)
        if schemes_registered():
            self._profile.installUrlSchemeHandler(SCHEME, self.tiles)
        elif base == "mbtiles":
            raise RuntimeError("MBTiles base needs console.ui.map.register_schemes() before the QApplication")
        if base == "mbtiles" and mbtiles is not None:
            self.tiles.add(Path(mbtiles))
        self._page = _MapPage(self._profile, self._view)
        settings = self._page.settings()
        # The guard is the one gate for remote URLs (an intranet XYZ server may be allowed).
        settings.setAttribute(QWebEngineSettings.WebAttribute.LocalContentCanAccessRemoteUrls, True)
        settings.setAttribute(QWebEngineSettings.WebAttribute.LocalContentCanAccessFileUrls, True)
        self.bridge = MapBridge(self)
        self._channel = QWebChannel(self._page)
        self._channel.registerObject("gc", self.bridge)
        self._page.setWebChannel(self._channel)
        self._view.setPage(self._page)
        self._page.loadFinished.connect(self._on_load_finished)
        self._page.loadStarted.connect(self._on_load_started)
        self.bridge.readyReceived.connect(self._on_ready)
        self.bridge.clickReceived.connect(self.householdClicked)
        self.bridge.countsReceived.connect(self._on_counts)
        self.bridge.renderedReceived.connect(self._on_rendered)
        self.bridge.searchReceived.connect(lambda v: self.searchResults.emit(list(v.get("results", []))))
        self.bridge.jsErrorReceived.connect(self._on_js_error)

        self._page_path: Path | None = None
        self._ready = False
        self._rendered = False
        self._pending: list[tuple[str, Callable[[Any], None] | None]] = []
        self._frame_window: QQuickWindow | None = None
        self._frames_to_wait = 0
        self._bands: dict[str, str] = {}
        self.boundaries: dict[str, Any] | None = None  # the outlines last loaded (load)
        self._filter: dict[str, Any] = {}
        self.load_count = 0
        self.load_id = ""
        self.last_counts: dict[str, Any] = {}
        self.rejected_bands = 0
        self.unknown_codes = 0
        self.js_error_count = 0
        if not _RELEASE_AT_EXIT:
            atexit.register(release_all)
            _RELEASE_AT_EXIT.append(True)
        _LIVE.add(self)

    def release(self) -> None:
        """Delete the page now, then the profile it uses: the order QtWebEngine needs."""
        for obj in (self._page, self._profile):
            if Shiboken.isValid(obj):
                Shiboken.delete(obj)

    # --- properties ----------------------------------------------------------------------

    @property
    def page(self) -> QWebEnginePage:
        return self._page

    @property
    def view(self) -> QWebEngineView:
        return self._view

    @property
    def page_path(self) -> Path | None:
        return self._page_path

    @property
    def is_ready(self) -> bool:
        return self._ready

    @property
    def js_errors(self) -> list[str]:
        return self._page.js_errors

    def grab_ready(self) -> bool:
        """True once the page has painted what was last loaded (safe to ``grab()``)."""
        return self._rendered

    # --- API -----------------------------------------------------------------------------

    def load(
        self,
        register: registry.Register,
        bands: dict[str, str],
        scope: str = "*",
        boundaries: dict[str, Any] | None = None,
    ) -> Path:
        """Show ``register`` limited to ``scope`` (a township code, or "*" for the district).

        ``boundaries``: the district's township outlines (GeoJSON, WGS-84) from the store; None
        draws the shipped demo outlines when they fit the register, else outlines around the
        households (console.ui.map.page). Kept as ``self.boundaries`` for the next reload."""
        self.boundaries = boundaries
        out_dir = self._out_dir
        if out_dir is None:
            from console.paths import data_dir

            out_dir = data_dir() / "map"
        path = build_page(
            register,
            out_dir,
            self._base,
            self._xyz_url,
            self._mbtiles,
            scope=scope,
            display_crs=self._display_crs,
            boundaries=boundaries,
        )
        self._bands = self._valid(bands)
        self._rendered = False
        if path == self._page_path and self._ready:
            self._push_state()
            self._call("GC.requestRendered()")
            return path
        self._page_path = path
        self._ready = False
        self._pending.clear()
        self._page.setUrl(QUrl.fromLocalFile(str(path)))
        return path

    def set_bands(
        self, changes: dict[str, str], done: Callable[[dict[str, Any]], None] | None = None
    ) -> None:
        """Recolour households in place; ``done`` gets ``{applied, unchanged, unknown, bad}``."""
        valid = self._valid(changes)
        self._bands.update(valid)
        if not self._ready:
            return  # the whole state is pushed when the page says it is ready
        self._call(f"GC.setBands({_js(valid)})", lambda raw: self._band_result(raw, done))

    def set_filter(
        self,
        bands: list[str] | None = None,
        townships: list[str] | None = None,
        groups: list[str] | None = None,
    ) -> None:
        """Show only households matching all given criteria; None means "any"."""
        bits = {g: 1 << i for i, g in enumerate(registry.GROUPS)}
        mask = 0
        for g in groups or []:
            if g not in bits:
                log.warning("map: unknown group %r in filter ignored", g)
                continue
            mask |= bits[g]
        self._filter = {"bands": bands, "townships": townships, "groups": mask}
        if self._ready:
            self._call(f"GC.setFilter({_js(self._filter)})")

    def center_on(self, code: str) -> None:
        self._call(f"GC.centerOn({_js(code)})")

    def search(self, text: str) -> None:
        """Find households by code or address; results arrive on ``searchResults``."""
        self._call(f"GC.search({_js(text)})", self._search_result)

    def show_responders(self, code: str, responders: list[dict[str, Any]]) -> None:
        """Draw responders (name, role, phone, lat, lon in WGS-84, distance_m) around a household."""
        shown = []
        for r in responders:
            lat, lon = r.get("lat"), r.get("lon")
            if (
                not isinstance(lat, int | float)
                or not isinstance(lon, int | float)
                or not geo.valid_lat_lon(lat, lon)
            ):
                log.warning("map: responder %r has no usable coordinates; not drawn", r.get("name"))
                continue
            lat, lon = geo.convert(float(lat), float(lon), "wgs84", self._display_crs)
            shown.append({**r, "lat": lat, "lon": lon})
        self._call(f"GC.showResponders({_js(code)}, {_js(shown)})")

    def evaluate(self, script: str, callback: Callable[[Any], None] | None = None) -> None:
        """Run JS in the page once it is ready (diagnostics, tests, benchmarks)."""
        self._call(script, callback)

    # --- internals -----------------------------------------------------------------------

    def _valid(self, bands: dict[str, str]) -> dict[str, str]:
        bad = {code: b for code, b in bands.items() if b not in BANDS}
        if bad:
            self.rejected_bands += len(bad)
            log.warning(
                "map: %d band value(s) not one of %s ignored, e.g. %s", len(bad), BANDS, list(bad.items())[:3]
            )
            return {code: b for code, b in bands.items() if b in BANDS}
        return dict(bands)

    def _call(self, script: str, callback: Callable[[Any], None] | None = None) -> None:
        if not self._ready:
            self._pending.append((script, callback))
            return
        if callback is None:
            self._page.runJavaScript(script, 0)
        else:
            self._page.runJavaScript(script, 0, callback)

    def _push_state(self) -> None:
        self._call(
            f"GC.replaceBands({_js(self._bands)}, {_js(self._default_band)})",
            lambda raw: self._band_result(raw, None),
        )
        if self._filter:
            self._call(f"GC.setFilter({_js(self._filter)})")

    def _band_result(self, raw: Any, done: Callable[[dict[str, Any]], None] | None) -> None:
        try:
            result = json.loads(raw) if isinstance(raw, str) else {}
        except ValueError:
            result = {}
        if result.get("unknown"):
            self.unknown_codes += int(result["unknown"])
            log.info(
                "map: %d band change(s) for households not on this map, e.g. %s",
                result["unknown"],
                result.get("unknownCodes"),
            )
        if done is not None:
            done(result)

    def _search_result(self, raw: Any) -> None:
        try:
            results = json.loads(raw) if isinstance(raw, str) else []
        except ValueError:
            results = []
        self.searchResults.emit(results if isinstance(results, list) else [])

    def _on_load_started(self) -> None:
        self._ready = False
        self._rendered = False

    def _on_load_finished(self, ok: bool) -> None:
        self.load_count += 1
        if not ok:
            log.error("map: page %s failed to load", self._page_path)

    def _on_ready(self, info: dict[str, Any]) -> None:
        self.load_id = str(info.get("loadId", ""))
        self._ready = True
        pending, self._pending = self._pending, []
        self._push_state()
        for script, callback in pending:
            self._call(script, callback)
        self._call("GC.requestRendered()")
        self.ready.emit()

    def _on_rendered(self, info: dict[str, Any]) -> None:
        """The page has painted; wait for Qt to composite two more frames so grab() is current."""
        if info.get("loadId") != self.load_id:
            return
        proxy = self._view.focusProxy()
        window = proxy.quickWindow() if isinstance(proxy, QQuickWidget) else None
        if window is None:  # not the QQuickWidget delegate this was written against: no wait
            self._mark_rendered()
            return
        if self._frame_window is not window:
            window.afterRendering.connect(self._on_qt_frame, Qt.ConnectionType.QueuedConnection)
            self._frame_window = window
        self._frames_to_wait = 2
        window.update()

    def _on_qt_frame(self) -> None:
        if self._frames_to_wait <= 0:
            return
        self._frames_to_wait -= 1
        if self._frames_to_wait == 0:
            self._mark_rendered()
        elif self._frame_window is not None:
            self._frame_window.update()

    def _mark_rendered(self) -> None:
        self._rendered = True
        self.rendered.emit()

    def _on_counts(self, counts: dict[str, Any]) -> None:
        self.last_counts = counts
        self.counts.emit(counts)

    def _on_js_error(self, message: str) -> None:
        self.js_error_count += 1
        self._page.js_errors.append(message)
        log.warning("map page error: %s", message)


def _js(value: Any) -> str:
    """A JSON literal is a JS expression; ``</`` is escaped in case it ever meets HTML."""
    return json.dumps(value, ensure_ascii=False).replace("</", "<\\/")
