"""The providers' sending limits, enforced before a send (per provider and channel).

Per number: sends in the last minute / hour / day (sliding windows: Alibaba counts its day as
the 24 hours back from the send, https://help.aliyun.com/document_detail/2881383.html, so the
other windows are sliding too). Global: requests per second to the provider (a pace, not a
block: a send waits for its slot). What counts is every send the provider may have counted:
accepted, timed out, or still without an answer; the history is loaded from the outbox at start
(``Limits.load``), so a restart does not reset it. Time is passed in (ns since the epoch).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

MINUTE: Final = 60 * 1_000_000_000
HOUR: Final = 60 * MINUTE
DAY: Final = 24 * HOUR


@dataclass(frozen=True)
class Limit:
    """0 means no limit for that window."""

    per_minute: int = 0
    per_hour: int = 0
    per_day: int = 0

    def windows(self) -> tuple[tuple[str, int, int], ...]:
        return (
            ("minute", MINUTE, self.per_minute),
            ("hour", HOUR, self.per_hour),
            ("day", DAY, self.per_day),
        )


# Documented defaults (docs/gateway.md "Limits"); a district's account may differ: configure.
DEFAULT_LIMITS: Final[dict[str, dict[str, Limit]]] = {
    # Alibaba: 通知短信 50/day per number, sign and template; 验证码 1/min, 5/hour, 10/day
    # (help.aliyun.com/document_detail/2881383.html, read 2026-12). Voice: the 1/5/20.
    "aliyun": {"sms": Limit(0, 0, 50), "voice": Limit(1, 5, 20)},
    # Tencent: 10 per number and natural day by default (configurable in its console).
    "tencent": {"sms": Limit(0, 0, 10), "voice": Limit(1, 5, 20)},
    "sim": {"sms": Limit(0, 0, 0), "voice": Limit(1, 5, 20)},
}
DEFAULT_RPS: Final[dict[str, float]] = {"aliyun": 500.0, "tencent": 500.0, "sim": 2000.0}


def limit_for(provider_kind: str, channel: str) -> Limit:
    return DEFAULT_LIMITS.get(provider_kind, {}).get(channel, Limit())


class Limits:
    """Counts sends per (provider, channel, number); answers which window, if any, is full."""

    def __init__(self, limits: dict[tuple[str, str], Limit], rps: dict[str, float] | None = None) -> None:
        self._limits = limits
        self._rps = rps or {}
        self._sends: dict[tuple[str, str, str], deque[int]] = {}
        self._next_slot: dict[str, int] = {}

    def load(self, sends: Iterable[tuple[str, str, str, int]]) -> None:
        """(provider, channel, phone, at_ns) of the sends already made, oldest first."""
        for provider, channel, phone, at in sends:
            self.record(provider, channel, phone, at)

    def blocked(self, provider: str, channel: str, phone: str, now_ns: int) -> str | None:
        """The first full window ("minute" | "hour" | "day"), or None when a send may go."""
        limit = self._limits.get((provider, channel))
        if limit is None:
            return None
        sends = self._sends.get((provider, channel, phone))
        if not sends:
            return None
        while sends and sends[0] <= now_ns - DAY:
            sends.popleft()
        for window, span, most in limit.windows():
            if most <= 0:
                continue
            since = now_ns - span
            n = 0
            for t in reversed(sends):  # newest first: a minute's count stops early
                if t <= since:
                    break
                n += 1
                if n >= most:
                    return window
        return None

    def record(self, provider: str, channel: str, phone: str, at_ns: int) -> None:
        self._sends.setdefault((provider, channel, phone), deque()).append(at_ns)

    def forget(self, provider: str, channel: str, phone: str, at_ns: int) -> None:
        """A send the provider refused outright: it did not count it."""
        sends = self._sends.get((provider, channel, phone))
        if sends is not None:
            try:
                sends.remove(at_ns)
            except ValueError:
                pass

    def wait(self, provider: str, now_ns: int) -> int:
        """What ``pace`` would answer now, without reserving the slot."""
        if self._rps.get(provider, 0.0) <= 0:
            return 0
        return max(0, self._next_slot.get(provider, 0) - now_ns)

    def pace(self, provider: str, now_ns: int) -> int:
        """Reserve the provider's next request slot: ns to wait before sending (0: at once)."""
        rps = self._rps.get(provider, 0.0)
        if rps <= 0:
            return 0
        step = int(1_000_000_000 / rps)
        slot = max(now_ns, self._next_slot.get(provider, 0))
        self._next_slot[provider] = slot + step
        return slot - now_ns
