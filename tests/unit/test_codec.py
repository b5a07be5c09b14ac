"""The v1 bus contract: every field decodes, every bad payload gets its reason, nothing raises."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.domain import codec
from console.domain.codec import REASONS, Receipt, Rejected, decode_device, decode_receipt
from console.domain.events import EVTS, KINDS, DeviceEvent
from tests.support import T0

TOPIC = "guard/v1/evt/SIM/T1/D1"
AT = T0
TS = "2026-11-28T16:00:00+08:00"  # = 08:00 UTC
TS_NS = 1_795_852_800_000_000_000


def payload(**over: Any) -> bytes:
    p: dict[str, Any] = {"v": 1, "id": "e1", "dev": "D1", "kind": "smoke", "evt": "alarm", "ts": TS}
    for k, v in over.items():
        if v is ...:
            p.pop(k)
        else:
            p[k] = v
    return json.dumps(p).encode()


def reason(topic: str, data: bytes) -> str:
    out = decode_device(topic, data, AT)
    assert isinstance(out, Rejected), out
    return out.reason


def test_minimal_payload_decodes_with_topic_parts() -> None:
    e = decode_device(TOPIC, payload(), AT)
    assert isinstance(e, DeviceEvent)
    assert (e.district, e.township, e.dev, e.id, e.kind, e.evt) == ("SIM", "T1", "D1", "e1", "smoke", "alarm")
    assert e.at == AT and e.ts == TS_NS
    assert e.key == "D1/e1"
    assert (e.seq, e.val, e.unit, e.lvl, e.code, e.bat, e.rssi, e.hb) == (None,) * 8


def test_every_optional_field_decodes() -> None:
    e = decode_device(
        TOPIC,
        payload(seq=7, val=12.5, unit="%LEL", lvl=2, code=201, bat=88, rssi=-71, hb=3600),
        AT,
    )
    assert isinstance(e, DeviceEvent)
    assert (e.seq, e.val, e.unit, e.lvl, e.code, e.bat, e.rssi, e.hb) == (
        7,
        12.5,
        "%LEL",
        2,
        201,
        88,
        -71,
        3600,
    )


def test_unknown_extra_fields_are_tolerated() -> None:
    assert isinstance(decode_device(TOPIC, payload(vendor_x={"a": 1}), AT), DeviceEvent)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("evt", EVTS)
def test_every_kind_and_evt_decodes(kind: str, evt: str) -> None:
    e = decode_device(TOPIC, payload(kind=kind, evt=evt), AT)
    assert isinstance(e, DeviceEvent) and (e.kind, e.evt) == (kind, evt)


@pytest.mark.parametrize(
    ("ts", "ns"),
    [
        ("2026-11-28T08:00:00Z", TS_NS),
        ("2026-11-28T08:00:00+00:00", TS_NS),
        ("2026-11-28T03:00:00-05:00", TS_NS),
        ("2026-11-28T16:00:00.250+08:00", TS_NS + 250_000_000),
        ("2026-11-28T16:00:00.999999+08:00", TS_NS + 999_999_000),
        ("1970-01-01T00:00:00Z", 0),
        ("1969-12-31T23:59:59.5+00:00", -500_000_000),
        ("2262-04-11T23:47:16.854775+00:00", 9_223_372_036_854_775_000),
    ],
)
def test_ts_is_exact_utc_nanoseconds(ts: str, ns: int) -> None:
    e = decode_device(TOPIC, payload(ts=ts), AT)
    assert isinstance(e, DeviceEvent)
    assert e.ts == ns


# --- each rejection reason ----------------------------------------------------------------


def test_too_large() -> None:
    big = payload(unit="x" * 5000)
    assert len(big) > codec.MAX_PAYLOAD
    assert reason(TOPIC, big) == "too_large"


def test_exactly_max_payload_is_not_too_large() -> None:
    base = payload(unit="")
    data = payload(unit="x" * (codec.MAX_PAYLOAD - len(base)))
    assert len(data) == codec.MAX_PAYLOAD
    assert isinstance(decode_device(TOPIC, data, AT), DeviceEvent)


@pytest.mark.parametrize(
    "topic",
    [
        "guard/v1/evt/SIM/T1",
        "guard/v1/evt/SIM/T1/D1/extra",
        "guard/v1/evt/SIM//D1",
        "guard/v2/evt/SIM/T1/D1",
        "guard/v1/notify/SIM/req",
        "",
    ],
)
def test_bad_topic(topic: str) -> None:
    assert reason(topic, payload()) == "bad_topic"


@pytest.mark.parametrize("data", [b"", b"{", b"not json", b"\xff\xfe", b'{"v":1,}', b'{"v":NaN}'])
def test_bad_json(data: bytes) -> None:
    assert reason(TOPIC, data) == "bad_json"


@pytest.mark.parametrize("data", [b"[]", b"[1,2]", b'"str"', b"42", b"null", b"true"])
def test_not_object(data: bytes) -> None:
    assert reason(TOPIC, data) == "not_object"


@pytest.mark.parametrize("field", ["v", "id", "dev", "kind", "evt", "ts"])
def test_missing_field(field: str) -> None:
    out = decode_device(TOPIC, payload(**{field: ...}), AT)
    assert isinstance(out, Rejected)
    assert out.reason == "missing_field" and f"`{field}`" in out.detail


@pytest.mark.parametrize(
    "over",
    [
        {"v": "1"},
        {"v": True},
        {"v": 1.0},
        {"id": 5},
        {"dev": None},
        {"kind": ["smoke"]},
        {"ts": 1700000000},
        {"seq": "7"},
        {"val": "12"},
        {"bat": 1.5},
        {"lvl": "high"},
        {"bat": 2**64},  # must fit a 64-bit column
        {"seq": -(2**63) - 1},
    ],
)
def test_bad_type(over: dict[str, Any]) -> None:
    assert reason(TOPIC, payload(**over)) == "bad_type"


def test_number_overflowing_a_double_is_bad_type() -> None:
    data = payload(val=0).replace(b'"val": 0', b'"val": 1e400')
    assert reason(TOPIC, data) == "bad_type"


@pytest.mark.parametrize("v", [0, 2, -1, 100])
def test_bad_version(v: int) -> None:
    assert reason(TOPIC, payload(v=v)) == "bad_version"


def test_unknown_kind() -> None:
    assert reason(TOPIC, payload(kind="water")) == "unknown_kind"


def test_unknown_evt() -> None:
    assert reason(TOPIC, payload(evt="explode")) == "unknown_evt"


@pytest.mark.parametrize(
    "ts",
    [
        "2026-11-28T16:00:00",  # no offset
        "2026-11-28",  # date only, no offset
        "yesterday",
        "",
        "2026-13-01T00:00:00Z",
        "1677-09-21T00:12:43Z",  # before what 64-bit nanoseconds can hold
        "9999-12-31T23:59:59.999999+00:00",  # after it
    ],
)
def test_bad_ts(ts: str) -> None:
    assert reason(TOPIC, payload(ts=ts)) == "bad_ts"


def test_id_too_long_and_empty() -> None:
    assert isinstance(decode_device(TOPIC, payload(id="x" * codec.MAX_ID), AT), DeviceEvent)
    assert reason(TOPIC, payload(id="x" * (codec.MAX_ID + 1))) == "id_too_long"
    assert reason(TOPIC, payload(id="")) == "id_too_long"


def test_dev_too_long() -> None:
    dev = "D" * (codec.MAX_DEV + 1)
    assert reason(f"guard/v1/evt/SIM/T1/{dev}", payload(dev=dev)) == "dev_too_long"
    ok = "D" * codec.MAX_DEV
    assert isinstance(decode_device(f"guard/v1/evt/SIM/T1/{ok}", payload(dev=ok), AT), DeviceEvent)


def test_dev_mismatch() -> None:
    out = decode_device(TOPIC, payload(dev="D2"), AT)
    assert isinstance(out, Rejected) and out.reason == "dev_mismatch"
    assert "D2" in out.detail and "D1" in out.detail


def test_precedence_size_then_topic_then_json() -> None:
    assert reason("bad", b"x" * 5000) == "too_large"
    assert reason("bad", b"{") == "bad_topic"


def test_every_reason_code_is_reachable_by_these_tests() -> None:
    # A reason added to REASONS without a test above (or in test_codec_hostile.py) shows up here.
    assert set(REASONS) == {
        "duplicate_key",
        "bad_chars",
        "bad_id",
        "too_large",
        "bad_topic",
        "bad_json",
        "not_object",
        "missing_field",
        "bad_type",
        "bad_version",
        "unknown_kind",
        "unknown_evt",
        "bad_ts",
        "id_too_long",
        "dev_too_long",
        "dev_mismatch",
    }


# --- never raises -------------------------------------------------------------------------

_json_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text()
)
_json = st.recursive(
    _json_scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=5,
)


@settings(max_examples=300, deadline=None)
@given(topic=st.text(max_size=80), data=st.binary(max_size=600))
def test_decode_device_never_raises_on_arbitrary_bytes(topic: str, data: bytes) -> None:
    out = decode_device(topic, data, AT)
    assert isinstance(out, DeviceEvent | Rejected)
    if isinstance(out, Rejected):
        assert out.reason in REASONS


@settings(max_examples=150, deadline=None)
@given(
    fields=st.dictionaries(
        st.sampled_from(["v", "id", "dev", "kind", "evt", "ts", "seq", "val", "lvl", "bat", "x"]),
        _json,
        max_size=6,
    ),
    base=st.booleans(),
)
def test_decode_device_never_raises_on_near_valid_objects(fields: dict[str, Any], base: bool) -> None:
    p: dict[str, Any] = (
        {"v": 1, "id": "e1", "dev": "D1", "kind": "smoke", "evt": "alarm", "ts": TS} if base else {}
    )
    p.update(fields)
    out = decode_device(TOPIC, json.dumps(p).encode(), AT)
    assert isinstance(out, DeviceEvent | Rejected)
    if isinstance(out, Rejected):
        assert out.reason in REASONS
    else:
        assert out.dev == "D1"  # only a payload that names the topic's device gets through


@settings(max_examples=200, deadline=None)
@given(dev=st.text(min_size=1, max_size=40).filter(lambda s: "/" not in s), id_=st.text(max_size=70))
def test_valid_shaped_payload_decodes_or_is_rejected_for_length(dev: str, id_: str) -> None:
    topic = codec.device_topic("SIM", "T1", dev)
    out = decode_device(topic, payload(dev=dev, id=id_), AT)
    if not (dev + id_).isprintable():
        assert isinstance(out, Rejected) and out.reason == "bad_chars"
    elif 0 < len(id_) <= codec.MAX_ID and len(dev) <= codec.MAX_DEV:
        if dev.strip() == dev and id_.strip() == id_:
            assert isinstance(out, DeviceEvent) and out.dev == dev and out.id == id_
        else:
            assert isinstance(out, Rejected) and out.reason == "bad_id"
    else:
        assert isinstance(out, Rejected) and out.reason in ("id_too_long", "dev_too_long")


# --- receipts, notify requests, topics ------------------------------------------------------


@pytest.mark.parametrize("status", sorted(codec.RECEIPT_STATUSES))
def test_receipt_round_trip(status: str) -> None:
    r = Receipt("I1-H1-e-voice-1", status, "gw")
    assert decode_receipt(codec.encode_receipt(r)) == r


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"x" * 5000, "too_large"),
        (b"{", "bad_json"),
        (b"[]", "not_object"),
        (b'{"status":"sent"}', "missing_field"),
        (b'{"req":1,"status":"sent"}', "bad_type"),
        (b'{"req":"r","status":"lost"}', "bad_receipt_status"),
    ],
)
def test_receipt_rejections(data: bytes, why: str) -> None:
    out = decode_receipt(data)
    assert isinstance(out, Rejected) and out.reason == why


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_decode_receipt_never_raises(data: bytes) -> None:
    assert isinstance(decode_receipt(data), Receipt | Rejected)


def test_notify_request_round_trip_and_garbage() -> None:
    req = codec.NotifyRequest(
        req="I1-H1-e-sms-1", incident=1, household="H1", channel="sms", role="elder", to="1", text="火"
    )
    assert codec.decode_notify(codec.encode_notify(req)) == req
    assert isinstance(codec.decode_notify(b"{}"), Rejected)


def test_topics() -> None:
    assert codec.device_topic("SIM", "T1", "D1") == TOPIC
    assert codec.parse_topic(TOPIC) == ("SIM", "T1", "D1")
    assert codec.notify_req_topic("SIM") == "guard/v1/notify/SIM/req"
    assert codec.notify_receipt_topic("SIM") == "guard/v1/notify/SIM/receipt"
    assert codec.presence_topic("SIM", "c1") == "guard/v1/console/SIM/c1"


def test_beat_of_keeps_health_fields() -> None:
    e = decode_device(TOPIC, payload(evt="heartbeat", bat=50, rssi=-80, hb=600), AT)
    assert isinstance(e, DeviceEvent)
    assert codec.beat_of(e) == codec.Beat("D1", TS_NS, 50, -80, 600)


def test_check_notify_refuses_what_no_gateway_may_send() -> None:
    from console.domain.codec import MAX_PAYLOAD, NotifyRequest, Rejected, check_notify, encode_notify

    ok = NotifyRequest(
        req="I1-C1-sms-1", incident=1, household="H1", channel="fax", role="elder", to="1", text="t"
    )
    assert check_notify(encode_notify(ok)) == ok  # the channel is the gateway's to judge
    assert check_notify(b"x" * (MAX_PAYLOAD + 1)) == Rejected("too_large", f"{MAX_PAYLOAD + 1} bytes")
    assert check_notify(b"{}").reason == "bad_json"  # type: ignore[union-attr]
    v2 = encode_notify(
        NotifyRequest(v=2, req="r", incident=1, household="H1", channel="sms", role="e", to="1", text="")
    )
    assert check_notify(v2) == Rejected("bad_version", "2")
    long = encode_notify(
        NotifyRequest(req="r" * 129, incident=1, household="H1", channel="sms", role="e", to="1", text="")
    )
    assert check_notify(long) == Rejected("bad_req_id", "r" * 64)
