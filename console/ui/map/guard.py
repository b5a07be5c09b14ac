"""Keep the map offline: a private profile whose every non-local request is blocked and logged.

The console runs on government intranets; a page that quietly fetches a CDN script or a
public tile server leaks that a household was looked at, and shows a blank map when the
network is down. Local schemes pass; an intranet tile server passes only when configured.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Final

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtWebEngineCore import (
    QWebEngineProfile,
    QWebEngineUrlRequestInfo,
    QWebEngineUrlRequestInterceptor,
)

log = logging.getLogger(__name__)

LOCAL_SCHEMES: Final = frozenset({"file", "qrc", "data", "blob", "about", "mbtiles"})


def origin_pattern(url_template: str) -> re.Pattern[str]:
    """``scheme://host[:port]`` of a tile URL template as a regex; ``{s}`` matches a subdomain."""
    m = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://([^/?#]+)", url_template)
    if not m:
        raise ValueError(f"tile URL {url_template!r} has no scheme://host part")
    scheme, host = m.group(1).lower(), m.group(2).lower()
    parts = [re.escape(p) for p in host.split("{s}")]
    return re.compile("^" + re.escape(scheme) + "://" + "[a-z0-9-]+".join(parts) + "$")


def _origin(url: QUrl) -> str:
    port = url.port()
    host = url.host().lower()
    return f"{url.scheme().lower()}://{host}" + (f":{port}" if port >= 0 else "")


class OfflineGuard(QWebEngineUrlRequestInterceptor):
    """Blocks and records every request outside :data:`LOCAL_SCHEMES` and the allowed origins."""

    blocked = Signal(str)

    def __init__(self, allowed: Iterable[str] = (), parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._allowed = [origin_pattern(u) for u in allowed]
        self.blocked_urls: list[str] = []
        self.passed = 0

    def allow(self, url_template: str) -> None:
        self._allowed.append(origin_pattern(url_template))

    def interceptRequest(self, info: QWebEngineUrlRequestInfo) -> None:
        url = info.requestUrl()
        if url.scheme().lower() in LOCAL_SCHEMES:
            self.passed += 1
            return
        origin = _origin(url)
        if any(p.match(origin) for p in self._allowed):
            self.passed += 1
            return
        info.block(True)
        text = url.toString()
        self.blocked_urls.append(text)
        log.warning("map: blocked non-local request %s (the map must work offline)", text)
        self.blocked.emit(text)


def private_profile(guard: OfflineGuard, parent: QObject) -> QWebEngineProfile:
    """An off-the-record profile (no disk cache, no cookies) with ``guard`` on every request."""
    profile = QWebEngineProfile(parent)  # no storage name: off the record
    profile.setHttpCacheType(QWebEngineProfile.HttpCacheType.MemoryHttpCache)
    profile.setPersistentCookiesPolicy(QWebEngineProfile.PersistentCookiesPolicy.NoPersistentCookies)
    profile.setUrlRequestInterceptor(guard)
    return profile
