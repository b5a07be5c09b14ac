"""An in-memory journal with the same chain rules as the store: for tests, drills and replay."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence

from console.app.ports import JournalError
from console.domain.chain import GENESIS, Record, seal


class MemoryJournal:
    def __init__(self, records: Sequence[Record] = ()) -> None:
        self.records: list[Record] = list(records)
        self._lock = threading.Lock()
        self.fail_with: JournalError | None = None  # tests: make the next appends fail

    def append(self, items: Sequence[tuple[int, str, str, str, bytes]], console: str) -> list[Record]:
        with self._lock:
            if self.fail_with is not None:
                raise self.fail_with
            prev = self.records[-1].hash if self.records else GENESIS
            seq = len(self.records) + 1
            out: list[Record] = []
            for at, source, type_, key, body in items:
                r = seal(prev, seq, at, source, type_, key, console, body)
                out.append(r)
                prev, seq = r.hash, seq + 1
            self.records.extend(out)
            return out

    def read(self, from_seq: int = 1, to_seq: int | None = None) -> Iterator[Record]:
        with self._lock:
            snapshot = self.records[from_seq - 1 : to_seq]
        yield from snapshot

    def last(self) -> Record | None:
        with self._lock:
            return self.records[-1] if self.records else None

    def close(self) -> None:
        pass
