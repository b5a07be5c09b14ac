"""Huawei Cloud IoTDA (设备接入) data forwarding to an HTTP(S) server (数据转发, API v5 pushes).

Each push is one JSON object ``{"resource", "event", "event_time", "event_time_ms"?,
"request_id"?, "notify_data": {"header": {...}, "body": {...}}}``; the header names the device
(``device_id`` = ``{product_id}_{node_id}`` when IoTDA allocated it, ``node_id`` usually the
IMEI, ``product_id``, ``app_id``, ``gateway_id``). Handled (support.huaweicloud.com/api-iothub):

- ``device.property`` / ``report`` (iot_06_v5_01202): one Push per ``body.services[]`` item, its
  ``properties`` plus ``service_id``; the time is the service's ``event_time``;
- ``device.message`` / ``report`` (iot_06_v5_01205): the message ``content`` (an object's
  members, else ``{"content": ...}``), read like data;
- ``device.status`` / ``update`` (iot_06_v5_01201): ``body.status`` ONLINE / OFFLINE; the other
  documented states (ABNORMAL, INACTIVE, FROZEN) are taken with nothing to publish.

Other documented resources (device lifecycle, message / command status, batch tasks, product,
upgrades...) are taken with nothing to publish; an undocumented one is Malformed (quarantined).

``seq`` is ``request_id``; when one push carries several services, ``#<index>`` is appended so
each Push has its own, and ``source`` is the body with the same suffix.

Verification: IoTDA documents no signature or token on the HTTP push itself (HTTPS with the
application's CA certificate loaded is how the platform authenticates the *server*). The check
here is **the bridge's own**, not IoTDA's: when ``token`` is configured, the forwarding URL must
carry ``?token=...`` (or the ``x-bridge-token`` header), compared in constant time.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from console.bridge.platforms.common import TokenChecked, id_text, load_object
from console.bridge.push import DATA, OFFLINE, ONLINE, Malformed, Push

NAME = "iotda"
ID_KEYS = ("device_id", "node_id", "gateway_id", "app_id")
# documented resources that say nothing a product table reads
IGNORED = frozenset(
    {
        "device",
        "device.message.status",
        "device.command.status",
        "batchtask",
        "product",
        "device.software.upgrade.state",
        "device.firmware.upgrade.state",
        "device.software.upgrade.result",
        "device.firmware.upgrade.result",
    }
)
QUIET_STATES = frozenset({"ABNORMAL", "INACTIVE", "FROZEN"})
TIME_FORMATS = ("%Y%m%dT%H%M%SZ", "%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ")


def iotda_ms(value: Any) -> int | None:
    """``yyyyMMdd'T'HHmmss'Z'`` (or ``yyyy-MM-dd'T'HH:mm:ss.SSS'Z'``) UTC as ms; None if not."""
    if not isinstance(value, str) or not 16 <= len(value) <= 30 or not value.isascii():
        return None
    for fmt in TIME_FORMATS:
        try:
            when = datetime.strptime(value, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
        return int(when.timestamp() * 1000)
    return None


class IoTDA(TokenChecked):
    """Huawei IoTDA HTTP(S) data forwarding."""

    name = NAME

    def parse(self, headers: Mapping[str, str], body: bytes) -> list[Push]:
        msg = load_object(body)
        resource, event = msg.get("resource"), msg.get("event")
        if not isinstance(resource, str) or not isinstance(event, str):
            raise Malformed("missing_field", "resource / event")
        if resource in IGNORED:
            return []
        if (resource, event) not in {
            ("device.property", "report"),
            ("device.message", "report"),
            ("device.status", "update"),
        }:
            raise Malformed("unknown_resource", f"{resource[:48]}/{event[:16]}")
        data = msg.get("notify_data")
        if not isinstance(data, dict):
            raise Malformed("missing_field", "notify_data")
        header, content = data.get("header"), data.get("body")
        if not isinstance(header, dict) or not isinstance(content, dict):
            raise Malformed("missing_field", "notify_data.header / body")
        ids = {key: v for key in ID_KEYS if (v := id_text(header.get(key))) is not None}
        if "device_id" not in ids and "node_id" not in ids:
            raise Malformed("missing_field", "notify_data.header.device_id")
        product = id_text(header.get("product_id")) or ""
        seq = id_text(msg.get("request_id")) or ""
        at_ms = iotda_ms(msg.get("event_time_ms")) or iotda_ms(msg.get("event_time"))

        def push(
            what: str, fields: Mapping[str, Any], when: int | None, n: str = "", src: bytes = body
        ) -> Push:
            return Push(NAME, product, ids, what, seq + n if seq else "", when, fields, src)

        if resource == "device.status":
            status = content.get("status")
            if status == "ONLINE":
                return [push(ONLINE, {}, at_ms)]
            if status == "OFFLINE":
                return [push(OFFLINE, {}, at_ms)]
            if status in QUIET_STATES:
                return []
            raise Malformed("bad_value", "body.status")
        if resource == "device.message":
            if "content" not in content:
                raise Malformed("missing_field", "body.content")
            value = content["content"]
            fields = dict(value) if isinstance(value, dict) else {"content": value}
            return [push(DATA, fields, at_ms)]
        services = content.get("services")
        if not isinstance(services, list) or not services:
            raise Malformed("missing_field", "body.services")
        many = len(services) > 1
        pushes = []
        for index, service in enumerate(services):
            if not isinstance(service, dict):
                raise Malformed("bad_type", "body.services[]")
            service_id, properties = service.get("service_id"), service.get("properties")
            if not isinstance(service_id, str) or not isinstance(properties, dict):
                raise Malformed("missing_field", "body.services[].service_id / properties")
            fields = dict(properties)
            fields["service_id"] = service_id
            when = iotda_ms(service.get("event_time")) or at_ms
            suffix = f"#{index}" if many else ""
            pushes.append(push(DATA, fields, when, suffix, body + suffix.encode() if many else body))
        return pushes
