"""Driving a World through a storm as the engine would: each event applied in order, a Tick at
every due time before the next event (so deadlines, retries and held notifications fire exactly
when due), and a NotifyPublished after every event that asked for requests. Nothing sleeps."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from console.app.data import load_templates, load_weights
from console.domain import events as ev
from console.domain.codec import NotifyRequest
from console.domain.effects import Effect, PublishRequest
from console.domain.registry import Register
from console.domain.world import World
from tests.unit.helpers import ROOT


def new_world(register: Register) -> World:
    return World(
        register,
        load_templates(ROOT / "resources" / "checklists"),
        load_weights(ROOT / "resources" / "risk.toml"),
    )


@dataclass
class Drive:
    world: World
    effects: list[tuple[int, Effect]] = field(default_factory=list)  # (event time, effect)
    ticks: int = 0
    applied: list[ev.AnyEvent] = field(default_factory=list)  # what the journal would hold

    def apply(self, e: ev.AnyEvent) -> list[Effect]:
        fx = self.world.apply(e)
        self.applied.append(e)
        self.effects.extend((e.at, f) for f in fx)
        reqs = tuple(f.request.req for f in fx if isinstance(f, PublishRequest))
        if reqs:
            note = ev.NotifyPublished(at=e.at, reqs=reqs)
            self.world.apply(note)
            self.applied.append(note)
            for req in reqs:  # a provider takes each at once (the gateway's receipts)
                r = ev.NotifyReceipt(at=e.at, req=req, status="accepted", provider="sim")
                self.world.apply(r)
                self.applied.append(r)
        return fx

    def until(self, t: int) -> None:
        """Tick at every due time up to ``t``."""
        for _ in range(100_000):
            due = self.world.next_due()
            if due is None or due > t:
                return
            self.ticks += 1
            self.apply(ev.Tick(at=max(due, self.world.now)))
        raise AssertionError("next_due does not move on")

    def feed(self, events: Iterable[ev.AnyEvent], until: int | None = None) -> None:
        for e in events:
            self.until(e.at)
            self.apply(e)
        if until is not None:
            self.until(until)

    def requests(self, incident: int | None = None) -> list[tuple[int, NotifyRequest]]:
        return [
            (at, f.request)
            for at, f in self.effects
            if isinstance(f, PublishRequest) and (incident is None or f.request.incident == incident)
        ]


def roles(requests: Iterable[tuple[int, NotifyRequest]]) -> set[str]:
    return {r.role for _, r in requests}
