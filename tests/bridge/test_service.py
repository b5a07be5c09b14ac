"""The ingest bridge against a real Mosquitto and a real HTTP client: the documented pushes of
each platform become the right v1 event, once; the signature and token cases; the quarantine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import pytest

from console.domain.codec import BridgeStatus, Rejected, decode_bridge_status, decode_device, parse_ts
from console.domain.events import DeviceEvent
from tests.bridge.bridge_support import IMEI, TOWNSHIP, Events, Running, body_with, bridge_config
from tests.bridge.platform_bodies import doc, doc_body, onenet_handshake_url, onenet_push
from tests.fixtures.brokers import Watcher, wait_until
from tests.gateway.gw_support import Loop

TOKEN = "guardian-demo-token"  # the OneNET documented example's token


@pytest.fixture
def bridge(loop: Loop, mosquitto: Any, district: str, tmp_path: Path) -> Any:
    r = Running(
        loop,
        bridge_config(mosquitto, district),
        tmp_path / "bridge",
        tokens={"onenet": TOKEN, "ctwing": "ct-secret", "iotda": "io-secret"},
    )
    try:
        yield r
    finally:
        r.stop()


def ctwing_alarm(status: int = 1, sn: int = -1, ts: int = 1606982320277) -> bytes:
    return body_with(
        doc("ctwing", "data_report_service_data"),
        payload__serviceData__Alarm_Status=status,
        upPacketSN=sn,
        timestamp=ts,
    )


def as_device(district: str, e: dict[str, Any]) -> DeviceEvent:
    """What the console makes of the published event (its own codec)."""
    topic = f"guard/v1/evt/{district}/{TOWNSHIP}/{e['dev']}"
    d = decode_device(topic, msgspec.json.encode(e), 0)
    assert isinstance(d, DeviceEvent), d
    return d


def test_a_ctwing_alarm_arrives_once_as_the_console_reads_it(
    bridge: Running, events: Events, district: str
) -> None:
    body = ctwing_alarm()
    assert bridge.post("ctwing", body, {"token": "ct-secret"}) == (200, b"ok")
    (e,) = events.wait_count(1)
    d = as_device(district, e)
    assert (d.dev, d.kind, d.evt, d.bat, d.rssi, d.township) == (IMEI, "smoke", "alarm", 100, -114, TOWNSHIP)
    assert d.ts == parse_ts("2020-12-03T15:58:40.277+08:00") and e["id"].startswith("b-")
    # CTWing retries the same push (its upPacketSN is -1: the key is its time and digest)
    assert bridge.post("ctwing", body, {"token": "ct-secret"})[0] == 200
    # a later, different report (a marker) arrives; the retry never does
    bridge.post("ctwing", ctwing_alarm(status=12, ts=1606982330000), {"token": "ct-secret"})
    got = events.wait_count(2)
    assert [x["evt"] for x in got] == ["alarm", "heartbeat"] and len(events.payloads) == 2
    assert bridge.bridge.counters["duplicates"] == 1
    wait_until(lambda: bridge.bridge.counters["published"] == 2, on=bridge.bridge.changes, what="2 PUBACKs")


def test_a_wrong_or_missing_token_is_refused_and_never_published(
    bridge: Running, events: Events, mosquitto: Any, district: str
) -> None:
    body = ctwing_alarm()
    assert bridge.post("ctwing", body)[0] == 401
    assert bridge.post("ctwing", body, {"token": "ct-secreT"})[0] == 403
    assert bridge.post("ctwing", body, headers={"X-Bridge-Token": "nope"})[0] == 403
    assert bridge.post("ctwing", body, headers={"X-Bridge-Token": "ct-secret"})[0] == 200
    events.wait_count(1)
    assert len(events.payloads) == 1
    assert bridge.bridge.counters["refused"] == 3 and bridge.bridge.state["ctwing"].refused == 3
    assert bridge.quarantined() == []


def test_onenet_handshake_signed_push_and_a_bad_signature(
    bridge: Running, events: Events, district: str
) -> None:
    status, text = bridge.get(onenet_handshake_url("/push/onenet", TOKEN, "hello-bridge"))
    assert (status, text) == (200, b"hello-bridge")
    assert bridge.get(onenet_handshake_url("/push/onenet", "another-token", "hello-bridge"))[0] in (401, 403)
    # the documented signed body, exactly as written: verified; its device is named only by
    # OneNET's dev_id, which no register holds (quarantined, answered 200)
    assert bridge.post("onenet", doc_body("onenet", "legacy_signed"))[0] == 200
    assert [q[1] for q in bridge.quarantined()] == ["no_device_id"]  # a legacy push names no IMEI
    # a smoke alarm data point, signed over its exact text (pretty-printed: not re-serialised)
    msg = {
        "type": 1,
        "imei": IMEI,
        "dev_id": 2016617,
        "ds_id": "smoke_state",
        "at": 1764576000000,
        "value": 1,
    }
    signed = onenet_push(TOKEN, msg, indent=2)
    assert bridge.post("onenet", signed)[0] == 200
    (e,) = events.wait_count(1)
    assert (e["dev"], e["evt"], e["kind"]) == (IMEI, "alarm", "smoke")
    tampered = signed.replace(b'"value": 1', b'"value": 0')
    assert bridge.post("onenet", tampered)[0] in (401, 403)
    assert bridge.post("onenet", onenet_push("wrong-token", msg))[0] in (401, 403)
    assert len(events.payloads) == 1 and bridge.bridge.state["onenet"].refused == 3


def test_an_iotda_property_report_uses_the_node_id(bridge: Running, events: Events, district: str) -> None:
    body = doc_body("iotda", "property_report")
    assert bridge.post("iotda", body, {"token": "io-secret"})[0] == 200
    (e,) = events.wait_count(1)
    d = as_device(district, e)
    assert (d.dev, d.evt, d.kind, d.bat) == (IMEI, "alarm", "smoke", 87)  # not the 41-character device_id


def test_unknown_products_and_bodies_are_quarantined_answered_200(bridge: Running, events: Events) -> None:
    unknown = body_with(doc("ctwing", "data_report_service_data"), productId="99999999")
    assert bridge.post("ctwing", unknown, {"token": "ct-secret"})[0] == 200
    assert bridge.post("ctwing", b"{not json", {"token": "ct-secret"})[0] == 200
    assert bridge.post("iotda", b'{"resource":"device.property"}', {"token": "io-secret"})[0] == 200
    unmapped = ctwing_alarm(status=6)  # 数据异常: not mapped, never guessed
    assert bridge.post("ctwing", unmapped, {"token": "ct-secret"})[0] == 200
    reasons = [(q[0], q[1]) for q in bridge.quarantined()]
    assert reasons[0] == ("ctwing", "unknown_product") and reasons[-1] == ("ctwing", "unmapped_code")
    assert len(reasons) == 4 and bridge.bridge.counters["quarantined"] == 4
    assert bridge.quarantined()[0][3].startswith(b"{")  # the body kept for IT
    # nothing of it reached the bus: the next good push is the first event
    bridge.post("ctwing", ctwing_alarm(), {"token": "ct-secret"})
    (e,) = events.wait_count(1)
    assert e["evt"] == "alarm" and len(events.payloads) == 1


def test_an_offline_notice_names_the_imei_the_data_reports_gave(
    bridge: Running, events: Events, district: str
) -> None:
    # the offline notice carries only CTWing's deviceId (and this product's id)
    offline = body_with(doc("ctwing", "offline"), productId="15014772")
    assert bridge.post("ctwing", offline, {"token": "ct-secret"})[0] == 200
    assert [q[1] for q in bridge.quarantined()] == ["no_device_id"]
    bridge.post("ctwing", ctwing_alarm(status=12), {"token": "ct-secret"})  # deviceId + IMEI seen
    assert (
        bridge.post(
            "ctwing",
            body_with(doc("ctwing", "offline"), productId="15014772", timestamp=1619523099000),
            {"token": "ct-secret"},
        )[0]
        == 200
    )
    got = events.wait_count(2)
    assert [(x["dev"], x["evt"]) for x in got] == [(IMEI, "heartbeat"), (IMEI, "offline")]
    assert as_device(district, got[1]).evt == "offline"


def test_restore_by_normal_status_and_an_unregistered_device(
    bridge: Running, events: Events, district: str, mosquitto: Any
) -> None:
    for status, ts in ((7, 1), (1, 2), (7, 3), (7, 4)):  # normal, alarm, normal, normal
        bridge.post(
            "ctwing", ctwing_alarm(status=status, ts=1606982320000 + ts * 1000), {"token": "ct-secret"}
        )
    got = events.wait_count(4)
    assert [x["evt"] for x in got] == ["heartbeat", "alarm", "restore", "heartbeat"]
    unregistered = Watcher(mosquitto, f"guard/v1/evt/{district}/unregistered/+")
    try:
        other = ctwing_alarm().replace(IMEI.encode(), b"860000000000999")
        bridge.post("ctwing", other, {"token": "ct-secret"})
        # the district console hears it (guard/v1/evt/{district}/#), under "unregistered"
        p = unregistered.wait_for(lambda p: b"860000000000999" in p)
        assert msgspec.json.decode(p)["evt"] == "alarm" and bridge.bridge.counters["unregistered"] == 1
    finally:
        unregistered.close()


def test_the_health_is_retained_and_a_clean_stop_says_offline(
    loop: Loop, mosquitto: Any, district: str, tmp_path: Path
) -> None:
    r = Running(loop, bridge_config(mosquitto, district), tmp_path / "b")
    watcher = Watcher(mosquitto, f"guard/v1/bridge/{district}/+")
    try:
        r.post("ctwing", ctwing_alarm())

        def status(p: bytes) -> BridgeStatus | None:
            s = decode_bridge_status(p)
            return None if isinstance(s, Rejected) else s

        seen = watcher.wait_for(lambda p: (s := status(p)) is not None and s.platforms["ctwing"].pushes == 1)
        s = status(seen)
        assert s is not None and s.state == "online" and s.bridge == "b1" and s.every_s == 1
        assert s.platforms["ctwing"].last_push and not s.platforms["ctwing"].silent
        assert s.platforms["onenet"].silent_after_s == 43200  # its product's heartbeat
        assert r.get("/health")[0] == 200
    finally:
        r.stop()
    last = watcher.wait_for(
        lambda p: (s := decode_bridge_status(p)) is not None and getattr(s, "state", "") == "offline"
    )
    assert msgspec.json.decode(last)["bridge"] == "b1"
    # retained: a console that subscribes afterwards hears it at once
    late = Watcher(mosquitto, f"guard/v1/bridge/{district}/+")
    try:
        late.wait_for(lambda p: b'"offline"' in p)
    finally:
        late.close()
        watcher.close()
