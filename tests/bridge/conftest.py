"""Fixtures of the bridge's tests: the gateway tests' loop thread and district (imported: the
same fixtures), and a watcher of the district's device events on the real Mosquitto."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.bridge.bridge_support import Events
from tests.gateway.conftest import district, loop

__all__ = ["district", "events", "loop"]


@pytest.fixture
def events(mosquitto: Any, district: str) -> Iterator[Events]:
    w = Events(mosquitto, district)
    try:
        yield w
    finally:
        w.close()
