"""Replies from the field and an honest "alert out" (issue 22 items 6, 7), in the fold and the
engine: a responder's "1" confirms dispatch and meets the 5-minute mark without the officer
phoning; "2" proposes the next nearest responder; a notification no provider accepts raises
the "not sent" banner facts within 20 s, with the incidents to phone; the gateway's last will
raises the alarm at once."""

from __future__ import annotations

from console.domain import events as ev
from console.domain.codec import (
    GatewayStatus,
    Reply,
    encode_gateway_status,
    encode_reply,
    gateway_status_topic,
    notify_reply_topic,
)
from console.domain.notify_plan import ACCEPT_WITHIN_S
from console.domain.world import World
from tests.support import WAIT_S, Msg
from tests.unit.helpers import NS, T0, do, login, open_incident, world
from tests.unit.test_engine import accept_all, alarm_msg, make_rig
from tests.unit.test_engine import login as rig_login


def reply(req: str, at: int, text: str = "", key: str = "", id_: str = "r1") -> ev.FieldReply:
    return ev.FieldReply(at=at, id=id_, req=req, sender="19900000003", text=text, key=key, provider="sim")


def started() -> tuple[World, int]:
    w = world()
    login(w, T0 - NS)
    return w, open_incident(w, at=T0)


def test_a_grid_workers_going_meets_the_five_minute_mark_without_the_officer() -> None:
    w, iid = started()
    fx = w.apply(reply("I1-GW1-sms-1", T0 + 90 * NS, text="1 马上到"))
    assert [(a.kind, a.detail) for a in fx] == [("field_reply", "grid_worker:going")]
    inc = w.incidents[iid]
    assert inc.dispatched_at == T0 + 90 * NS and inc.met_at(5) == T0 + 90 * NS
    assert (
        inc.steps["dispatch"].operator == "field:GW1"
        and inc.steps["dispatch"].values["confirmed_by"] == "sms"
    )
    assert "网格员" in inc.responder and inc.state == "dispatched"
    assert [(a.role, a.how, a.answer) for a in inc.answers] == [("grid_worker", "sms", "going")]
    assert [e.what for e in inc.timeline[-2:]] == ["reply:grid_worker", "dispatch_confirmed"]
    w.apply(ev.Tick(at=T0 + 301 * NS))
    assert 5 not in inc.missed
    # the same reply delivered again changes nothing
    w.apply(reply("I1-GW1-sms-1", T0 + 95 * NS, text="1"))
    assert len(inc.answers) == 1 and w.counters["duplicate_replies"] == 1


def test_a_keypress_counts_as_a_reply_and_says_so() -> None:
    w, iid = started()
    w.apply(reply("I1-CA1-voice-1", T0 + 40 * NS, key="1"))
    inc = w.incidents[iid]
    assert inc.steps["dispatch"].values["confirmed_by"] == "key" and inc.answers[0].how == "key"


def test_cannot_proposes_the_next_nearest_responder_and_the_officer_still_dispatches() -> None:
    w, iid = started()
    inc = w.incidents[iid]
    w.apply(reply("I1-GW1-sms-1", T0 + 30 * NS, text="2 不在家"))
    assert inc.dispatched_at is None and inc.proposed == "CA1"  # the cadre: the next nearest
    w.apply(reply("I1-CA1-sms-1", T0 + 50 * NS, text="2", id_="r2"))
    assert inc.proposed == ""  # nobody else in the register: the officer finds someone
    assert [a.answer for a in inc.answers] == ["cannot", "cannot"]
    do(w, iid, "ack", T0 + 60 * NS)
    do(w, iid, "dispatch", T0 + 100 * NS)
    assert inc.dispatched_at == T0 + 100 * NS


def test_an_elders_reply_is_shown_and_changes_nothing_else() -> None:
    w, iid = started()
    w.apply(reply("I1-H1-e-sms-1", T0 + 20 * NS, text="1"))
    inc = w.incidents[iid]
    assert inc.dispatched_at is None and inc.answers[0].role == "elder"


def test_a_reply_naming_no_request_is_counted() -> None:
    w, _ = started()
    assert w.apply(reply("", T0 + NS)) == []
    assert w.counters["unknown_replies"] == 1


# --- the engine ----------------------------------------------------------------------------------


def test_the_engine_takes_a_reply_from_the_bus_and_meets_the_mark() -> None:
    r = make_rig()
    r.engine.start()
    try:
        rig_login(r)
        assert r.bus(alarm_msg()).wait(WAIT_S)
        body = encode_reply(
            Reply(id="sim:7", req="I1-GW1-sms-1", sender="19900000003", text="1", provider="sim")
        )
        assert r.bus(Msg(notify_reply_topic("SIM"), body)).wait(WAIT_S)
        assert r.until(lambda w: w.incidents[1].dispatched_at is not None)
        assert r.sink.wait_alert("field_reply").detail == "grid_worker:going"
        assert [rec.key for rec in r.journal.records if rec.type == "reply"] == ["reply:sim:7"]
        assert r.bus(Msg(notify_reply_topic("SIM"), body)).wait(WAIT_S)  # a QoS 1 copy
        assert r.status().duplicates >= 1
    finally:
        r.engine.stop()


def test_nothing_accepted_within_fifteen_seconds_is_said_with_the_incidents_to_phone() -> None:
    r = make_rig()
    r.engine.start()
    try:
        assert r.bus(alarm_msg()).wait(WAIT_S)
        assert r.until(lambda w: w.incidents[1].alert_published_at is not None)
        r.clock.advance(ACCEPT_WITHIN_S - 1)
        r.engine.poke()
        assert r.status().unaccepted == ()
        r.clock.advance(2)  # 16 s: within the 20 s the issue allows
        r.engine.poke()
        st = r.until(lambda _w: r.engine.status().unaccepted)
        assert {i for i, _role in st} == {1} and {"grid_worker", "guardian", "elder"} <= {x for _i, x in st}
        assert r.sink.wait_alert("notify_silent").incident == 1
        accept_all(r)  # the gateway comes back and a provider takes them
        r.clock.advance(1)
        r.engine.poke()
        assert r.until(lambda _w: r.engine.status().unaccepted == ())
    finally:
        r.engine.stop()


def test_the_gateways_last_will_raises_the_alarm_at_once() -> None:
    r = make_rig()
    r.engine.start()
    try:
        gone = encode_gateway_status(GatewayStatus(gateway="gw1", state="offline"))
        assert r.bus(Msg(gateway_status_topic("SIM"), gone)).wait(WAIT_S)
        assert r.sink.wait_alert("gateway_lost").detail == "gw1"
        assert r.status().gateway == "offline"
        back = GatewayStatus(gateway="gw1", state="online", providers={"aliyun": "failing", "sim": "ok"})
        assert r.bus(Msg(gateway_status_topic("SIM"), encode_gateway_status(back))).wait(WAIT_S)
        st = r.status()
        assert (st.gateway, st.gateway_failing) == ("online", ("aliyun",))
    finally:
        r.engine.stop()
