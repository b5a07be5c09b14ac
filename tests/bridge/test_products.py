"""Product tables (console/bridge/products.py, resources/vendors/*.toml) and the generic MQTT JSON
mapping (console/bridge/platforms/mqtt_json.py). Pure: no broker, no clock, no sleeping."""

from __future__ import annotations

import base64
import json
import random
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from console.bridge import product_table as table_format
from console.bridge import products as pr
from console.bridge.platforms.mqtt_json import MqttJson
from console.bridge.products import Product, ProductError, Products
from console.bridge.push import DATA, EVENT, OFFLINE, ONLINE, Malformed, Push, Quarantine, V1Event
from console.domain import codec, events

ROOT = Path(__file__).resolve().parents[2]
VENDORS = ROOT / "resources" / "vendors"
PRODUCTS = Products.load(VENDORS)
IMEI = "860374051096202"
T = 1_764_000_000_000


def never(dev: str, kind: str) -> bool:
    return False


def always(dev: str, kind: str) -> bool:
    return True


def push(
    platform: str,
    product: str,
    fields: Mapping[str, Any],
    ids: Mapping[str, str] | None = None,
    what: str = DATA,
    at_ms: int | None = T,
) -> Push:
    return Push(
        platform=platform,
        product=product,
        ids={"imei": IMEI, "device_id": "acf7baaee65e431eadfb8f5fe50e8b81"} if ids is None else ids,
        what=what,
        seq="",
        at_ms=at_ms,
        fields=fields,
    )


def ev(evt: str, kind: str = "smoke", dev: str = IMEI, at_ms: int = T, **kw: Any) -> V1Event:
    return V1Event(dev=dev, kind=kind, evt=evt, at_ms=at_ms, **kw)


def quarantined(result: object, reason: str) -> Quarantine:
    assert isinstance(result, Quarantine), result
    assert result.reason == reason, result
    return result


def table(**over: Any) -> dict[str, Any]:
    """A minimal valid table, with keys replaced or added."""
    base: dict[str, Any] = {
        "platform": "ctwing",
        "product_id": "P1",
        "kind": "smoke",
        "model": "test",
        "dev": ["imei"],
        "hb_s": 3600,
        "status": [{"field": "state", "normal": ["0"], "values": {"1": "alarm", "2": "fault"}}],
    }
    base.update(over)
    return base


# --- the shipped tables --------------------------------------------------------------------------


def test_every_shipped_table_loads_and_says_what_it_models() -> None:
    files = sorted(p.name for p in VENDORS.glob("*.toml"))
    assert len(files) >= 6
    assert sorted(p.source for p in PRODUCTS.products) == files
    for name in files:
        text = (VENDORS / name).read_text(encoding="utf-8")
        assert text.startswith("#"), f"{name} has no header comment"
        assert "Source:" in text or "Illustrative" in text, f"{name} says not where its codes came from"
    kinds = {p.kind for p in PRODUCTS.products}
    platforms = {p.platform for p in PRODUCTS.products}
    assert {"smoke", "co", "gas"} <= kinds
    assert {"ctwing", "onenet", "iotda"} <= platforms
    assert any(p.platform.startswith("mqtt:") for p in PRODUCTS.products)
    assert any(p.appdata is not None and p.appdata.format == "binary" for p in PRODUCTS.products)
    # a restore-by-normal smoke model
    assert any(
        p.kind == "smoke" and any(s.says_alarm and s.normal for s in p.statuses) for p in PRODUCTS.products
    )


def test_the_contract_lists_agree_with_the_domain() -> None:
    assert set(pr.EVTS) == set(events.EVTS) and "offline" in pr.EVTS
    assert pr.KINDS == events.KINDS
    assert set(pr.UNITS) == set(codec.VAL_RANGES)
    assert set(pr.ORDER) == set(pr.EVTS)
    assert (table_format.HB_MIN_S, table_format.HB_MAX_S) == (codec.HB_MIN, codec.HB_MAX)


def test_heartbeat_period_per_platform_is_the_longest_of_its_products() -> None:
    assert PRODUCTS.heartbeat_s("ctwing") == 86400  # 3600 (gas), 86400, 86400
    assert PRODUCTS.heartbeat_s("onenet") == 43200
    assert PRODUCTS.heartbeat_s("iotda") == 86400
    assert PRODUCTS.heartbeat_s("mqtt:wanlin") == 86400
    assert PRODUCTS.heartbeat_s("nowhere") is None


# CTWing, serviceData: the restore-by-normal smoke model (ctwing-lian-smoke.toml)

LIAN = "15014772"


def lian(status: Any, **more: Any) -> Push:
    fields = {
        "serviceId": "notification",
        "TData": 30,
        "SNR": 1,
        "RSRP": 114,
        "IMEI": IMEI,
        "Cell_ID_Length": 8,
        "Cell_ID": "38848339",
        "CSQ": 5,
        "Battery_Level": 100,
        "Alarm_Status": status,
        "AlarmLevel": 100,
    }
    fields.update(more)
    return push("ctwing", LIAN, fields)


def test_lian_the_sources_sample_push_is_a_mute() -> None:
    # the push in the source has Alarm_Status 2 (静音)
    assert PRODUCTS.read(lian(2), never) == [ev("mute", bat=100, rssi=-114, hb=86400)]


def test_lian_alarm_carries_battery_signal_and_period() -> None:
    assert PRODUCTS.read(lian(1), never) == [ev("alarm", bat=100, rssi=-114, hb=86400)]
    assert PRODUCTS.read(lian("1"), never) == [ev("alarm", bat=100, rssi=-114, hb=86400)]


def test_lian_normal_is_restore_only_while_in_alarm() -> None:
    asked: list[tuple[str, str]] = []

    def in_alarm(dev: str, kind: str) -> bool:
        asked.append((dev, kind))
        return True

    assert PRODUCTS.read(lian(7), in_alarm) == [ev("restore", bat=100, rssi=-114, hb=86400)]
    assert asked == [(IMEI, "smoke")]
    assert PRODUCTS.read(lian(7), never) == [ev("heartbeat", bat=100, rssi=-114, hb=86400)]


def test_lian_other_codes() -> None:
    expect = {4: "low_battery", 5: "fault", 8: "mute", 9: "mute", 10: "tamper", 11: "tamper_clear"}
    expect |= {12: "heartbeat", 14: "self_test"}
    for code, evt in expect.items():
        assert PRODUCTS.read(lian(code), always) == [ev(evt, bat=100, rssi=-114, hb=86400)], code


@pytest.mark.parametrize("code", [3, 6, 13, 15, 0, "07", -1, 1.5])
def test_lian_a_code_the_table_does_not_name_is_quarantined(code: Any) -> None:
    q = quarantined(PRODUCTS.read(lian(code), always), "unmapped_code")
    assert q.detail == f"Alarm_Status {code!a}"


@pytest.mark.parametrize("value", [None, [1], {"a": 1}, float("nan")])
def test_lian_an_unreadable_status_is_quarantined(value: Any) -> None:
    quarantined(PRODUCTS.read(lian(value), always), "bad_status")


def test_lian_a_report_without_its_status_is_quarantined() -> None:
    p = lian(1)
    fields = {k: v for k, v in p.fields.items() if k != "Alarm_Status"}
    q = quarantined(PRODUCTS.read(push("ctwing", LIAN, fields), never), "no_status")
    assert q.detail == "Alarm_Status"


def test_lian_another_service_is_quarantined() -> None:
    q = quarantined(PRODUCTS.read(lian(1, serviceId="firmware"), never), "unmapped_code")
    assert q.detail == "serviceId 'firmware'"


def test_odd_metadata_is_dropped_and_the_alarm_still_goes_out() -> None:
    odd = lian(1, Battery_Level="full", RSRP="strong")
    assert PRODUCTS.read(odd, never) == [ev("alarm", hb=86400)]
    odd = lian(1, Battery_Level=180, RSRP=-20)  # 180 %; +20 dBm
    assert PRODUCTS.read(odd, never) == [ev("alarm", hb=86400)]
    odd = lian(1, Battery_Level=True, RSRP=float("inf"))
    assert PRODUCTS.read(odd, never) == [ev("alarm", hb=86400)]


# CTWing, transparent binary (ctwing-huaqiang-w308-smoke.toml)

W308 = "10045600"
# the real frame in the source (HQSmokeParseStrategy.java)
W308_FRAME = base64.b64decode("UFUAMBAKLwgBAAMAGwL75SxogDAwcVR5BQgAAAAAAS9kdwJVcVJZAvmvgAL75SwAAAAAAA==")


def w308(frame: bytes = W308_FRAME, **at: int) -> Push:
    data = bytearray(frame)
    offsets = {"alert": 27, "dev_code": 28, "bat": 32, "rsrp": 38}
    for name, value in at.items():
        data[offsets[name]] = value
    return push("ctwing", W308, {"APPdata": bytes(data)})


def test_w308_the_sources_frame_is_a_heartbeat() -> None:
    assert len(W308_FRAME) == 52
    expect = ev("heartbeat", seq=10, val=19.0, unit="°C", bat=100, rssi=-89, hb=86400)
    assert PRODUCTS.read(w308(), never) == [expect]


def test_w308_alert_bits() -> None:
    meta: dict[str, Any] = {"seq": 10, "val": 19.0, "unit": "°C", "bat": 100, "rssi": -89, "hb": 86400}
    assert PRODUCTS.read(w308(alert=1), never) == [ev("alarm", **meta)]
    # smoke and a low battery in one report: two events, the alarm first
    assert PRODUCTS.read(w308(alert=0b101), never) == [ev("alarm", **meta), ev("low_battery", **meta)]
    assert PRODUCTS.read(w308(alert=0x84), never) == [ev("fault", **meta), ev("low_battery", **meta)]
    assert PRODUCTS.read(w308(alert=1, dev_code=1), never) == [ev("alarm", **meta), ev("fault", **meta)]
    assert PRODUCTS.read(w308(alert=0), always) == [ev("restore", **meta)]
    q = quarantined(PRODUCTS.read(w308(alert=0b1001), never), "unmapped_code")
    assert q.detail == "alert 9: bit 3"
    quarantined(PRODUCTS.read(w308(dev_code=2), never), "unmapped_code")


def test_w308_frames_that_are_not_the_layout() -> None:
    q = quarantined(PRODUCTS.read(w308(W308_FRAME[:47]), never), "bad_frame")
    assert q.detail == "APPdata 47 bytes, the layout needs 48"
    quarantined(PRODUCTS.read(w308(b""), never), "bad_frame")
    wrong = bytearray(W308_FRAME)
    wrong[25:27] = b"\x08\x01"  # another command
    q = quarantined(PRODUCTS.read(w308(bytes(wrong)), never), "bad_frame")
    assert q.detail == "APPdata byte 25: 0801, the layout expects 0800"
    quarantined(PRODUCTS.read(w308(b"XX" + W308_FRAME[2:]), never), "bad_frame")
    not_bytes = push("ctwing", W308, {"APPdata": W308_FRAME.hex()})
    assert quarantined(PRODUCTS.read(not_bytes, never), "bad_frame").detail == "APPdata str, not bytes"
    missing = push("ctwing", W308, {"serviceId": ""})
    assert quarantined(PRODUCTS.read(missing, never), "bad_frame").detail == "APPdata missing"


def test_binary_types() -> None:
    t = table(
        status=[{"field": "s", "values": {"1": "alarm"}, "normal": ["0"]}],
        appdata={
            "format": "binary",
            "field": [
                {"name": "s", "offset": 0, "type": "u8"},
                {"name": "a", "offset": 1, "type": "i8"},
                {"name": "b", "offset": 2, "type": "u16be", "length": 2},
                {"name": "c", "offset": 4, "type": "i16be"},
                {"name": "d", "offset": 6, "type": "u32be"},
                {"name": "e", "offset": 10, "type": "i32be"},
                {"name": "f", "offset": 14, "type": "u16le"},
                {"name": "g", "offset": 16, "type": "u32le"},
            ],
        },
        reading={"field": "c", "unit": "°C", "scale": 0.1},
        signal={"field": "a"},
        battery={"field": "b", "unit": "mV", "empty": 2000, "full": 3000},
        heartbeat={"field": "f", "unit": "s"},
        seq_field="d",
        time_field="g",
        time_unit="s",
    )
    frame = bytes([1, 0xA6, 0x0A, 0x8C, 0xFF, 0x38, 0, 0, 1, 0, 0xFF, 0xFF, 0xFF, 0xFE, 0x10, 0x0E])
    frame += (1_700_000_000).to_bytes(4, "little")
    got = Products.of([t]).read(push("ctwing", "P1", {"APPdata": frame}), never)
    assert got == [
        ev(
            "alarm",
            at_ms=1_700_000_000_000,
            seq=256,
            val=pytest.approx(-20.0),
            unit="°C",
            bat=70,
            rssi=-90,
            hb=3600,
        )
    ]


# OneNET data points (onenet-smoke.toml): one data point per legacy push, product id ""


def onenet(fields: Mapping[str, Any]) -> Push:
    return push("onenet", "", fields, ids={"dev_id": "1234567", "imei": IMEI})


def test_onenet_one_data_point_at_a_time() -> None:
    assert PRODUCTS.read(onenet({"smoke_state": 1}), never) == [ev("alarm", hb=43200)]
    assert PRODUCTS.read(onenet({"smoke_state": 2}), never) == [ev("restore", hb=43200)]
    assert PRODUCTS.read(onenet({"tamper_state": 1}), never) == [ev("tamper", hb=43200)]
    assert PRODUCTS.read(onenet({"battery_voltage": 3300}), never) == [ev("heartbeat", bat=50, hb=43200)]
    assert PRODUCTS.read(onenet({"rsrp": -101, "sinr": 3}), never) == [ev("heartbeat", rssi=-101, hb=43200)]
    assert PRODUCTS.read(onenet({"heartbeat_period": 720}), never) == [ev("heartbeat", hb=43200)]
    assert PRODUCTS.read(onenet({"heartbeat_period": 60}), never) == [ev("heartbeat", hb=3600)]
    assert PRODUCTS.read(onenet({"iccid": "8986"}), never) == [ev("heartbeat", hb=43200)]


def test_onenet_an_explicit_restore_model_never_restores_on_normal() -> None:
    assert PRODUCTS.read(onenet({"smoke_state": 0}), always) == [ev("heartbeat", hb=43200)]


def test_a_report_with_no_field_the_table_knows_is_quarantined() -> None:
    # a renamed state must not become a heartbeat
    q = quarantined(PRODUCTS.read(onenet({"smoke_alarm": 1}), never), "unknown_fields")
    assert q.detail == "['smoke_alarm']"
    quarantined(PRODUCTS.read(onenet({}), never), "unknown_fields")


def test_onenet_device_id_fallback() -> None:
    studio = push("onenet", "prodX", {"smoke_state": 1}, ids={"device_name": "smoke-0042"})
    assert PRODUCTS.read(studio, never) == [ev("alarm", dev="smoke-0042", hb=43200)]
    q = quarantined(
        PRODUCTS.read(push("onenet", "", {"smoke_state": 1}, ids={"dev_id": "1"}), never), "no_device_id"
    )
    assert q.detail == "none of imei, device_name in ['dev_id']"


# IoTDA (iotda-co.toml): one push per service


def iotda(status: Any, service: str = "CODetector", **more: Any) -> Push:
    fields = {"service_id": service, "co_status": status, "co_ppm": 312, "battery_level": 64, "rsrp": -97}
    fields |= {"sinr": 11, "msg_seq": 41} | more
    return push(
        "iotda", "co-detector-example", fields, ids={"device_id": "5f8e_860000000000001", "node_id": IMEI}
    )


def test_iotda_co_alarm() -> None:
    meta: dict[str, Any] = {"seq": 41, "val": 312.0, "unit": "ppm", "bat": 64, "rssi": -97, "hb": 86400}
    assert PRODUCTS.read(iotda("alarm"), never) == [ev("alarm", kind="co", **meta)]
    assert PRODUCTS.read(iotda("normal"), always) == [ev("restore", kind="co", **meta)]
    assert PRODUCTS.read(iotda("normal"), never) == [ev("heartbeat", kind="co", **meta)]
    assert PRODUCTS.read(iotda("silenced"), never) == [ev("mute", kind="co", **meta)]
    q = quarantined(PRODUCTS.read(iotda("warning"), never), "unmapped_code")
    assert q.detail == "co_status 'warning'"
    quarantined(PRODUCTS.read(iotda("alarm", service="Battery"), never), "unmapped_code")
    quarantined(PRODUCTS.read(iotda("ALARM"), never), "unmapped_code")  # exact values only


def test_seq_must_be_an_integer_of_zero_or_more() -> None:
    for bad in (-1, "x", 1.5, True, None, "-3"):
        got = PRODUCTS.read(iotda("alarm", msg_seq=bad), never)
        assert isinstance(got, list) and got[0].seq is None, bad
    got = PRODUCTS.read(iotda("alarm", msg_seq="17"), never)
    assert isinstance(got, list) and got[0].seq == 17


# CTWing gas with levels and %LEL (ctwing-gas-lel.toml)


def gas(state: Any, **more: Any) -> Push:
    fields = {"serviceId": "gas_report", "gas_state": state, "gas_lel": 27.5, "rsrp": -1052}
    fields |= {"sinr": 40, "heartbeat_interval": 30, "msg_seq": 900, "report_time": 1_764_000_123} | more
    return push("ctwing", "gas-detector-example", fields)


def test_gas_levels_and_lel() -> None:
    meta: dict[str, Any] = {
        "at_ms": 1_764_000_123_000,
        "seq": 900,
        "val": 27.5,
        "unit": "%LEL",
        "rssi": -105,
        "hb": 1800,
    }
    assert PRODUCTS.read(gas(2), never) == [ev("alarm", kind="gas", lvl=2, **meta)]
    assert PRODUCTS.read(gas(1), never) == [ev("alarm", kind="gas", lvl=1, **meta)]
    assert PRODUCTS.read(gas(4), never) == [ev("end_of_life", kind="gas", **meta)]
    assert PRODUCTS.read(gas(5), never) == [ev("restore", kind="gas", **meta)]
    assert PRODUCTS.read(gas(0), always) == [ev("restore", kind="gas", **meta)]
    event = push(
        "ctwing",
        "gas-detector-example",
        {"serviceId": "gas_alarm", "eventType": 1, "gas_state": 2},
        what=EVENT,
    )
    assert PRODUCTS.read(event, never) == [ev("alarm", kind="gas", lvl=2, hb=3600)]


def test_time_device_then_platform_then_unknown() -> None:
    got = PRODUCTS.read(gas(2, report_time="soon"), never)
    assert isinstance(got, list) and got[0].at_ms == T
    p = gas(2, report_time=None)
    got = PRODUCTS.read(Push(p.platform, p.product, p.ids, p.what, "", None, p.fields), never)
    assert isinstance(got, list) and got[0].at_ms == 0  # the service writes its receipt time
    assert got[0].evt == "alarm"  # never quarantined for want of a time


# the MQTT vendor (mqtt-wanlin-gas.toml) through the generic mapping

WANLIN = MqttJson(
    "wanlin",
    "311",
    {"device_id": "deviceCode"},
    time_field="time",
    seq_field=None,
    what_field="detail.event",
    what_values={"online": ONLINE, "offline": OFFLINE},
    time_unit="s",
)
WANLIN_SAMPLE = {
    "deviceCode": "311865815040244829",
    "deviceType": "311",
    "deviceStatus": "2",
    "netStatus": "1",
    "time": 1604538938,
    "content": "",
    "detail": {
        "edition": "3.1",
        "event": "10",
        "temperature": "20",
        "bat_capacity": "84",
        "signal_intensity": "17",
        "iccid": "89860317452041182488",
    },
}


def wanlin(event: str) -> list[V1Event] | Quarantine:
    body = json.loads(json.dumps(WANLIN_SAMPLE))
    body["detail"]["event"] = event
    (p,) = WANLIN.parse("wanlin/up/311865815040244829", json.dumps(body).encode())
    return PRODUCTS.read(p, never)


def test_wanlin_the_sources_sample_is_a_self_test() -> None:
    (p,) = WANLIN.parse("wanlin/up", json.dumps(WANLIN_SAMPLE).encode())
    assert p.platform == "mqtt:wanlin" and p.product == "311" and p.what == DATA
    assert p.ids == {"device_id": "311865815040244829"}
    assert p.at_ms == 1_604_538_938_000
    assert p.fields["detail.bat_capacity"] == "84"
    dev, at = "311865815040244829", 1_604_538_938_000
    assert PRODUCTS.read(p, never) == [
        ev("self_test", kind="gas", dev=dev, at_ms=at, bat=84, rssi=-79, hb=86400)
    ]


def test_wanlin_codes() -> None:
    dev, at = "311865815040244829", 1_604_538_938_000
    meta: dict[str, Any] = {"bat": 84, "rssi": -79, "hb": 86400}
    assert wanlin("01") == [ev("alarm", kind="gas", dev=dev, at_ms=at, **meta)]
    assert wanlin("11") == [ev("restore", kind="gas", dev=dev, at_ms=at, **meta)]
    assert wanlin("02") == [ev("low_battery", kind="gas", dev=dev, at_ms=at, **meta)]
    assert wanlin("offline") == [ev("offline", kind="gas", dev=dev, at_ms=at)]
    assert wanlin("online") == [ev("heartbeat", kind="gas", dev=dev, at_ms=at)]
    quarantined(wanlin("abnormal"), "unmapped_code")
    quarantined(wanlin("1"), "unmapped_code")  # "01", not 1


# --- matching, ids, what -----------------------------------------------------------------------


def test_exact_product_wins_over_the_wildcard() -> None:
    ps = Products.of(
        [
            table(platform="onenet", product_id="*", model="any"),
            table(platform="onenet", product_id="P1", kind="co", model="exact"),
        ]
    )
    got = ps.read(push("onenet", "P1", {"state": 1}), never)
    assert got == [ev("alarm", kind="co", hb=3600)]
    assert ps.read(push("onenet", "P2", {"state": 1}), never) == [ev("alarm", hb=3600)]
    assert ps.read(push("onenet", "", {"state": 1}), never) == [ev("alarm", hb=3600)]
    q = quarantined(ps.read(push("ctwing", "P1", {"state": 1}), never), "unknown_product")
    assert q.detail == "ctwing product P1"
    assert ps.match("onenet", "P1") is ps.products[1]


def test_an_unknown_product_is_quarantined() -> None:
    q = quarantined(PRODUCTS.read(push("ctwing", "99999999", {"Alarm_Status": 1}), never), "unknown_product")
    assert q.detail == "ctwing product 99999999"
    q = quarantined(PRODUCTS.read(push("mqtt:other", "x", {}), never), "unknown_product")
    assert q.detail == "mqtt:other product x"
    q = quarantined(PRODUCTS.read(push("ctwing", "1\n\u202e2", {}), never), "unknown_product")
    assert q.detail == "'ctwing product 1\\n\\u202e2'"


def test_online_and_offline() -> None:
    assert PRODUCTS.read(push("ctwing", LIAN, {}, what=ONLINE), never) == [ev("heartbeat")]
    assert PRODUCTS.read(push("ctwing", LIAN, {}, what=OFFLINE), always) == [ev("offline")]
    assert PRODUCTS.read(push("ctwing", LIAN, {}, what=OFFLINE, at_ms=None), never) == [
        ev("offline", at_ms=0)
    ]
    q = quarantined(PRODUCTS.read(push("ctwing", LIAN, {}, what=ONLINE, ids={}), never), "no_device_id")
    assert q.detail == "none of imei in []"
    quarantined(PRODUCTS.read(push("ctwing", LIAN, {}, what="reboot"), never), "bad_body")


@pytest.mark.parametrize(
    "dev",
    [
        "8" * 33,
        "86037\u202e4051",
        "860/374",
        "860+",
        "#860",
        " 860374",
        "860374\n",
        "860\x00374",
        "860374\u200b",
    ],
)
def test_a_device_id_an_officer_could_misread_is_quarantined(dev: str) -> None:
    p = push("ctwing", LIAN, lian(1).fields, ids={"imei": dev})
    q = quarantined(PRODUCTS.read(p, never), "bad_device_id")
    assert q.detail.startswith("imei ")
    assert q.detail.isprintable() and q.detail.isascii()


def test_device_id_fallback_list_and_empty_ids() -> None:
    ps = Products.of([table(dev=["imei", "device_id"])])
    assert ps.read(push("ctwing", "P1", {"state": 1}, ids={"device_id": "D1"}), never) == [
        ev("alarm", dev="D1", hb=3600)
    ]
    got = ps.read(push("ctwing", "P1", {"state": 1}, ids={"imei": "", "device_id": "D2"}), never)
    assert got == [ev("alarm", dev="D2", hb=3600)]
    assert ps.read(push("ctwing", "P1", {"state": 1}, ids={"imei": "8" * 32}), never) == [
        ev("alarm", dev="8" * 32, hb=3600)
    ]


def test_order_of_several_events_is_stable_alarm_first() -> None:
    t = table(
        status=[
            {"field": "tamper", "values": {"1": "tamper"}, "normal": ["0"], "required": False},
            {"field": "battery", "values": {"1": "low_battery"}, "normal": ["0"], "required": False},
            {
                "field": "smoke",
                "values": {"1": "alarm", "2": "self_test"},
                "normal": ["0"],
                "required": False,
            },
        ]
    )
    ps = Products.of([t])
    got = ps.read(push("ctwing", "P1", {"tamper": 1, "battery": 1, "smoke": 1}), never)
    assert isinstance(got, list)
    assert [e.evt for e in got] == ["alarm", "tamper", "low_battery"]
    got = ps.read(push("ctwing", "P1", {"tamper": 0, "battery": 0, "smoke": 0}), always)
    assert isinstance(got, list) and [e.evt for e in got] == ["restore"]
    got = ps.read(push("ctwing", "P1", {"tamper": 0, "battery": 0, "smoke": 0}), never)
    assert isinstance(got, list) and [e.evt for e in got] == ["heartbeat"]
    got = ps.read(push("ctwing", "P1", {"tamper": 1, "smoke": 0}), always)
    assert isinstance(got, list) and [e.evt for e in got] == ["tamper", "restore"]


def test_bool_and_float_status_values() -> None:
    ps = Products.of([table(status=[{"field": "smoke", "values": {"true": "alarm"}, "normal": ["false"]}])])
    assert ps.read(push("ctwing", "P1", {"smoke": True}), never) == [ev("alarm", hb=3600)]
    assert ps.read(push("ctwing", "P1", {"smoke": False}), always) == [ev("restore", hb=3600)]
    ps = Products.of([table()])
    assert ps.read(push("ctwing", "P1", {"state": 1.0}), never) == [ev("alarm", hb=3600)]


def test_nested_fields_are_read_by_dotted_path() -> None:
    ps = Products.of([table(status=[{"field": "data.state", "values": {"1": "alarm"}}])])
    assert ps.read(push("ctwing", "P1", {"data": {"state": 1}}), never) == [ev("alarm", hb=3600)]
    assert ps.read(push("ctwing", "P1", {"data.state": 1}), never) == [ev("alarm", hb=3600)]


def test_codes_and_levels() -> None:
    t = table(
        kind="electric",
        status=[{"field": "state", "values": {"1": "alarm", "2": "fault"}, "normal": ["0"]}],
        code={"field": "sub", "values": {"0x01": 1, "0x02": 2}},
        level={"field": "lvl"},
        reading={"field": "leak", "unit": "mA"},
    )
    ps = Products.of([t])
    got = ps.read(push("ctwing", "P1", {"state": 1, "sub": "0x02", "lvl": 2, "leak": "312"}), never)
    assert got == [ev("alarm", kind="electric", code=2, lvl=2, val=312.0, unit="mA", hb=3600)]
    got = ps.read(push("ctwing", "P1", {"state": 1, "lvl": 3}), never)  # no code; a level not 1 or 2
    assert got == [ev("alarm", kind="electric", hb=3600)]
    q = quarantined(ps.read(push("ctwing", "P1", {"state": 1, "sub": "0x09"}), never), "unmapped_code")
    assert q.detail == "sub '0x09'"
    ps = Products.of([table(code={"field": "sub"})])
    assert ps.read(push("ctwing", "P1", {"state": 2, "sub": 17}), never) == [ev("fault", code=17, hb=3600)]
    quarantined(ps.read(push("ctwing", "P1", {"state": 2, "sub": "E17"}), never), "unmapped_code")
    quarantined(ps.read(push("ctwing", "P1", {"state": 2, "sub": -1}), never), "unmapped_code")


# --- battery ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("battery", "value", "pct"),
    [
        ({"unit": "%"}, 87, 87),
        ({"unit": "%"}, "87", 87),
        ({"unit": "%"}, 86.6, 87),
        ({"unit": "%"}, 101, None),
        ({"unit": "%"}, -1, None),
        ({"unit": "mV", "empty": 2600, "full": 3000}, 2900, 75),
        ({"unit": "mV", "empty": 2600, "full": 3000}, 3100, 100),
        ({"unit": "mV", "empty": 2600, "full": 3000}, 2500, 0),
        ({"unit": "V", "empty": 3.0, "full": 3.6}, 3.3, 50),
        ({"unit": "V", "empty": 3.0, "full": 3.6}, "3.45", 75),
        ({"unit": "raw", "empty": 0, "full": 40}, 10, 25),
        ({"unit": "mV", "empty": 2600, "full": 3000}, "low", None),
        ({"unit": "mV", "empty": 2600, "full": 3000}, None, None),
        ({"unit": "mV", "empty": 2600, "full": 3000}, [2900], None),
        ({"unit": "mV", "empty": 2600, "full": 3000}, float("nan"), None),
        ({"unit": "mV", "empty": 2600, "full": 3000}, 10**400, None),
    ],
)
def test_battery_conversions(battery: dict[str, Any], value: Any, pct: int | None) -> None:
    ps = Products.of([table(battery={"field": "b", **battery})])
    assert ps.read(push("ctwing", "P1", {"state": 1, "b": value}), never) == [ev("alarm", bat=pct, hb=3600)]


# --- transparent JSON ------------------------------------------------------------------------------


def test_appdata_json() -> None:
    t = table(
        appdata={"format": "json"},
        status=[{"field": "data.smoke", "values": {"1": "alarm"}, "normal": ["0"]}],
        battery={"field": "data.bat", "unit": "%"},
    )
    ps = Products.of([t])
    raw = json.dumps({"data": {"smoke": 1, "bat": 55}}).encode()
    assert ps.read(push("ctwing", "P1", {"APPdata": raw}), never) == [ev("alarm", bat=55, hb=3600)]
    for bad in (b"[1]", b"{", b"\xff\xfe", b'{"data":{"smoke":NaN}}', b'{"a":1,"a":2}', b"[" * 100_000):
        quarantined(ps.read(push("ctwing", "P1", {"APPdata": bad}), never), "bad_frame")


# --- broken tables -------------------------------------------------------------------------------

BROKEN: list[tuple[str, dict[str, Any], str]] = [
    ("no platform", {"platform": None}, "platform: missing"),
    ("bad platform", {"platform": "aliyun"}, "platform: 'aliyun' is not"),
    ("empty mqtt name", {"platform": "mqtt:"}, "platform:"),
    ("no product id", {"product_id": None}, "product_id: missing"),
    ("bad kind", {"kind": "water"}, "kind: 'water' is not one of"),
    ("no dev", {"dev": None}, "dev: missing"),
    ("dev not strings", {"dev": [1]}, "dev: must be"),
    ("hb_s zero", {"hb_s": 0}, "hb_s: 0 is outside"),
    ("hb_s text", {"hb_s": "3600"}, "hb_s: must be an integer"),
    ("misspelt key", {"normla": ["0"]}, "normla: not a key"),
    ("no status", {"status": []}, "status: a table needs"),
    ("status not an array", {"status": {"field": "s"}}, "status: must be an array"),
    ("status without values", {"status": [{"field": "s"}]}, "status[0].values:"),
    ("status without field", {"status": [{"values": {"1": "alarm"}}]}, "status[0].field: missing"),
    (
        "unknown evt",
        {"status": [{"field": "s", "values": {"1": "fire"}}]},
        "status[0].values.\"1\": 'fire' is not an evt",
    ),
    (
        "normal also mapped",
        {"status": [{"field": "s", "values": {"0": "heartbeat"}, "normal": ["0"]}]},
        "status[0].normal:",
    ),
    ("bad bit", {"status": [{"field": "s", "bits": {"x": "alarm"}}]}, 'status[0].bits."x": a bit'),
    (
        "required not bool",
        {"status": [{"field": "s", "values": {"1": "alarm"}, "required": "yes"}]},
        "status[0].required",
    ),
    (
        "misspelt status key",
        {"status": [{"field": "s", "values": {"1": "alarm"}, "norml": ["0"]}]},
        "status[0].norml",
    ),
    ("battery mV without range", {"battery": {"field": "b", "unit": "mV"}}, "battery.empty: missing"),
    (
        "battery empty is full",
        {"battery": {"field": "b", "unit": "V", "empty": 3, "full": 3}},
        "battery.full:",
    ),
    ("battery unit", {"battery": {"field": "b", "unit": "mAh"}}, "battery.unit:"),
    (
        "battery % with range",
        {"battery": {"field": "b", "unit": "%", "empty": 0}},
        "battery.empty: not a key",
    ),
    ("signal scale text", {"signal": {"field": "r", "scale": "-1"}}, "signal.scale: must be a number"),
    ("reading unit", {"reading": {"field": "v", "unit": "%"}}, "reading.unit:"),
    ("level value", {"level": {"field": "l", "values": {"3": 3}}}, 'level.values."3": must be 1 or 2'),
    ("code value", {"code": {"field": "c", "values": {"x": "E1"}}}, 'code.values."x": must be an integer'),
    ("heartbeat unit", {"heartbeat": {"field": "h", "unit": "d"}}, "heartbeat.unit:"),
    ("time unit", {"time_field": "t", "time_unit": "us"}, "time_unit:"),
    ("services without field", {"services": ["a"]}, "services: given without service_field"),
    ("service field without services", {"service_field": "serviceId"}, "services: missing"),
    ("appdata format", {"appdata": {"format": "tlv"}}, "appdata.format:"),
    ("appdata binary without fields", {"appdata": {"format": "binary"}}, "appdata.field: a binary layout"),
    (
        "appdata type",
        {"appdata": {"format": "binary", "field": [{"name": "state", "offset": 0, "type": "u24"}]}},
        "appdata.field[0].type:",
    ),
    (
        "appdata length",
        {
            "appdata": {
                "format": "binary",
                "field": [{"name": "state", "offset": 0, "type": "u16be", "length": 1}],
            }
        },
        "appdata.field[0].length: u16be is 2 bytes",
    ),
    (
        "appdata offset",
        {"appdata": {"format": "binary", "field": [{"name": "state", "offset": -1, "type": "u8"}]}},
        "appdata.field[0].offset:",
    ),
    (
        "appdata hex",
        {
            "appdata": {
                "format": "binary",
                "field": [{"name": "state", "offset": 0, "type": "u8"}],
                "expect": [{"offset": 0, "hex": "PU"}],
            }
        },
        "appdata.expect[0].hex:",
    ),
    (
        "appdata twice",
        {
            "appdata": {
                "format": "binary",
                "field": [
                    {"name": "state", "offset": 0, "type": "u8"},
                    {"name": "state", "offset": 1, "type": "u8"},
                ],
            }
        },
        "appdata.field: 'state' named twice",
    ),
    (
        "status not in the layout",
        {"appdata": {"format": "binary", "field": [{"name": "alert", "offset": 0, "type": "u8"}]}},
        "status[0].field: 'state' is not a field of [[appdata.field]]",
    ),
    (
        "json with a layout",
        {"appdata": {"format": "json", "expect": [{"offset": 0, "hex": "00"}]}},
        "appdata.expect:",
    ),
]


def _toml(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def write_table(path: Path, data: Mapping[str, Any]) -> None:
    lines = [f"{k} = {_toml(v)}" for k, v in data.items() if v is not None]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize(("case", "over", "message"), BROKEN, ids=[c for c, _, _ in BROKEN])
def test_a_broken_table_names_its_file_and_key(
    tmp_path: Path, case: str, over: dict[str, Any], message: str
) -> None:
    write_table(tmp_path / "good.toml", table(product_id="OK"))
    write_table(tmp_path / "broken.toml", table(**over))
    with pytest.raises(ProductError) as e:
        Products.load(tmp_path)
    assert str(e.value).startswith("broken.toml: "), str(e.value)
    assert message in str(e.value)


def test_not_toml_and_two_tables_for_one_product(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('platform = "ctwing"\nkind = \n', encoding="utf-8")
    with pytest.raises(ProductError, match=r"^a\.toml: not a readable TOML file"):
        Products.load(tmp_path)
    write_table(tmp_path / "a.toml", table())
    write_table(tmp_path / "b.toml", table(model="other"))
    with pytest.raises(
        ProductError, match=r"^b\.toml: product_id: ctwing product 'P1' is already claimed by a\.toml$"
    ):
        Products.load(tmp_path)
    write_table(tmp_path / "b.toml", table(platform="onenet"))
    assert [p.source for p in Products.load(tmp_path).products] == ["a.toml", "b.toml"]


def test_of_takes_tables_as_data_or_parsed() -> None:
    parsed = Product.parse(table(), "x.toml")
    ps = Products.of([parsed, table(product_id="P2")])
    assert ps.products[0] is parsed
    assert ps.products[1].source == "<table 1>"
    with pytest.raises(ProductError, match=r"^<table 0>: kind"):
        Products.of([table(kind="fire")])


def test_the_readme_example_reads_as_it_says() -> None:
    text = (VENDORS / "README.md").read_text(encoding="utf-8")
    (example,) = re.findall(r"```toml\n(.*?)```", text, flags=re.S)
    ps = Products.of([Product.parse(tomllib.loads(example), "README.md")])
    fields = {"serviceId": "smoke_report", "smoke_state": 1, "battery_voltage": 2900, "RSRP": -95, "SINR": 7}
    got = ps.read(push("ctwing", "17001234", fields, ids={"imei": "860000000000001"}), never)
    assert got == [ev("alarm", dev="860000000000001", bat=75, rssi=-95, hb=86400)]


# --- hostile reports through every shipped table -----------------------------------------------------


def _junk(rng: random.Random) -> Any:
    return rng.choice(
        [
            None,
            True,
            False,
            0,
            1,
            -1,
            7,
            2**64,
            -(2**70),
            1.5,
            float("nan"),
            float("inf"),
            1e308,
            "",
            "1",
            "07",
            "normal",
            "alarm",
            "\u202e1",
            "x" * 5000,
            [],
            [1, 2],
            {},
            {"a": {"b": 1}},
            b"\x00\x01",
            bytes(rng.randrange(256) for _ in range(rng.randrange(80))),
        ]
    )


def test_hostile_fields_yield_events_within_the_contract_or_quarantine() -> None:
    rng = random.Random(20260305)
    for p in PRODUCTS.products:
        names = sorted(p.known_fields | {"serviceId", "service_id", "APPdata", "other"})
        if p.appdata is not None:
            names += [p.appdata.field]
        for _ in range(300):
            fields = {name: _junk(rng) for name in rng.sample(names, rng.randrange(len(names) + 1))}
            if p.appdata is not None and rng.random() < 0.5:
                frame = bytearray(W308_FRAME)
                for _ in range(rng.randrange(4)):
                    frame[rng.randrange(len(frame))] = rng.randrange(256)
                fields[p.appdata.field] = bytes(frame[: rng.randrange(len(frame) + 1)])
            if p.service_field and p.services and rng.random() < 0.7:
                fields[p.service_field] = sorted(p.services)[0]
            what = rng.choice([DATA, DATA, DATA, EVENT, ONLINE, OFFLINE])
            got = PRODUCTS.read(
                push(p.platform, p.product_id, fields, ids={k: "D1" for k in p.dev}, what=what),
                rng.choice([never, always]),
            )
            if isinstance(got, Quarantine):
                assert got.reason and got.detail.isprintable() and len(got.detail) < 300
                continue
            assert got, fields
            for e in got:
                assert e.dev == "D1" and e.kind == p.kind and e.evt in pr.EVTS
                assert e.bat is None or 0 <= e.bat <= 100
                assert e.rssi is None or -140 <= e.rssi <= 0
                assert e.hb is None or 1 <= e.hb <= 30 * 86400
                assert e.lvl in (None, 1, 2)
                assert e.seq is None or e.seq >= 0
                assert (e.val is None) == (e.unit is None)
                assert e.at_ms >= 0


# --- MqttJson ------------------------------------------------------------------------------------


def test_mqtt_flattens_to_dotted_paths() -> None:
    m = MqttJson("acme", "S1", {"device_id": "dev.id"}, time_field="ts", seq_field="n")
    body = {"dev": {"id": "A-1"}, "ts": 1_700_000_000_123, "n": 5, "data": {"smoke": 1, "bat": {"pct": 80}}}
    body |= {"list": [1, {"x": 2}], "empty": {}}
    (p,) = m.parse("acme/up", json.dumps(body).encode())
    assert p == Push(
        platform="mqtt:acme",
        product="S1",
        ids={"device_id": "A-1"},
        what=DATA,
        seq="5",
        at_ms=1_700_000_000_123,
        fields={
            "dev.id": "A-1",
            "ts": 1_700_000_000_123,
            "n": 5,
            "data.smoke": 1,
            "data.bat.pct": 80,
            "list": [1, {"x": 2}],
            "empty": {},
        },
        source=json.dumps(body).encode(),
    )


def test_mqtt_ids_from_topic_levels() -> None:
    m = MqttJson("acme", "S1", {"device_id": "{2}", "imei": "imei"})
    (p,) = m.parse("acme/smoke/860000000000001/up", b'{"imei": 860000000000001, "smoke": 0}')
    assert p.ids == {"device_id": "860000000000001", "imei": "860000000000001"}
    assert p.at_ms is None and p.seq == ""
    with pytest.raises(Malformed) as e:
        m.parse("acme/smoke", b'{"imei": "1"}')
    assert e.value.reason == "no_device_id"
    with pytest.raises(Malformed):
        m.parse("acme/smoke//up", b'{"imei": "1"}')  # an empty level is no id


def test_mqtt_what() -> None:
    m = MqttJson(
        "acme", "S1", {"device_id": "id"}, what_field="type", what_values={"bye": OFFLINE, "hi": ONLINE}
    )
    assert m.parse("t", b'{"id":"a","type":"bye"}')[0].what == OFFLINE
    assert m.parse("t", b'{"id":"a","type":"hi"}')[0].what == ONLINE
    assert m.parse("t", b'{"id":"a","type":"report"}')[0].what == DATA
    assert m.parse("t", b'{"id":"a","type":["bye"]}')[0].what == DATA
    with pytest.raises(ValueError):
        MqttJson("acme", "S1", {"device_id": "id"}, what_values={"x": "reboot"})
    with pytest.raises(ValueError):
        MqttJson("acme", "S1", {})
    with pytest.raises(ValueError):
        MqttJson("acme", "S1", {"device_id": "{two}"})


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "bad_json"),
        (b"not json", "bad_json"),
        (b"\xff\xfe{}", "bad_json"),
        (b'{"id": NaN}', "bad_json"),
        (b'{"id": "a", "id": "b"}', "bad_json"),
        (b'{"id": "a", "x": {"y": 1}, "x.y": 2}', "bad_json"),
        (b"[" * 30_000 + b"]" * 30_000, "bad_json"),
        (b'{"a":' * 40 + b"1" + b"}" * 40, "bad_json"),
        (b"[1, 2]", "not_object"),
        (b'"id"', "not_object"),
        (b"null", "not_object"),
        (b"{}", "no_device_id"),
        (b'{"id": ""}', "no_device_id"),
        (b'{"id": true}', "no_device_id"),
        (b'{"id": 1.5}', "no_device_id"),
        (b'{"id": {"a": 1}}', "no_device_id"),
        (b'{"id": "' + b"x" * 200 + b'"}', "no_device_id"),
        (b" " * 70_000, "too_large"),
    ],
)
def test_mqtt_malformed(payload: bytes, reason: str) -> None:
    m = MqttJson("acme", "S1", {"device_id": "id"}, time_field="ts")
    with pytest.raises(Malformed) as e:
        m.parse("acme/up", payload)
    assert e.value.reason == reason


def test_mqtt_odd_time_and_seq_are_left_out() -> None:
    m = MqttJson("acme", "S1", {"device_id": "id"}, time_field="ts", seq_field="n", time_unit="s")
    for ts in ("soon", -5, 0, True, None, [1], 1e300, "1" * 40):
        (p,) = m.parse("t", json.dumps({"id": "a", "ts": ts, "n": [1]}).encode())
        assert p.at_ms is None and p.seq == ""
    (p,) = m.parse("t", b'{"id": "a", "ts": "1700000000", "n": "7"}')
    assert p.at_ms == 1_700_000_000_000 and p.seq == "7"


def _mutate(rng: random.Random, data: bytes) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randrange(1, 6)):
        op = rng.randrange(4)
        i = rng.randrange(len(b) + 1)
        if op == 0 and b:
            del b[min(i, len(b) - 1)]
        elif op == 1:
            b[i:i] = bytes([rng.randrange(256)])
        elif op == 2 and b:
            b[min(i, len(b) - 1)] = rng.choice(b'{}[]",:0123456789.eE-+ntfalsu\\\x00\xff')
        else:
            b[i:i] = rng.choice([b'{"a":', b"[", b"]", b"}", b"NaN", b"1e999", b'"\\ud800"', b'"id":"x",'])
    return bytes(b)


def test_mqtt_hostile_payloads_give_pushes_or_malformed() -> None:
    rng = random.Random(4711)
    m = MqttJson(
        "wanlin",
        "311",
        {"device_id": "deviceCode", "topic_id": "{2}"},
        time_field="time",
        seq_field="detail.seq",
        what_field="detail.event",
        what_values={"offline": OFFLINE},
    )
    seed = json.dumps(WANLIN_SAMPLE).encode()
    topics = ["wanlin/up/311865815040244829", "wanlin", "", "/", "a/b/\u202ec", "a/b/" + "x" * 500, "a//"]
    pushes = 0
    for n in range(600):
        if n % 3 == 0:
            payload = bytes(rng.randrange(256) for _ in range(rng.randrange(64)))
        else:
            payload = _mutate(rng, seed)
        try:
            got = m.parse(rng.choice(topics), payload)
        except Malformed as e:
            assert e.reason in ("bad_json", "not_object", "no_device_id", "too_large")
            continue
        assert isinstance(got, list) and all(isinstance(p, Push) for p in got)
        for p in got:
            pushes += 1
            result = PRODUCTS.read(p, never)  # and the table never raises on what came out
            assert isinstance(result, list | Quarantine)
    assert pushes > 10  # the mutations left some messages readable
