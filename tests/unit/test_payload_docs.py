"""The examples and rules of docs/payloads.md, through the real codec: each JSON example decodes
to what the page says and encodes back to the same bytes; the notification request is the one
the planner makes; each quarantine reason of the receipts' table is what a receipt gets."""

from __future__ import annotations

import re
from pathlib import Path

import msgspec
import pytest

from console.app.data import load_templates
from console.domain.codec import (
    RECEIPT_STATUSES,
    GatewayStatus,
    NotifyRequest,
    Receipt,
    Rejected,
    Reply,
    decode_device,
    decode_gateway_status,
    decode_notify,
    decode_receipt,
    decode_reply,
    encode_gateway_status,
    encode_notify,
    encode_receipt,
    encode_reply,
    parse_ts,
)
from console.domain.events import DeviceEvent
from console.domain.incident import Incident
from console.domain.notify_plan import first_requests, incident_of_req
from console.domain.registry import Contact, Household
from console.paths import resource

DOC = Path(__file__).resolve().parents[2] / "docs" / "payloads.md"
TEXT = DOC.read_text(encoding="utf-8")
BLOCK = re.compile(r"^```json (\S+)\n(.*?)\n```$", re.MULTILINE | re.DOTALL)


def examples(kind: str) -> list[tuple[int, bytes]]:
    """(offset in the page, payload bytes) of each ```json KIND block."""
    return [(m.start(), m.group(2).encode("utf-8")) for m in BLOCK.finditer(TEXT) if m.group(1) == kind]


def section(title: str) -> str:
    start = TEXT.index(f"\n## {title}")
    end = TEXT.find("\n## ", start + 1)
    return TEXT[start:end]


def test_the_page_has_each_kind_of_example() -> None:
    kinds = [m.group(1) for m in BLOCK.finditer(TEXT)]
    assert sorted(set(kinds)) == ["device", "gateway", "notify-request", "receipt", "reply"]
    assert all(b"\n" not in payload for k in set(kinds) for _, payload in examples(k))  # one line each


def test_device_examples_decode_unflagged() -> None:
    got = []
    for at_offset, payload in examples("device"):
        topic = re.findall(r"`(guard/v1/evt/[^`]+)`", TEXT[:at_offset])[-1]  # the topic named above it
        ts = parse_ts(msgspec.json.decode(payload)["ts"])
        assert ts is not None
        e = decode_device(topic, payload, at=ts)
        assert isinstance(e, DeviceEvent), e
        assert topic.endswith(f"/{e.dev}") and e.flags == ()
        got.append((e.kind, e.evt))
    assert got == [("smoke", "alarm"), ("smoke", "offline")]


def _request() -> NotifyRequest:
    [(_, payload)] = examples("notify-request")
    r = decode_notify(payload)
    assert isinstance(r, NotifyRequest), r
    return r


def test_notify_request_example_is_exactly_what_the_console_encodes() -> None:
    [(_, payload)] = examples("notify-request")
    r = _request()
    assert encode_notify(r) == payload  # field order, compact, UTF-8 unescaped: byte for byte
    assert r.v == 1 and r.channel in ("sms", "voice") and incident_of_req(r.req) == r.incident
    assert r.req == f"I{r.incident}-C7-{r.channel}-{r.attempt}"


def test_notify_request_example_is_what_the_planner_makes() -> None:
    """The text template, the request id and the fields, from the shipped smoke template."""
    r = _request()
    m = re.fullmatch(r"【守护台】(.+)发生烟感报警，请立即确认老人安全。事件号(\d+)", r.text)
    assert m is not None and int(m.group(2)) == r.incident, r.text
    hh = Household(
        code=r.household,
        district="500106",
        township="500106001",
        community="500106001003",
        grid="G1",
        address=m.group(1),
        lat=29.5,
        lon=106.4,
        contacts=(Contact(id="C7", role=r.role, name="王", phone=r.to),),
    )
    inc = Incident(
        id=r.incident,
        household=hh.code,
        district=hh.district,
        township=hh.township,
        kind="smoke",
        opened=0,
        kinds=["smoke"],
    )
    made = first_requests(inc, hh, load_templates(resource("checklists"))["smoke"], at=0)
    assert made[0].request == r and made[0].district == hh.district


def test_receipt_examples_decode_and_encode_back() -> None:
    found = examples("receipt")
    assert len(found) >= 2
    for _, payload in found:
        r = decode_receipt(payload)
        assert isinstance(r, Receipt), (payload, r)
        assert r.status in RECEIPT_STATUSES
        assert encode_receipt(r) == payload  # what the gateway simulator sends
    first = decode_receipt(found[0][1])
    assert isinstance(first, Receipt) and first.req == _request().req  # it answers the request above


RECEIPT_CASES: dict[str, bytes] = {
    "too_large": b'{"req":"I1-C1-sms-1","status":"sent","detail":"' + b"x" * 4096 + b'"}',
    "bad_json": b'{"req":"I1-C1-sms-1",',
    "not_object": b'["I1-C1-sms-1","sent"]',
    "missing_field": b'{"req":"I1-C1-sms-1"}',
    "bad_type": b'{"req":"I1-C1-sms-1","status":"sent","detail":null}',
    "bad_receipt_status": b'{"req":"I1-C1-sms-1","status":"read"}',
}


def test_the_receipt_table_names_every_reason_the_codec_gives() -> None:
    documented = set(re.findall(r"\| quarantined `([a-z_]+)` \|", section("Receipts")))
    assert documented == set(RECEIPT_CASES)


@pytest.mark.parametrize("reason", sorted(RECEIPT_CASES))
def test_receipt_rule(reason: str) -> None:
    r = decode_receipt(RECEIPT_CASES[reason])
    assert isinstance(r, Rejected) and r.reason == reason, r


def test_receipt_leniencies_as_documented() -> None:
    """Unknown fields ignored, the last of two keys wins, an empty req accepted, detail optional."""
    assert decode_receipt(b'{"req":"a","status":"sent","x":{"y":1}}') == Receipt("a", "sent")
    assert decode_receipt(b'{"req":"a","status":"sent","status":"failed"}') == Receipt("a", "failed")
    assert decode_receipt(b'{"req":"","status":"sent"}') == Receipt("", "sent")
    assert decode_receipt(b'{"req":"a","status":"failed","detail":"invalid_number"}') == Receipt(
        "a", "failed", "invalid_number"
    )


def test_a_request_that_does_not_decode_is_bad_json_for_the_gateway() -> None:
    """decode_notify has one reason for every decoding failure, as the request table says."""
    for payload in (b"{", b"[]", b'{"req":"x"}', _with(b'"incident":12', b'"incident":"12"')):
        r = decode_notify(payload)
        assert isinstance(r, Rejected) and r.reason == "bad_json", (payload, r)


def _with(old: bytes, new: bytes) -> bytes:
    [(_, payload)] = examples("notify-request")
    assert old in payload
    return payload.replace(old, new)


def test_reply_and_gateway_examples_decode_and_encode_back() -> None:
    [(_, reply)] = examples("reply")
    r = decode_reply(reply)
    assert isinstance(r, Reply) and r.req == "I12-GW1-sms-1" and r.sender == "13900000001"
    assert encode_reply(r) == reply
    [(_, status)] = examples("gateway")
    g = decode_gateway_status(status)
    assert isinstance(g, GatewayStatus) and g.state == "online" and g.providers["tencent"] == "failing"
    assert encode_gateway_status(g) == status
    assert decode_gateway_status(status.replace(b'"online"', b'"asleep"')) == Rejected(
        "bad_gateway_state", "asleep"
    )
