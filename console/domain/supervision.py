"""Device health: heartbeats -> online/offline; battery, fault, tamper, end of life.

Troubles become maintenance tickets (their own queue and service levels), never 1-5-30 incidents.
"""

from __future__ import annotations

import heapq
from heapq import heappop, heappush, heapreplace

import msgspec

from console.domain.deadlines import DEFAULT_HB_S, NS, OFFLINE_GRACE

# device event -> (ticket kind, opens?)
TROUBLE: dict[str, tuple[str, bool]] = {
    "fault": ("fault", True),
    "fault_clear": ("fault", False),
    "low_battery": ("low_battery", True),
    "battery_ok": ("low_battery", False),
    "tamper": ("tamper", True),
    "tamper_clear": ("tamper", False),
    "end_of_life": ("end_of_life", True),
}


class Health(msgspec.Struct, gc=False):
    """One device's health. Scalars only, so never part of a reference cycle: ``gc=False`` keeps
    the collector (and replay's checkpoint restores) from walking a district's 100k of them."""

    dev: str
    kind: str
    household: str
    last_seen: int = 0  # console time of the last message from the device
    hb_s: int = 0
    online: bool = True
    bat: int | None = None
    rssi: int | None = None
    fault: bool = False
    low_battery: bool = False
    tamper: bool = False
    end_of_life: bool = False


class TicketNote(msgspec.Struct, frozen=True):
    at: int
    operator: str
    text: str


class Ticket(msgspec.Struct, kw_only=True):
    id: int
    dev: str
    household: str
    township: str
    kind: str  # offline | fault | low_battery | tamper | end_of_life
    opened: int
    due: int
    closed: int | None = None
    acked_by: str = ""
    note: str = ""
    assignee: str = ""  # the technician it was given to
    notes: list[TicketNote] = msgspec.field(default_factory=list)
    closed_by: str = ""  # the officer who closed it ("" closed by the device itself)

    def overdue(self, now: int) -> bool:
        """Open past its service level (TICKET_SLA_H of its kind)."""
        return self.closed is None and now > self.due


class Supervisor:
    """Tracks health per device and a heap of offline due times (lazy: an entry may be early,
    never late; ``next_due`` settles it).

    Every change to a ``Health`` goes through a method here. After ``share()`` (a replay
    checkpoint keeps references to the current Health objects and heap entries) a Health is
    copied before its first change, so the checkpoint's objects never change under it
    (copy-on-write): a checkpoint costs a tuple of references, and a restore is a dict rebuild.
    """

    def __init__(self) -> None:
        self.health: dict[str, Health] = {}
        self._due: list[tuple[int, str]] = []
        self._since: dict[str, int] = {}  # devices never heard from: when their watch began
        # None: nothing outside holds our Health objects. A set: since share(), the devices whose
        # Health was copied (ours to change in place); any other is shared, copied on change.
        self._own: set[str] | None = None
        self.copies = 0  # Health objects copied on write since the last share()

    def share(self) -> None:
        """From now on the current Health objects belong to a checkpoint too: copy on change."""
        self._own = set()
        self.copies = 0

    def _mine(self, h: Health) -> Health:
        """The device's current Health, safe to change in place."""
        own = self._own
        if own is None:
            return h
        dev = h.dev
        cur = self.health.get(dev, h)
        if dev in own:
            return cur
        cur = msgspec.structs.replace(cur)  # a shallow copy
        self.health[dev] = cur
        own.add(dev)
        self.copies += 1
        return cur

    def period_s(self, h: Health) -> int:
        return h.hb_s or DEFAULT_HB_S.get(h.kind, 3600)

    def track(self, dev: str, kind: str, household: str) -> Health:
        h = self.health.get(dev)
        if h is None:
            h = Health(dev=dev, kind=kind, household=household)
            self.health[dev] = h
            if self._own is not None:
                self._own.add(dev)
        return h

    def _grace_end(self, h: Health, base: int) -> int:
        return base + int(self.period_s(h) * OFFLINE_GRACE * NS)

    def watch(self, h: Health, since: int) -> None:
        """A device never heard from: its first heartbeat grace runs from ``since`` (console start),
        while ``last_seen`` stays 0 so the screen does not claim a message that never came."""
        self._since[h.dev] = since
        heapq.heappush(self._due, (self._grace_end(h, since), h.dev))

    def seen(self, h: Health, at: int, hb: int | None, bat: int | None, rssi: int | None) -> bool:
        """Record a sign of life; True when the device came back online.

        This runs for every heartbeat, so it does not push a heap entry each time: the entry
        already queued is due no later than the new grace end, and ``next_due`` moves it on when
        it surfaces. A new entry is pushed only when none may cover the new due time: a device
        never queued, coming back online, or whose grace now ends earlier than before (a shorter
        heartbeat period, or a record older than the last one)."""
        if self._own is not None:
            h = self._mine(h)
        dev = h.dev
        old_base: int | None = h.last_seen
        if not old_base:
            # never heard: its watch start (if watched) was its base, and is not needed any more
            old_base = self._since.pop(dev, None) if self._since else None
        old_period = h.hb_s or DEFAULT_HB_S.get(h.kind, 3600)
        h.last_seen = at
        if hb:
            h.hb_s = hb
        if bat is not None:
            h.bat = bat
        if rssi is not None:
            h.rssi = rssi
        back = not h.online
        h.online = True
        period = h.hb_s or DEFAULT_HB_S.get(h.kind, 3600)
        due = at + int(period * OFFLINE_GRACE * NS)  # _grace_end(h, at), inlined
        if back or old_base is None or due < old_base + int(old_period * OFFLINE_GRACE * NS):
            heappush(self._due, (due, dev))
        return back

    def next_due(self) -> int | None:
        """The earliest grace end among online devices. Heap entries are never later than their
        device's grace end (see ``seen``); one that surfaces early is moved to the real time,
        an entry for an offline device or a spare copy is dropped."""
        due_heap = self._due
        health = self.health
        since = self._since
        while due_heap:
            entry = due_heap[0]
            due, dev = entry
            h = health.get(dev)
            if h is None or not h.online:
                heappop(due_heap)
                continue
            base = h.last_seen or since.get(dev, 0)
            real = base + int((h.hb_s or DEFAULT_HB_S.get(h.kind, 3600)) * OFFLINE_GRACE * NS)
            if real == due:
                return due
            if real > due:
                heapreplace(due_heap, (real, dev))
                while due_heap and due_heap[0] == entry:  # a spare identical entry
                    heappop(due_heap)
            else:
                heappop(due_heap)  # later than the real time: a spare; another entry covers it
        return None

    def expire(self, now: int) -> list[Health]:
        """Devices whose heartbeat grace ran out by ``now``; marks them offline."""
        gone: list[Health] = []
        while True:
            due = self.next_due()
            if due is None or due > now:
                return gone
            _, dev = heapq.heappop(self._due)
            h = self._mine(self.health[dev])
            h.online = False
            gone.append(h)

    def went_offline(self, h: Health, at: int) -> bool:
        """The platform says the device is offline (an ``offline`` event): offline now, without
        waiting for its heartbeat grace; True when it was online. Its heap entry is dropped when
        it surfaces (``next_due`` skips offline devices); its next sign of life brings it back."""
        h = self._mine(h)
        was = h.online
        h.online = False
        h.last_seen = max(h.last_seen, at)
        return was

    def set_trouble(self, dev: str, kind: str, on: bool) -> None:
        """Set or clear a trouble flag (fault, low_battery, tamper, end_of_life)."""
        h = self.health.get(dev)
        if h is not None:
            setattr(self._mine(h), kind, on)
