"""Closure on evidence (#20, console/domain/closure.py): under the journal's rules 2 an incident
closes on what was recorded to have happened; a journal without the rules note folds as before."""

from __future__ import annotations

from console.domain import events as ev
from console.domain.closure import Fact, facts
from console.domain.effects import CommandRefused
from console.domain.world import World
from tests.unit.helpers import NS, T0, do, login, open_incident, world


def strict() -> tuple[World, int]:
    w = world()
    w.apply(ev.SystemNote(at=T0 - 2 * NS, what="rules", detail="2"))
    login(w, T0 - NS)
    return w, open_incident(w, at=T0)


def refused(fx: list[object]) -> list[tuple[str, str]]:
    return [(f.code, f.detail) for f in fx if isinstance(f, CommandRefused)]


def at(s: int) -> int:
    return T0 + s * NS


def test_each_step_records_what_happened() -> None:
    w, iid = strict()
    do(w, iid, "ack", at(10))
    assert refused(do(w, iid, "call_elder", at(20), {"outcome": "answered"})) == [
        ("bad_value", "outcome=answered")
    ]
    assert refused(do(w, iid, "call_elder", at(20), {"outcome": "safe"})) == [("missing_field", "how")]
    assert do(w, iid, "call_elder", at(20), {"outcome": "safe", "how": "by_hand"}) == []
    do(w, iid, "dispatch", at(30), {"responder": "GW1"})
    assert refused(do(w, iid, "on_site", at(40), {})) == [("missing_field", "confirmed_by")]
    assert refused(do(w, iid, "on_site", at(40), {"confirmed_by": "phone"})) == [("missing_field", "who")]
    assert do(w, iid, "on_site", at(40), {"confirmed_by": "phone", "who": "网格员"}) == []
    do(w, iid, "resolve", at(50), {"cause": "cooking_smoke"})
    assert refused(do(w, iid, "inform", at(60), {})) == [("missing_field", "who")]
    # an SMS nobody received informs nobody
    assert refused(do(w, iid, "inform", at(60), {"who": "both", "how": "sms"})) == [("not_delivered", "both")]
    assert refused(do(w, iid, "inform", at(60), {"who": "both", "how": "call"})) == [
        ("missing_field", "outcome")
    ]
    assert do(w, iid, "inform", at(60), {"who": "both", "how": "call", "outcome": "safe"}) == []
    assert do(w, iid, "close", at(70), {"feedback": "已电话告知老人及监护人：厨房油烟，已开窗"}) == []
    assert not w.incidents[iid].is_open


def test_a_delivered_sms_informs_and_a_real_fire_closes_only_with_119_or_a_reason() -> None:
    w, iid = strict()
    inc = w.incidents[iid]
    for req, n in inc.notifications.items():
        if n.channel == "sms" and n.role in ("elder", "guardian"):
            w.apply(ev.NotifyReceipt(at=at(5), req=req, status="delivered", provider="sim"))
    do(w, iid, "ack", at(10))
    do(w, iid, "dispatch", at(30), {"responder": "GW1"})
    # "by the responder's SMS" needs that SMS: none came yet
    assert refused(do(w, iid, "on_site", at(40), {"confirmed_by": "sms", "who": "网格员"})) == [
        ("no_answer_from_field", "sms")
    ]
    grid = next(r for r, n in inc.notifications.items() if n.role == "grid_worker" and n.channel == "sms")
    w.apply(ev.FieldReply(at=at(41), id="r1", req=grid, sender="19900000003", text="1 到了", provider="sim"))
    assert do(w, iid, "on_site", at(42), {"confirmed_by": "sms", "who": "网格员"}) == []
    do(w, iid, "resolve", at(50), {"cause": "real_fire"})
    assert do(w, iid, "inform", at(60), {"who": "both", "how": "sms"}) == []
    close = {"feedback": "明火已扑灭，老人已转移"}
    assert refused(do(w, iid, "close", at(70), close)) == [("escalation_needed", "fire_119")]
    shown = facts(inc)
    assert Fact("escalation", False, "") in shown and Fact("family_informed", True, "sms") in shown
    assert Fact("elder_reached", False, "") in shown  # nobody spoke with the elder
    assert do(w, iid, "close", at(71), {**close, "skip_escalation": "网格员已用灭火器扑灭，无需出警"}) == []


def test_escalating_to_119_is_the_other_way_to_close_a_real_fire() -> None:
    w, iid = strict()
    for s, values in (
        ("ack", {}),
        ("dispatch", {"responder": "GW1"}),
        ("on_site", {"confirmed_by": "in_person", "who": "社区干部"}),
        ("resolve", {"cause": "real_fire"}),
        ("inform", {"who": "guardian", "how": "in_person"}),
    ):
        assert do(w, iid, s, at(10), values) == [], s
    w.apply(ev.Escalate(at=at(20), operator="op1", console="c1", incident=iid, target="fire_119"))
    assert Fact("escalation", True, "fire_119") in facts(w.incidents[iid])
    assert do(w, iid, "close", at(30), {"feedback": "消防到场处置完毕"}) == []


def test_a_journal_without_the_rules_note_folds_as_before() -> None:
    w = world()
    login(w, T0 - NS)
    iid = open_incident(w, at=T0)
    for s in ("ack", "dispatch", "on_site", "resolve", "inform", "close"):
        assert do(w, iid, s, at(10)) == [], s  # keys pressed, nothing recorded: rules 1
    assert w.rules == 1 and not w.incidents[iid].is_open


def test_what_each_dialog_asks_and_offers() -> None:
    from console.domain.closure import asks, choices

    t = world().templates["smoke"]
    step = {s.id: s for s in t.steps}
    assert asks(step["call_elder"], 1) == ("outcome",) and asks(step["inform"], 1) == ()
    assert asks(step["call_elder"], 2) == ("outcome", "how")
    assert asks(step["on_site"], 2) == ("confirmed_by", "who")
    assert asks(step["inform"], 2) == ("who", "how", "outcome")
    assert asks(step["close"], 2) == ("feedback",)
    assert choices(step["inform"], "how") == ("call", "sms", "in_person")
    assert choices(step["call_elder"], "how") == ("gateway_call", "by_hand")
    assert choices(step["inform"], "outcome") == ("safe", "needs_help", "no_answer")
    assert choices(step["close"], "feedback") is None


def test_the_officer_has_the_gateway_call_the_elder_and_records_what_it_did() -> None:
    from tests.unit.helpers import notifies

    w, iid = strict()
    do(w, iid, "ack", at(10))
    elder = next(c for c in w.register.households["H1"].contacts if c.role == "elder")
    call = ev.PlaceCall(at=at(20), operator="op1", console="c1", incident=iid, contact=elder.id)
    (pub,) = notifies(w.apply(call))
    inc = w.incidents[iid]
    assert (pub.request.channel, pub.request.role, pub.request.to) == ("voice", "elder", elder.phone)
    assert pub.request.req == f"I{iid}-{elder.id}-voice-2"  # after the alarm's own call (attempt 1)
    n = inc.notifications[pub.request.req]
    assert n.retries_left == 0 and inc.timeline[-1].what == "call_placed:elder"
    w.apply(ev.NotifyReceipt(at=at(40), req=pub.request.req, status="answered", provider="sim"))
    assert do(w, iid, "call_elder", at(50), {"outcome": "safe", "how": "gateway_call"}) == []
    # a contact the household does not have: refused
    bad = ev.PlaceCall(at=at(60), operator="op1", console="c1", incident=iid, contact="nobody")
    assert refused(w.apply(bad)) == [("unknown_contact", "nobody")]
