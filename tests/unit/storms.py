"""Alarm storms for the triage tests, built from a generated register (console/sim/district), never
hand-listed: false alarms of several kinds and timings around one real emergency whose evidence
arrives in its own order. Each message goes through the real codec (drill.wire -> decode_device),
so the events are what the console would journal."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from console.domain import events as ev
from console.domain.codec import decode_device
from console.domain.registry import Household, Register
from console.sim.district import generate
from console.sim.drill import ScenarioHeader, ScenarioItem, wire
from tests.support import NS, T0


@dataclass
class Storm:
    name: str
    register: Register
    events: list[ev.DeviceEvent]  # in console time order
    emergency: str  # the household of the real emergency
    corroborated_at: int  # console time (ns) its corroborating evidence arrives
    repeaters: list[str] = field(default_factory=list)  # households that alarm and restore again and again
    false_households: set[str] = field(default_factory=set)


def _has(h: Household, *kinds: str) -> bool:
    have = {d.kind for d in h.devices}
    return all(k in have for k in kinds)


def _dev(h: Household, kind: str) -> str:
    return next(d.id for d in h.devices if d.kind == kind)


class _Builder:
    def __init__(self, register: Register, seed: int, start: int) -> None:
        self.register = register
        self.rng = random.Random(seed)
        self.start = start
        self.items: list[ScenarioItem] = []
        self.used: set[str] = set()
        self.n = 0
        self.homes = sorted(register.households.values(), key=lambda h: h.code)

    def pick(self, pred: Callable[[Household], bool]) -> Household:
        pool = [h for h in self.homes if pred(h) and h.code not in self.used]
        h = pool[self.rng.randrange(len(pool))]
        self.used.add(h.code)
        return h

    def add(self, h: Household, kind: str, after: float, evt: str = "alarm", **f: object) -> None:
        self.n += 1
        dev = _dev(h, kind)
        payload = {"v": 1, "id": f"s{self.n}", "dev": dev, "kind": kind, "evt": evt, **f}
        self.items.append(ScenarioItem(after_s=after, township=h.township, dev=dev, payload=payload))

    def false_alarms(self, kind: str, n: int, window_s: float, restore_s: tuple[float, float]) -> set[str]:
        """``n`` alarms of ``kind`` in as many homes within ``window_s``, each restoring: cooking
        smoke, CO and gas blips (readings up to the middle tiers), electrical over-temperature
        and overload blips."""
        out = set()
        for _ in range(n):
            h = self.pick(lambda h: _has(h, kind))
            at = self.rng.uniform(0, window_s)
            f: dict[str, Any] = {}
            if kind == "co":
                f = {"val": float(self.rng.randint(35, 180)), "unit": "ppm"}
            elif kind == "gas":
                high = self.rng.random() < 0.25
                f = {
                    "lvl": 2 if high else 1,
                    "val": float(self.rng.randint(25, 30) if high else self.rng.randint(6, 20)),
                }
                f["unit"] = "%LEL"
            elif kind == "electric":
                if self.rng.random() < 0.5:
                    f = {"code": 202, "val": float(self.rng.randint(65, 100)), "unit": "°C"}
                else:
                    f = {"code": 604, "val": float(self.rng.randint(40, 70)), "unit": "A"}
            self.add(h, kind, at, **f)
            self.add(h, kind, at + self.rng.uniform(*restore_s), evt="restore")
            out.add(h.code)
        return out

    def repeaters(self, n: int, window: tuple[float, float], cycles: int = 3) -> list[str]:
        """Cooking smoke that alarms, restores and alarms again within ``window``: each alarm restores."""
        out = []
        for _ in range(n):
            h = self.pick(lambda h: _has(h, "smoke"))
            at = self.rng.uniform(*window)
            for _c in range(cycles):
                self.add(h, "smoke", at)
                at += self.rng.uniform(15, 40)
                self.add(h, "smoke", at, evt="restore")
                at += self.rng.uniform(5, 20)
            out.append(h.code)
        return out

    def events(self) -> list[ev.DeviceEvent]:
        header = ScenarioHeader(scenario="t", title_zh="t", title_en="t", district="SIM")
        out = []
        for item in sorted(self.items, key=lambda i: i.after_s):
            at = self.start + int(item.after_s * NS)
            topic, raw = wire(header, item, at)
            e = decode_device(topic, raw, at)
            assert isinstance(e, ev.DeviceEvent), e
            out.append(e)
        return out


def _with_resident(register: Register, code: str, age: int) -> Register:
    """The register with household ``code`` made one resident of ``age`` living alone."""
    hh = register.households[code]
    r = msgspec.structs.replace(hh.residents[0], age=age, groups=("living_alone",))
    homes = [
        msgspec.structs.replace(hh, residents=(r,)) if h.code == code else h
        for h in register.households.values()
    ]
    return Register(register.areas.values(), homes, register.version)


def co_rising_in_a_cooking_burst(seed: int = 3) -> Storm:
    """A burst: 150 cooking-smoke alarms in one minute and 40 CO blips, all restoring, 6 repeaters;
    an 86-year-old living alone whose CO rises 120 -> 260 -> 410 ppm and never restores."""
    reg = generate(seed=seed, households=900)
    b = _Builder(reg, seed, T0)
    false = b.false_alarms("smoke", 150, 60, (30, 150)) | b.false_alarms("co", 40, 90, (30, 120))
    reps = b.repeaters(6, (20, 90))
    h = b.pick(lambda h: _has(h, "co"))
    reg = b.register = _with_resident(reg, h.code, 86)
    at = 25.0
    b.add(h, "co", at, val=120.0, unit="ppm")
    b.add(h, "co", at + 45, val=260.0, unit="ppm")
    b.add(h, "co", at + 120, val=410.0, unit="ppm")
    return Storm("co_rising", reg, b.events(), h.code, T0 + int((at + 45) * NS), reps, false)


def electrical_then_smoke_spread_at_night(seed: int = 5) -> Storm:
    """Spread over ten minutes at night: cooking smoke, gas and electrical blips that restore, 4
    repeaters; an
    electrical over-temperature first, the smoke alarm of the same home 40 s later, no restore."""
    reg = generate(seed=seed, households=900)
    night = T0 + 13 * 3600 * NS + 30 * 60 * NS  # 23:30 local
    b = _Builder(reg, seed, night)
    false = b.false_alarms("smoke", 80, 600, (40, 200)) | b.false_alarms("gas", 30, 600, (20, 90))
    false |= b.false_alarms("electric", 30, 600, (30, 150))
    reps = b.repeaters(4, (180, 260))
    h = b.pick(lambda h: _has(h, "smoke", "electric"))
    at = 200.0
    b.add(h, "electric", at, code=202, val=95.0, unit="°C")
    b.add(h, "smoke", at + 40)
    b.add(h, "electric", at + 90, code=202, val=128.0, unit="°C")
    return Storm("electric_then_smoke", reg, b.events(), h.code, night + int((at + 40) * NS), reps, false)


def gas_realarm_in_a_mixed_storm(seed: int = 9) -> Storm:
    """Smoke, CO and gas blips in two waves, 5 repeaters; a gas leak at 15 %LEL that restores,
    then alarms again at the high level, 35 then 52 %LEL."""
    reg = generate(seed=seed, households=1200)
    b = _Builder(reg, seed, T0 + 2 * 3600 * NS)
    false = b.false_alarms("smoke", 60, 40, (30, 90))
    false |= b.false_alarms("co", 25, 240, (10, 40))
    false |= b.false_alarms("gas", 25, 240, (10, 40))
    false |= b.false_alarms("smoke", 60, 300, (30, 120))
    reps = b.repeaters(5, (100, 160))
    h = b.pick(lambda h: _has(h, "gas"))
    at = 60.0
    b.add(h, "gas", at, lvl=1, val=15.0, unit="%LEL")
    b.add(h, "gas", at + 20, evt="restore")
    b.add(h, "gas", at + 60, lvl=2, val=35.0, unit="%LEL")
    b.add(h, "gas", at + 90, lvl=2, val=52.0, unit="%LEL")
    return Storm("gas_realarm", reg, b.events(), h.code, b.start + int((at + 60) * NS), reps, false)


GENERATED: dict[str, Callable[[], Storm]] = {
    "co_rising": co_rising_in_a_cooking_burst,
    "electric_then_smoke": electrical_then_smoke_spread_at_night,
    "gas_realarm": gas_realarm_in_a_mixed_storm,
}
