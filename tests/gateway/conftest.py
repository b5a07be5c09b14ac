"""Fixtures the gateway's tests share: an asyncio loop on a thread of its own, a district topic
of the test's own on the real Mosquitto, and a bus watcher over it (tests/gateway/gw_support.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.gateway.gw_support import Bus, Loop


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
def bus(mosquitto: Any, district: str) -> Iterator[Bus]:
    b = Bus(mosquitto, district)
    try:
        yield b
    finally:
        b.close()
