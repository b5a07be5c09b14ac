"""Replies from the field: a responder who answers the notification ("1" I'm going, "2" I can't)
or presses a key in the call. Pure, like the rest of the domain.

A "going" from a responder (grid worker, cadre, courtyard head, neighbour) of an open incident
not yet dispatched completes its dispatch step on their word: the 5-minute mark ("someone nearby
dispatched") is met at the reply, without the officer phoning. A "cannot" proposes the next
nearest responder who has not said they cannot (``Incident.proposed``), for the officer to send.
Every answer is kept on the incident (``answers``) and in its timeline, with how it came (SMS
or key): the officer sees who confirmed and how. An answer from the elder or a guardian is kept
and shown, and changes nothing else.
"""

from __future__ import annotations

from console.domain.checklist import Template
from console.domain.geo import distance_m
from console.domain.incident import ACTION_STATE, ORDER, Answer, Incident, NotificationRecord, StepDone
from console.domain.notify_plan import answer_of
from console.domain.registry import RESPONDER_ROLES, Contact, Household


def responders(hh: Household) -> list[tuple[Contact, float | None]]:
    """The household's responders, nearest first (unknown distance last)."""
    out: list[tuple[Contact, float | None]] = []
    for c in hh.contacts:
        if c.role not in RESPONDER_ROLES:
            continue
        d = distance_m(hh.lat, hh.lon, c.lat, c.lon) if c.lat is not None and c.lon is not None else None
        out.append((c, d))
    out.sort(key=lambda x: (x[1] is None, x[1] or 0.0))
    return out


def responder_text(c: Contact) -> str:
    """How the incident names its responder (the dispatch step's ``responder`` value)."""
    return f"{c.name} {c.phone} ({c.role})"


def take_reply(
    inc: Incident,
    hh: Household | None,
    template: Template | None,
    n: NotificationRecord,
    *,
    at: int,
    text: str,
    key: str,
) -> str:
    """Record the answer to ``n``; returns it (going | cannot | other)."""
    answer = answer_of(text, key)
    how = "key" if key else "sms"
    inc.answers.append(
        Answer(at=at, contact=n.contact, role=n.role, how=how, answer=answer, said=(key or text).strip()[:40])
    )
    inc.note(at, f"reply:{n.role}", f"{answer} ({how})", n.to)
    inc.version += 1
    if n.role not in RESPONDER_ROLES or not inc.is_open:
        return answer
    contact = next((c for c in hh.contacts if c.id == n.contact), None) if hh is not None else None
    if answer == "going":
        step = template.action_step("dispatch") if template is not None else None
        if inc.dispatched_at is None and step is not None and step.id not in inc.steps:
            name = responder_text(contact) if contact is not None else f"{n.to} ({n.role})"
            inc.steps[step.id] = StepDone(
                at=at,
                operator=f"field:{n.contact}",
                console="",
                values={"responder": name, "confirmed_by": how},
            )
            inc.dispatched_at, inc.responder, inc.proposed = at, name, ""
            if ORDER[ACTION_STATE["dispatch"]] > ORDER[inc.state]:
                inc.state = ACTION_STATE["dispatch"]
            inc.note(at, "dispatch_confirmed", f"{n.role} ({how})", n.to)
    elif answer == "cannot" and inc.dispatched_at is None and hh is not None:
        cannot = {a.contact for a in inc.answers if a.answer == "cannot"}
        nxt = next((c for c, _d in responders(hh) if c.id not in cannot), None)
        inc.proposed = nxt.id if nxt is not None else ""
        inc.note(at, "responder_cannot", f"{n.role}; next {nxt.role if nxt else '-'}", n.to)
    return answer
