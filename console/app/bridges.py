"""The ingest bridges as the console hears them (their retained health on
``guard/v1/bridge/{district}/+``, docs/bridge.md): what the blind banner says of them.

Not journaled: a bridge's health is the console's view of its own inputs right now (like the
silent townships, console/app/silence.py), not a fact about an incident; what the bridges
published (the alarms) is journaled as usual.

A bridge is a problem when its last will says it is gone (``offline``), when its status is
stale (none for 3x the period it publishes at: the bridge hangs, or its broker link does), when
its outbox is full, or when one of its platforms is silent (no push for longer than that
platform's devices' heartbeat allows, as the bridge judges from its product tables).
"""

from __future__ import annotations

from typing import Final

import msgspec

from console.domain.codec import BridgeStatus

NS: Final = 1_000_000_000
STALE_FACTOR: Final = 3
MIN_EVERY_S: Final = 5  # a status claiming to come more often than this is judged at this


class BridgeProblem(msgspec.Struct, frozen=True):
    bridge: str
    what: str  # offline | stale | outbox_full | silent
    platform: str = ""  # for silent
    since: int = 0  # console time: when the console heard the status that says so (stale: its last)
    last_push: str = ""  # silent: the platform's last push, as the bridge gave it


class Bridges:
    def __init__(self) -> None:
        self.status: dict[str, BridgeStatus] = {}
        self.heard_at: dict[str, int] = {}
        self._since: dict[tuple[str, str, str], int] = {}

    def heard(self, s: BridgeStatus, at: int) -> None:
        self.status[s.bridge] = s
        self.heard_at[s.bridge] = at

    def problems(self, now: int) -> tuple[BridgeProblem, ...]:
        out: list[BridgeProblem] = []
        for name in sorted(self.status):
            s, heard = self.status[name], self.heard_at[name]
            if s.state == "offline":
                out.append(self._problem(name, "offline", "", heard))
                continue
            every = max(s.every_s, MIN_EVERY_S)
            if now - heard > STALE_FACTOR * every * NS:
                out.append(self._problem(name, "stale", "", heard))
                continue
            if s.outbox_full:
                out.append(self._problem(name, "outbox_full", "", heard))
            for platform in sorted(s.platforms):
                p = s.platforms[platform]
                if p.silent:
                    out.append(
                        BridgeProblem(
                            name,
                            "silent",
                            platform,
                            self._first(name, "silent", platform, heard),
                            p.last_push,
                        )
                    )
        live = {(p.bridge, p.what, p.platform) for p in out}
        for key in [k for k in self._since if k not in live]:
            del self._since[key]
        return tuple(out)

    def _problem(self, bridge: str, what: str, platform: str, heard: int) -> BridgeProblem:
        return BridgeProblem(bridge, what, platform, self._first(bridge, what, platform, heard))

    def _first(self, bridge: str, what: str, platform: str, heard: int) -> int:
        """When the problem was first heard (kept while it lasts)."""
        return self._since.setdefault((bridge, what, platform), heard)
