"""Storm triage: the real emergency on top, in one stable order.

In an alarm storm (200 cooking-smoke alarms in two minutes) the officer must see the one home
whose sensors agree and do not restore before the others. Each open incident gets a score from
its evidence (``Incident.sensors``, console/domain/evidence.py) and its household (the register),
with weights from resources/triage.toml (loaded outside the domain: ``console.app.data.load_triage``):

    score =  hazard      not restored 20; per extra kind 60, per extra device of a kind 20;
                         re-alarm after restore 15 and 5 per alarm a device repeats (at most 2),
                         both only while some device still alarms
           + readings    peak CO ppm, gas %LEL, temperature, leakage mA, current A by tiers;
                         CO / gas rising since the first reading; gas high level
           + household   oldest resident 80+ / 90+, the four groups (living alone ...), capped
           + night       opened between 22:00 and 06:00 local, while alarming

Every part that scores (and "restored", which does not) is a reason code, most telling first:
``corroborated:smoke+electric.202``, ``not_restored``, ``temp_c:135``, ``age:86``,
``group:living_alone`` ... console/domain/triage_words.py words them, zh_CN first, with English
("烟感+电气过温，未恢复，温度135°C，独居86岁").

Lanes, top to bottom: ``new`` (nobody has acknowledged it), ``working`` (acknowledged, dispatched,
on site), ``rest`` (a single sensor that restored and nobody took up, or resolved and only waiting
to be closed). Closed incidents leave the queue. Within a lane: score, highest first, then the
earlier T0, then the incident id. Nothing here reads the clock and no part depends on the deadlines
(an overdue incident is red on screen, it does not jump over new ones), so ticking time never
reorders the queue: a row moves only when its evidence or its stage changes.

For the window: ``queue_of(world, weights)`` is the whole queue as ordered ``Row``s (incident,
household, lane, score, reason codes, state, T0); ``row_of`` one incident's row and ``sort_key``
its place, for a screen that re-sorts only the incidents a delta names; ``take_next(rows)`` the
incident an officer should take next (the top of the new lane), or None.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Final

import msgspec

from console.domain.evidence import Sensor
from console.domain.incident import ORDER, Incident
from console.domain.registry import GROUPS, Household, Register
from console.domain.storm import Storm

if TYPE_CHECKING:
    from console.domain.world import World

LANES: Final = ("new", "working", "rest")
LANE_ORDER: Final = {lane: i for i, lane in enumerate(LANES)}
TEMP_UNITS: Final = frozenset({"°C", "℃", "C", "degC"})
_HOUR_NS: Final = 3600 * 1_000_000_000

Tiers = list[tuple[float, int]]


class _Section(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    pass


class Hazard(_Section, frozen=True, kw_only=True):
    not_restored: int
    extra_kind: int
    extra_device: int
    reignition: int
    repeat: int
    repeat_max: int


class Readings(_Section, frozen=True, kw_only=True):
    co_ppm: Tiers
    co_rise: int
    co_rise_min: float
    gas_lel: Tiers
    gas_level2: int
    gas_rise: int
    gas_rise_min: float
    temp_c: Tiers
    leakage_ma: Tiers
    current_a: Tiers


class Vulnerability(_Section, frozen=True, kw_only=True):
    age_80: int
    age_90: int
    living_alone: int
    severely_disabled: int
    disabled_dementia: int
    state_supported: int
    cap: int


class Night(_Section, frozen=True, kw_only=True):
    points: int
    from_h: int
    to_h: int
    utc_offset_min: int


class TriageWeights(_Section, frozen=True, kw_only=True):
    hazard: Hazard
    readings: Readings
    vulnerability: Vulnerability
    night: Night
    storm: Storm  # when a storm holds notifications back (console/domain/storm.py)

    @staticmethod
    def from_toml(text: str) -> TriageWeights:
        """Parse resources/triage.toml; a missing or misspelt key is an error, not a zero."""
        raw: dict[str, Any] = tomllib.loads(text)
        return msgspec.convert(raw, TriageWeights)


class Assessment(msgspec.Struct, frozen=True, kw_only=True):
    score: int
    parts: tuple[tuple[str, int], ...]  # (reason code, points), in the order the words read
    live: bool  # some device has not restored since its last alarm
    corroborated: bool  # more than one device (of one kind or several) alarmed

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(code for code, _ in self.parts)


class Row(msgspec.Struct, frozen=True, kw_only=True):
    """One line of the queue, as the officer sees it."""

    incident: int
    household: str
    lane: str
    score: int
    reasons: tuple[str, ...]
    state: str
    opened: int


# --- the score -------------------------------------------------------------------------------


def _tier(tiers: Tiers, value: float) -> int:
    points = 0
    for threshold, p in tiers:
        if value >= threshold:
            points = p
    return points


def _num(v: float) -> str:
    return f"{v:g}"


def _kind_token(kind: str, sensors: list[Sensor]) -> str:
    of_kind = [s for s in sensors if s.kind == kind]
    token = kind
    if kind == "electric":
        code = next((c for s in of_kind for c in s.codes), None)
        if code is not None:
            token = f"electric.{code}"
    return f"{token}*{len(of_kind)}" if len(of_kind) > 1 else token


def _concentration(
    sensors: list[Sensor], kind: str, unit: str, name: str, tiers: Tiers, rise: int, rise_min: float
) -> list[tuple[str, int]]:
    """``<name>:<peak>`` by tiers, and ``<name>_rising:<first>><peak>`` when a sensor's reading rose."""
    got = [s.readings[unit] for s in sensors if s.kind == kind and unit in s.readings]
    if not got:
        return []
    peak = max(r.peak for r in got)
    parts = [(f"{name}:{_num(peak)}", _tier(tiers, peak))]
    most = max(got, key=lambda r: (r.peak - r.first, r.peak))
    if most.peak - most.first >= rise_min:
        parts.append((f"{kind}_rising:{_num(most.first)}>{_num(most.peak)}", rise))
    return parts


def _readings(sensors: list[Sensor], r: Readings) -> list[tuple[str, int]]:
    parts = _concentration(sensors, "co", "ppm", "co_ppm", r.co_ppm, r.co_rise, r.co_rise_min)
    parts += _concentration(sensors, "gas", "%LEL", "gas_lel", r.gas_lel, r.gas_rise, r.gas_rise_min)
    if any(s.kind == "gas" and (s.lvl or 0) >= 2 for s in sensors):
        parts.append(("gas_level2", r.gas_level2))
    temps = [rd.peak for s in sensors for u, rd in s.readings.items() if u in TEMP_UNITS]
    if temps:
        parts.append((f"temp_c:{_num(max(temps))}", _tier(r.temp_c, max(temps))))
    for unit, name, tiers in (("mA", "leakage_ma", r.leakage_ma), ("A", "current_a", r.current_a)):
        vals = [s.readings[unit].peak for s in sensors if unit in s.readings]
        if vals:
            parts.append((f"{name}:{_num(max(vals))}", _tier(tiers, max(vals))))
    return parts


def _household(hh: Household | None, v: Vulnerability) -> list[tuple[str, int]]:
    if hh is None:
        return [("unregistered", 0)]
    parts: list[tuple[str, int]] = []
    oldest = max((r.age for r in hh.residents), default=0)
    if oldest >= 90:
        parts.append((f"age:{oldest}", v.age_90))
    elif oldest >= 80:
        parts.append((f"age:{oldest}", v.age_80))
    groups = hh.groups()
    points = {
        "living_alone": v.living_alone,
        "severely_disabled": v.severely_disabled,
        "disabled_dementia": v.disabled_dementia,
        "state_supported": v.state_supported,
    }
    parts += [(f"group:{g}", points[g]) for g in GROUPS if g in groups]
    capped: list[tuple[str, int]] = []
    left = v.cap
    for code, p in parts:
        capped.append((code, min(p, left)))
        left -= capped[-1][1]
    return capped


def is_night(at_ns: int, n: Night) -> bool:
    hour = ((at_ns // 1_000_000_000 + n.utc_offset_min * 60) // 3600) % 24
    if n.from_h <= n.to_h:
        return n.from_h <= hour < n.to_h
    return hour >= n.from_h or hour < n.to_h


def assess(inc: Incident, hh: Household | None, w: TriageWeights) -> Assessment:
    """The score of ``inc`` from its evidence and household; the same inputs, the same score."""
    h = w.hazard
    sensors = sorted(inc.sensors.values(), key=lambda s: s.first_alarm)
    live = any(s.live for s in sensors) if sensors else inc.last_restore is None
    kinds = list(dict.fromkeys(s.kind for s in sensors))
    corroborated = len(sensors) > 1
    parts: list[tuple[str, int]] = []
    if corroborated:
        points = (len(kinds) - 1) * h.extra_kind + (len(sensors) - len(kinds)) * h.extra_device
        parts.append(("corroborated:" + "+".join(_kind_token(k, sensors) for k in kinds), points))
    if live and inc.reignition:
        parts.append(("reignition", h.reignition))
    parts.append(("not_restored", h.not_restored) if live else ("restored", 0))
    repeats = sum(s.alarms - 1 for s in sensors)  # a device alarming again, not a second device
    if live and repeats:
        alarms = repeats + len(sensors)
        parts.append((f"repeated:{alarms}", min(repeats, h.repeat_max) * h.repeat))
    parts += _readings(sensors, w.readings)
    parts += _household(hh, w.vulnerability)
    if live and is_night(inc.opened, w.night):
        parts.append(("night", w.night.points))
    return Assessment(
        score=sum(p for _, p in parts), parts=tuple(parts), live=live, corroborated=corroborated
    )


# --- lanes and order -------------------------------------------------------------------------


def lane_of(inc: Incident, a: Assessment) -> str | None:
    """The lane of an open incident (None once closed): its stage, and for a lone sensor that
    restored with nobody on it, the rest lane."""
    if not inc.is_open:
        return None
    if inc.state == "resolved":
        return "rest"
    if inc.ack_at is not None or ORDER[inc.state] >= ORDER["acknowledged"]:
        return "working"
    if not a.live and not a.corroborated:
        return "rest"
    return "new"


def row_of(inc: Incident, hh: Household | None, w: TriageWeights) -> Row | None:
    a = assess(inc, hh, w)
    lane = lane_of(inc, a)
    if lane is None:
        return None
    return Row(
        incident=inc.id,
        household=inc.household,
        lane=lane,
        score=a.score,
        reasons=a.reasons,
        state=inc.state,
        opened=inc.opened,
    )


def sort_key(row: Row) -> tuple[int, int, int, int]:
    return LANE_ORDER[row.lane], -row.score, row.opened, row.incident


def queue(incidents: Iterable[Incident], register: Register, w: TriageWeights) -> list[Row]:
    """The open incidents as the officer sees them, top first."""
    rows = [row_of(inc, register.households.get(inc.household), w) for inc in incidents]
    return sorted((r for r in rows if r is not None), key=sort_key)


def queue_of(world: World, w: TriageWeights) -> list[Row]:
    """The window's queue: every open incident of ``world``, ordered."""
    return queue(world.open_incidents(), world.register, w)


def take_next(rows: Sequence[Row]) -> Row | None:
    """The incident to take next: the top of the new lane (None when nobody is waiting)."""
    return next((r for r in rows if r.lane == "new"), None)
