"""Operator commands checked against who is signed in and the incident they name: the reason a
command is refused, or None when it may be applied. Pure; the world records the refusal."""

from __future__ import annotations

import msgspec

from console.domain import closure
from console.domain import events as ev
from console.domain.checklist import CAUSE_ESCALATION, FALSE_ALARM_CAUSES, Template
from console.domain.incident import ESCALATION_TARGETS, Incident, Refusal, check_step


class Session(msgspec.Struct, frozen=True):
    """Who is signed in at one console."""

    operator: str
    role: str  # township_officer | district_officer | admin
    scope: str  # township code or "*"


def who_and_what(c: ev.Command, session: Session | None, inc: Incident | None) -> Refusal | None:
    """The checks every command on one incident passes first: signed in as its operator, an
    incident that exists, in the console's scope, at the version the officer saw (if given)."""
    if session is None or session.operator != c.operator:
        return Refusal("not_logged_in", c.operator)
    if inc is None:
        return Refusal("unknown_incident", str(c.incident))
    if session.scope != "*" and session.scope != inc.township:
        return Refusal("out_of_scope", inc.township)
    if c.expect_version is not None and c.expect_version != inc.version:
        return Refusal("conflict", f"{c.expect_version}!={inc.version}")
    return None


def refusal_of(
    c: ev.CompleteStep | ev.Escalate | ev.Reassign | ev.PlaceCall,
    session: Session | None,
    inc: Incident | None,
    template: Template | None,
    rules: int = 1,
) -> Refusal | None:
    """Why ``c`` cannot be applied (``template``: the checklist of the incident's kind; ``rules``:
    the journal's rules version, 2 = closure on evidence, console/domain/closure.py)."""
    r = who_and_what(c, session, inc)
    if r is not None or inc is None or session is None:  # (who_and_what refused those)
        return r
    if not inc.is_open:
        return Refusal("incident_closed", str(inc.id))
    if isinstance(c, ev.CompleteStep):
        if template is None:
            return Refusal("no_checklist", inc.kind)
        r = check_step(inc, template, c.step, c.values)
        step = template.step(c.step)
        if r is None and rules >= closure.RULES and step is not None:
            r = closure.check(inc, step, c.values)
        return r
    if isinstance(c, ev.PlaceCall):
        return None  # the contact is checked against the household by the World
    if isinstance(c, ev.Escalate):
        if c.target not in ESCALATION_TARGETS:
            return Refusal("bad_target", c.target)
        if c.target in inc.escalations:
            return Refusal("already_escalated", c.target)
        if inc.resolved_at is not None and c.target != CAUSE_ESCALATION.get(inc.cause):
            # once the cause is recorded only the service it calls for (a real fire: 119)
            return Refusal("not_escalatable", inc.state)
        return None
    if session.role not in ("district_officer", "admin"):
        return Refusal("forbidden_role", session.role)
    return None


def bulk_refusal(c: ev.BulkClose, session: Session | None) -> Refusal | None:
    """Why a bulk close is refused as a whole (one refusal, incident 0, nothing applied). Any
    role may bulk close; each incident is then checked on its own (console/domain/bulk.py)."""
    if session is None or session.operator != c.operator:
        return Refusal("not_logged_in", c.operator)
    if c.expect_version is not None:
        return Refusal("bad_command", "expect_version")  # versions are per incident
    if c.cause not in FALSE_ALARM_CAUSES:
        return Refusal("bad_cause", c.cause)  # a real emergency is closed one by one
    if not c.incidents:
        return Refusal("no_incidents")
    return None
