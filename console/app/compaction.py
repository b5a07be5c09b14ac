"""An old journal's records rewritten with heartbeats in the compact form (console/domain/liveness.py).

A journal written before ``Seen`` records existed holds every heartbeat in full. Rewriting it
keeps every other record as it was (its time, source, type, key, console and body: the bytes
its hash covered) and turns each flush of heartbeats (the ``Heartbeats`` records one console
wrote with one time, one after another) into what the engine writes now: the beats that change
something in full, the rest as places. Which beats change something is decided as the engine
decides it, against the world the *new* records fold to (a ``World`` folded alongside), so the
new journal is one the engine could have written. The new chain is sealed anew by the journal it
is appended to; the old journal is not touched (console/io/migrate.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import NamedTuple

import msgspec

from console.domain import events as ev
from console.domain import liveness
from console.domain.world import World

Item = tuple[int, str, str, str, bytes]  # (at, source, type, key, body): what Journal.append takes


class Old(NamedTuple):
    """An old journal record, as much of it as the rewrite reads."""

    seq: int
    at: int
    source: str
    type: str
    key: str
    console: str
    body: bytes


class Rewritten(NamedTuple):
    console: str
    item: Item


class Rewriter:
    """Feed it the old journal's records in order; it gives the new journal's, in order."""

    def __init__(self, world: World) -> None:
        self.world = world
        self._beats: dict[str, list[ev.Beat]] = {}
        self._flush: tuple[int, str] | None = None  # (at, console) of the held heartbeats
        self.old_heartbeat_records = 0
        self.unreadable = 0  # records kept as they were although this build cannot decode them

    def rewrite(self, records: Iterable[Old]) -> Iterator[Rewritten]:
        for r in records:
            yield from self.feed(r)
        yield from self.end()

    def feed(self, r: Old) -> list[Rewritten]:
        out: list[Rewritten] = []
        if r.type == "hb":
            try:
                e = ev.decode(r.body)
            except msgspec.MsgspecError:
                e = None
            if isinstance(e, ev.Heartbeats):
                self.old_heartbeat_records += 1
                if self._flush != (r.at, r.console):
                    out += self.end()
                    self._flush = (r.at, r.console)
                self._beats.setdefault(e.township, []).extend(e.beats)
                return out
        out += self.end()
        out.append(Rewritten(r.console, (r.at, r.source, r.type, r.key, r.body)))
        try:
            self.world.apply(ev.decode(r.body))
        except msgspec.MsgspecError:
            self.unreadable += 1  # kept as it was: a replay counts it as it did before
        return out

    def end(self) -> list[Rewritten]:
        """The held flush, compacted and folded."""
        if self._flush is None:
            return []
        at, console = self._flush
        beats, self._beats, self._flush = self._beats, {}, None
        w = self.world
        reg = w.register
        out: list[Rewritten] = []
        for e in liveness.compact(beats, at, w.supervisor.health, reg.place, reg.digest):
            out.append(Rewritten(console, (e.at, ev.source_of(e), ev.type_of(e), ev.key_of(e), ev.encode(e))))
            w.apply(e)
        return out
