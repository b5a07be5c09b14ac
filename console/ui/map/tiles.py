"""Serve MBTiles tiles to the page through a custom ``mbtiles://`` URL scheme.

Chromium must learn about a custom scheme before the QApplication exists, so the app calls
:func:`register_schemes` first thing at start-up (tests/gui/conftest.py does it at import).
The scheme is marked local and secure so a ``file://`` page may load its tiles the way it
loads its own scripts, and it never touches the network.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Final

from PySide6.QtCore import QBuffer, QByteArray, QCoreApplication, QIODevice, QObject
from PySide6.QtWebEngineCore import (
    QWebEngineUrlRequestJob,
    QWebEngineUrlScheme,
    QWebEngineUrlSchemeHandler,
)

from console.ui.map.mbtiles import MBTiles, MBTilesError, token_for

log = logging.getLogger(__name__)

SCHEME: Final = b"mbtiles"


def schemes_registered() -> bool:
    return bytes(QWebEngineUrlScheme.schemeByName(SCHEME).name().data()) == SCHEME


def register_schemes() -> bool:
    """Register ``mbtiles://``; call before the QApplication is created. Idempotent.

    Returns False (and logs why) when it is too late: the MBTiles base is then unavailable
    but the vector and XYZ bases still work.
    """
    if schemes_registered():
        return True
    if QCoreApplication.instance() is not None:
        log.error("map: register_schemes() called after the QApplication was created; MBTiles base disabled")
        return False
    scheme = QWebEngineUrlScheme(SCHEME)
    scheme.setSyntax(QWebEngineUrlScheme.Syntax.Host)
    scheme.setFlags(
        QWebEngineUrlScheme.Flag.SecureScheme
        | QWebEngineUrlScheme.Flag.LocalScheme
        | QWebEngineUrlScheme.Flag.CorsEnabled
    )
    QWebEngineUrlScheme.registerScheme(scheme)
    return True


class MBTilesHandler(QWebEngineUrlSchemeHandler):
    """Answers ``mbtiles://TOKEN/z/x/y[.ext]`` from the files added with :meth:`add`."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._files: dict[str, MBTiles] = {}
        self.served = 0
        self.not_found = 0
        self.bad_requests = 0

    def add(self, path: Path) -> str:
        """Open an MBTiles file (raises MBTilesError with a clear message) and return its token."""
        token = token_for(Path(path))
        if token not in self._files:
            self._files[token] = MBTiles(Path(path))
        return token

    def close(self) -> None:
        for tiles in self._files.values():
            tiles.close()
        self._files.clear()

    def requestStarted(self, job: QWebEngineUrlRequestJob) -> None:
        url = job.requestUrl()
        tiles = self._files.get(url.host())
        parts = url.path().strip("/").split("/")
        try:
            if len(parts) != 3:
                raise ValueError("expected /z/x/y")
            z, x, y = int(parts[0]), int(parts[1]), int(parts[2].split(".", 1)[0])
        except ValueError:
            self.bad_requests += 1
            log.warning("map: malformed tile request %s", url.toString())
            job.fail(QWebEngineUrlRequestJob.Error.UrlInvalid)
            return
        if tiles is None:
            self.bad_requests += 1
            log.warning("map: tile request for an unknown MBTiles file %s", url.toString())
            job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
            return
        try:
            data = tiles.tile(z, x, y)
        except (MBTilesError, OSError, ValueError) as exc:  # a damaged file must not take the map down
            self.bad_requests += 1
            log.warning("map: cannot read tile %s: %s", url.toString(), exc)
            job.fail(QWebEngineUrlRequestJob.Error.RequestFailed)
            return
        if data is None:
            self.not_found += 1
            job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
            return
        buffer = QBuffer(job)  # owned by the job: lives exactly as long as the reply
        buffer.setData(QByteArray(data))
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.served += 1
        job.reply(QByteArray(tiles.info.mime.encode()), buffer)
