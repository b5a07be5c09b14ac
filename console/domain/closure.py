"""Closure on evidence (#20): an incident is closed on what was recorded to have happened, not on
keys pressed. In force from the journal's ``rules`` note 2 on (``World.rules``; an older journal
replays under the rules it was written with, so its replay stays exact).

What each step must record under rules 2 (checked with the checklist's own rules in
``incident.check_step``):

- the elder call (``call_elder``): ``outcome`` safe | needs_help | no_answer, and how it was
  dialled (``how``: gateway_call | by_hand);
- on site (``on_site``): who confirmed it (``who``) and how (``confirmed_by``: sms | key — the
  responder's own answer through the gateway, which must have come — | phone | in_person,
  recorded by the officer);
- informing the elder and guardian (``inform``): whom (``who``: elder | guardian | both) and how
  (``how``: call — with the call's ``outcome`` safe | needs_help —, sms — only when such an SMS
  was delivered —, in_person);
- the closure (``close``): ``feedback`` as the officer writes it; and when the recorded cause
  calls for a service (a real fire: 119, ``checklist.CAUSE_ESCALATION``) that was not escalated
  to, the reason it was not (``skip_escalation``).

``facts`` lists what was and was not confirmed, for the close dialog.
"""

from __future__ import annotations

from typing import Final

import msgspec

from console.domain.checklist import Step, proposed_escalation
from console.domain.incident import Incident, Refusal

RULES: Final = 2
CALL_OUTCOMES: Final = ("safe", "needs_help", "no_answer")
CALL_HOW: Final = ("gateway_call", "by_hand")
CONFIRMED_BY: Final = ("sms", "key", "phone", "in_person")
INFORM_WHO: Final = ("elder", "guardian", "both")
INFORM_HOW: Final = ("call", "sms", "in_person")
REASON_MIN: Final = 2


# what a step asks the officer under rules 2 (beyond the checklist's own ``records``), and the
# choices of each value that has a fixed set: for the window's step dialogs
ASKS: Final = {
    "call_elder": ("outcome", "how"),
    "on_site": ("confirmed_by", "who"),
    "inform": ("who", "how", "outcome"),
}
CHOICES: Final = {
    "outcome": CALL_OUTCOMES,
    "how": CALL_HOW,
    "confirmed_by": CONFIRMED_BY,
}
STEP_CHOICES: Final = {("inform", "who"): INFORM_WHO, ("inform", "how"): INFORM_HOW}


def asks(step: Step, rules: int) -> tuple[str, ...]:
    """The values the step's dialog asks for: the checklist's, then the evidence rules 2 add
    (``skip_escalation`` is asked by the close dialog only when a proposal stands)."""
    extra = ASKS.get(step.id, ()) if rules >= RULES else ()
    if step.action == "on_site" and rules >= RULES:
        extra = ASKS["on_site"]
    return tuple(dict.fromkeys((*step.records, *extra)))


def choices(step: Step, name: str) -> tuple[str, ...] | None:
    """The fixed choices of one value (None: free text)."""
    return STEP_CHOICES.get((step.id, name)) or CHOICES.get(name)


class Fact(msgspec.Struct, frozen=True):
    """One thing the close dialog shows: confirmed or not, and how."""

    item: str  # elder_reached | responder_going | on_site | family_informed | escalation
    confirmed: bool
    how: str = ""


def _one_of(values: dict[str, str], name: str, allowed: tuple[str, ...]) -> Refusal | None:
    v = values.get(name, "").strip()
    if not v:
        return Refusal("missing_field", name)
    if v not in allowed:
        return Refusal("bad_value", f"{name}={v[:32]}")
    return None


def _delivered_to(inc: Incident, who: str) -> bool:
    roles = {"elder": ("elder",), "guardian": ("guardian",), "both": ("elder", "guardian")}[who]
    return all(
        any(
            n.role == r and n.channel == "sms" and n.delivered_at is not None
            for n in inc.notifications.values()
        )
        for r in roles
    )


def check(inc: Incident, step: Step, values: dict[str, str]) -> Refusal | None:
    """Why rules 2 refuse completing ``step`` with ``values`` (None: it may be done)."""
    if values.get("via") == "bulk":
        return None  # bulk handling has rules of its own (console/domain/bulk.py)
    if step.id == "call_elder":
        return _one_of(values, "outcome", CALL_OUTCOMES) or _one_of(values, "how", CALL_HOW)
    if step.action == "on_site":
        r = _one_of(values, "confirmed_by", CONFIRMED_BY)
        if r is not None:
            return r
        how = values["confirmed_by"].strip()
        if how in ("sms", "key") and not any(a.how == how for a in inc.answers):
            # "the responder's own answer" is a claim only the gateway can back: one must have come
            return Refusal("no_answer_from_field", how)
        return None if values.get("who", "").strip() else Refusal("missing_field", "who")
    if step.id == "inform":
        r = _one_of(values, "who", INFORM_WHO) or _one_of(values, "how", INFORM_HOW)
        if r is not None:
            return r
        how, who = values["how"].strip(), values["who"].strip()
        if how == "call":
            return _one_of(values, "outcome", ("safe", "needs_help"))
        if how == "sms" and not _delivered_to(inc, who):
            return Refusal("not_delivered", who)
        return None
    if step.action == "close":
        target = proposed_escalation(inc.cause, inc.escalations)
        if target is not None and len(values.get("skip_escalation", "").strip()) < REASON_MIN:
            return Refusal("escalation_needed", target)
    return None


def facts(inc: Incident) -> list[Fact]:
    """What was and was not confirmed so far."""
    call = inc.steps.get("call_elder")
    outcome = call.values.get("outcome", "") if call is not None else ""
    answered = any(n.role == "elder" and n.status == "answered" for n in inc.notifications.values())
    reached = outcome in ("safe", "needs_help") or answered
    going = next((a for a in inc.answers if a.answer == "going"), None)
    on_site = inc.steps.get("on_site")
    inform = inc.steps.get("inform")
    target = proposed_escalation(inc.cause, inc.escalations)
    out = [
        Fact("elder_reached", reached, outcome or ("answered_call" if answered else "")),
        Fact("responder_going", going is not None, going.how if going is not None else ""),
        Fact("on_site", on_site is not None, on_site.values.get("confirmed_by", "") if on_site else ""),
        Fact("family_informed", inform is not None, inform.values.get("how", "") if inform else ""),
    ]
    if inc.cause and (target is not None or any(e != "district" for e in inc.escalations)):
        out.append(
            Fact("escalation", target is None, ",".join(e for e in inc.escalations if e != "district"))
        )
    return out
