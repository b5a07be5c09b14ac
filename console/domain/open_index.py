"""What a World derives from its open incidents and is asked for after nearly every event: the
earliest time anything of theirs comes due (``World.next_due``) and the roles a storm holds back
(``World.held_notifications``).

Walking every open incident for these at each event made a storm's ingest quadratic: with 2,000
open incidents ``bench ingest`` journaled 4k msg/s against 7.9k before storm triage, and its
publish-to-UI p50 went from 20 ms to 150 ms. The index keeps one entry per open incident and
recomputes only the incidents the World marked changed since it last looked: its
``dirty_incidents``, which every change to an incident already marks for the UI (``take_dirty``
hands them here before emptying them). A world whose ``incidents`` dict was replaced (a snapshot
restored into it) is indexed again from scratch. ``World.next_due_walk`` and
``World.held_walk`` are the plain walks this must always equal (tests/unit/test_open_index.py
checks both after every event of the storm drills).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable, Mapping

from console.domain import notify_plan
from console.domain.incident import Incident
from console.domain.storm import Held


def due_of(inc: Incident) -> int | None:
    """The earliest of an open incident's next 1-5-30 mark, notification retries and holds."""
    times: list[int] = []
    nd = inc.next_deadline()
    if nd is not None:
        times.append(nd[1])
    for n in inc.notifications.values():
        if n.retry_at is not None:
            times.append(n.retry_at)
        if n.hold_until is not None:
            times.append(n.hold_until)
    return min(times) if times else None


def held_of(inc: Incident) -> tuple[Held, ...]:
    """One row per role of the incident with held requests, in rule order (``storm.held_list``)."""
    out: list[Held] = []
    seen: set[str] = set()
    for n in notify_plan.held(inc):
        if n.role not in seen:
            seen.add(n.role)
            out.append(Held(inc.id, n.role, n.at, n.reason))
    return tuple(out)


_VERSIONS = itertools.count(1)  # unique across indexes: a restored world's index never repeats one


class OpenIndex:
    """Per open incident: when it next comes due (a heap, stale entries skipped and compacted)
    and its held rows. Derived data: never snapshotted, rebuilt when the world is restored."""

    def __init__(self) -> None:
        self._of: object = None  # the World.incidents dict this index describes
        self._stale: set[int] = set()
        self._due: dict[int, int] = {}
        self._heap: list[tuple[int, int]] = []
        self._held: dict[int, tuple[Held, ...]] = {}
        self.held_version = next(_VERSIONS)  # a new number whenever some incident's held rows change

    def mark(self, ids: Iterable[int]) -> None:
        """Incidents that changed (the World's dirty marks, before they are emptied)."""
        self._stale.update(ids)

    def refresh(
        self, incidents: Mapping[int, Incident], open_by_household: Mapping[str, int], dirty: Iterable[int]
    ) -> None:
        if self._of is not incidents:
            self._of = incidents
            self._stale.clear()
            self._due.clear()
            self._heap.clear()
            self._held.clear()
            self.held_version = next(_VERSIONS)
            todo: Iterable[int] = list(open_by_household.values())
        else:
            self._stale.update(dirty)
            todo, self._stale = self._stale, set()
        for iid in todo:
            inc = incidents.get(iid)
            is_open = inc is not None and open_by_household.get(inc.household) == iid
            due = due_of(inc) if is_open and inc is not None else None
            if due is None:
                self._due.pop(iid, None)
            elif self._due.get(iid) != due:
                self._due[iid] = due
                heapq.heappush(self._heap, (due, iid))
            rows = held_of(inc) if is_open and inc is not None else ()
            if rows != self._held.get(iid, ()):
                self.held_version = next(_VERSIONS)
                if rows:
                    self._held[iid] = rows
                else:
                    del self._held[iid]
        if len(self._heap) > 2 * len(self._due) + 64:
            self._heap = [(t, i) for i, t in self._due.items()]
            heapq.heapify(self._heap)

    def next_due(self) -> int | None:
        heap = self._heap
        while heap and self._due.get(heap[0][1]) != heap[0][0]:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def held(self) -> list[Held]:
        return [row for iid in sorted(self._held) for row in self._held[iid]]

    def held_by_incident(self) -> Mapping[int, tuple[Held, ...]]:
        """Read only: the incidents with held rows (unordered), as of the last ``refresh``."""
        return self._held
