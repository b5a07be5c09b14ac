"""The platform adapters against the documented examples in tests/bridge/docs/ (see SOURCES.md)."""

from __future__ import annotations

import base64
import copy
import json
import random
from typing import Any

import pytest

from console.bridge.platforms.ctwing import CTWing
from console.bridge.platforms.iotda import IoTDA, iotda_ms
from console.bridge.platforms.onenet import OneNET
from console.bridge.push import DATA, EVENT, OFFLINE, ONLINE, WHATS, Malformed, Platform, Push, Refused
from tests.bridge.platform_bodies import (
    doc,
    doc_body,
    json_body,
    onenet_handshake,
    onenet_push,
    onenet_sign,
    onenet_studio_push,
    token_query,
)

NO_HEADERS: dict[str, str] = {}
FAKE_DEV = "0123456789abcdef0123456789abcdef"
TOKEN = "guardian-demo-token"


def only(pushes: list[Push]) -> Push:
    assert len(pushes) == 1, pushes
    return pushes[0]


def test_the_adapters_are_platforms() -> None:
    platforms: list[Platform] = [CTWing(), OneNET(), IoTDA()]
    assert [p.name for p in platforms] == ["ctwing", "onenet", "iotda"]
    assert all(p.ok().status == 200 for p in platforms)


# --- CTWing ----------------------------------------------------------------------------------


def test_ctwing_data_report_service_data() -> None:
    body = doc_body("ctwing", "data_report_service_data")
    push = only(CTWing().parse(NO_HEADERS, body))
    assert push.platform == "ctwing"
    assert push.product == "15014772"
    assert dict(push.ids) == {"device_id": FAKE_DEV, "imei": "860000000000001"}  # IMSI "undefined" dropped
    assert push.what == DATA
    assert push.seq == ""  # upPacketSN -1 (LwM2M)
    assert push.at_ms == 1606982320277
    assert dict(push.fields) == {
        "TData": 30,
        "SNR": 1,
        "RSRP": 114,
        "IMEI": "860000000000001",
        "Cell_ID_Length": 8,
        "Cell_ID": "38848339",
        "CSQ": 5,
        "Battery_Level": 100,
        "Alarm_Status": 2,
        "AlarmLevel": 100,
        "serviceId": "notification",
    }
    assert push.source == body


def test_ctwing_appdata_lwm2m_empty_sequence() -> None:
    body = doc_body("ctwing", "data_report_appdata_lwm2m")
    push = only(CTWing().parse(NO_HEADERS, body))
    appdata = doc("ctwing", "data_report_appdata_lwm2m")["body"]["payload"]["APPdata"]
    assert push.seq == ""  # upPacketSN ""
    assert push.product == "10053421"
    assert dict(push.ids) == {"device_id": FAKE_DEV, "imei": "860000000000002"}
    assert dict(push.fields) == {"APPdata": base64.b64decode(appdata)}
    assert push.fields["APPdata"][:2] == b"PU"
    assert push.at_ms == 1589444235861


def test_ctwing_appdata_tcp() -> None:
    push = only(CTWing().parse(NO_HEADERS, doc_body("ctwing", "data_report_appdata_tcp")))
    assert dict(push.ids) == {"device_id": "1501708501"}  # IMEI / IMSI "" dropped
    assert push.seq == ""
    assert json.loads(push.fields["APPdata"]) == {
        "b": [{"id": "222", "v": "1"}],
        "c": 27,
        "id": 1609231209767,
        "tm": 1609231209767,
    }


def test_ctwing_thing_model_with_sequence() -> None:
    push = only(CTWing().parse(NO_HEADERS, doc_body("ctwing", "data_report_thing_model")))
    assert push.seq == "37"
    assert dict(push.ids) == {"device_id": "17000001860000000000004", "imei": "860000000000004"}
    assert dict(push.fields) == {"smoke_state": 1, "battery_value": 87, "serviceId": 1}
    assert push.at_ms == 1764576000000


def test_ctwing_online_offline() -> None:
    on = only(CTWing().parse(NO_HEADERS, doc_body("ctwing", "online")))
    off = only(CTWing().parse(NO_HEADERS, doc_body("ctwing", "offline")))
    assert (on.what, on.at_ms, dict(on.fields), on.seq) == (ONLINE, 1589444231825, {}, "")
    assert (off.what, off.at_ms, off.product) == (OFFLINE, 1619523036482, "15045240")
    assert dict(on.ids) == {"device_id": FAKE_DEV}  # iccid "undefined" dropped


def test_ctwing_event_report() -> None:
    push = only(CTWing().parse(NO_HEADERS, doc_body("ctwing", "event_report")))
    assert push.what == EVENT
    assert dict(push.fields) == {"battery_voltage": 1, "battery_state": 1, "serviceId": 1002, "eventType": 2}
    assert dict(push.ids) == {"device_id": FAKE_DEV, "imei": "860000000000003"}
    assert push.at_ms == 1619523767263


def test_ctwing_command_response_is_taken_with_nothing_to_publish() -> None:
    assert CTWing().parse(NO_HEADERS, doc_body("ctwing", "command_response")) == []


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"messageType": "dataReportTupUnion"}, "unknown_message_type"),
        ({"messageType": 5}, "missing_field"),
        ({"deviceId": ""}, "missing_field"),
        ({"payload": {"APPdata": "not base64!"}}, "bad_base64"),
        ({"payload": {"APPdata": 12}}, "bad_type"),
        ({"payload": {"serviceData": [1]}}, "bad_type"),
        ({"payload": "x"}, "missing_field"),
    ],
)
def test_ctwing_malformed(change: dict[str, Any], reason: str) -> None:
    body = copy.deepcopy(doc("ctwing", "data_report_service_data")["body"]) | change
    with pytest.raises(Malformed) as caught:
        CTWing().parse(NO_HEADERS, json_body(body))
    assert caught.value.reason == reason


def test_ctwing_bad_online_state_and_no_time() -> None:
    body = doc("ctwing", "online")["body"] | {"eventType": 3}
    with pytest.raises(Malformed, match="bad_value"):
        CTWing().parse(NO_HEADERS, json_body(body))
    body = doc("ctwing", "online")["body"] | {"timestamp": "yesterday"}
    assert only(CTWing().parse(NO_HEADERS, json_body(body))).at_ms is None


def test_ctwing_token_is_the_bridges_own() -> None:
    body = doc_body("ctwing", "online")
    CTWing().verify(NO_HEADERS, {}, body)  # no token configured: no check
    adapter = CTWing(token="s3cret")
    adapter.verify(NO_HEADERS, token_query("s3cret"), body)
    adapter.verify({"x-bridge-token": "s3cret"}, {}, body)
    with pytest.raises(Refused) as missing:
        adapter.verify(NO_HEADERS, {}, body)
    assert (missing.value.reason, missing.value.status) == ("missing_token", 401)
    with pytest.raises(Refused) as wrong:
        adapter.verify(NO_HEADERS, token_query("s3creT"), body)
    assert (wrong.value.reason, wrong.value.status) == ("bad_token", 403)
    assert adapter.answer_get({"msg": "x"}) is None


# --- OneNET: legacy --------------------------------------------------------------------------


def test_onenet_legacy_datapoint() -> None:
    body = doc_body("onenet", "legacy_datapoint")
    push = only(OneNET().parse(NO_HEADERS, body))
    assert (push.platform, push.product, push.what, push.seq) == ("onenet", "", DATA, "")
    assert dict(push.ids) == {"device_id": "2016617"}
    assert push.at_ms == 1466133706841
    assert dict(push.fields) == {"datastream_id": 42}
    assert push.source == b'{"type":1,"dev_id":2016617,"ds_id":"datastream_id","at":1466133706841,"value":42}'


def test_onenet_legacy_batch_is_one_push_per_element() -> None:
    pushes = OneNET().parse(NO_HEADERS, doc_body("onenet", "legacy_batch"))
    assert [(p.what, p.at_ms, dict(p.fields)) for p in pushes] == [
        (DATA, 1466133706841, {"datastream_id": 42}),
        (DATA, 1466133706842, {"datastream_id": 43}),
    ]
    assert pushes[0].source != pushes[1].source
    assert json.loads(pushes[1].source)["value"] == 43


def test_onenet_legacy_online_offline_and_command_result() -> None:
    push = only(OneNET().parse(NO_HEADERS, doc_body("onenet", "legacy_online_offline")))
    assert (push.what, push.at_ms, dict(push.fields), dict(push.ids)) == (
        OFFLINE,
        1466133706841,
        {},
        {"device_id": "2016617"},
    )
    online = doc("onenet", "legacy_online_offline")["body"]
    online["msg"]["status"] = 1
    assert only(OneNET().parse(NO_HEADERS, json_body(online))).what == ONLINE
    assert OneNET().parse(NO_HEADERS, doc_body("onenet", "legacy_cmd_result")) == []


def test_onenet_legacy_at_as_text_and_imei() -> None:
    # OneNET's own Java sample sends "at" as a string; NB devices add an imei
    msg = {
        "at": "1466133706841",
        "type": 1,
        "ds_id": "3200_0_5500",
        "value": True,
        "dev_id": 2017618,
        "imei": "860000000000001",
    }
    push = only(OneNET(token=TOKEN).parse(NO_HEADERS, onenet_push(TOKEN, msg)))
    assert push.at_ms == 1466133706841
    assert dict(push.ids) == {"device_id": "2017618", "imei": "860000000000001"}
    assert dict(push.fields) == {"3200_0_5500": True}


@pytest.mark.parametrize(
    ("msg", "reason"),
    [
        ({"type": 9, "dev_id": 1}, "unknown_type"),
        ({"type": 1, "dev_id": 1, "value": 1}, "missing_field"),
        ({"type": 1, "ds_id": "a", "value": 1}, "missing_field"),
        ({"type": 2, "dev_id": 1, "status": 5}, "bad_value"),
        ([1], "bad_type"),
    ],
)
def test_onenet_legacy_malformed(msg: Any, reason: str) -> None:
    with pytest.raises(Malformed) as caught:
        OneNET().parse(NO_HEADERS, onenet_push(TOKEN, msg))
    assert caught.value.reason == reason


def test_onenet_legacy_signed_example() -> None:
    example = doc("onenet", "legacy_signed")
    assert onenet_sign(example["token"], example["nonce"], example["msg"]) == example["signature"]
    body = doc_body("onenet", "legacy_signed")
    adapter = OneNET(token=example["token"])
    adapter.verify(NO_HEADERS, {}, body)
    assert dict(only(adapter.parse(NO_HEADERS, body)).fields) == {"datastream_id": 42}


def test_onenet_signature_is_over_the_msg_text_as_received() -> None:
    msg = {"type": 1, "dev_id": 2016617, "ds_id": "smoke", "at": 1466133706841, "value": 1}
    pretty = onenet_push(TOKEN, msg, indent=4)  # signed over an indented msg: must still verify
    OneNET(token=TOKEN).verify(NO_HEADERS, {}, pretty)
    reserialised = json.loads(pretty)
    with pytest.raises(Refused) as caught:  # the same msg, re-serialised after signing
        OneNET(token=TOKEN).verify(NO_HEADERS, {}, json.dumps(reserialised).encode())
    assert caught.value.reason == "bad_signature"


def test_onenet_wrong_missing_and_flipped() -> None:
    good = onenet_push(TOKEN, {"type": 1, "dev_id": 7, "ds_id": "smoke", "at": 1, "value": 1})
    OneNET(token=TOKEN).verify(NO_HEADERS, {}, good)
    OneNET().verify(NO_HEADERS, {}, b"not even json")  # no token configured: nothing checked
    with pytest.raises(Refused, match="bad_signature"):
        OneNET(token=TOKEN + "x").verify(NO_HEADERS, {}, good)
    flipped = good.replace(b'"value": 1', b'"value": 0')
    with pytest.raises(Refused, match="bad_signature"):
        OneNET(token=TOKEN).verify(NO_HEADERS, {}, flipped)
    unsigned = json.loads(good)
    del unsigned["msg_signature"]
    for body in (json.dumps(unsigned).encode(), b"[]", b"\xff\xfe", b""):
        with pytest.raises(Refused) as caught:
            OneNET(token=TOKEN).verify(NO_HEADERS, {}, body)
        assert caught.value.reason == "missing_signature"


def _nonce_giving_plus(token: str, msg_obj: Any) -> str:
    """A nonce whose signature has a '+' in it (deterministic search)."""
    for i in range(1000):
        nonce = f"n{i:07d}"
        if "+" in onenet_sign(token, nonce, json.dumps(msg_obj, ensure_ascii=False)):
            return nonce
    raise AssertionError("no nonce found")


def test_onenet_plus_arriving_as_space_is_repaired() -> None:
    msg = {"type": 1, "dev_id": 7, "ds_id": "smoke", "at": 1, "value": 1}
    nonce = _nonce_giving_plus(TOKEN, msg)
    body = onenet_push(TOKEN, msg, nonce)
    sig = json.loads(body)["msg_signature"]
    OneNET(token=TOKEN).verify(NO_HEADERS, {}, body.replace(sig.encode(), sig.replace("+", " ").encode()))
    # and in the handshake's nonce (the example's nonce has a '+')
    query = dict(doc("onenet", "handshake")["query"])
    query["nonce"] = query["nonce"].replace("+", " ")
    assert OneNET(token=TOKEN).answer_get(query) is not None


def test_onenet_long_nonce_as_the_java_sample_reads_it() -> None:
    msg = {"type": 1, "dev_id": 7, "ds_id": "smoke", "at": 1, "value": 1}
    signed_with_8 = onenet_push(TOKEN, msg, "abcdefgh")
    body = signed_with_8.replace(b'"nonce": "abcdefgh"', b'"nonce": "abcdefghXYZ"')
    OneNET(token=TOKEN).verify(NO_HEADERS, {}, body)


def test_onenet_handshake() -> None:
    example = doc("onenet", "handshake")
    answer = OneNET(token=example["token"]).answer_get(example["query"])
    assert answer is not None
    assert (answer.status, answer.body, answer.content_type) == (
        200,
        example["answer"].encode(),
        "text/plain",
    )
    ours = onenet_handshake(TOKEN, "hello-from-onenet", "Zq9+/a1=")
    assert OneNET(token=TOKEN).answer_get(ours).body == b"hello-from-onenet"  # type: ignore[union-attr]
    with pytest.raises(Refused, match="bad_signature"):
        OneNET(token="other").answer_get(example["query"])
    with pytest.raises(Refused, match="missing_signature"):
        OneNET(token=TOKEN).answer_get({"msg": "x"})
    with pytest.raises(Refused, match="missing_msg"):
        OneNET(token=TOKEN).answer_get({})
    assert OneNET().answer_get({"msg": "anything"}).body == b"anything"  # type: ignore[union-attr]


def test_onenet_encrypted_is_verified_then_quarantined() -> None:
    body = json.dumps(
        {
            "enc_msg": "XXXXXXXXXXX",
            "msg_signature": onenet_sign(TOKEN, "abcdefgh", "XXXXXXXXXXX"),
            "nonce": "abcdefgh",
        }
    )
    OneNET(token=TOKEN).verify(NO_HEADERS, {}, body.encode())
    with pytest.raises(Malformed, match="encrypted"):
        OneNET(token=TOKEN).parse(NO_HEADERS, body.encode())
    forged = json.loads(body) | {"msg": {"type": 1, "dev_id": 1, "ds_id": "smoke", "value": 1}}
    with pytest.raises(Malformed, match="encrypted"):  # a msg next to a verified enc_msg is not trusted
        OneNET(token=TOKEN).parse(NO_HEADERS, json.dumps(forged).encode())


# --- OneNET Studio ---------------------------------------------------------------------------


def test_onenet_studio_signed_property() -> None:
    example = doc("onenet", "studio_signed")
    body = doc_body("onenet", "studio_signed")
    adapter = OneNET(token=example["token"])
    adapter.verify(NO_HEADERS, {}, body)
    push = only(adapter.parse(NO_HEADERS, body))
    assert (push.product, push.what, push.seq) == ("00001", DATA, "3799902")
    assert dict(push.ids) == {"device_name": "iot-0001", "imei": "509830501643080"}
    assert dict(push.fields) == {"Power": "on", "WF": 23.6, "3_0_20": 4}
    assert push.at_ms == 1612768757420  # the latest of the points' times
    assert push.source == example["msg"].encode()
    tampered = body.replace(b"23.6", b"99.9")
    with pytest.raises(Refused, match="bad_signature"):
        adapter.verify(NO_HEADERS, {}, tampered)


def test_onenet_studio_event_and_lifecycle() -> None:
    event = only(
        OneNET(token=TOKEN).parse(NO_HEADERS, onenet_studio_push(TOKEN, doc("onenet", "studio_event")["msg"]))
    )
    assert event.what == EVENT
    assert dict(event.fields) == {
        "identifier1": {"Power": "on", "WF": "2"},
        "identifier2": {"Power": "on", "WF": "2"},
    }
    assert event.at_ms == 1524448722123
    body = onenet_studio_push(TOKEN, doc("onenet", "studio_lifecycle")["msg"])
    OneNET(token=TOKEN).verify(NO_HEADERS, {}, body)
    life = only(OneNET(token=TOKEN).parse(NO_HEADERS, body))
    assert (life.what, life.at_ms, dict(life.fields), dict(life.ids)) == (
        ONLINE,
        1524448722123,
        {},
        {"device_name": "iot-0001"},
    )
    offline = doc("onenet", "studio_lifecycle")["msg"]
    offline["data"] = {"status": "offline"}
    push = only(OneNET().parse(NO_HEADERS, onenet_studio_push(TOKEN, offline)))
    assert (push.what, push.at_ms) == (OFFLINE, 1591340648197)  # no time inside: the push's time


def test_onenet_studio_other_messages_and_bad_ones() -> None:
    reply = {"projectId": "1", "productId": "00001", "deviceName": "iot-0001", "messageType": "reply"}
    assert OneNET().parse(NO_HEADERS, onenet_studio_push(TOKEN, reply)) == []
    not_json = json.dumps(
        {"msg": "AbCdEf==", "nonce": "abcdefgh", "signature": "x", "time": 1, "id": "1"}
    ).encode()
    with pytest.raises(Malformed, match="bad_msg"):  # secure mode (AES) or junk
        OneNET().parse(NO_HEADERS, not_json)
    bad = doc("onenet", "studio_property")["msg"]
    bad["data"]["params"]["WF"] = 23.6
    with pytest.raises(Malformed, match="bad_type"):
        OneNET().parse(NO_HEADERS, onenet_studio_push(TOKEN, bad))


def test_onenet_studio_replay_window() -> None:
    body = onenet_studio_push(TOKEN, doc("onenet", "studio_lifecycle")["msg"], time_ms=1_000_000)
    OneNET(token=TOKEN, clock=lambda: 1_000_000 + 60_000, max_age_ms=300_000).verify(NO_HEADERS, {}, body)
    with pytest.raises(Refused, match="stale"):
        OneNET(token=TOKEN, clock=lambda: 1_000_000 + 600_000, max_age_ms=300_000).verify(
            NO_HEADERS, {}, body
        )


# --- IoTDA -----------------------------------------------------------------------------------

IOTDA_IDS = {
    "device_id": "6aa570ac155456566827c784_860000000000001",
    "node_id": "860000000000001",
    "gateway_id": "6aa570ac155456566827c784_860000000000001",
    "app_id": "a0000000000000000000000000000001",
}


def test_iotda_property_report() -> None:
    body = doc_body("iotda", "property_report")
    push = only(IoTDA().parse(NO_HEADERS, body))
    assert (push.platform, push.product, push.what) == ("iotda", "6aa570ac155456566827c784", DATA)
    assert dict(push.ids) == IOTDA_IDS
    assert len(push.ids["device_id"]) > 32  # longer than the bus's device id: the table picks node_id
    assert push.seq == "3fe58d5e-8697-4849-a165-7db128f7e776"
    assert push.at_ms == iotda_ms("20261201T075959Z") == 1796111999000
    assert dict(push.fields) == {"smoke_state": 1, "battery": 87, "service_id": "smoke"}
    assert push.source == body


def test_iotda_two_services_two_pushes() -> None:
    body = doc_body("iotda", "property_report_two_services")
    pushes = IoTDA().parse(NO_HEADERS, body)
    assert [(p.seq, dict(p.fields), p.at_ms) for p in pushes] == [
        ("req-0002#0", {"smoke_state": 0, "service_id": "smoke"}, iotda_ms("20261201T080058Z")),
        ("req-0002#1", {"battery": 86, "service_id": "battery"}, iotda_ms("20261201T080059Z")),
    ]
    assert pushes[0].source != pushes[1].source


def test_iotda_device_status() -> None:
    push = only(IoTDA().parse(NO_HEADERS, doc_body("iotda", "device_status")))
    assert (push.what, push.product, push.seq, dict(push.fields)) == (
        ONLINE,
        "612779690ad1ed028666ec69",
        "",
        {},
    )
    assert push.ids["node_id"] == "860000000000001"
    assert push.at_ms == iotda_ms("20210901T012225Z") == 1630459345000
    body = doc("iotda", "device_status")["body"]
    body["notify_data"]["body"]["status"] = "OFFLINE"
    assert only(IoTDA().parse(NO_HEADERS, json_body(body))).what == OFFLINE
    body["notify_data"]["body"]["status"] = "ABNORMAL"
    assert IoTDA().parse(NO_HEADERS, json_body(body)) == []
    body["notify_data"]["body"]["status"] = "LOST"
    with pytest.raises(Malformed, match="bad_value"):
        IoTDA().parse(NO_HEADERS, json_body(body))


def test_iotda_message_report() -> None:
    push = only(IoTDA().parse(NO_HEADERS, doc_body("iotda", "message_report")))
    assert (push.what, push.seq, dict(push.fields)) == (DATA, "req-0003", {"alarm": "smoke", "level": 2})
    body = doc("iotda", "message_report")["body"]
    body["notify_data"]["body"]["content"] = "c21va2U="
    assert dict(only(IoTDA().parse(NO_HEADERS, json_body(body))).fields) == {"content": "c21va2U="}


def test_iotda_other_resources_and_malformed() -> None:
    assert (
        IoTDA().parse(NO_HEADERS, json_body({"resource": "device.command.status", "event": "report"})) == []
    )
    for body, reason in [
        ({"resource": "device.alarm.x", "event": "report"}, "unknown_resource"),
        ({"resource": "device.property"}, "missing_field"),
        ({"resource": "device.property", "event": "report", "notify_data": []}, "missing_field"),
        (
            {"resource": "device.property", "event": "report", "notify_data": {"header": {}, "body": {}}},
            "missing_field",
        ),
    ]:
        with pytest.raises(Malformed) as caught:
            IoTDA().parse(NO_HEADERS, json_body(body))
        assert caught.value.reason == reason
    no_time = doc("iotda", "property_report")["body"]
    no_time.pop("event_time_ms")
    no_time["event_time"] = "2026-13-45"
    del no_time["notify_data"]["body"]["services"][0]["event_time"]
    assert only(IoTDA().parse(NO_HEADERS, json_body(no_time))).at_ms is None


def test_iotda_token_is_the_bridges_own() -> None:
    body = doc_body("iotda", "property_report")
    IoTDA(token="s3cret").verify(NO_HEADERS, token_query("s3cret"), body)
    with pytest.raises(Refused, match="bad_token"):
        IoTDA(token="s3cret").verify(NO_HEADERS, token_query("nope"), body)
    with pytest.raises(Refused, match="missing_token"):
        IoTDA(token="s3cret").verify(NO_HEADERS, {}, body)


def test_iotda_times() -> None:
    assert iotda_ms("20151212T121212Z") == 1449922332000
    assert iotda_ms("2015-12-12T12:12:12.000Z") == 1449922332000
    for bad in (None, 20151212, "", "20151312T121212Z", "x" * 1000, "２０１５1212T121212Z"):
        assert iotda_ms(bad) is None


# --- hostile input ---------------------------------------------------------------------------


def _seeds() -> list[tuple[Platform, bytes]]:
    out: list[tuple[Platform, bytes]] = []
    for name in ("data_report_service_data", "data_report_appdata_lwm2m", "event_report", "online"):
        out.append((CTWing(), doc_body("ctwing", name)))
    for name in (
        "legacy_datapoint",
        "legacy_batch",
        "legacy_online_offline",
        "legacy_signed",
        "studio_signed",
    ):
        out.append((OneNET(), doc_body("onenet", name)))
    for name in ("property_report", "property_report_two_services", "device_status", "message_report"):
        out.append((IoTDA(), doc_body("iotda", name)))
    return out


HOSTILE_VALUES: list[Any] = [
    None,
    True,
    -1,
    0,
    10**30,
    -(10**30),
    1e308,
    "",
    "undefined",
    "x" * 5000,
    [],
    [[[]]],
    {},
    {"a": {"b": [1, {"c": None}]}},
    "\u0000",
    "20151212T121212Z",
    "ONLINE",
    "1",
    "-1",
]


def _mutate_json(obj: Any, rng: random.Random) -> Any:
    """Replace one value somewhere in obj with a hostile one."""
    if isinstance(obj, dict) and obj and rng.random() < 0.8:
        key = rng.choice(list(obj))
        if rng.random() < 0.3:
            return {k: v for k, v in obj.items() if k != key}
        return obj | {key: _mutate_json(obj[key], rng)}
    if isinstance(obj, list) and obj and rng.random() < 0.8:
        i = rng.randrange(len(obj))
        return [*obj[:i], _mutate_json(obj[i], rng), *obj[i + 1 :]]
    return rng.choice(HOSTILE_VALUES)


def _mutate_bytes(body: bytes, rng: random.Random) -> bytes:
    data = bytearray(body)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(4)
        if op == 0 and data:
            data[rng.randrange(len(data))] = rng.randrange(256)
        elif op == 1:
            data[rng.randrange(len(data) + 1) : rng.randrange(len(data) + 1)] = rng.randbytes(
                rng.randint(1, 8)
            )
        elif op == 2 and data:
            del data[rng.randrange(len(data)) :]
        else:
            data.insert(rng.randrange(len(data) + 1), rng.choice(b'{}[]":,\\'))
    return bytes(data)


SPECIALS = [
    b"",
    b"null",
    b"[]",
    b"1e999",
    b'{"a": NaN}',
    b"[" * 5000 + b"]" * 5000,
    b'{"msg":' + b"[" * 3000 + b"]" * 3000 + b',"nonce":"abcdefgh","msg_signature":"x"}',
    b'{"msg": 1' + b"0" * 6000 + b"}",
    b'{"messageType":"dataReport","deviceId":"\\ud800","payload":{}}',
    b'{"resource":"device.property","event":"report",'
    b'"notify_data":{"header":{"device_id":"\\udfff"},"body":{"services":[{}]}}}',
    '{"msg": "é", "signature": "x", "nonce": "\\u00e9"}'.encode(),
    b"\xef\xbb\xbf{}",
]


def _check(adapter: Platform, body: bytes) -> None:
    try:
        pushes = adapter.parse(NO_HEADERS, body)
    except Malformed as exc:
        assert isinstance(exc.reason, str) and exc.reason
    else:
        assert isinstance(pushes, list)
        for push in pushes:
            assert isinstance(push, Push) and push.what in WHATS and isinstance(push.seq, str)
            assert all(isinstance(k, str) and isinstance(v, str) for k, v in push.ids.items())
            assert push.at_ms is None or (isinstance(push.at_ms, int) and push.at_ms > 0)
    try:
        adapter.verify(NO_HEADERS, token_query("t"), body)
    except Refused:
        pass


def test_hostile_bodies_give_pushes_or_malformed_only() -> None:
    rng = random.Random(20261201)
    adapters: list[Platform] = [CTWing(token="t"), OneNET(token="t"), IoTDA(token="t")]
    checked = 0
    for adapter, seed in _seeds():
        for _ in range(60):
            _check(adapter, _mutate_bytes(seed, rng))
            obj = json.loads(seed)
            for _ in range(rng.randint(1, 3)):
                obj = _mutate_json(obj, rng)
            _check(adapter, json_body(obj))
            checked += 2
    for body in SPECIALS:
        for adapter in adapters:
            _check(adapter, body)
            checked += 1
    assert checked > 1000
