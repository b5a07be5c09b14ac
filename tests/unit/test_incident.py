"""Incidents through the World: states, merging, restore and re-ignition, steps and refusals,
escalation, and the automatic notifications."""

from __future__ import annotations

import msgspec
import pytest

from console.domain import events as ev
from console.domain.effects import Alert, CommandRefused
from console.domain.incident import ESCALATION_TARGETS, severity_of
from console.domain.world import World
from tests.unit.helpers import (
    FULL_WALK,
    NS,
    T0,
    alarm,
    alerts,
    do,
    login,
    notifies,
    open_incident,
    publish,
    refused,
    world,
)


def ready(n: int = 3) -> World:
    w = world(n)
    login(w, T0 - NS)
    return w


def codes(fx: list[object]) -> list[str]:
    return [r.code for r in refused(fx)]


# --- opening and states --------------------------------------------------------------------


def test_alarm_opens_an_alerting_incident_with_t0() -> None:
    w = ready()
    fx = w.apply(alarm("H1-smoke", T0))
    assert alerts(fx, "new_incident") == [Alert("new_incident", 1)]
    inc = w.incidents[1]
    assert (inc.household, inc.district, inc.township, inc.kind) == ("H1", "SIM", "T1", "smoke")
    assert inc.state == "alerting" and inc.opened == T0 and inc.version == 1
    assert inc.kinds == ["smoke"] and inc.devices == ["H1-smoke"] and inc.alarms == ["H1-smoke/e1"]
    assert not inc.unregistered and not inc.reignition
    assert w.open_by_household == {"H1": 1}
    assert w.band_of("H1") == "critical"


def test_every_state_transition_through_steps() -> None:
    w = ready()
    iid = open_incident(w)
    seen = [w.incidents[iid].state]
    expected_flags = {
        "ack": "ack_at",
        "dispatch": "dispatched_at",
        "on_site": "on_site_at",
        "resolve": "resolved_at",
        "close": "closed_at",
    }
    for i, sid in enumerate(FULL_WALK):
        at = T0 + (10 + i) * NS
        before = w.incidents[iid].version
        assert do(w, iid, sid, at) == []
        inc = w.incidents[iid]
        assert inc.version == before + 1
        assert sid in inc.steps and inc.steps[sid].operator == "op1"
        if sid in expected_flags:
            assert getattr(inc, expected_flags[sid]) == at
        seen.append(inc.state)
    assert seen == ["alerting", "acknowledged", "dispatched", "on_site", "resolved", "resolved", "closed"]
    inc = w.incidents[iid]
    assert inc.responder == "GW1" and inc.cause == "real_fire" and inc.feedback == "elder safe"
    assert inc.assignee == "op1"
    assert w.open_by_household == {}
    assert w.band_of("H1") != "critical"


def test_optional_steps_do_not_change_state() -> None:
    w = ready()
    iid = open_incident(w)
    do(w, iid, "ack", T0 + NS)
    assert do(w, iid, "call_elder", T0 + 2 * NS) == []
    assert w.incidents[iid].state == "acknowledged"


def test_severity() -> None:
    assert severity_of("smoke", None) == 3 and severity_of("co", None) == 3
    assert severity_of("gas", 1) == 2 and severity_of("gas", None) == 2 and severity_of("gas", 2) == 3
    assert severity_of("electric", None) == 2


# --- merging -------------------------------------------------------------------------------


def test_alarms_of_one_household_merge_into_its_open_incident() -> None:
    w = ready()
    iid = open_incident(w)
    v = w.incidents[iid].version
    fx = w.apply(alarm("H1-co", T0 + 5 * NS, id_="c1", kind="co"))
    assert alerts(fx, "new_incident") == [] and notifies(fx) == []
    w.apply(alarm("H1-smoke", T0 + 6 * NS, id_="e2"))
    inc = w.incidents[iid]
    assert len(w.incidents) == 1
    assert inc.kinds == ["smoke", "co"] and inc.devices == ["H1-smoke", "H1-co"]
    assert inc.alarms == ["H1-smoke/e1", "H1-co/c1", "H1-smoke/e2"]
    assert inc.severity == 4  # a second hazard raises it
    assert inc.version == v + 2
    # another household: its own incident
    w.apply(alarm("H2-smoke", T0 + 7 * NS, township="T2"))
    assert sorted(w.open_by_household.items()) == [("H1", 1), ("H2", 2)]


def test_higher_gas_level_raises_severity_of_the_merged_incident() -> None:
    w = ready()
    w.apply(
        ev.DeviceEvent(
            at=T0, district="SIM", township="T1", dev="H1-gas", id="g1", kind="gas", evt="alarm", ts=T0, lvl=1
        )
    )
    assert w.incidents[1].severity == 2
    w.apply(
        ev.DeviceEvent(
            at=T0 + NS,
            district="SIM",
            township="T1",
            dev="H1-gas",
            id="g2",
            kind="gas",
            evt="alarm",
            ts=T0,
            lvl=2,
        )
    )
    assert w.incidents[1].severity == 3


def test_alarm_after_close_opens_a_new_incident() -> None:
    w = ready()
    iid = open_incident(w)
    for i, sid in enumerate(FULL_WALK):
        do(w, iid, sid, T0 + (1 + i) * NS)
    iid2 = open_incident(w, at=T0 + 3600 * NS, id_="e9")
    assert iid2 != iid and w.incidents[iid].state == "closed"
    assert w.history["H1"] == [iid, iid2]


# --- restore and re-ignition ---------------------------------------------------------------


def test_restore_is_recorded_but_never_closes() -> None:
    w = ready()
    iid = open_incident(w)
    w.apply(alarm("H1-smoke", T0 + 10 * NS, id_="r1", evt="restore"))
    inc = w.incidents[iid]
    assert inc.state == "alerting" and inc.is_open
    assert inc.last_restore == T0 + 10 * NS
    assert inc.timeline[-1].what == "restore"
    assert w.open_by_household == {"H1": iid}


def test_reignition_within_30_min_of_restore_on_the_open_incident() -> None:
    w = ready()
    iid = open_incident(w)
    w.apply(alarm("H1-smoke", T0 + 60 * NS, id_="r1", evt="restore"))
    fx = w.apply(alarm("H1-smoke", T0 + 600 * NS, id_="e2"))
    assert alerts(fx, "reignition") == [Alert("reignition", iid)]
    assert w.incidents[iid].reignition
    fx = w.apply(alarm("H1-smoke", T0 + 700 * NS, id_="e3"))
    assert alerts(fx, "reignition") == []  # flagged once


def closed_after_restore(w: World) -> int:
    iid = open_incident(w)
    w.apply(alarm("H1-smoke", T0 + 30 * NS, id_="r1", evt="restore"))
    do(w, iid, "ack", T0 + 40 * NS)
    do(w, iid, "resolve", T0 + 50 * NS, {"cause": "false_alarm"})
    do(w, iid, "inform", T0 + 55 * NS)
    do(w, iid, "close", T0 + 60 * NS)
    assert w.incidents[iid].state == "closed"
    return iid


def test_reignition_within_30_min_of_restore_on_a_new_incident() -> None:
    w = ready()
    first = closed_after_restore(w)
    restore_at = T0 + 30 * NS
    fx = w.apply(alarm("H1-smoke", restore_at + 1800 * NS, id_="e2"))
    iid = next(a.incident for a in alerts(fx, "new_incident"))
    assert iid != first
    assert alerts(fx, "reignition") == [Alert("reignition", iid)]
    assert w.incidents[iid].reignition
    assert [e.what for e in w.incidents[iid].timeline].count("reignition") == 1


def test_no_reignition_more_than_30_min_after_restore() -> None:
    w = ready()
    closed_after_restore(w)
    fx = w.apply(alarm("H1-smoke", T0 + 30 * NS + 1800 * NS + NS, id_="e2"))
    assert alerts(fx, "reignition") == []
    assert not w.incidents[2].reignition


# --- unregistered devices ------------------------------------------------------------------


def test_unregistered_device_alarm_becomes_a_flagged_incident() -> None:
    w = ready()
    fx = w.apply(alarm("NOBODY-1", T0, township="T9"))
    assert alerts(fx, "new_incident") == [Alert("new_incident", 1)]
    assert notifies(fx) == []
    inc = w.incidents[1]
    assert inc.unregistered and inc.household == "?NOBODY-1" and inc.township == "T9"
    assert not inc.needs_alert
    assert "unregistered_device" in [e.what for e in inc.timeline]
    # it is worked like any other
    for i, sid in enumerate(FULL_WALK):
        assert do(w, 1, sid, T0 + (1 + i) * NS) == [], sid
    assert w.incidents[1].state == "closed"


# --- refusals ------------------------------------------------------------------------------


def test_out_of_order_step_refused_with_the_missing_step() -> None:
    w = ready()
    iid = open_incident(w)
    fx = do(w, iid, "dispatch", T0 + NS)
    assert refused(fx) == [CommandRefused("c1", "op1", iid, "out_of_order", "ack")]
    assert w.incidents[iid].state == "alerting" and "dispatch" not in w.incidents[iid].steps
    assert w.incidents[iid].timeline[-1].what == "refused:out_of_order"
    do(w, iid, "ack", T0 + 2 * NS)
    fx = do(w, iid, "close", T0 + 3 * NS)
    assert refused(fx)[0].code == "out_of_order" and refused(fx)[0].detail == "resolve,inform"


@pytest.mark.parametrize("values", [{}, {"responder": ""}, {"responder": "   "}, {"other": "x"}])
def test_missing_required_field(values: dict[str, str]) -> None:
    w = ready()
    iid = open_incident(w)
    do(w, iid, "ack", T0 + NS)
    fx = do(w, iid, "dispatch", T0 + 2 * NS, values)
    assert refused(fx) == [CommandRefused("c1", "op1", iid, "missing_field", "responder")]


@pytest.mark.parametrize("cause", ["arson?", "FALSE_ALARM", "x"])
def test_bad_cause(cause: str) -> None:
    w = ready()
    iid = open_incident(w)
    do(w, iid, "ack", T0 + NS)
    fx = do(w, iid, "resolve", T0 + 2 * NS, {"cause": cause})
    assert codes(fx) == ["bad_cause"]
    assert w.incidents[iid].resolved_at is None


def test_close_refused_while_required_steps_open() -> None:
    w = ready()
    iid = open_incident(w)
    do(w, iid, "ack", T0 + NS)
    do(w, iid, "resolve", T0 + 2 * NS, {"cause": "real_fire"})
    do(w, iid, "inform", T0 + 3 * NS)
    fx = do(w, iid, "close", T0 + 4 * NS)
    assert refused(fx) == [CommandRefused("c1", "op1", iid, "required_steps_open", "dispatch,on_site")]
    assert w.incidents[iid].is_open
    # a step done after resolution does not move the state backwards
    do(w, iid, "dispatch", T0 + 5 * NS)
    do(w, iid, "on_site", T0 + 6 * NS)
    assert w.incidents[iid].state == "resolved"
    assert do(w, iid, "close", T0 + 7 * NS) == []
    assert w.incidents[iid].state == "closed"


@pytest.mark.parametrize("cause", ["false_alarm", "device_fault", "test", "cooking_smoke"])
def test_false_alarm_fast_path_waives_dispatch_and_on_site(cause: str) -> None:
    w = ready()
    iid = open_incident(w)
    do(w, iid, "ack", T0 + NS)
    do(w, iid, "resolve", T0 + 2 * NS, {"cause": cause})
    assert w.incidents[iid].waived == ["dispatch", "on_site"]
    do(w, iid, "inform", T0 + 3 * NS)
    assert do(w, iid, "close", T0 + 4 * NS) == []
    inc = w.incidents[iid]
    assert inc.state == "closed" and inc.cause == cause and inc.dispatched_at is None
    assert codes(do(w, iid, "dispatch", T0 + 5 * NS, {"responder": "x"})) == ["incident_closed"]


def test_cooking_smoke_does_not_waive_dispatch_for_gas() -> None:
    w = ready()
    iid = open_incident(w, dev="H1-gas", kind="gas")
    do(w, iid, "ack", T0 + NS)
    do(w, iid, "resolve", T0 + 2 * NS, {"cause": "cooking_smoke"})
    assert w.incidents[iid].waived == []


def test_waiver_keeps_steps_already_done() -> None:
    w = ready()
    iid = open_incident(w)
    do(w, iid, "ack", T0 + NS)
    do(w, iid, "dispatch", T0 + 2 * NS)
    do(w, iid, "resolve", T0 + 3 * NS, {"cause": "false_alarm"})
    assert w.incidents[iid].waived == ["on_site"]


def test_conflict_on_stale_expect_version() -> None:
    w = ready()
    iid = open_incident(w)
    v = w.incidents[iid].version
    w.apply(alarm("H1-co", T0 + NS, id_="c", kind="co"))  # someone else's change: version moves
    stale = ev.CompleteStep(
        at=T0 + 2 * NS, operator="op1", console="c1", incident=iid, step="ack", expect_version=v
    )
    fx = w.apply(stale)
    assert refused(fx) == [CommandRefused("c1", "op1", iid, "conflict", f"{v}!={v + 1}")]
    fresh = ev.CompleteStep(
        at=T0 + 3 * NS, operator="op1", console="c1", incident=iid, step="ack", expect_version=v + 1
    )
    assert w.apply(fresh) == []
    assert w.incidents[iid].state == "acknowledged"


def test_township_officer_is_out_of_scope_elsewhere() -> None:
    w = world()
    login(w, T0 - NS, console="c2", operator="t2", role="township_officer", scope="T2")
    login(w, T0 - NS, console="c1", operator="t1", role="township_officer", scope="T1")
    iid = open_incident(w)  # H1 is in T1
    fx = w.apply(ev.CompleteStep(at=T0 + NS, operator="t2", console="c2", incident=iid, step="ack"))
    assert refused(fx) == [CommandRefused("c2", "t2", iid, "out_of_scope", "T1")]
    assert (
        w.apply(ev.CompleteStep(at=T0 + 2 * NS, operator="t1", console="c1", incident=iid, step="ack")) == []
    )


def test_reassign_forbidden_for_township_officer_allowed_for_district() -> None:
    w = world()
    login(w, T0 - NS, console="c1", operator="t1", role="township_officer", scope="T1")
    login(w, T0 - NS, console="c9", operator="d1", role="district_officer", scope="*")
    iid = open_incident(w)
    fx = w.apply(ev.Reassign(at=T0 + NS, operator="t1", console="c1", incident=iid, assignee="x"))
    assert refused(fx) == [CommandRefused("c1", "t1", iid, "forbidden_role", "township_officer")]
    assert w.apply(ev.Reassign(at=T0 + 2 * NS, operator="d1", console="c9", incident=iid, assignee="x")) == []
    assert w.incidents[iid].assignee == "x"


def test_session_and_incident_refusals() -> None:
    w = world()
    iid = open_incident(w)
    assert codes(do(w, iid, "ack", T0 + NS)) == ["not_logged_in"]
    login(w, T0 + NS)
    wrong_op = ev.CompleteStep(at=T0 + 2 * NS, operator="intruder", console="c1", incident=iid, step="ack")
    assert codes(w.apply(wrong_op)) == ["not_logged_in"]
    assert codes(do(w, 99, "ack", T0 + 3 * NS)) == ["unknown_incident"]
    assert codes(do(w, iid, "fly", T0 + 4 * NS)) == ["unknown_step"]
    do(w, iid, "ack", T0 + 5 * NS)
    assert codes(do(w, iid, "ack", T0 + 6 * NS)) == ["already_done"]
    w.apply(ev.Logout(at=T0 + 7 * NS, operator="op1", console="c1"))
    assert codes(do(w, iid, "call_elder", T0 + 8 * NS)) == ["not_logged_in"]


# --- escalation ----------------------------------------------------------------------------


@pytest.mark.parametrize("target", ESCALATION_TARGETS)
def test_escalation_targets(target: str) -> None:
    w = ready()
    iid = open_incident(w)
    esc = ev.Escalate(at=T0 + NS, operator="op1", console="c1", incident=iid, target=target)
    fx = w.apply(esc)
    inc = w.incidents[iid]
    if target == "district":
        assert fx == [] and inc.escalations == [target]
        assert inc.timeline[-1].what == f"escalate:{target}"
    else:  # a service, with no numbers in this test: on the district's list, and said loudly
        assert fx == [Alert("escalation_unconfigured", iid, target)]
        assert inc.escalations == [target, "district"]
        assert [e.what for e in inc.timeline[-2:]] == [
            f"escalate:{target}",
            f"escalate_unconfigured:{target}",
        ]
    assert codes(w.apply(esc)) == ["already_escalated"]


def test_bad_target_and_escalation_after_resolution_refused() -> None:
    w = ready()
    iid = open_incident(w)
    bad = ev.Escalate(at=T0 + NS, operator="op1", console="c1", incident=iid, target="army")
    assert codes(w.apply(bad)) == ["bad_target"]
    do(w, iid, "ack", T0 + 2 * NS)
    do(w, iid, "resolve", T0 + 3 * NS, {"cause": "test"})
    late = ev.Escalate(at=T0 + 4 * NS, operator="op1", console="c1", incident=iid, target="fire_119")
    assert codes(w.apply(late)) == ["not_escalatable"]
    # a real fire found when the cause is recorded: 119 is still called
    w2 = ready()
    iid2 = open_incident(w2)
    do(w2, iid2, "ack", T0 + 2 * NS)
    do(w2, iid2, "resolve", T0 + 3 * NS, {"cause": "real_fire"})
    assert codes(w2.apply(msgspec.structs.replace(late, incident=iid2))) == []
    assert codes(
        w2.apply(ev.Escalate(at=T0 + 5 * NS, operator="op1", console="c1", incident=iid2, target="power"))
    ) == ["not_escalatable"]


def test_escalate_to_district_just_after_a_miss_is_not_listed_twice() -> None:
    w = ready()
    iid = open_incident(w)
    esc = ev.Escalate(at=T0 + 61 * NS, operator="op1", console="c1", incident=iid, target="district")
    fx = w.apply(esc)
    assert alerts(fx, "missed") == [Alert("missed", iid, "1")]
    assert w.incidents[iid].escalations == ["district"]


# --- notifications -------------------------------------------------------------------------


def test_requests_per_contact_role_and_channel() -> None:
    w = ready()
    fx = w.apply(alarm("H1-smoke", T0))
    reqs = [n.request for n in notifies(fx)]
    assert {(r.role, r.channel) for r in reqs} == {
        (role, ch) for role in ("elder", "guardian", "grid_worker", "cadre") for ch in ("sms", "voice")
    }
    assert len(reqs) == 8
    assert all(n.district == "SIM" for n in notifies(fx))
    elder_voice = next(r for r in reqs if r.role == "elder" and r.channel == "voice")
    assert elder_voice.req == "I1-H1-e-voice-1" and elder_voice.to == "19900000001"
    assert elder_voice.incident == 1 and elder_voice.household == "H1" and elder_voice.attempt == 1
    assert "示范路H1号" in elder_voice.text and "烟感" in elder_voice.text
    inc = w.incidents[1]
    assert set(inc.notifications) == {r.req for r in reqs}
    assert all(n.status == "requested" for n in inc.notifications.values())
    assert inc.alert_out_at is None


def test_notify_published_is_not_alert_out() -> None:
    w = ready()
    fx = w.apply(alarm("H1-smoke", T0))
    publish(w, fx, T0 + 5)
    inc = w.incidents[1]
    assert inc.alert_published_at == T0 + 5 and inc.alert_out_at is None
    assert all(n.status == "published" and n.published_at == T0 + 5 for n in inc.notifications.values())
    publish(w, fx, T0 + 9)  # a second report does not move it
    assert inc.alert_published_at == T0 + 5


def _receipt(w: World, req: str, status: str, at: int, provider_at: int = 0) -> None:
    w.apply(ev.NotifyReceipt(at=at, req=req, status=status, provider="sim", provider_at=provider_at))


def test_alert_out_needs_the_elder_or_a_guardian_and_the_grid_worker_accepted() -> None:
    w = ready()
    fx = w.apply(alarm("H1-smoke", T0))
    publish(w, fx, T0 + 1 * NS)
    inc = w.incidents[1]
    _receipt(w, "I1-CA1-sms-1", "accepted", T0 + 2 * NS)  # the cadre: not one of the groups
    _receipt(w, "I1-H1-g-sms-1", "accepted", T0 + 3 * NS)  # a guardian: the first group
    assert inc.alert_out_at is None  # the grid worker's not yet
    _receipt(w, "I1-GW1-voice-1", "failed", T0 + 4 * NS)
    assert inc.alert_out_at is None
    # the provider's own time counts when it is no later than the console heard of it
    _receipt(w, "I1-GW1-sms-1", "accepted", T0 + 9 * NS, provider_at=T0 + 7 * NS)
    assert inc.alert_out_at == T0 + 7 * NS
    assert inc.alert_delivered_at is None
    _receipt(w, "I1-H1-e-sms-1", "delivered", T0 + 20 * NS)
    _receipt(w, "I1-GW1-sms-1", "delivered", T0 + 25 * NS)
    assert inc.alert_delivered_at == T0 + 25 * NS
    assert inc.alert_out_at == T0 + 7 * NS  # never moved back
    n = inc.notifications["I1-GW1-voice-1"]
    assert n.status == "failed" and n.accepted_at is None and n.provider == "sim"


def test_a_delivered_or_rung_notification_was_accepted_too() -> None:
    w = ready()
    fx = w.apply(alarm("H1-smoke", T0))
    publish(w, fx, T0)
    inc = w.incidents[1]
    _receipt(w, "I1-H1-e-voice-1", "no_answer", T0 + 30 * NS)  # the call rang: a provider placed it
    _receipt(w, "I1-GW1-sms-1", "sent", T0 + 31 * NS)  # the simulator's word for "accepted"
    assert inc.alert_out_at == T0 + 31 * NS


def test_a_provider_time_after_the_console_heard_of_it_is_not_believed() -> None:
    w = ready()
    fx = w.apply(alarm("H1-smoke", T0))
    publish(w, fx, T0)
    _receipt(w, "I1-H1-e-sms-1", "accepted", T0 + 3 * NS, provider_at=T0 + 3600 * NS)
    assert w.incidents[1].notifications["I1-H1-e-sms-1"].accepted_at == T0 + 3 * NS


def test_receipts_update_status_and_unknown_receipts_are_counted() -> None:
    w = ready()
    iid = open_incident(w)
    w.apply(ev.NotifyReceipt(at=T0 + NS, req="I1-H1-e-sms-1", status="delivered"))
    assert w.incidents[iid].notifications["I1-H1-e-sms-1"].status == "delivered"
    assert w.incidents[iid].timeline[-1].what == "notify:elder:sms"
    for req in ("I9-x-sms-1", "zzz", "I-x", "I1-nope-sms-1"):
        w.apply(ev.NotifyReceipt(at=T0 + 2 * NS, req=req, status="sent"))
    assert w.counters["unknown_receipts"] == 4


def fail(w: World, req: str, at: int) -> None:
    w.apply(ev.NotifyReceipt(at=at, req=req, status="failed"))


def retries(w: World, at: int) -> list[str]:
    return [n.request.req for n in notifies(w.apply(ev.Tick(at=at)))]


def test_failed_voice_call_retried_after_retry_after_s_until_the_limit() -> None:
    w = ready()
    iid = open_incident(w)
    do(w, iid, "ack", T0 + NS)
    fail(w, "I1-H1-e-voice-1", T0 + 10 * NS)
    assert w.next_due() == T0 + 70 * NS
    assert retries(w, T0 + 69 * NS) == []
    assert retries(w, T0 + 70 * NS) == ["I1-H1-e-voice-2"]
    m = w.incidents[iid].notifications["I1-H1-e-voice-2"]
    assert (m.attempt, m.retries_left, m.role, m.to) == (2, 1, "elder", "19900000001")
    w.apply(ev.NotifyReceipt(at=T0 + 80 * NS, req="I1-H1-e-voice-2", status="no_answer"))
    assert retries(w, T0 + 140 * NS) == ["I1-H1-e-voice-3"]
    fail(w, "I1-H1-e-voice-3", T0 + 150 * NS)  # third attempt: the limit (2 retries) is reached
    assert w.incidents[iid].notifications["I1-H1-e-voice-3"].retry_at is None
    assert retries(w, T0 + 3600 * NS) == []


def test_a_redelivered_failed_receipt_does_not_buy_an_extra_call() -> None:
    w = ready()
    open_incident(w)
    fail(w, "I1-H1-e-voice-1", T0 + 10 * NS)
    assert retries(w, T0 + 70 * NS) == ["I1-H1-e-voice-2"]
    fail(w, "I1-H1-e-voice-1", T0 + 75 * NS)  # QoS 1 duplicate of the first receipt
    assert retries(w, T0 + 200 * NS) == []
    assert [r for r in w.incidents[1].notifications if "e-voice" in r] == [
        "I1-H1-e-voice-1",
        "I1-H1-e-voice-2",
    ]


def test_retries_stop_after_close() -> None:
    w = ready()
    iid = open_incident(w)
    fail(w, "I1-H1-g-voice-1", T0 + 10 * NS)
    do(w, iid, "ack", T0 + 11 * NS)
    do(w, iid, "resolve", T0 + 12 * NS, {"cause": "test"})
    do(w, iid, "inform", T0 + 13 * NS)
    do(w, iid, "close", T0 + 14 * NS)
    assert retries(w, T0 + 100 * NS) == []
    fail(w, "I1-H1-g-sms-1", T0 + 101 * NS)  # a late receipt does not schedule one either
    assert all(n.retry_at is None for n in w.incidents[iid].notifications.values())
