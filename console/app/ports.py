"""Ports: every Protocol the app layer depends on, and the errors a port may raise.

The adapters that implement them live in console/io (the store, the bus); the UI implements
``UiSink``. A port owns its failure modes: a journal raises ``JournalError`` and nothing else,
so the engine catches a named error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Protocol

from console.domain.chain import Record

if TYPE_CHECKING:
    from console.app.delta import Delta

JOURNAL_ERROR_KINDS: Final = ("disk_full", "read_only", "locked", "corrupt", "io")


class JournalError(Exception):
    """A store failure with a ``kind`` from JOURNAL_ERROR_KINDS; the message is for the log and
    the officer. The store sorts its driver's errors into these (console/io/store/errors.py)."""

    def __init__(self, kind: str, message: str) -> None:
        if kind not in JOURNAL_ERROR_KINDS:
            raise ValueError(f"unknown journal error kind {kind!r}")
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message


class Clock(Protocol):
    def now_ns(self) -> int: ...


class Journal(Protocol):
    """Append-only, hash-chained, durable on return from ``append``. Every method raises
    ``JournalError`` when the store fails."""

    def append(self, items: Sequence[tuple[int, str, str, str, bytes]], console: str) -> list[Record]:
        """Append (at, source, type, key, body) rows in order in one transaction; return them sealed."""
        ...

    def read(self, from_seq: int = 1, to_seq: int | None = None) -> Iterator[Record]: ...

    def last(self) -> Record | None: ...

    def close(self) -> None: ...


class Publisher(Protocol):
    """Outgoing bus messages (notification requests). Must not block.

    True: taken; it is sent (again after a reconnect) until the broker acknowledges it, then
    ``on_acked()`` is called, on any thread. False: refused (the outbox is full); the caller
    keeps it and offers it again later."""

    def publish(
        self, topic: str, payload: bytes, qos: int = 1, on_acked: Callable[[], None] | None = None
    ) -> bool: ...


class Message(Protocol):
    """One message the bus delivered (console/io/bus_config.py Inbound is one). A message may also
    carry ``received_at`` (ns, the console clock when the bus client read it: the event's time
    and an alarm's T0); without it the engine stamps it when it takes it (console/app/intake.py)."""

    @property
    def topic(self) -> str: ...

    @property
    def payload(self) -> bytes: ...


class UiSink(Protocol):
    """Where the engine hands its deltas (the UI's queued signal, console/ui/qtsink.py)."""

    def deliver(self, delta: Delta) -> None: ...


class CheckpointStore(Protocol):
    """Where engine checkpoints live (console/io/engine_state_store.py)."""

    def candidates(self, version: str, register: str) -> Iterator[tuple[int, bytes]]:
        """(seq, blob) of stored checkpoints for this version and register, newest first, each
        confirmed by the journal (the record at seq has the hash the checkpoint names)."""
        ...

    def save(self, seq: int, max_at: int, version: str, register: str, blob: bytes) -> None:
        """Store a checkpoint of the state after journal record ``seq``; may raise."""
        ...


class ReplayRow(Protocol):
    """What replay reads of a journal record (a ``Record`` is one; so is a lighter row)."""

    @property
    def seq(self) -> int: ...
    @property
    def at(self) -> int: ...
    @property
    def type(self) -> str: ...
    @property
    def body(self) -> bytes: ...


class ProjectionStore(Protocol):
    """Where the SQL projection tables are replaced wholesale (console/app/projection_writer.py)."""

    def write_projection(
        self,
        incidents: Sequence[Mapping[str, Any]],
        tickets: Sequence[Mapping[str, Any]],
        *,
        checklist: Sequence[Mapping[str, Any]] | None = None,
        notifications: Sequence[Mapping[str, Any]] | None = None,
    ) -> None: ...
