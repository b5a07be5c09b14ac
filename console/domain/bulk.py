"""Bulk handling of restored false alarms: after a storm, close the 180 cooking-smoke incidents
that restored with one command, not 180 × six clicks.

One ``BulkClose`` is one journal record; the world applies it to each incident on its own. An
incident is closed when it is open, in the officer's scope, registered, not dispatched, not yet
resolved, and every sensor restored with only one device ever alarming; its remaining checklist
steps are then recorded as done at the command's time by its operator, with ``via=bulk``: the
acknowledgement, the call to the elder (``outcome``), the cause (which waives dispatch and on
site for a false alarm, as the checklist says), the informing and the closure (``feedback``: the
note, else ``bulk:<cause>``). A step bulk handling cannot do (a dispatch: someone must go) that
the cause does not waive refuses the incident. Every other incident is refused with a reason
(a ``CommandRefused`` per incident, and ``refused:<code>`` on its timeline), nothing half-done.

``elder_reached``: the officer states the elders were reached. When not, each incident needs
an elder's answered automatic call, else it is refused ``elder_not_reached``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final, Protocol

import msgspec

from console.domain import events as ev
from console.domain import notify_plan
from console.domain.checklist import FALSE_ALARM_CAUSES, Template
from console.domain.commands import Session, bulk_refusal
from console.domain.effects import CommandRefused, Effect
from console.domain.incident import ORDER, Incident, Refusal, check_step, complete_step, done_or_waived
from console.domain.storm import alarming, corroborated

ELDER_STEP: Final = "call_elder"
"""The optional step that records the call to the elder: bulk handling records it too."""

Plan = list[tuple[str, dict[str, str]]]


class Done(msgspec.Struct, frozen=True):
    """What a bulk close did: its effects (refusals, missed marks) and the incidents it changed."""

    effects: list[Effect]
    touched: list[Incident]


class WorldView(Protocol):
    """What ``restored_candidates`` reads of a World."""

    @property
    def templates(self) -> Mapping[str, Template]: ...

    def open_incidents(self) -> list[Incident]: ...


def refusal_of(session: Session, inc: Incident | None, iid: int, t: Template | None) -> Refusal | None:
    """Why incident ``iid`` may not be closed by bulk handling (beside the elder and the plan)."""
    if inc is None:
        return Refusal("unknown_incident", str(iid))
    if session.scope != "*" and session.scope != inc.township:
        return Refusal("out_of_scope", inc.township)
    if not inc.is_open:
        return Refusal("incident_closed", str(inc.id))
    if t is None:
        return Refusal("no_checklist", inc.kind)
    if inc.unregistered:
        return Refusal("unregistered", inc.household)  # nobody to inform: a person must look
    if alarming(inc):
        return Refusal("not_restored", ",".join(d for d, s in inc.sensors.items() if s.live))
    if corroborated(inc):
        return Refusal("corroborated", ",".join(inc.kinds))
    if inc.resolved_at is not None:
        return Refusal("already_resolved", inc.cause)
    if ORDER[inc.state] >= ORDER["dispatched"]:
        return Refusal("dispatched", inc.responder)
    return None


def elder_outcome(inc: Incident, elder_reached: bool) -> str | None:
    if elder_reached:
        return "reached"
    answered = any(n.role == "elder" and n.status == "answered" for n in inc.notifications.values())
    return "answered_call" if answered else None


def plan(inc: Incident, t: Template, cause: str, outcome: str, feedback: str) -> Plan | Refusal:
    """The steps bulk handling records, in checklist order, with their values; or why not.

    Mirrors ``check_step``'s rules on a copy of what is done or waived: a required step (and the
    elder call) once its ``after`` steps are done; the cause waives what the checklist says."""
    done = {s.id for s in t.steps if done_or_waived(inc, s.id)}
    fills = {"cause": cause, "feedback": feedback}
    out: Plan = []
    while True:
        for s in t.steps:
            if s.id in done or not (s.required or s.id == ELDER_STEP):
                continue
            if any(a not in done for a in s.after) or s.action in ("dispatch", "on_site"):
                continue
            values = {"via": "bulk"}
            for name in s.records:
                value = outcome if (name == "outcome" and s.id == ELDER_STEP) else fills.get(name)
                if value is None:
                    break
                values[name] = value
            else:
                if s.action == "close":
                    left = [x.id for x in t.steps if x.required and x.id != s.id and x.id not in done]
                    if left:
                        return Refusal("required_steps_open", ",".join(left))
                    values["elder_reached"] = outcome
                out.append((s.id, values))
                done.add(s.id)
                if s.action == "resolve":
                    done |= {x.id for x in t.steps if cause in x.waived_by_causes}
                if s.action == "close":
                    return out
                break
        else:
            left = [x.id for x in t.steps if x.required and x.id not in done]
            return Refusal("required_steps_open", ",".join(left))


def apply(
    c: ev.BulkClose,
    session: Session | None,
    incidents: Mapping[int, Incident],
    templates: Mapping[str, Template],
    deadlines: Callable[[Incident, int], list[Effect]],
) -> Done:
    """Apply one bulk close: each incident closed or refused on its own, in the command's order.
    ``deadlines(inc, at)``: the world's check of marks already past due (recorded missed first)."""
    whole = bulk_refusal(c, session)
    if whole is not None or session is None:
        no = whole or Refusal("not_logged_in", c.operator)
        return Done([CommandRefused(c.console, c.operator, 0, no.code, no.detail)], [])
    effects: list[Effect] = []
    touched: list[Incident] = []
    seen: set[int] = set()
    for iid in c.incidents:
        inc = incidents.get(iid)
        t = templates.get(inc.kind) if inc is not None else None
        r = Refusal("duplicate", str(iid)) if iid in seen else refusal_of(session, inc, iid, t)
        seen.add(iid)
        if r is None and inc is not None and t is not None:
            r = _close(inc, t, c, effects, deadlines)
        if inc is not None and r is not None:
            inc.note(c.at, f"refused:{r.code}", f"bulk {r.detail}".strip(), c.operator)
        if inc is not None and (r is None or r.code != "duplicate"):
            touched.append(inc)
        if r is not None:
            effects.append(CommandRefused(c.console, c.operator, iid, r.code, r.detail))
    return Done(effects, touched)


def _close(
    inc: Incident,
    t: Template,
    c: ev.BulkClose,
    effects: list[Effect],
    deadlines: Callable[[Incident, int], list[Effect]],
) -> Refusal | None:
    outcome = elder_outcome(inc, c.elder_reached)
    if outcome is None:
        return Refusal("elder_not_reached", str(inc.id))
    steps = plan(inc, t, c.cause, outcome, c.note.strip() or f"bulk:{c.cause}")
    if isinstance(steps, Refusal):
        return steps
    effects.extend(deadlines(inc, c.at))  # a mark already past due is missed before the steps land
    inc.note(c.at, "bulk_close", f"{c.console}@{c.at} {c.cause} x{len(c.incidents)}", c.operator)
    r = _record(inc, t, steps, c)
    if not inc.is_open:
        notify_plan.drop(inc, c.at, "closed")
    return r


def _record(inc: Incident, t: Template, steps: Plan, c: ev.BulkClose) -> Refusal | None:
    """Complete the planned steps, each checked as an officer's would be."""
    for step_id, values in steps:
        r = check_step(inc, t, step_id, values)
        if r is not None:  # the plan and check_step disagree: stop, say so (steps so far stand)
            return r
        complete_step(inc, t, step_id, values, c.at, c.operator, c.console)
    return None


def restored_candidates(
    world: WorldView, *, township: str | None = None, kind: str | None = None, cause_hint: str | None = None
) -> list[int]:
    """Restored single-sensor incidents nobody took up and not yet resolved (triage lane
    ``rest``), that bulk handling would close, by id: "all restored cooking smoke in township X".
    ``cause_hint`` (a false-alarm cause) keeps only those whose checklist closes with that cause
    without a dispatch (cooking smoke: smoke alarms; CO's checklist does not waive it)."""
    if cause_hint is not None and cause_hint not in FALSE_ALARM_CAUSES:
        raise ValueError(f"not a false-alarm cause: {cause_hint!r}")
    everyone = Session("", "", "*")
    out: list[int] = []
    for inc in world.open_incidents():
        if (township is not None and inc.township != township) or (kind is not None and inc.kind != kind):
            continue
        t = world.templates.get(inc.kind)
        if t is None or refusal_of(everyone, inc, inc.id, t) is not None:
            continue
        if inc.ack_at is not None or ORDER[inc.state] >= ORDER["acknowledged"]:
            continue  # lane working: someone has it
        if cause_hint is not None and isinstance(plan(inc, t, cause_hint, "reached", "x"), Refusal):
            continue
        out.append(inc.id)
    return sorted(out)
