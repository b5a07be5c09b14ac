"""The simulator as a provider: accepts every send at once, then reports as the old simulator's
``plan`` (console/sim/gateway.py): an SMS ``sent`` after 1-3 s and ``delivered`` 2-10 s later, a
call ``answered`` / ``no_answer`` / ``failed`` after 10-40 s, every delay divided by ``speed``,
the outcome depending only on the seed and the request id. Optionally (``reply_after_s``, off by
default; the demo's flag) a grid worker or cadre answers an SMS with "1" that long after it was
delivered, so the field's replies can be shown.

Its reports and replies reach the gateway through ``attach(sink)`` (there is no HTTP callback to
sign); ``query`` knows what this process sent (after a restart: nothing, so a send with no
recorded answer is sent again, which a simulator can afford).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping

from console.domain.codec import NotifyRequest
from console.gateway.provider import (
    Accepted,
    Callback,
    CallbackRefused,
    Channel,
    Message,
    Refused,
    Reply,
    Report,
    SendResult,
    Status,
)
from console.sim.gateway import plan

REPLYING_ROLES = frozenset({"grid_worker", "cadre"})


class SimProvider:
    def __init__(
        self,
        name: str = "sim",
        speed: float = 1.0,
        seed: int = 7,
        reply_after_s: float | None = None,
        clock_ns: Callable[[], int] = time.time_ns,
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.name = name
        self.channels: frozenset[Channel] = frozenset({"sms", "voice"})
        self.speed, self.seed, self.reply_after_s = speed, seed, reply_after_s
        self._clock_ns = clock_ns
        self._sink: Callable[[str, Callback], None] | None = None
        self._sent: dict[str, tuple[str, list[Report]]] = {}
        self._timers: set[asyncio.TimerHandle] = set()
        self.sends = 0

    def attach(self, sink: Callable[[str, Callback], None]) -> None:
        """``sink(provider_name, callback)``: where reports and replies go (the gateway)."""
        self._sink = sink

    async def send(self, m: Message) -> SendResult:
        if m.channel not in self.channels:
            return Refused("unknown_channel")
        self.sends += 1
        now = self._clock_ns()
        provider_id = f"sim-{self.sends}-{m.out_id}"
        self._sent[m.out_id] = (provider_id, [])
        req = NotifyRequest(
            req=m.out_id, incident=0, household="", channel=m.channel, role="", to=m.phone, text=""
        )
        loop = asyncio.get_running_loop()
        last = 0.0
        for delay, r in plan(req, self.seed):
            status: Status = r.status  # type: ignore[assignment]  # plan's statuses are a Status
            last = delay / self.speed
            report = Report(m.out_id, provider_id, status, now + int(last * 1e9), r.detail)
            self._later(loop, last, report)
        role = m.params.get("role", "")
        if self.reply_after_s is not None and m.channel == "sms" and role in REPLYING_ROLES:
            at = last + self.reply_after_s / self.speed
            reply = Reply("", m.phone, now + int(at * 1e9), text="1", provider_id=f"{provider_id}-up")
            self._later(loop, at, None, reply)
        return Accepted(provider_id, now)

    def _later(
        self, loop: asyncio.AbstractEventLoop, delay: float, report: Report | None, reply: Reply | None = None
    ) -> None:
        handle: asyncio.TimerHandle

        def fire() -> None:
            self._timers.discard(handle)
            self._deliver(report, reply)

        handle = loop.call_later(delay, fire)
        self._timers.add(handle)

    def _deliver(self, report: Report | None, reply: Reply | None) -> None:
        if report is not None and report.out_id in self._sent:
            self._sent[report.out_id][1].append(report)
        if self._sink is not None:
            cb = Callback(reports=[report] if report else [], replies=[reply] if reply else [])
            self._sink(self.name, cb)

    async def query(self, m: Message, provider_id: str | None, sent_at_ns: int) -> list[Report]:
        sent = self._sent.get(m.out_id)
        if sent is None:
            return []
        pid, reports = sent
        return list(reports) or [Report(m.out_id, pid, "accepted", sent_at_ns)]

    def callback(
        self, path: str, headers: Mapping[str, str], body: bytes, query: Mapping[str, str]
    ) -> Callback:
        raise CallbackRefused("the simulator takes no HTTP callbacks")

    async def close(self) -> None:
        for h in self._timers:
            h.cancel()
        self._timers.clear()
