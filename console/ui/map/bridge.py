"""The object the page talks to through QWebChannel.

JS calls the slots with one JSON string each (QWebChannel would marshal objects, but a string
keeps the contract explicit and cheap to check); the slots re-emit typed Qt signals. A payload
that does not parse is counted and logged, never raised into the channel.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

log = logging.getLogger(__name__)


class MapBridge(QObject):
    readyReceived = Signal(dict)
    clickReceived = Signal(str)
    countsReceived = Signal(dict)
    renderedReceived = Signal(dict)
    searchReceived = Signal(dict)
    jsErrorReceived = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.bad_payloads = 0

    def _parse(self, what: str, payload: str) -> dict[str, Any] | None:
        try:
            value = json.loads(payload)
        except (TypeError, ValueError):
            value = None
        if not isinstance(value, dict):
            self.bad_payloads += 1
            log.warning("map: page sent a malformed %s message: %.200r", what, payload)
            return None
        return value

    @Slot(str)
    def ready(self, payload: str) -> None:
        value = self._parse("ready", payload)
        if value is not None:
            self.readyReceived.emit(value)

    @Slot(str)
    def clicked(self, code: str) -> None:
        self.clickReceived.emit(str(code))

    @Slot(str)
    def counts(self, payload: str) -> None:
        value = self._parse("counts", payload)
        if value is not None:
            self.countsReceived.emit(value)

    @Slot(str)
    def rendered(self, payload: str) -> None:
        value = self._parse("rendered", payload)
        if value is not None:
            self.renderedReceived.emit(value)

    @Slot(str)
    def searched(self, payload: str) -> None:
        value = self._parse("searched", payload)
        if value is not None:
            self.searchReceived.emit(value)

    @Slot(str)
    def jsError(self, message: str) -> None:
        self.jsErrorReceived.emit(str(message))
