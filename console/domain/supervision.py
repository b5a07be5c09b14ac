"""Device health: heartbeats -> online/offline; battery, fault, tamper, end of life.

Troubles become maintenance tickets (their own queue and service levels), never 1-5-30 incidents.
"""

from __future__ import annotations

import heapq

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


class Health(msgspec.Struct, kw_only=True):
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


class Supervisor:
    """Tracks health per device and a heap of offline due times (lazy invalidation)."""

    def __init__(self) -> None:
        self.health: dict[str, Health] = {}
        self._due: list[tuple[int, str]] = []
        self._since: dict[str, int] = {}  # devices never heard from: when their watch began

    def period_s(self, h: Health) -> int:
        return h.hb_s or DEFAULT_HB_S.get(h.kind, 3600)

    def track(self, dev: str, kind: str, household: str) -> Health:
        h = self.health.get(dev)
        if h is None:
            h = Health(dev=dev, kind=kind, household=household)
            self.health[dev] = h
        return h

    def _grace_end(self, h: Health, base: int) -> int:
        return base + int(self.period_s(h) * OFFLINE_GRACE * NS)

    def watch(self, h: Health, since: int) -> None:
        """A device never heard from: its first heartbeat grace runs from ``since`` (console start),
        while ``last_seen`` stays 0 so the screen does not claim a message that never came."""
        self._since[h.dev] = since
        heapq.heappush(self._due, (self._grace_end(h, since), h.dev))

    def seen(self, h: Health, at: int, hb: int | None, bat: int | None, rssi: int | None) -> bool:
        """Record a sign of life; True when the device came back online."""
        h.last_seen = at
        if hb:
            h.hb_s = hb
        if bat is not None:
            h.bat = bat
        if rssi is not None:
            h.rssi = rssi
        heapq.heappush(self._due, (self._grace_end(h, at), h.dev))
        back = not h.online
        h.online = True
        return back

    def next_due(self) -> int | None:
        while self._due:
            due, dev = self._due[0]
            h = self.health.get(dev)
            if h is None or not h.online or due != self._grace_end(h, h.last_seen or self._since.get(dev, 0)):
                heapq.heappop(self._due)
                continue
            return due
        return None

    def expire(self, now: int) -> list[Health]:
        """Devices whose heartbeat grace ran out by ``now``; marks them offline."""
        gone: list[Health] = []
        while True:
            due = self.next_due()
            if due is None or due > now:
                return gone
            _, dev = heapq.heappop(self._due)
            h = self.health[dev]
            h.online = False
            gone.append(h)
