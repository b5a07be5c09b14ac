"""Alarm storms generated from a register, as bus messages: the queue bench, the screenshots and
anything else that needs "a district flooded by false alarms with one real fire in it".

``hidden_fire(register, ...)``: ``incidents - 1`` homes raise a false alarm within the first part of
the storm (cooking smoke mostly, CO, gas and electrical blips with readings in the lower tiers);
a detector in alarm reports again every 8-20 s until it restores, and most restore within two
minutes (a few never do: a stuck detector); a handful of kitchens alarm, restore and alarm again.
One home of an 86-year-old living alone has the real fire: an electrical over-temperature first,
the smoke detector of the same home a little later (its corroboration), the temperature rising,
nothing restoring. Heartbeats of other devices fill every second up to ``rate`` messages.

Every payload is a v1 device payload (console.sim.traffic.payload) on its v1 topic, the device
time equal to the console time it is due at, so the console's codec and intake take it as the bus
would hand it. The same arguments give the same messages. Only stdlib + msgspec + console.domain.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple

import msgspec

from console.app.clock import FIXED_START_NS
from console.domain.codec import device_topic
from console.domain.registry import Household, Register
from console.sim.traffic import payload

NS: Final = 1_000_000_000
EMERGENCY_AGE: Final = 86
FALSE_KINDS: Final = (("smoke", 0.7), ("co", 0.1), ("gas", 0.1), ("electric", 0.1))


class BusMessage(NamedTuple):
    """One message as the bus delivers it (console.app.ports.Message), due at console time ``at``."""

    at: int
    topic: str
    payload: bytes


@dataclass
class GeneratedStorm:
    register: Register  # the register given, with the emergency's home made an elder living alone
    messages: list[BusMessage]  # in console time order
    start: int  # console time (ns) of the first second
    duration_s: float
    emergency: str  # the household of the real fire
    emergency_opened: int  # console time (ns) of its first alarm (the electrical one)
    corroborated_at: int  # console time (ns) its second sensor (the smoke detector) alarms
    false_households: set[str] = field(default_factory=set)
    repeaters: list[str] = field(default_factory=list)

    @property
    def alarms(self) -> int:
        return sum(1 for m in self.messages if b'"evt":"alarm"' in m.payload)


def _has(h: Household, kind: str) -> bool:
    return any(d.kind == kind for d in h.devices)


def _dev(h: Household, kind: str) -> str:
    return next(d.id for d in h.devices if d.kind == kind)


def with_elder_alone(register: Register, code: str, age: int = EMERGENCY_AGE) -> Register:
    """``register`` with household ``code`` made one resident of ``age`` living alone."""
    hh = register.households[code]
    r = msgspec.structs.replace(hh.residents[0], age=age, groups=("living_alone",))
    homes = [
        msgspec.structs.replace(hh, residents=(r,)) if h.code == code else h
        for h in register.households.values()
    ]
    return Register(register.areas.values(), homes, register.version)


class _Builder:
    def __init__(self, register: Register, seed: int, start: int, district: str) -> None:
        self.rng = random.Random(seed)
        self.start = start
        self.district = district
        self.homes = sorted(register.households.values(), key=lambda h: h.code)
        self.used: set[str] = set()
        self.out: list[BusMessage] = []
        self.n = 0

    def pick(self, pred: Callable[[Household], bool]) -> Household:
        """A random household not yet in the storm for which ``pred`` holds."""
        for _ in range(64):  # a few random draws first: the register is large, the storm is not
            h = self.homes[self.rng.randrange(len(self.homes))]
            if h.code not in self.used and pred(h):
                break
        else:
            pool = [h for h in self.homes if pred(h) and h.code not in self.used]
            if not pool:
                raise ValueError("the register has too few households for this storm")
            h = pool[self.rng.randrange(len(pool))]
        self.used.add(h.code)
        return h

    def add(self, h: Household, kind: str, after_s: float, evt: str = "alarm", **f: Any) -> None:
        self.n += 1
        dev = _dev(h, kind)
        at = self.start + int(after_s * NS)
        body = payload(dev, kind, evt, at, f"st{self.n}", **f)
        self.out.append(BusMessage(at, device_topic(self.district, h.township, dev), body))

    def reading(self, kind: str) -> dict[str, Any]:
        """A false alarm's reading: the lower tiers, one value that does not rise."""
        rng = self.rng
        if kind == "co":
            return {"val": float(rng.randint(35, 180)), "unit": "ppm"}
        if kind == "gas":
            high = rng.random() < 0.25
            return {
                "lvl": 2 if high else 1,
                "val": float(rng.randint(25, 30) if high else rng.randint(6, 20)),
            }
        if kind == "electric":
            if rng.random() < 0.5:
                return {"code": 202, "val": float(rng.randint(65, 100)), "unit": "°C"}
            return {"code": 604, "val": float(rng.randint(40, 70)), "unit": "A"}
        return {}

    def false_alarm(self, arrive_s: float, end_s: float) -> str:
        rng = self.rng
        kind = rng.choices([k for k, _ in FALSE_KINDS], [w for _, w in FALSE_KINDS])[0]
        h = self.pick(lambda h: _has(h, kind) or _has(h, "smoke"))
        if not _has(h, kind):
            kind = "smoke"
        f = self.reading(kind)
        if kind == "gas":
            f["unit"] = "%LEL"
        at = rng.uniform(0, arrive_s)
        stuck = rng.random() < 0.08
        restore = at + rng.uniform(20, 120)
        t = at
        while t < end_s and (stuck or t < restore):
            self.add(h, kind, t, **f)
            t += rng.uniform(8, 20)
        if not stuck and restore < end_s:
            self.add(h, kind, restore, evt="restore")
        return h.code

    def repeater(self, window: tuple[float, float], end_s: float) -> str:
        """Cooking smoke that alarms, restores and alarms again."""
        h = self.pick(lambda h: _has(h, "smoke"))
        at = self.rng.uniform(*window)
        for _ in range(3):
            if at >= end_s:
                break
            self.add(h, "smoke", at)
            at += self.rng.uniform(15, 40)
            if at < end_s:
                self.add(h, "smoke", at, evt="restore")
            at += self.rng.uniform(5, 20)
        return h.code

    def heartbeats(self, rate: float, duration_s: float) -> None:
        """Fill each second with heartbeats of devices not otherwise in the storm, up to ``rate``."""
        rng = self.rng
        quiet = [(h, d) for h in self.homes if h.code not in self.used for d in h.devices]
        if not quiet:
            return
        per_second = [0] * (int(duration_s) + 1)
        for m in self.out:
            per_second[min(len(per_second) - 1, (m.at - self.start) // NS)] += 1
        for s in range(int(duration_s)):
            for _ in range(max(0, int(rate) - per_second[s])):
                h, d = quiet[rng.randrange(len(quiet))]
                self.n += 1
                at = self.start + s * NS + rng.randrange(NS)
                body = payload(
                    d.id, d.kind, "heartbeat", at, f"hb{self.n}", bat=rng.randint(60, 100), hb=3600
                )
                self.out.append(BusMessage(at, device_topic(self.district, h.township, d.id), body))


def hidden_fire(
    register: Register,
    seed: int = 15,
    start_ns: int = FIXED_START_NS,
    incidents: int = 500,
    rate: float = 1000.0,
    duration_s: float = 30.0,
    district: str | None = None,
) -> GeneratedStorm:
    """``incidents`` homes alarming within ``duration_s`` seconds at ``rate`` messages a second,
    one of them the real fire (see the module's docstring)."""
    if incidents < 2:
        raise ValueError("a storm needs at least two incidents")
    district = district or next((a.code for a in register.areas.values() if a.level == "district"), "SIM")
    b = _Builder(register, seed, start_ns, district)
    arrive_s = duration_s * 0.6
    fire = b.pick(lambda h: _has(h, "smoke") and _has(h, "electric"))
    register = with_elder_alone(register, fire.code)
    false = {b.false_alarm(arrive_s, duration_s) for _ in range(incidents - 1 - min(5, incidents // 20))}
    reps = [b.repeater((0, arrive_s), duration_s) for _ in range(min(5, incidents // 20))]
    first = duration_s * 0.25
    smoke = first + min(40.0, duration_s * 0.2)
    t = first
    temp = 95.0
    while t < duration_s:
        b.add(fire, "electric", t, code=202, val=temp, unit="°C")
        t += 10
        temp = min(temp + 8, 160.0)
    t = smoke
    while t < duration_s:
        b.add(fire, "smoke", t)
        t += 15
    b.heartbeats(rate, duration_s)
    b.out.sort(key=lambda m: m.at)
    return GeneratedStorm(
        register=register,
        messages=b.out,
        start=start_ns,
        duration_s=duration_s,
        emergency=fire.code,
        emergency_opened=start_ns + int(first * NS),
        corroborated_at=start_ns + int(smoke * NS),
        false_households=false,
        repeaters=reps,
    )


def batches(storm: GeneratedStorm, every_s: float) -> list[tuple[int, list[BusMessage]]]:
    """The messages in consecutive slices of ``every_s`` seconds: (slice end, its messages), the
    way a bus client hands them to the engine (at 1,000 msg/s and 50 ms, 50 at a time)."""
    step = int(every_s * NS)
    out: list[tuple[int, list[BusMessage]]] = []
    end = storm.start + step
    cur: list[BusMessage] = []
    for m in storm.messages:
        while m.at >= end:
            out.append((end, cur))
            cur, end = [], end + step
        cur.append(m)
    out.append((end, cur))
    return out
