"""Hostile payloads (issue 17, docs/payloads.md): what is quarantined with a reason, and what an
alarm keeps as an incident with a flag because only its metadata is odd."""

from __future__ import annotations

import json
from typing import Any

import pytest

from console.domain import codec
from console.domain import events as ev
from console.domain.codec import FLAGS, REASONS, Rejected, decode_device
from console.domain.events import DeviceEvent
from tests.support import T0

TOPIC = "guard/v1/evt/SIM/T1/D1"
AT = T0
TS = "2026-11-28T16:00:00+08:00"
BASE: dict[str, Any] = {"v": 1, "id": "e1", "dev": "D1", "kind": "smoke", "evt": "alarm", "ts": TS}
DAY_NS = 86_400 * 1_000_000_000


def payload(**over: Any) -> bytes:
    return json.dumps({**BASE, **over}).encode()


def accepted(data: bytes, topic: str = TOPIC, at: int = AT) -> DeviceEvent:
    out = decode_device(topic, data, at)
    assert isinstance(out, DeviceEvent), out
    return out


def rejected(data: bytes, topic: str = TOPIC) -> Rejected:
    out = decode_device(topic, data, AT)
    assert isinstance(out, Rejected), out
    assert out.reason in REASONS
    return out


def at_of(ts: str) -> int:
    ns = codec.parse_ts(ts)
    assert ns is not None
    return ns


# --- accepted, flagged: the alarm stays an alarm ---------------------------------------------


@pytest.mark.parametrize(
    ("over", "flag", "field"),
    [
        ({"bat": -1}, "bat_range", "bat"),
        ({"bat": 101}, "bat_range", "bat"),
        ({"bat": 2**62}, "bat_range", "bat"),
        ({"rssi": 5}, "rssi_range", "rssi"),
        ({"rssi": -500}, "rssi_range", "rssi"),
        ({"hb": 0}, "hb_range", "hb"),
        ({"hb": -3600}, "hb_range", "hb"),
        ({"hb": 2**40}, "hb_range", "hb"),
        ({"lvl": 3}, "lvl_range", "lvl"),
        ({"lvl": 0}, "lvl_range", "lvl"),
        ({"val": -5.0, "unit": "ppm"}, "val_range", "val"),
        ({"val": 250.0, "unit": "%LEL"}, "val_range", "val"),
        ({"val": -300.0, "unit": "°C"}, "val_range", "val"),
        ({"val": 1e12, "unit": "°C"}, "val_range", "val"),
        ({"val": -1.0, "unit": "mA"}, "val_range", "val"),
        ({"val": 1e300}, "val_range", "val"),  # huge, no unit
        ({"seq": -1}, "seq_range", "seq"),
    ],
)
def test_odd_metadata_is_dropped_and_flagged_but_the_alarm_stays(
    over: dict[str, Any], flag: str, field: str
) -> None:
    e = accepted(payload(**over))
    assert (e.evt, e.kind) == ("alarm", "smoke")
    assert e.flags == (flag,)
    assert getattr(e, field) is None  # nothing downstream trusts the odd value


@pytest.mark.parametrize(
    "over",
    [
        {"bat": 0},
        {"bat": 100},
        {"rssi": -140},
        {"rssi": 0},
        {"hb": 1},
        {"hb": 30 * 86_400},
        {"lvl": 1},
        {"lvl": 2},
        {"val": 0.0, "unit": "ppm"},
        {"val": 100.0, "unit": "%LEL"},
        {"val": -40.0, "unit": "°C"},
        {"val": 230.0, "unit": "V"},
        {"val": -1e9},
        {"seq": 0},
    ],
)
def test_values_at_the_edges_are_not_flagged(over: dict[str, Any]) -> None:
    e = accepted(payload(**over))
    assert e.flags == ()
    for k, v in over.items():
        assert getattr(e, k) == v


def test_several_flags_keep_their_order() -> None:
    e = accepted(payload(bat=200, rssi=10, hb=0, lvl=9, val=-1.0, unit="ppm", seq=-2))
    assert e.flags == ("bat_range", "rssi_range", "hb_range", "lvl_range", "val_range", "seq_range")
    assert set(e.flags) <= set(FLAGS)


def test_unknown_unit_is_flagged_and_kept_when_printable() -> None:
    e = accepted(payload(val=12.0, unit="furlongs"))
    assert e.flags == ("unit_unknown",) and e.unit == "furlongs" and e.val == 12.0


@pytest.mark.parametrize("unit", ["ppm\u202e", "\x00", "x" * 17])
def test_unit_that_could_disguise_a_reading_is_dropped(unit: str) -> None:
    e = accepted(payload(val=12.0, unit=unit))
    assert e.unit is None and e.val == 12.0 and e.flags == ("unit_unknown",)


@pytest.mark.parametrize("ts", ["1970-01-01T00:00:00Z", "2099-01-01T00:00:00+08:00"])
def test_device_time_far_off_is_recorded_and_flagged_never_rejected(ts: str) -> None:
    e = accepted(payload(ts=ts))
    assert e.ts == at_of(ts)  # recorded as sent
    assert e.at == AT  # T0 is the receipt time, never the device's
    assert e.flags == ("ts_skew",)


def test_device_time_within_a_day_is_not_flagged() -> None:
    at = at_of(TS)
    assert accepted(payload(), at=at + DAY_NS).flags == ()
    assert accepted(payload(), at=at - DAY_NS).flags == ()
    assert accepted(payload(), at=at + DAY_NS + 1).flags == ("ts_skew",)


def test_heartbeat_with_odd_battery_keeps_no_odd_value() -> None:
    e = accepted(payload(evt="heartbeat", bat=255, rssi=-70, hb=3600))
    assert codec.beat_of(e) == ev.Beat("D1", e.ts, None, -70, 3600)


# --- duplicate keys: quarantined --------------------------------------------------------------

_DUP_SMOKE_GAS = (
    b'{"v":1,"id":"e1","dev":"D1","kind":"smoke","evt":"alarm","ts":"2026-11-28T16:00:00+08:00","kind":"gas"}'
)


@pytest.mark.parametrize(
    "data",
    [
        _DUP_SMOKE_GAS,
        # the same with whitespace, and with the second key written with an escape
        _DUP_SMOKE_GAS.replace(b',"kind":"gas"', b' , "kind" : "gas" '),
        _DUP_SMOKE_GAS.replace(b',"kind":"gas"', b',"k\\u0069nd":"gas"'),
        # a second key hidden behind a vendor field (the quotes no longer add up)
        _DUP_SMOKE_GAS.replace(b',"kind":"gas"', b',"x":{"kind":"a"},"kind":"gas"'),
        # a null first, the value second
        payload(bat=50).replace(b'"v": 1', b'"bat": null, "v": 1'),
        # a contract field repeated with the same value is still two answers to one question
        payload().replace(b'"v": 1', b'"v": 1, "v": 1'),
        payload().replace(b'"v": 1', b'"dev": "D1", "v": 1'),
    ],
)
def test_duplicate_contract_key_is_quarantined(data: bytes) -> None:
    out = rejected(data)
    assert out.reason == "duplicate_key"


def test_duplicate_key_detail_names_the_key() -> None:
    assert rejected(_DUP_SMOKE_GAS).detail == "kind"


def test_nesting_too_deep_to_check_for_a_second_key_is_quarantined() -> None:
    deep = b"[" * 1900 + b"]" * 1900
    data = _DUP_SMOKE_GAS.replace(b',"kind":"gas"', b',"x":' + deep + b',"kind":"gas"')
    assert len(data) <= codec.MAX_PAYLOAD
    out = decode_device(TOPIC, data, AT)
    assert isinstance(out, Rejected) and out.reason in ("duplicate_key", "bad_json")


@pytest.mark.parametrize(
    "data",
    [
        payload(vendor_x={"a": 1, "kind": "gas"}),  # a contract name inside a vendor field
        payload(unit="kind", val=1.0),  # ... or as a value
        payload(id='a"b'),  # an escaped quote
        payload(unit="°C", val=20.0),  # escapes (\u00b0) in a value
        payload().replace(b'"v": 1', b'"x": 1, "x": 2, "v": 1'),  # a vendor key twice: ignored
        payload(bat=None),  # an explicit null
    ],
)
def test_no_false_duplicate(data: bytes) -> None:
    e = accepted(data)
    assert e.kind == "smoke"


# --- characters an officer could misread: quarantined ---------------------------------------


@pytest.mark.parametrize(
    "bad",
    ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\x9f", "\u200e", "\u200f"]
    + [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2066, 0x206A)]
    + ["\u200b", "\ufeff"],
)
@pytest.mark.parametrize("field", ["id", "dev"])
def test_control_and_bidi_characters_in_ids_are_quarantined(bad: str, field: str) -> None:
    value = f"D{bad}1"
    topic = codec.device_topic("SIM", "T1", value) if field == "dev" else TOPIC
    out = rejected(payload(**{field: value}), topic)
    assert out.reason == "bad_chars"
    assert out.detail.isprintable()  # the detail shown in quarantine is escaped


def test_a_lone_surrogate_never_reaches_the_journal() -> None:
    # msgspec refuses the escape itself; in a topic it is a bad character
    assert rejected(payload(id="D\ud8001")).reason == "bad_json"
    assert rejected(payload(), "guard/v1/evt/SIM/T\ud8001/D1").reason == "bad_chars"


@pytest.mark.parametrize("field", ["kind", "evt", "ts"])
def test_bidi_in_other_strings_is_quarantined_with_a_clean_detail(field: str) -> None:
    out = rejected(payload(**{field: "smoke\u202e"}))
    assert out.reason == "bad_chars" and out.detail.isprintable()


@pytest.mark.parametrize("topic", ["guard/v1/evt/SIM/T\u202e1/D1", "guard/v1/evt/S\x01IM/T1/D1"])
def test_bad_characters_in_the_topic_are_quarantined(topic: str) -> None:
    out = rejected(payload(), topic)
    assert out.reason == "bad_chars" and out.detail.isprintable()


def test_chinese_ids_are_fine() -> None:
    topic = codec.device_topic("SIM", "解放碑", "烟感1")
    e = accepted(payload(dev="烟感1", id="事件-1"), topic)
    assert (e.township, e.dev, e.id) == ("解放碑", "烟感1", "事件-1")


def test_a_bad_topic_detail_is_escaped() -> None:
    out = rejected(payload(), "guard/v1/evt/\u202e")
    assert out.reason == "bad_topic" and out.detail.isprintable()


# --- ids: blank, padded, empty, too long ------------------------------------------------------


@pytest.mark.parametrize(
    ("over", "topic"),
    [
        ({"id": " "}, TOPIC),
        ({"id": "   "}, TOPIC),
        ({"id": "e1 "}, TOPIC),
        ({"id": " e1"}, TOPIC),
        ({"dev": "D1 "}, "guard/v1/evt/SIM/T1/D1 "),
        ({"dev": " "}, "guard/v1/evt/SIM/T1/ "),
    ],
)
def test_blank_or_padded_ids_are_quarantined(over: dict[str, Any], topic: str) -> None:
    assert rejected(payload(**over), topic).reason == "bad_id"


def test_empty_and_too_long_ids_keep_their_reasons() -> None:
    assert rejected(payload(id="")).reason == "id_too_long"
    assert rejected(payload(id="x" * 65)).reason == "id_too_long"
    assert rejected(payload(dev="D" * 33), codec.device_topic("SIM", "T1", "D" * 33)).reason == "dev_too_long"


# --- shapes: wrong types, nested junk, encodings, size, topic -----------------------------------


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (payload(kind={"nested": ["junk"]}), "bad_type"),
        (payload(bat=[1, 2, 3]), "bad_type"),
        (payload(val=True), "bad_type"),
        (payload(bat=10**30), "bad_type"),  # huge number: past 64 bits
        (payload(val=0).replace(b'"val": 0', b'"val": 1e999'), "bad_type"),  # inf
        (payload(val=0).replace(b'"val": 0', b'"val": NaN'), "bad_json"),
        (payload(val=0).replace(b'"val": 0', b'"val": -Infinity'), "bad_json"),
        (b"\xef\xbb\xbf" + payload(), "bad_json"),  # a BOM
        (payload().replace(b'"e1"', b'"e\xff1"'), "bad_json"),  # not UTF-8
        (payload().replace(b'"e1"', b'"e\xed\xa0\x801"'), "bad_json"),  # UTF-8 of a surrogate
        (json.dumps(BASE).encode("utf-16"), "bad_json"),
        (b"x" * (codec.MAX_PAYLOAD + 1), "too_large"),
        (payload(dev="D2"), "dev_mismatch"),
    ],
)
def test_shapes(data: bytes, why: str) -> None:
    assert rejected(data).reason == why


def test_nested_junk_in_a_vendor_field_is_tolerated() -> None:
    e = accepted(payload(vendor={"a": [1, {"b": None}], "c": "\u202e"}))
    assert e.kind == "smoke"


def test_oversize_is_counted_with_its_size() -> None:
    out = rejected(b"{" + b" " * (100 * 1024) + b"}")
    assert out.reason == "too_large" and out.detail == f"{100 * 1024 + 2} bytes"


# --- the journal -------------------------------------------------------------------------------


def test_flags_are_journaled_and_replay_exactly() -> None:
    e = accepted(payload(bat=300))
    data = ev.encode(e)
    assert b'"flags":["bat_range"]' in data
    assert ev.decode(data) == e and ev.encode(ev.decode(data)) == data


def test_an_event_without_flags_encodes_as_before() -> None:
    # The field is new: an empty default is omitted, so journals written before it (and every
    # plain event now) keep their bytes and their hashes.
    e = accepted(payload(bat=50))
    data = ev.encode(e)
    assert b"flags" not in data
    old = (
        b'{"at":1,"dev":"D1","district":"SIM","evt":"alarm","id":"e1","kind":"smoke","t":"dev",'
        b'"township":"T1","ts":2}'
    )
    back = ev.decode(old)
    assert isinstance(back, DeviceEvent) and back.flags == ()
    assert ev.encode(back) == old


def test_flags_and_reasons_are_distinct_codes() -> None:
    assert len(set(FLAGS)) == len(FLAGS) and len(set(REASONS)) == len(REASONS)
    assert not set(FLAGS) & set(REASONS)
