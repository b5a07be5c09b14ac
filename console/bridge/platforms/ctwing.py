"""China Telecom CTWing / AEP (天翼物联网平台) HTTP subscription push (订阅推送).

CTWing POSTs one JSON object per message to the subscribed URL and takes any HTTP 200 as
delivered; it retries a failure up to 3 times and, when failures pile up (100 in a row, or more
than 10 % in 10 s), stops pushing to the URL for a minute (https://www.ctwing.cn/dyts/103, as
quoted in tests/bridge/docs/ctwing/SOURCES.md). So a genuine but unexpected body is ``Malformed``
(quarantined, answered 200), never a 4xx.

Message types (``messageType``), as CTWing's docs and the public consumer code name them:

- ``dataReport``: ``payload.serviceData`` (decoded by the product's profile, with
  ``payload.serviceId``), ``payload.APPdata`` (a transparent product's bytes, base64) or, for a
  thing-model product, the decoded properties as ``payload`` itself (``serviceId`` at the top);
- ``eventReport``: ``eventContent`` with ``serviceId`` and ``eventType``;
- ``deviceOnlineOfflineReport``: ``eventType`` 1 online, 0 offline;
- ``commandResponse``: a command's result, nothing to publish (``[]``).

``upPacketSN`` is the device's packet sequence; LwM2M devices send -1 or "": then ``seq`` is "".

Verification: CTWing documents no signature or token on its HTTP push (none of the pages and
public receivers we read check one; they rely on the URL and, at most, an IP allow-list). The
check here is **the bridge's own**, not CTWing's: when ``token`` is configured, the subscribed URL
must carry it as ``?token=...`` (or the ``x-bridge-token`` header), compared in constant time.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from console.bridge.platforms.common import TokenChecked, epoch_ms, id_text, load_object, sequence
from console.bridge.push import DATA, EVENT, OFFLINE, ONLINE, Malformed, Push

NAME = "ctwing"
# legitimate messages that carry nothing a product table reads
IGNORED = frozenset({"commandResponse"})


class CTWing(TokenChecked):
    """CTWing / AEP HTTP subscription push."""

    name = NAME

    def parse(self, headers: Mapping[str, str], body: bytes) -> list[Push]:
        msg = load_object(body)
        kind = msg.get("messageType")
        if not isinstance(kind, str) or not kind:
            raise Malformed("missing_field", "messageType")
        if kind in IGNORED:
            return []
        if kind == "dataReport":
            what, fields = DATA, self._data_fields(msg)
        elif kind == "eventReport":
            what, fields = EVENT, self._event_fields(msg)
        elif kind == "deviceOnlineOfflineReport":
            what, fields = self._online(msg), {}
        else:
            raise Malformed("unknown_message_type", kind[:64])
        return [
            Push(
                platform=NAME,
                product=id_text(msg.get("productId")) or "",
                ids=self._ids(msg),
                what=what,
                seq=sequence(msg.get("upPacketSN")),
                at_ms=epoch_ms(msg.get("timestamp")),
                fields=fields,
                source=body,
            )
        ]

    @staticmethod
    def _ids(msg: Mapping[str, Any]) -> dict[str, str]:
        device_id = id_text(msg.get("deviceId"))
        if device_id is None:
            raise Malformed("missing_field", "deviceId")
        ids = {"device_id": device_id}
        for key, name in (("IMEI", "imei"), ("IMSI", "imsi"), ("deviceSn", "device_sn"), ("iccid", "iccid")):
            value = id_text(msg.get(key))
            if value is not None:
                ids[name] = value
        return ids

    @staticmethod
    def _data_fields(msg: Mapping[str, Any]) -> dict[str, Any]:
        payload = msg.get("payload")
        if not isinstance(payload, dict):
            raise Malformed("missing_field", "payload")
        if "APPdata" in payload:
            text = payload["APPdata"]
            if not isinstance(text, str):
                raise Malformed("bad_type", "payload.APPdata")
            try:
                return {"APPdata": base64.b64decode(text, validate=True)}
            except (binascii.Error, ValueError):
                raise Malformed("bad_base64", "payload.APPdata") from None
        if "serviceData" in payload:
            data = payload["serviceData"]
            if not isinstance(data, dict):
                raise Malformed("bad_type", "payload.serviceData")
            fields = dict(data)
            fields["serviceId"] = payload.get("serviceId", msg.get("serviceId", ""))
            return fields
        # a thing-model product: the properties as payload, serviceId at the top
        fields = dict(payload)
        fields["serviceId"] = msg.get("serviceId", "")
        return fields

    @staticmethod
    def _event_fields(msg: Mapping[str, Any]) -> dict[str, Any]:
        content = msg.get("eventContent")
        if not isinstance(content, dict):
            raise Malformed("missing_field", "eventContent")
        fields = dict(content)
        fields["serviceId"] = msg.get("serviceId", "")
        fields["eventType"] = msg.get("eventType")
        return fields

    @staticmethod
    def _online(msg: Mapping[str, Any]) -> str:
        state = msg.get("eventType")
        if not isinstance(state, bool) and state in (1, "1"):
            return ONLINE
        if not isinstance(state, bool) and state in (0, "0"):
            return OFFLINE
        raise Malformed("bad_value", "eventType")
