"""Alarm storms: when the district is flooded, whom a new incident tells at once.

A storm is derived, not stored: at time ``t`` the district is in a storm while more than
``more_than`` incidents opened in ``(t - window_s, t]`` (every kind, restored or not, closed or
not), with the rules of resources/triage.toml ``[storm]`` (``triage.Storm``). So the banner, the
held list and every hold / release decision are functions of the journaled events alone and
replay identically.

The policy for a new incident's first round (console/domain/notify_plan.py does the records):
- the elder and the guardian are told at once, storm or not;
- outside a storm everyone is told at once, as before;
- in a storm the requests of ``hold_roles`` (grid worker, community cadre) are held, unless
  nobody else would be told at once (a household without elder or guardian contacts);
- a held request is sent when the incident is corroborated (a second sensor alarms), when its
  triage score (console/domain/triage.py) reaches ``release_score`` (a high CO or gas reading, a
  gas re-alarm at the high level: the World scores it, this module decides), when it still
  alarms ``hold_s`` after it was held (a Tick), or when an officer acknowledges, dispatches or
  escalates it; an incident that already scores ``release_score`` when it opens is not held;
- a held request is dropped, with the reason, when every sensor of the incident has restored
  (or the incident is closed); if the home alarms again the dropped ones are held again for
  another ``hold_s`` (still a storm) or sent (no storm any more, or corroborated).
A missed 1-minute mark does not release anything: in a storm nearly every incident misses it,
and the elder and the guardian have already been told.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Annotated, Final, NamedTuple

import msgspec

from console.domain import notify_plan
from console.domain.checklist import Template
from console.domain.deadlines import NS
from console.domain.effects import Effect
from console.domain.incident import Incident
from console.domain.notify_plan import Hold
from console.domain.registry import Household

Incidents = dict[int, Incident]
"""Every incident the world knows, in the order they opened (``World.incidents``)."""


class Storm(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """resources/triage.toml ``[storm]`` (a section of ``triage.TriageWeights``): a storm while
    more than ``more_than`` incidents opened within the last ``window_s`` seconds; then the
    requests of ``hold_roles`` wait until the incident is corroborated, still alarms ``hold_s``
    seconds on, scores ``release_score`` or more in triage, or an officer takes it up."""

    window_s: Annotated[int, msgspec.Meta(gt=0)]
    more_than: Annotated[int, msgspec.Meta(ge=0)]
    hold_s: Annotated[int, msgspec.Meta(gt=0)]
    hold_roles: tuple[str, ...]
    release_score: Annotated[int, msgspec.Meta(ge=0)]


DEFAULT: Final = Storm(
    window_s=180, more_than=30, hold_s=120, hold_roles=("grid_worker", "cadre"), release_score=60
)
"""The rules a World uses unless given others; equal to resources/triage.toml [storm] (tested)."""

SKEW_NS: Final = 60 * NS
"""Incidents are walked newest first and the walk stops this far before the window: workstations
sharing a store may journal slightly out of time order. Deterministic either way."""

OFFICER_ACTIONS: Final = ("acknowledge", "dispatch")


class StormState(msgspec.Struct, frozen=True, kw_only=True):
    """What the header banner shows: "3 分钟内 200 起，已恢复 180 起"."""

    active: bool
    started_at: int | None  # console time the current storm began (None when not in one)
    new_in_window: int  # incidents opened in the last window_s seconds
    restored_in_window: int  # ... of which every sensor has restored
    window_s: int
    at: int  # the time this was evaluated at


class Held(NamedTuple):
    """A role of an incident whose first notifications are held back."""

    incident: int
    role: str
    since: int  # console time it was held
    why: str  # storm


# --- evidence, as triage.assess reads it -----------------------------------------------------------


def alarming(inc: Incident) -> bool:
    """Some sensor has not restored since its last alarm (``triage.Assessment.live``)."""
    if inc.sensors:
        return any(s.live for s in inc.sensors.values())
    return inc.last_restore is None


def corroborated(inc: Incident) -> bool:
    """More than one device alarmed (``triage.Assessment.corroborated``)."""
    return len(inc.sensors) > 1


# --- the storm -----------------------------------------------------------------------------------


def _opened_newest_first(incidents: Incidents, at: int) -> Iterator[int]:
    for inc in reversed(incidents.values()):
        if inc.opened <= at:
            yield inc.opened


def in_window(incidents: Incidents, rules: Storm, at: int) -> list[Incident]:
    """The incidents opened in ``(at - window_s, at]``."""
    lo = at - rules.window_s * NS
    out: list[Incident] = []
    for inc in reversed(incidents.values()):
        if inc.opened < lo - SKEW_NS:
            break
        if lo < inc.opened <= at:
            out.append(inc)
    return out


def active(incidents: Incidents, rules: Storm, at: int) -> bool:
    """More than ``more_than`` incidents opened in the window ending at ``at``. Asked at every new
    incident, so it stops counting at ``more_than + 1``: in a storm of thousands, counting them all
    each time made ingest quadratic (bench ingest p50 0.5-1.4 s against 20 ms)."""
    lo = at - rules.window_s * NS
    n = 0
    for inc in reversed(incidents.values()):
        if inc.opened < lo - SKEW_NS:
            break
        if lo < inc.opened <= at:
            n += 1
            if n > rules.more_than:
                return True
    return False


def started_at(incidents: Incidents, rules: Storm, at: int) -> int | None:
    """When the storm going on at ``at`` began: the opening that first put more than
    ``more_than`` incidents in one window, with no calm moment since; None when calm at ``at``.

    With the openings newest first, ``d[i]``, the window ending at ``d[i]`` holds ``d[i] ..
    d[i+k]`` (k = more_than) while ``d[i+k]`` is in it, i.e. over ``[d[i], d[i+k] + window)``;
    the storm is the run of those intervals, each reaching the next, that contains ``at``. The
    walk goes back only as far as the storm does."""
    window, k = rules.window_s * NS, rules.more_than
    walk = _opened_newest_first(incidents, at)
    d = [t for _, t in zip(range(k + 1), walk, strict=False)]
    if len(d) <= k or at >= d[k] + window:
        return None
    start, i = d[0], 1
    while True:
        nxt = next(walk, None)
        if nxt is None:
            return start
        d.append(nxt)
        if d[i + k] + window < start:
            return start
        start, i = d[i], i + 1


def state(incidents: Incidents, rules: Storm, at: int) -> StormState:
    recent = in_window(incidents, rules, at)
    is_on = len(recent) > rules.more_than
    return StormState(
        active=is_on,
        started_at=started_at(incidents, rules, at) if is_on else None,
        new_in_window=len(recent),
        restored_in_window=sum(1 for inc in recent if not alarming(inc)),
        window_s=rules.window_s,
        at=at,
    )


# --- holding, releasing, dropping --------------------------------------------------------------------


def hold_for(
    incidents: Incidents,
    rules: Storm,
    hh: Household,
    t: Template,
    at: int,
    score: Callable[[], int | None] = lambda: None,
) -> Hold | None:
    """The hold for the first round of an incident opened at ``at`` (already in ``incidents``):
    None outside a storm, when holding would leave nobody told at once, or when its triage
    ``score()`` (asked only in a storm; None: not scored) already reaches ``release_score``."""
    roles = notify_plan.planned_roles(hh, t)
    if not any(r not in rules.hold_roles for r in roles) or not any(r in rules.hold_roles for r in roles):
        return None
    if not active(incidents, rules, at):
        return None
    points = score()
    if points is not None and points >= rules.release_score:
        return None
    return Hold(tuple(rules.hold_roles), at + rules.hold_s * NS, "storm")


def after_alarm(
    incidents: Incidents, rules: Storm, inc: Incident, hh: Household | None, at: int
) -> list[Effect]:
    """Another alarm merged into ``inc``: corroboration sends what was held (or dropped); a home
    that restored and alarms again has its dropped requests held again, or sent once calm."""
    if hh is None or not (notify_plan.held(inc) or notify_plan.dropped(inc)):
        return []
    if corroborated(inc):
        return list(notify_plan.release(inc, hh, at, "corroborated", also_dropped=True))
    if notify_plan.dropped(inc):
        if active(incidents, rules, at):
            notify_plan.hold_again(inc, at, at + rules.hold_s * NS, "storm")
        else:
            return list(notify_plan.release(inc, hh, at, "storm_over", also_dropped=True))
    return []


def after_score(inc: Incident, hh: Household | None, rules: Storm, at: int, score: int) -> list[Effect]:
    """The incident's triage score after new evidence: at ``release_score`` or more what is held
    is sent now ("score:<points>"), whatever the storm; a high-danger incident must not wait."""
    if hh is None or score < rules.release_score or not notify_plan.held(inc):
        return []
    return list(notify_plan.release(inc, hh, at, f"score:{score}"))


def after_restore(inc: Incident, at: int) -> None:
    """Every sensor restored: what is held is dropped."""
    if not alarming(inc):
        notify_plan.drop(inc, at, "restored")


def after_officer(inc: Incident, hh: Household | None, at: int, what: str) -> list[Effect]:
    """An officer took the incident up (``what``: acknowledge, dispatch, escalate): send what is held."""
    if hh is None:
        return []
    return list(notify_plan.release(inc, hh, at, f"officer:{what}"))


def hold_is_due(inc: Incident, now: int) -> bool:
    until = notify_plan.hold_due(inc)
    return until is not None and until <= now


def due(inc: Incident, hh: Household, now: int) -> list[Effect]:
    """At a Tick: held requests whose time has come are sent if the incident still alarms."""
    if not hold_is_due(inc, now):
        return []
    if alarming(inc):
        return list(notify_plan.release(inc, hh, now, "hold_expired"))
    notify_plan.drop(inc, now, "restored")
    return []


def held_list(incidents: Iterable[Incident]) -> list[Held]:
    """One row per role of each incident with held requests, by incident then rule order."""
    out: list[Held] = []
    for inc in sorted(incidents, key=lambda i: i.id):
        seen: set[str] = set()
        for n in notify_plan.held(inc):
            if n.role not in seen:
                seen.add(n.role)
                out.append(Held(inc.id, n.role, n.at, n.reason))
    return out
