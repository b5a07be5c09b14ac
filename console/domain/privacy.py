"""Personal data on screen: phone and ID numbers are masked wherever the officer looks, and
shown only by a journaled reveal (``RevealContact``) that names a reason, is allowed to the
operator's role and scope, and expires after REVEAL_FOR_S.

Who may reveal what: any signed-in officer a contact's phone of a household in their scope (to
call the elder, the guardian, a responder); a resident's ID number only a district officer or an
admin. A reveal is refused without a reason of at least REASON_MIN characters.
"""

from __future__ import annotations

from typing import Final

from console.domain import events as ev
from console.domain.commands import Session
from console.domain.deadlines import NS
from console.domain.incident import Refusal
from console.domain.registry import Household

REVEAL_FOR_S: Final = 300
REASON_MIN: Final = 2
ID_ROLES: Final = ("district_officer", "admin")


def mask_phone(p: str) -> str:
    """138****8000: the first three and last four digits of a phone number; a short one only
    asterisks."""
    return p[:3] + "****" + p[-4:] if len(p) >= 7 else "****"


def mask_id(n: str) -> str:
    """An ID number: its first and last character only (5************X)."""
    n = n.strip()
    return n[:1] + "*" * max(0, len(n) - 2) + n[-1:] if len(n) > 2 else "*" * len(n)


def reveal_refusal(e: ev.RevealContact, session: Session | None, hh: Household | None) -> Refusal | None:
    if session is None or session.operator != e.operator:
        return Refusal("not_logged_in", e.operator)
    if hh is None:
        return Refusal("unknown_household", e.household)
    if session.scope != "*" and session.scope != hh.township:
        return Refusal("out_of_scope", hh.township)
    if len(e.reason.strip()) < REASON_MIN:
        return Refusal("reveal_needs_reason")
    kind, _, rest = e.field.partition(":")
    ident, _, what = rest.partition(":")
    if kind == "contact" and what == "phone":
        if not any(c.id == ident for c in hh.contacts):
            return Refusal("unknown_field", e.field)
        return None
    if kind == "resident" and what == "id_number":
        if session.role not in ID_ROLES:
            return Refusal("forbidden_role", session.role)
        if not any(r.id == ident for r in hh.residents):
            return Refusal("unknown_field", e.field)
        return None
    return Refusal("unknown_field", e.field)


def revealed(reveals: list[ev.RevealContact], household: str, field: str, console: str, now: int) -> bool:
    """Whether ``field`` of ``household`` is shown on ``console`` at ``now``: revealed there,
    with a reason, less than REVEAL_FOR_S ago."""
    for r in reversed(reveals):
        if now - r.at >= REVEAL_FOR_S * NS:
            return False  # the list is in journal order: everything before is older still
        if r.household == household and r.field == field and r.console == console and r.reason:
            return True
    return False
