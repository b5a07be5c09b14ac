"""Revealing a masked number (#20): a reason, the role and scope that allow it, journaled, and
for REVEAL_FOR_S only."""

from __future__ import annotations

import msgspec

from console.domain import events as ev
from console.domain import privacy
from console.domain.effects import CommandRefused
from console.domain.registry import Resident
from tests.unit.helpers import NS, T0, login, world


def reveal(
    field: str, reason: str = "回访老人", operator: str = "op1", household: str = "H1", at: int = T0
) -> ev.RevealContact:
    return ev.RevealContact(
        at=at, operator=operator, console="c1", household=household, field=field, reason=reason
    )


def refused(fx: list[object]) -> list[str]:
    return [f.code for f in fx if isinstance(f, CommandRefused)]


def test_a_phone_is_shown_for_five_minutes_after_a_reveal_with_a_reason() -> None:
    w = world()
    login(w, T0 - NS, role="township_officer", scope="T1")
    field = "contact:H1-e:phone"
    assert refused(w.apply(reveal(field, reason=""))) == ["reveal_needs_reason"]
    assert refused(w.apply(reveal(field, reason=" x "))) == ["reveal_needs_reason"]
    assert not privacy.revealed(w.reveals, "H1", field, "c1", T0)
    assert w.apply(reveal(field)) == []
    assert privacy.revealed(w.reveals, "H1", field, "c1", T0 + (privacy.REVEAL_FOR_S - 1) * NS)
    assert not privacy.revealed(w.reveals, "H1", field, "c1", T0 + privacy.REVEAL_FOR_S * NS)
    assert not privacy.revealed(w.reveals, "H1", field, "c2", T0 + NS)  # only where it was revealed
    assert not privacy.revealed(w.reveals, "H1", "contact:H1-g:phone", "c1", T0 + NS)


def test_who_may_reveal_what() -> None:
    w = world()
    hh = w.register.households["H1"]
    res = msgspec.structs.replace(hh.residents[0], id_number="500106194001011234")
    w.register.households["H1"] = msgspec.structs.replace(hh, residents=(res,))
    assert isinstance(res, Resident)
    login(w, T0 - NS, role="township_officer", scope="T1")
    assert refused(w.apply(reveal("resident:H1-r1:id_number"))) == ["forbidden_role"]
    assert refused(w.apply(reveal("contact:H2-e:phone", household="H2"))) == ["out_of_scope"]  # H2 is in T2
    assert refused(w.apply(reveal("contact:nobody:phone"))) == ["unknown_field"]
    assert refused(w.apply(reveal("contact:H1-e:phone", household="H9"))) == ["unknown_household"]
    assert refused(w.apply(reveal("contact:H1-e:phone", operator="someone-else"))) == ["not_logged_in"]
    login(w, T0, role="district_officer", scope="*")
    assert w.apply(reveal("resident:H1-r1:id_number", at=T0 + NS)) == []
    assert w.apply(reveal("contact:H2-e:phone", household="H2", at=T0 + NS)) == []
    assert [r.field for r in w.reveals] == ["resident:H1-r1:id_number", "contact:H2-e:phone"]


def test_masks() -> None:
    assert privacy.mask_phone("13800138000") == "138****8000"
    assert privacy.mask_phone("12345") == "****"
    assert privacy.mask_id("500106194001011234") == "5****************4"
    assert privacy.mask_id("12") == "**"
