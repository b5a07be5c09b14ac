"""Fixtures of the bridge's tests: a loop thread, a district of the test's own on the real
Mosquitto, a watcher of its device events."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.bridge.bridge_support import Events
from tests.gateway.gw_support import Loop


@pytest.fixture
def loop() -> Iterator[Loop]:
    lp = Loop()
    try:
        yield lp
    finally:
        lp.close()


@pytest.fixture
def district(unique_topic_prefix: str) -> str:
    return unique_topic_prefix


@pytest.fixture
def events(mosquitto: Any, district: str) -> Iterator[Events]:
    w = Events(mosquitto, district)
    try:
        yield w
    finally:
        w.close()
