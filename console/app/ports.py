"""Ports: what the engine needs from the outside world, as Protocols."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from console.domain.chain import Record


class Clock(Protocol):
    def now_ns(self) -> int: ...


class Journal(Protocol):
    """Append-only, hash-chained, durable on return from ``append``."""

    def append(self, items: Sequence[tuple[int, str, str, str, bytes]], console: str) -> list[Record]:
        """Append (at, source, type, key, body) rows in order in one transaction; return them sealed."""
        ...

    def read(self, from_seq: int = 1, to_seq: int | None = None) -> Iterator[Record]: ...

    def last(self) -> Record | None: ...

    def close(self) -> None: ...


class Publisher(Protocol):
    """Outgoing bus messages (notification requests). Must not block."""

    def publish(self, topic: str, payload: bytes, qos: int = 1) -> None: ...
