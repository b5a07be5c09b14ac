"""A bus that delivers only strangers: traffic heard, none of it from a registered device.

A console subscribed to the wrong district's topics, or given another district's register,
hears messages and never one it can place: every alarm an "unregistered device", every
heartbeat unknown, the map empty of activity. That must never read as a quiet night.
``Unmatched`` counts the device messages the engine takes (registered or not) and, once
traffic has gone on for ``after_s`` of console time with at least ``min_messages`` messages
and not one from a registered device, reports it (a banner in the window, a log line in
headless); one message from a registered device clears it for good. A register change starts
the count again (the devices just registered may be the ones heard).
"""

from __future__ import annotations

from typing import Final

import msgspec

from console.domain.deadlines import NS

AFTER_S: Final = 120  # two minutes of traffic, and none of it from a registered device
MIN_MESSAGES: Final = 20  # ... with at least this many messages heard


class UnmatchedReport(msgspec.Struct, frozen=True, kw_only=True):
    """What the banner says: messages and distinct devices heard since ``since``, none registered."""

    messages: int
    devices: int
    since: int  # console time of the first message counted
    registered: int  # devices in the register


class Unmatched:
    def __init__(self, after_s: float = AFTER_S, min_messages: int = MIN_MESSAGES, keep: int = 1000) -> None:
        self.after_ns = int(after_s * NS)
        self.min_messages = min_messages
        self.keep = keep  # distinct unknown devices remembered (a count; no more needed)
        self.reset()

    def reset(self) -> None:
        self.matched = False
        self.messages = 0
        self.since: int | None = None
        self._devices: set[str] = set()

    def observe(self, at_ns: int, registered: int, unknown: list[str]) -> None:
        """``registered`` messages from registered devices and the ids of the unknown ones."""
        if self.matched:
            return
        if registered:
            self.matched = True
            self._devices = set()
            return
        if not unknown:
            return
        if self.since is None:
            self.since = at_ns
        self.messages += len(unknown)
        if len(self._devices) < self.keep:
            self._devices.update(unknown[: self.keep - len(self._devices)])

    def report(self, now_ns: int, registered_devices: int) -> UnmatchedReport | None:
        if self.matched or self.since is None or self.messages < self.min_messages:
            return None
        if now_ns - self.since < self.after_ns:
            return None
        return UnmatchedReport(
            messages=self.messages,
            devices=len(self._devices),
            since=self.since,
            registered=registered_devices,
        )
