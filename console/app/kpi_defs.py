"""What the KPIs are: the figures (result structs) and the rules that make them from incidents,
times and counts (China-time days, nearest-rank percentiles, the 1-5-30 marks). The fold that
gathers the inputs from the journal is ``console.app.kpi``; docs/kpi.md says the definitions in
words.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Final

import msgspec

from console.domain.deadlines import MARKS, NS, mark_met_at
from console.domain.incident import Incident

CST: Final = timezone(timedelta(hours=8), "CST")
HOUR_NS: Final = 3600 * NS
DAY_NS: Final = 86_400 * NS
AGE_BUCKETS: Final = (("<4h", 4 * HOUR_NS), ("4-24h", DAY_NS), ("1-3d", 3 * DAY_NS), ("3-7d", 7 * DAY_NS))
AGE_OVER: Final = ">=7d"


# --- results -------------------------------------------------------------------------------


class MarkShare(msgspec.Struct, frozen=True, kw_only=True):
    minute: int
    met: int  # decided incidents that met the mark
    decided: int  # incidents whose mark was due at or before now
    pending: int  # not yet due
    share: float | None  # met / decided


class AlertShare(msgspec.Struct, frozen=True, kw_only=True):
    """The 1-minute mark's "alert out", split: of the incidents with someone to notify whose first
    minute is over, how many had the notifications to the elder or a guardian and to the grid
    worker ACCEPTED by a provider within it, and how many DELIVERED (an SMS delivered, a call
    answered) within it."""

    decided: int
    accepted: int
    delivered: int
    accepted_share: float | None
    delivered_share: float | None


class Durations(msgspec.Struct, frozen=True, kw_only=True):
    n: int
    median_s: float | None
    p90_s: float | None


class TownshipKpi(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    name: str
    alarms: int
    incidents: int
    marks: list[MarkShare]
    closed: int
    closure_rate: float | None
    dispatch: Durations
    devices: int
    online: int
    online_rate: float | None
    open_tickets: int


class Kpis(msgspec.Struct, frozen=True, kw_only=True):
    now: int  # the moment of knowledge: records with at <= now were folded
    start: int  # the period [start, end) the counts cover
    end: int
    records: int
    alarms: int
    alarms_by_kind: dict[str, int]
    hourly_start: int  # 24 one-hour buckets ending at now
    hourly: dict[str, list[int]]
    days: list[str]  # CST dates of the period, one per daily entry
    daily: dict[str, list[int]]  # alarms per day by kind
    incidents: int
    incidents_by_kind: dict[str, int]
    incidents_by_township: dict[str, int]
    marks: list[MarkShare]
    dispatch: Durations
    closure: Durations
    closed: int
    closure_rate: float | None
    causes: dict[str, int]
    missed: list[int]  # ids of period incidents that missed at least one mark
    devices: int
    online: int
    online_rate: float | None
    online_daily: list[float | None]  # at the end of each day (or now)
    open_tickets: int
    tickets_by_age: dict[str, int]
    tickets_by_kind: dict[str, int]
    tickets_overdue: int
    open_incidents: list[int]
    townships: list[TownshipKpi]
    alert: AlertShare | None = None  # accepted / delivered within the first minute (alert_shares)


# --- helpers -------------------------------------------------------------------------------


def cst_day_start(at_ns: int) -> int:
    """Start (UTC ns) of the China-time day containing ``at_ns``."""
    d = datetime.fromtimestamp(at_ns // NS, CST).date()
    return day_ns(d.year, d.month, d.day)


def day_ns(year: int, month: int, day: int) -> int:
    """00:00 China time of a date, as UTC ns."""
    dt = datetime(year, month, day, tzinfo=CST)
    return int((dt - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()) * NS


def cst_date(at_ns: int) -> str:
    return datetime.fromtimestamp(at_ns // NS, CST).strftime("%Y-%m-%d")


def cst_time(at_ns: int) -> str:
    return datetime.fromtimestamp(at_ns / NS, CST).strftime("%Y-%m-%d %H:%M:%S")


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100): an observed value, no interpolation."""
    if not values:
        return None
    s = sorted(values)
    k = max(1, math.ceil(q / 100 * len(s)))
    return s[k - 1]


def durations(values: Sequence[float]) -> Durations:
    if not values:
        return Durations(n=0, median_s=None, p90_s=None)
    return Durations(n=len(values), median_s=float(statistics.median(values)), p90_s=percentile(values, 90))


def ratio(a: int, b: int) -> float | None:
    return a / b if b else None


def met_at(inc: Incident, minute: int) -> int | None:
    for m in MARKS:
        if m.minute == minute:
            return mark_met_at(
                m,
                ack_at=inc.ack_at,
                alert_out_at=inc.alert_out_at,
                needs_alert=inc.needs_alert,
                dispatched_at=inc.dispatched_at,
                resolved_at=inc.resolved_at,
                closed_at=inc.closed_at,
            )
    raise ValueError(f"no mark {minute}")


def mark_shares(incidents: Iterable[Incident], now: int) -> list[MarkShare]:
    incs = list(incidents)
    out: list[MarkShare] = []
    for m in MARKS:
        met = decided = pending = 0
        for inc in incs:
            due = inc.opened + m.seconds * NS
            if due > now:
                pending += 1
                continue
            decided += 1
            t = met_at(inc, m.minute)
            if t is not None and t <= due:
                met += 1
        out.append(
            MarkShare(minute=m.minute, met=met, decided=decided, pending=pending, share=ratio(met, decided))
        )
    return out


def alert_shares(incidents: Iterable[Incident], now: int) -> AlertShare:
    """``AlertShare`` of ``incidents`` at ``now`` (those with nobody to notify are left out)."""
    decided = accepted = delivered = 0
    for inc in incidents:
        due = inc.opened + 60 * NS
        if not inc.needs_alert or not inc.notifications or due > now:
            continue
        decided += 1
        if inc.alert_out_at is not None and inc.alert_out_at <= due:
            accepted += 1
        if inc.alert_delivered_at is not None and inc.alert_delivered_at <= due:
            delivered += 1
    return AlertShare(
        decided=decided,
        accepted=accepted,
        delivered=delivered,
        accepted_share=ratio(accepted, decided),
        delivered_share=ratio(delivered, decided),
    )


def missed_marks(inc: Incident, now: int) -> list[int]:
    """Marks this incident missed, as decided at ``now`` (agrees with the World's ``missed``
    once its timer fired)."""
    out = []
    for m in MARKS:
        due = inc.opened + m.seconds * NS
        t = met_at(inc, m.minute)
        if due <= now and (t is None or t > due):
            out.append(m.minute)
    return out
