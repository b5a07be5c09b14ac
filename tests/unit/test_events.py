"""The event vocabulary: one canonical encoding per event, and the journal's index fields."""

from __future__ import annotations

import json
import typing

import pytest

from console.domain import events as ev
from console.domain import liveness
from tests.support import T0

AT = T0

SAMPLES: list[ev.AnyEvent] = [
    ev.DeviceEvent(
        at=AT,
        district="SIM",
        township="T1",
        dev="D1",
        id="e1",
        kind="gas",
        evt="alarm",
        ts=AT,
        lvl=2,
        val=9.5,
    ),
    ev.Heartbeats(at=AT, township="T1", beats=(ev.Beat("D1", AT, 90, -70, 600), ev.Beat("D2", AT))),
    ev.Quarantined(at=AT, topic="guard/v1/evt/x", reason="bad_json", detail="d", head=b"\x00\xffraw"),
    ev.NotifyReceipt(at=AT, req="I1-H1-e-voice-1", status="failed", detail="busy"),
    ev.CompleteStep(
        at=AT, operator="op", console="c1", incident=3, step="dispatch", values={"responder": "GW1"}
    ),
    ev.Escalate(
        at=AT,
        operator="op",
        console="c1",
        incident=3,
        target="fire_119",
        expect_version=4,
        recipients=(ev.ServiceContact(name="消防", phone="02300000119"),),
    ),
    ev.Reassign(at=AT, operator="op", console="c1", incident=3, assignee="op2"),
    ev.TicketAction(at=AT, operator="op", console="c1", ticket=9, action="close", note="replaced"),
    ev.RevealContact(
        at=AT, operator="op", console="c1", household="H1", field="contact:C1:phone", reason="回访老人"
    ),
    ev.Login(at=AT, operator="op", console="c1", role="township_officer", scope="T1"),
    ev.Logout(at=AT, operator="op", console="c1"),
    ev.Handover(at=AT, console="c1", from_operator="a", to_operator="b", open_incidents=(1, 2), note="n"),
    ev.Tick(at=AT),
    ev.BusStatus(at=AT, state="blind", detail="broker down"),
    ev.NotifyPublished(at=AT, reqs=("I1-a-sms-1", "I1-a-voice-1")),
    ev.SystemNote(at=AT, what="start", detail="c1"),
    ev.BulkClose(
        at=AT, operator="op", console="c1", incidents=[4, 7, 9], cause="cooking_smoke", elder_reached=True
    ),
    ev.AckMiss(at=AT, operator="op", console="c1", incident=4, mark=5),
    ev.RegisterChanged(
        at=AT, version="import-20261201-abc", digest="ab" * 32, households=2, devices=3, source="r.csv"
    ),
    ev.FieldReply(
        at=AT, id="aliyun:1234", req="I12-C7-sms-1", sender="13800138000", text="1", provider="aliyun"
    ),
    ev.GatewayState(at=AT, gateway="gw1", state="offline", failing=("aliyun",)),
    ev.PlaceCall(at=AT, operator="op", console="c1", incident=3, contact="C1"),
    ev.TicketAction(at=AT, operator="op", console="c1", ticket=9, action="assign", assignee="老王"),
    ev.Seen(at=AT, reg="ab" * 32, places=b"\x00\x02", beats=3, unknown=1),
]


def test_samples_cover_every_event_type() -> None:
    assert {type(e) for e in SAMPLES} == set(typing.get_args(ev.AnyEvent))
    assert set(ev.SOURCE) == set(typing.get_args(ev.AnyEvent))


@pytest.mark.parametrize("e", SAMPLES, ids=lambda e: type(e).__name__)
def test_round_trip_is_exact(e: ev.AnyEvent) -> None:
    data = ev.encode(e)
    back = ev.decode(data)
    assert back == e and type(back) is type(e)
    assert ev.encode(back) == data  # canonical: re-encoding gives the same bytes


@pytest.mark.parametrize("e", SAMPLES, ids=lambda e: type(e).__name__)
def test_encoding_is_compact_with_sorted_keys(e: ev.AnyEvent) -> None:
    data = ev.encode(e)
    obj = json.loads(data)
    assert list(obj) == sorted(obj)
    assert b": " not in data and b", " not in data
    assert obj["t"] == ev.type_of(e)


def test_defaults_are_omitted() -> None:
    data = ev.encode(ev.Tick(at=5))
    assert data == b'{"at":5,"t":"tick"}'


@pytest.mark.parametrize(
    ("e", "source", "type_", "key"),
    [
        (SAMPLES[0], "bus", "dev", "D1/e1"),
        (SAMPLES[1], "bus", "hb", ""),
        (SAMPLES[2], "bus", "quar", ""),
        (SAMPLES[3], "bus", "rcpt", "req:I1-H1-e-voice-1"),
        (SAMPLES[4], "operator", "step", "incident:3"),
        (SAMPLES[5], "operator", "esc", "incident:3"),
        (SAMPLES[6], "operator", "reassign", "incident:3"),
        (SAMPLES[7], "operator", "ticket", "ticket:9"),
        (SAMPLES[8], "operator", "reveal", "household:H1"),
        (SAMPLES[9], "operator", "login", ""),
        (SAMPLES[12], "timer", "tick", ""),
        (SAMPLES[13], "system", "bus", ""),
        (SAMPLES[14], "system", "npub", ""),
        (SAMPLES[15], "system", "sys", ""),
        (SAMPLES[16], "operator", "bulk", "bulk:3"),
        (SAMPLES[-3], "operator", "call", "incident:3"),
    ],
)
def test_index_fields(e: ev.AnyEvent, source: str, type_: str, key: str) -> None:
    assert (ev.source_of(e), ev.type_of(e), ev.key_of(e)) == (source, type_, key)


def test_decode_rejects_unknown_tag() -> None:
    import msgspec

    with pytest.raises(msgspec.ValidationError):
        ev.decode(b'{"at":1,"t":"nope"}')


def test_seen_records_carry_their_places_as_bytes() -> None:
    e = ev.Seen(at=AT, reg="ab" * 32, places=liveness.encode_places([3, 0, 700]), beats=4, unknown=1)
    assert ev.decode(ev.encode(e)) == e
    assert (ev.source_of(e), ev.type_of(e), ev.key_of(e)) == ("bus", "seen", "")
    assert liveness.decode_places(e.places, 701) == [0, 3, 700]
