"""Escalations that reach someone (#20): escalating to 119 / 120 / power / gas notifies the
numbers the district configured, recorded in the Escalate itself (a replay tells the same
numbers), shown like any notification, and puts the incident on the district's attention list;
a real emergency's cause proposes its escalation."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.app.data import load_services
from console.domain import events as ev
from console.domain.checklist import proposed_escalation
from console.domain.codec import decode_notify
from console.domain.notify_plan import ALERT_GROUPS
from tests.support import WAIT_S
from tests.unit.helpers import NS, T0, alerts, do, login, notifies, open_incident, publish, world
from tests.unit.test_engine import Rig, alarm_msg, make_rig
from tests.unit.test_engine import login as rig_login

ROOT = Path(__file__).resolve().parents[2]
FIRE = (ev.ServiceContact(name="消防指挥中心", phone="02300000119", channels=("voice", "sms")),)


def escalate(iid: int, target: str, at: int, recipients: tuple[ev.ServiceContact, ...] = FIRE) -> ev.Escalate:
    return ev.Escalate(
        at=at, operator="op1", console="c1", incident=iid, target=target, recipients=recipients
    )


def test_an_escalation_to_119_notifies_its_numbers_and_the_district() -> None:
    w = world()
    login(w, T0 - NS)
    iid = open_incident(w, at=T0)
    fx = w.apply(escalate(iid, "fire_119", T0 + 60 * NS))
    reqs = [p.request for p in notifies(fx)]
    assert [(r.role, r.channel, r.to, r.msg) for r in reqs] == [
        ("service:fire_119", "voice", "02300000119", "escalation"),
        ("service:fire_119", "sms", "02300000119", "escalation"),
    ]
    assert "请求消防处置" in reqs[0].text and f"事件号{iid}" in reqs[0].text
    inc = w.incidents[iid]
    assert sorted(inc.escalations) == ["district", "fire_119"]  # on the district's attention list too
    assert [e.what for e in inc.timeline[-3:]] == [
        "escalate:fire_119",
        "notify_service:fire_119:voice",
        "notify_service:fire_119:sms",
    ]
    # delivery shown like any notification; a failed call is tried again
    publish(w, fx, T0 + 61 * NS)
    voice = reqs[0].req
    w.apply(ev.NotifyReceipt(at=T0 + 70 * NS, req=voice, status="failed", detail="provider:aliyun:busy"))
    n = inc.notifications[voice]
    assert n.status == "failed" and n.retry_at == T0 + 130 * NS
    # a service's acceptance is not the 1-minute alert (its groups are the family and the grid worker)
    assert all(
        n.role not in group
        for group in ALERT_GROUPS
        for n in inc.notifications.values()
        if n.role.startswith("service:")
    )


def test_an_escalation_with_no_numbers_says_so_and_a_second_one_is_refused() -> None:
    w = world()
    login(w, T0 - NS)
    iid = open_incident(w, at=T0)
    assert "district" not in w.incidents[iid].escalations
    fx = w.apply(escalate(iid, "gas", T0 + NS, recipients=()))
    assert "district" in w.incidents[iid].escalations
    assert notifies(fx) == [] and [a.detail for a in alerts(fx, "escalation_unconfigured")] == ["gas"]
    again = w.apply(escalate(iid, "gas", T0 + 2 * NS))
    assert [getattr(f, "code", "") for f in again] == ["already_escalated"]


def test_recording_a_real_fire_proposes_119() -> None:
    w = world()
    login(w, T0 - NS)
    iid = open_incident(w, at=T0)
    do(w, iid, "ack", T0 + 10 * NS)
    do(w, iid, "resolve", T0 + 20 * NS, {"cause": "real_fire"})
    inc = w.incidents[iid]
    assert inc.timeline[-1].what == "propose_escalation:fire_119"
    assert proposed_escalation(inc.cause, inc.escalations) == "fire_119"
    w.apply(escalate(iid, "fire_119", T0 + 30 * NS))
    assert proposed_escalation(inc.cause, inc.escalations) is None
    # a false alarm proposes nothing
    w2 = world()
    login(w2, T0 - NS)
    iid2 = open_incident(w2, at=T0)
    do(w2, iid2, "ack", T0 + 10 * NS)
    assert (
        alerts(do(w2, iid2, "resolve", T0 + 20 * NS, {"cause": "cooking_smoke"}), "propose_escalation") == []
    )


@pytest.fixture
def rig() -> Rig:
    r = make_rig()
    r.engine.services = load_services(ROOT / "resources" / "escalation.toml")
    r.engine.start()
    yield r  # type: ignore[misc]
    r.engine.stop()


def test_the_engine_writes_the_configured_recipients_into_the_record(rig: Rig) -> None:
    rig_login(rig)
    assert rig.bus(alarm_msg()).wait(WAIT_S)
    rig.until(lambda w: 1 in w.incidents)
    rig.engine.submit_command(
        ev.Escalate(at=0, operator="op1", console="c1", incident=1, target="ambulance_120")
    )
    rig.until(lambda w: "ambulance_120" in w.incidents[1].escalations)
    (rec,) = rig.bodies("esc")
    assert isinstance(rec, ev.Escalate) and [c.phone for c in rec.recipients] == ["02300000120"]
    rig.until(lambda w: any(decode_notify(p).role == "service:ambulance_120" for _, p, _ in rig.pub.sent))  # type: ignore[union-attr]


def test_a_broken_escalation_file_is_refused_with_its_name(tmp_path: Path) -> None:
    bad = tmp_path / "escalation.toml"
    bad.write_text('[fire_119]\ncontacts = [{ name = "x", phone = "not-a-number" }]\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"escalation\.toml"):
        load_services(bad)
    bad.write_text("[police_110]\ncontacts = []\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not a service"):
        load_services(bad)
