"""A sending limit must not hold an alarm: a blocked notification goes out at once on the other
channel (when the contact has nothing there yet), and a notification the gateway says nothing of
is shown as late (#22)."""

from __future__ import annotations

import msgspec

from console.domain import events as ev
from console.domain import notify_plan
from console.domain.checklist import NotifyRule
from console.domain.world import World
from tests.unit.helpers import NS, T0, accept, alarm, login, notifies, publish, world


def sms_only_world() -> World:
    """The smoke checklist as a district might configure it: the cadre by SMS only."""
    w = world()
    t = w.templates["smoke"]
    rules = (
        NotifyRule(roles=("elder", "guardian", "grid_worker"), channels=("sms", "voice")),
        NotifyRule(roles=("cadre",), channels=("sms",), retries=1, retry_after_s=60),
    )
    w.templates["smoke"] = msgspec.structs.replace(t, notify=rules)
    return w


def started() -> tuple[World, int, str]:
    w = sms_only_world()
    login(w, T0 - NS)
    fx = w.apply(alarm("H1-smoke", T0))
    reqs = publish(w, fx, T0)
    accept(w, [r for r in reqs if "-CA" not in r], T0)
    (cadre,) = [r for r in reqs if "-CA" in r]
    return w, next(iter(w.incidents)), cadre


def test_a_blocked_sms_goes_out_at_once_as_a_call_to_the_same_contact() -> None:
    w, iid, cadre = started()
    assert cadre.endswith("-sms-1")
    fx = w.apply(
        ev.NotifyReceipt(at=T0 + 2 * NS, req=cadre, status="blocked", detail="limit:aliyun:sms_per_day")
    )
    (pub,) = notifies(fx)
    inc = w.incidents[iid]
    contact = inc.notifications[cadre].contact
    assert pub.request.req == f"I{iid}-{contact}-voice-1"
    assert (pub.request.channel, pub.request.role, pub.request.to) == (
        "voice",
        "cadre",
        inc.notifications[cadre].to,
    )
    switched = inc.notifications[pub.request.req]
    assert switched.status == "requested" and switched.retries_left == 1
    assert [(e.what, e.detail) for e in inc.timeline if e.what.startswith("switch:")] == [
        ("switch:cadre:voice", "limit:aliyun:sms_per_day")
    ]
    # the blocked SMS itself is still tried again after its minute
    assert inc.notifications[cadre].retry_at == T0 + 62 * NS
    # a second copy of the receipt (QoS 1) switches nothing more
    assert notifies(w.apply(ev.NotifyReceipt(at=T0 + 3 * NS, req=cadre, status="blocked"))) == []
    # the call blocked too: the SMS exists already, nothing more to switch to
    publish(w, fx, T0 + 2 * NS)
    assert notifies(w.apply(ev.NotifyReceipt(at=T0 + 4 * NS, req=pub.request.req, status="blocked"))) == []


def test_no_switch_when_the_contact_has_the_other_channel_or_the_incident_is_resolved() -> None:
    w = world()  # the shipped smoke checklist: every contact gets an SMS and a call
    login(w, T0 - NS)
    fx = w.apply(alarm("H1-smoke", T0))
    reqs = publish(w, fx, T0)
    voice = next(r for r in reqs if r.endswith("-voice-1"))
    assert notifies(w.apply(ev.NotifyReceipt(at=T0 + NS, req=voice, status="blocked"))) == []
    w2, iid, cadre = started()
    w2.incidents[iid].resolved_at = T0 + NS
    assert notifies(w2.apply(ev.NotifyReceipt(at=T0 + 2 * NS, req=cadre, status="blocked"))) == []
    # a failure is not a block: it is retried on its own channel after its minute, not switched
    w3, _, cadre3 = started()
    assert notifies(w3.apply(ev.NotifyReceipt(at=T0 + 2 * NS, req=cadre3, status="failed"))) == []


def test_a_notification_says_how_long_the_gateway_has_been_silent_about_it() -> None:
    w, iid, cadre = started()
    n = w.incidents[iid].notifications[cadre]
    assert n.status == "published" and n.published_at == T0
    assert notify_plan.waiting(n, T0 + (notify_plan.ACCEPT_WITHIN_S - 1) * NS) is None
    assert notify_plan.waiting(n, T0 + 20 * NS) == ("no_receipt", 20)
    w.apply(ev.NotifyReceipt(at=T0 + 21 * NS, req=cadre, status="accepted", provider="aliyun"))
    assert notify_plan.waiting(n, T0 + 100 * NS) is None
    late = T0 + (21 + notify_plan.DELIVER_WITHIN_S) * NS
    assert notify_plan.waiting(n, late) == ("no_delivery", notify_plan.DELIVER_WITHIN_S)
    w.apply(ev.NotifyReceipt(at=late, req=cadre, status="delivered", provider="aliyun"))
    assert notify_plan.waiting(n, late + 1000 * NS) is None
