"""Deterministic device traffic for a register: what the alarm bus carries on a real day.

Heartbeats at each device's period (compressible with ``heartbeat_scale``), alarms at a rate
with a time-of-day / season mix, restores, troubles, offline devices, storms, duplicates,
malformed payloads and alarms from devices the register does not know. Pure (stdlib +
msgspec + console.domain): the simulated time line is the only clock, so a seed and a start
time give the same bytes every run.

Items are ``Item(topic, payload, label, at_ns)``. The label says what the item is:
``<evt>`` or ``<evt>:<story>`` for valid payloads (``alarm:kitchen_smoke``, ``restore:co``,
``heartbeat``), ``dup:<label>`` for a re-sent identical payload, ``unreg:alarm`` for an
alarm from an unregistered device, ``storm:alarm`` for storm alarms and ``bad:<reason>``
for a malformed payload, ``<reason>`` being the code ``console.domain.codec`` rejects it with.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any, Final, NamedTuple

import msgspec

from console.app.clock import FIXED_START_NS
from console.domain.codec import device_topic
from console.domain.registry import Register

CST: Final = timezone(timedelta(hours=8))
NS: Final = 1_000_000_000
# Real heartbeat periods (s) by kind: battery sensors report rarely, mains-powered ones often.
HB_PERIODS: Final[dict[str, tuple[int, int]]] = {
    "smoke": (4 * 3600, 24 * 3600),
    "co": (4 * 3600, 24 * 3600),
    "gas": (1800, 3600),
    "electric": (300, 900),
}
BAD_REASONS: Final = (
    "bad_json",
    "bad_type",
    "unknown_kind",
    "unknown_evt",
    "missing_field",
    "too_large",
    "bad_ts",
    "not_object",
    "bad_version",
    "dev_mismatch",
)
ELECTRIC_CODES: Final[dict[int, tuple[str, float, float]]] = {
    201: ("mA", 30.0, 500.0),  # leakage
    202: ("°C", 70.0, 120.0),  # over-temperature
    603: ("A", 60.0, 300.0),  # short circuit
    604: ("A", 32.0, 80.0),  # overload
}
_encoder = msgspec.json.Encoder()


class Item(NamedTuple):
    topic: str
    payload: bytes
    label: str
    at_ns: int  # simulated time the item is due (also its device ts)


def rfc3339(ts_ns: int) -> str:
    """Device time as the bus carries it: RFC 3339, milliseconds, +08:00 (China Standard Time)."""
    dt = datetime.fromtimestamp(ts_ns // NS, tz=CST)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + f".{(ts_ns // 1_000_000) % 1000:03d}+08:00"


def payload(dev: str, kind: str, evt: str, ts_ns: int, id: str, **fields: Any) -> bytes:
    """A v1 device payload (ARCHITECTURE §4); ``None`` fields are left out."""
    body: dict[str, Any] = {"v": 1, "id": id, "dev": dev, "kind": kind, "evt": evt, "ts": rfc3339(ts_ns)}
    for k, v in fields.items():
        if v is not None:
            body[k] = v
    return _encoder.encode(body)


class TrafficConfig(msgspec.Struct, kw_only=True):
    seed: int = 7
    start_ns: int = FIXED_START_NS
    alarms_per_min: float = 2.0
    troubles_per_min: float = 0.5  # faults, low battery, tamper
    heartbeat_scale: float = 1.0  # 60 = an hour of heartbeats per minute
    followup_scale: float = 1.0  # divides restore / escalation delays
    dup_ratio: float = 0.0  # chance a valid item is re-sent identically shortly after
    bad_ratio: float = 0.0  # share of output slots that are malformed payloads
    unregistered_ratio: float = 0.02  # share of alarms from devices the register lacks
    offline_ratio: float = 0.005  # devices that go silent at a random moment
    real_fire_ratio: float = 0.01  # share of alarm stories that are a real fire


class _Dev(msgspec.Struct):
    dev: str
    kind: str
    household: str
    topic: str
    period_ns: int
    hb: int  # the period the device announces, s
    bat: int
    rssi: int
    seq: int = 0
    off_at: int | None = None  # goes silent from this time


class Traffic:
    """An endless, time-ordered stream of bus items for one register."""

    def __init__(self, register: Register, config: TrafficConfig | None = None) -> None:
        self.cfg = config or TrafficConfig()
        self.rng = random.Random(self.cfg.seed)
        self.run = f"{self.cfg.start_ns // NS:x}"  # event ids differ between runs
        self.now = self.cfg.start_ns
        self.devs: list[_Dev] = []
        self.by_kind: dict[str, list[int]] = {k: [] for k in HB_PERIODS}
        self.by_household: dict[str, list[int]] = {}
        self.known = set(register.device_index)
        self.townships = sorted({h.township for h in register.households.values()}) or ["T01"]
        self.district = next(iter(register.households.values())).district if len(register) else "SIM"
        rng = self.rng
        for h in register.households.values():
            for device in h.devices:
                lo, hi = HB_PERIODS.get(device.kind, (3600, 3600))
                i = len(self.devs)
                period_ns = max(1_000_000, int(rng.randint(lo, hi) * NS / self.cfg.heartbeat_scale))
                self.devs.append(
                    _Dev(
                        dev=device.id,
                        kind=device.kind,
                        household=h.code,
                        topic=device_topic(h.district, h.township, device.id),
                        period_ns=period_ns,
                        hb=max(1, round(period_ns / NS)),
                        bat=rng.randint(40, 100) if device.kind in ("smoke", "co") else 100,
                        rssi=rng.randint(-105, -60),
                    )
                )
                self.by_kind.setdefault(device.kind, []).append(i)
                self.by_household.setdefault(h.code, []).append(i)
        self._heap: list[tuple[int, int, int, Any]] = []
        self._order = 0
        for i, d in enumerate(self.devs):
            if rng.random() < self.cfg.offline_ratio:
                d.off_at = self.now + int(rng.uniform(0, 2 * d.period_ns))
            self._push(self.now + int(rng.uniform(0, d.period_ns)), 0, i)
        if self.cfg.alarms_per_min > 0:
            self._push(self.now + self._gap(self.cfg.alarms_per_min), 1, None)
        if self.cfg.troubles_per_min > 0:
            self._push(self.now + self._gap(self.cfg.troubles_per_min), 2, None)
        self.counts: dict[str, int] = {}

    # --- scheduling ---------------------------------------------------------------------------

    def _push(self, at: int, what: int, data: Any) -> None:
        self._order += 1
        heapq.heappush(self._heap, (at, self._order, what, data))

    def _gap(self, per_min: float) -> int:
        return max(1, int(self.rng.expovariate(per_min / 60.0) * NS))

    def _later(self, at: int, seconds: float, i: int, evt: str, label: str, **fields: Any) -> None:
        """A follow-up (restore, escalation, clear) from device ``i``, built when it is due."""
        self._push(at + int(seconds / self.cfg.followup_scale * NS), 3, (i, evt, label, fields))

    # --- the stream ---------------------------------------------------------------------------

    def __iter__(self) -> Iterator[Item]:
        while (item := self._next(None)) is not None:
            yield item

    def take(self, n: int) -> list[Item]:
        """The next ``n`` items (fewer only if every device has gone silent)."""
        out: list[Item] = []
        while len(out) < n and (item := self._next(None)) is not None:
            out.append(item)
        return out

    def until(self, end_ns: int) -> Iterator[Item]:
        """Items due up to ``end_ns`` (simulated time)."""
        while (item := self._next(end_ns)) is not None:
            yield item

    def next(self) -> Item | None:
        """The next item in time order; None when nothing is left to happen."""
        return self._next(None)

    def _next(self, end_ns: int | None) -> Item | None:
        while self._heap and (end_ns is None or self._heap[0][0] <= end_ns):
            if self.cfg.bad_ratio > 0 and self.devs and self.rng.random() < self.cfg.bad_ratio:
                return self._count(self.bad(self.now))
            at, _, what, data = heapq.heappop(self._heap)
            self.now = at
            item: Item | None
            if what == 0:
                item = self._heartbeat(data, at)
            elif what == 1:
                self._push(at + self._gap(self.cfg.alarms_per_min), 1, None)
                item = self._alarm_story(at)
            elif what == 2:
                self._push(at + self._gap(self.cfg.troubles_per_min), 2, None)
                item = self._trouble(at)
            elif what == 3:
                i, evt, label, fields = data
                item = self._emit(i, evt, at, label, **fields)
            else:
                item = data
            if item is None:
                continue
            if what != 4 and self.cfg.dup_ratio > 0 and self.rng.random() < self.cfg.dup_ratio:
                when = at + int(self.rng.uniform(0.05, 5.0) * NS)
                self._push(when, 4, Item(item.topic, item.payload, f"dup:{item.label}", when))
            return self._count(item)
        return None

    def _count(self, item: Item) -> Item:
        key = item.label.split(":", 1)[0]
        self.counts[key] = self.counts.get(key, 0) + 1
        return item

    def _emit(self, i: int, evt: str, at: int, label: str = "", **fields: Any) -> Item:
        d = self.devs[i]
        d.seq += 1
        raw = payload(d.dev, d.kind, evt, at, f"{self.run}-{d.seq}", seq=d.seq, **fields)
        return Item(d.topic, raw, label or evt, at)

    def _heartbeat(self, i: int, at: int) -> Item | None:
        d = self.devs[i]
        if d.off_at is not None and at >= d.off_at:
            return None  # offline: never heard from again
        self._push(at + d.period_ns, 0, i)
        if d.bat > 5 and d.kind in ("smoke", "co") and self.rng.random() < 0.02:
            d.bat -= 1
        return self._emit(i, "heartbeat", at, bat=d.bat, rssi=d.rssi + self.rng.randint(-3, 3), hb=d.hb)

    # --- alarms -------------------------------------------------------------------------------

    def story_weights(self, at: int) -> dict[str, float]:
        """How likely each alarm story is at this local time of day and season."""
        local = datetime.fromtimestamp(at // NS, tz=CST)
        h, winter = local.hour, local.month in (11, 12, 1, 2)
        meal = h in (6, 7, 11, 12, 17, 18)
        evening = h >= 18 or h < 6
        return {
            "kitchen_smoke": 6.0 if meal else 1.0,
            "co": (3.0 if evening else 0.8) if winter else 0.15,
            "gas": 1.5 if meal else 0.6,
            "electric": (1.6 if winter and evening else 1.0),
            "fire": self.cfg.real_fire_ratio * 10.0,
        }

    def _pick(self, kind: str) -> int | None:
        pool = self.by_kind.get(kind) or []
        return pool[self.rng.randrange(len(pool))] if pool else None

    def _alarm_story(self, at: int) -> Item | None:
        rng = self.rng
        if rng.random() < self.cfg.unregistered_ratio:
            return self.unregistered_alarm(at)
        weights = self.story_weights(at)
        if self.cfg.real_fire_ratio <= 0:
            weights.pop("fire")
        story = rng.choices(list(weights), weights=list(weights.values()))[0]
        if story == "kitchen_smoke":
            i = self._pick("smoke")
            if i is None:
                return None
            first = self._emit(i, "alarm", at, "alarm:kitchen_smoke")
            self._later(at, rng.uniform(40, 300), i, "restore", "restore:kitchen_smoke")
            return first
        if story == "co":
            i = self._pick("co")
            if i is None:
                return None
            ppm = rng.randint(50, 250)
            first = self._emit(i, "alarm", at, "alarm:co", val=float(ppm), unit="ppm")
            if rng.random() < 0.4:
                self._later(at, rng.uniform(60, 180), i, "alarm", "alarm:co", val=float(ppm * 2), unit="ppm")
            self._later(at, rng.uniform(600, 1800), i, "restore", "restore:co", val=9.0, unit="ppm")
            return first
        if story == "gas":
            i = self._pick("gas")
            if i is None:
                return None
            first = self._emit(i, "alarm", at, "alarm:gas", lvl=1, val=float(rng.randint(8, 24)), unit="%LEL")
            if rng.random() < 0.3:
                hi = float(rng.randint(25, 60))
                self._later(at, rng.uniform(30, 120), i, "alarm", "alarm:gas", lvl=2, val=hi, unit="%LEL")
            self._later(at, rng.uniform(300, 1200), i, "restore", "restore:gas", val=0.0, unit="%LEL")
            return first
        if story == "electric":
            i = self._pick("electric")
            if i is None:
                return None
            code = rng.choice(list(ELECTRIC_CODES))
            unit, lo, hi_v = ELECTRIC_CODES[code]
            first = self._emit(
                i, "alarm", at, "alarm:electric", code=code, val=round(rng.uniform(lo, hi_v), 1), unit=unit
            )
            self._later(at, rng.uniform(60, 600), i, "restore", "restore:electric", code=code)
            return first
        return self._fire(at)

    def _fire(self, at: int) -> Item | None:
        """A real fire: smoke plus a second device in the same home, and no restore."""
        i = self._pick("smoke")
        if i is None:
            return None
        others = [j for j in self.by_household[self.devs[i].household] if j != i]
        first = self._emit(i, "alarm", at, "alarm:fire")
        if others:
            j = others[self.rng.randrange(len(others))]
            kind = self.devs[j].kind
            fields: dict[str, Any] = {}
            if kind == "electric":
                fields = {"code": 202, "val": round(self.rng.uniform(90, 160), 1), "unit": "°C"}
            elif kind == "co":
                fields = {"val": float(self.rng.randint(300, 900)), "unit": "ppm"}
            elif kind == "gas":
                fields = {"lvl": 2, "val": float(self.rng.randint(30, 70)), "unit": "%LEL"}
            self._later(at, self.rng.uniform(20, 90), j, "alarm", "alarm:fire", **fields)
        return first

    def unregistered_alarm(self, at: int) -> Item:
        while True:
            dev = f"86999{self.rng.randrange(10**10):010d}"
            if dev not in self.known:
                break
        township = self.townships[self.rng.randrange(len(self.townships))]
        raw = payload(dev, "smoke", "alarm", at, f"{self.run}-u{self.rng.randrange(10**6)}", seq=1)
        return Item(device_topic(self.district, township, dev), raw, "unreg:alarm", at)

    def storm(self, n: int, at_ns: int | None = None, window_s: float = 60.0) -> list[Item]:
        """``n`` alarms from different households within ``window_s``: a storm, time-ordered."""
        at0 = self.now if at_ns is None else at_ns
        pool = self.by_kind.get("smoke") or [i for i in range(len(self.devs))]
        picks = self.rng.sample(pool, min(n, len(pool))) if pool else []
        times = sorted(at0 + int(self.rng.uniform(0, window_s) * NS) for _ in picks)
        return [self._emit(i, "alarm", t, "storm:alarm") for i, t in zip(picks, times, strict=True)]

    # --- troubles -----------------------------------------------------------------------------

    def _trouble(self, at: int) -> Item | None:
        rng = self.rng
        if not self.devs:
            return None
        i = rng.randrange(len(self.devs))
        d = self.devs[i]
        r = rng.random()
        if r < 0.45 and d.kind in ("smoke", "co"):
            d.bat = rng.randint(5, 15)
            return self._emit(i, "low_battery", at, bat=d.bat)
        if r < 0.8:
            first = self._emit(i, "fault", at, code=rng.choice((101, 102, 110)))
            self._later(at, rng.uniform(300, 3600), i, "fault_clear", "fault_clear")
            return first
        first = self._emit(i, "tamper", at)
        self._later(at, rng.uniform(60, 900), i, "tamper_clear", "tamper_clear")
        return first

    # --- malformed ----------------------------------------------------------------------------

    def bad(self, at: int, reason: str | None = None) -> Item:
        """A malformed payload on a real device's topic, rejected by the codec with ``reason``."""
        rng = self.rng
        reason = reason or rng.choice(BAD_REASONS)
        d = self.devs[rng.randrange(len(self.devs))]
        ts = rfc3339(at)
        body: Any = {"v": 1, "id": f"{self.run}-bad{rng.randrange(10**6)}", "dev": d.dev, "kind": d.kind}
        body |= {"evt": "alarm", "ts": ts}
        topic = d.topic
        if reason == "bad_json":
            raw = _encoder.encode(body)
            return Item(topic, raw[: rng.randint(1, len(raw) - 2)], "bad:bad_json", at)
        if reason == "bad_type":
            body[rng.choice(("bat", "seq", "val"))] = "high"
        elif reason == "unknown_kind":
            body["kind"] = rng.choice(("flood", "water", "door", "SMOKE"))
        elif reason == "unknown_evt":
            body["evt"] = rng.choice(("explode", "ALARM", "ping"))
        elif reason == "missing_field":
            del body[rng.choice(("v", "id", "dev", "kind", "evt", "ts"))]
        elif reason == "too_large":
            body["pad"] = "x" * 4200
        elif reason == "bad_ts":
            body["ts"] = rng.choice((ts[:19], "yesterday", "2026-13-45T99:00:00+08:00", str(at // NS)))
        elif reason == "not_object":
            body = [1, d.dev, "alarm"]
        elif reason == "bad_version":
            body["v"] = 2
        elif reason == "dev_mismatch":
            topic = device_topic(self.district, d.topic.split("/")[4], "860000000000000")
        return Item(topic, _encoder.encode(body), f"bad:{reason}", at)

    # --- figures ------------------------------------------------------------------------------

    def heartbeats_per_s(self) -> float:
        """Steady-state heartbeat rate of all devices at the configured scale."""
        return sum(NS / d.period_ns for d in self.devs)


def natural_heartbeats_per_s(register: Register, heartbeat_scale: float = 1.0) -> float:
    """Expected heartbeat rate of a register's devices (periods uniform in HB_PERIODS)."""
    rate = 0.0
    for h in register.households.values():
        for d in h.devices:
            lo, hi = HB_PERIODS.get(d.kind, (3600, 3600))
            rate += 1.0 / lo if hi == lo else math.log(hi / lo) / (hi - lo)
    return rate * heartbeat_scale


def scale_for(register: Register, heartbeats_per_s: float) -> float:
    """The ``heartbeat_scale`` that gives about ``heartbeats_per_s`` for this register."""
    natural = natural_heartbeats_per_s(register)
    return heartbeats_per_s / natural if natural > 0 else 1.0


__all__ = ["Item", "Traffic", "TrafficConfig", "payload", "rfc3339", "scale_for"]
