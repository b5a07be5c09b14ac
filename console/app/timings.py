"""Per-incident timings and 1-5-30 figures read from a (replayed) World: the headless replay
report and the replay window's KPI strip."""

from __future__ import annotations

import msgspec

from console.domain.deadlines import MARKS, NS, due_at
from console.domain.incident import Incident
from console.domain.world import World


class MarkResult(msgspec.Struct, frozen=True):
    minute: int
    due: int
    met_at: int | None
    status: str  # met | missed | pending


class IncidentTiming(msgspec.Struct, frozen=True, kw_only=True):
    """Seconds from T0 (first alarm received) to each milestone; None if it never happened."""

    incident: int
    household: str
    township: str
    kind: str
    state: str
    opened: int
    alert_out_s: float | None
    ack_s: float | None
    dispatch_s: float | None
    on_site_s: float | None
    resolved_s: float | None
    close_s: float | None
    cause: str
    escalations: list[str]
    missed: list[int]
    marks: list[MarkResult]


def _secs(t: int | None, t0: int) -> float | None:
    return None if t is None else (t - t0) / NS


def timing(inc: Incident, now: int) -> IncidentTiming:
    marks = []
    for m in MARKS:
        met = inc.met_at(m.minute)
        due = due_at(inc.opened, m)
        if m.minute in inc.missed or (met is not None and met > due):
            status = "missed"
        elif met is not None:
            status = "met"
        else:
            status = "missed" if now >= due and inc.is_open else "pending"
        marks.append(MarkResult(m.minute, due, met, status))
    return IncidentTiming(
        incident=inc.id,
        household=inc.household,
        township=inc.township,
        kind=inc.kind,
        state=inc.state,
        opened=inc.opened,
        alert_out_s=_secs(inc.alert_out_at, inc.opened),
        ack_s=_secs(inc.ack_at, inc.opened),
        dispatch_s=_secs(inc.dispatched_at, inc.opened),
        on_site_s=_secs(inc.on_site_at, inc.opened),
        resolved_s=_secs(inc.resolved_at, inc.opened),
        close_s=_secs(inc.closed_at, inc.opened),
        cause=inc.cause,
        escalations=list(inc.escalations),
        missed=list(inc.missed),
        marks=marks,
    )


def timings(world: World, from_ns: int | None = None, to_ns: int | None = None) -> list[IncidentTiming]:
    """Per-incident timings for incidents opened in [from_ns, to_ns)."""
    out = []
    for iid in sorted(world.incidents):
        inc = world.incidents[iid]
        if from_ns is not None and inc.opened < from_ns:
            continue
        if to_ns is not None and inc.opened >= to_ns:
            continue
        out.append(timing(inc, world.now))
    return out


def kpis(world: World, scope: str = "*") -> dict[str, float | int | None]:
    """The figures the console's KPI strip shows, as they are in ``world``."""
    incs = [i for i in world.incidents.values() if scope == "*" or i.township == scope]
    open_ = [i for i in incs if i.is_open]
    out: dict[str, float | int | None] = {
        "incidents": len(incs),
        "open": len(open_),
        "closed": len(incs) - len(open_),
        "escalated": sum(1 for i in incs if i.escalations),
        "open_tickets": sum(
            1 for t in world.tickets.values() if t.closed is None and (scope == "*" or t.township == scope)
        ),
        "offline_devices": sum(1 for h in world.supervisor.health.values() if not h.online),
    }
    for m in MARKS:
        due = [i for i in incs if world.now >= due_at(i.opened, m)]
        met = [
            i
            for i in due
            if m.minute not in i.missed and (i.met_at(m.minute) or 10**30) <= due_at(i.opened, m)
        ]
        out[f"met_{m.minute}"] = len(met)
        out[f"missed_{m.minute}"] = len(due) - len(met)
        out[f"met_{m.minute}_pct"] = round(100.0 * len(met) / len(due), 1) if due else None
    acks = sorted((i.ack_at - i.opened) / NS for i in incs if i.ack_at is not None)
    out["median_ack_s"] = acks[len(acks) // 2] if acks else None
    return out
