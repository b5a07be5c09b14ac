"""What the ingest bridge's parts hand each other (docs/bridge.md).

A platform adapter (console/bridge/platforms/) verifies an HTTP push as its platform documents
and turns the body into ``Push`` values: one per device message, with every id the platform gave
and the report's fields as the platform decoded them, nothing interpreted yet. A product table
(resources/vendors/*.toml, read by console/bridge/products.py) turns a ``Push`` into bus v1
events (``V1Event``) or says why it cannot (``Quarantine``). The service
(console/bridge/service.py) stores the result durably before it answers the platform, derives
each event's ``id`` from the push's dedupe key, and publishes.

Refused vs quarantined: a push whose signature or token is wrong is ``Refused`` (401/403, counted,
never stored or published). A push that is genuine but not what the platform documents is
``Malformed``: it is stored in the quarantine and answered 200, because a 4xx/5xx makes CTWing
retry and then pause the whole push channel for a minute, dropping other devices' alarms with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

# what a push is about
DATA = "data"  # a report of the device's values (alarm status, battery, signal ...)
ONLINE = "online"  # the platform saw the device come online
OFFLINE = "offline"  # the platform says the device is offline
EVENT = "event"  # an event report (CTWing eventReport, IoTDA event): read like data by the table
WHATS = (DATA, ONLINE, OFFLINE, EVENT)


@dataclass(frozen=True)
class Push:
    """One message a platform pushed about one device.

    ``fields``, by platform (what a product table's field names refer to):

    - CTWing ``dataReport``: the ``payload.serviceData`` object's keys and values as given, plus
      ``serviceId``; a transparent-transmission product's ``payload.APPdata`` as
      ``{"APPdata": <the base64-decoded bytes>}`` (the product table says how to read them);
      ``eventReport``: the event's content keys plus ``serviceId`` / ``eventType``;
    - OneNET: each data point / property as ``{identifier: value}`` (one Push per device message);
    - IoTDA: one Push per ``notify_data.body.services[]`` item: its ``properties`` plus ``service_id``;
    - a vendor's MQTT JSON: the object flattened to dotted paths (``{"data": {"smoke": 1}}`` ->
      ``{"data.smoke": 1}``).

    Nested values other than those are kept as they came (dicts, lists). Online / offline
    notices usually carry no fields.
    """

    platform: str  # "ctwing" | "onenet" | "iotda" | "mqtt:<name>"
    product: str  # the platform's product id (chooses the product table); "" when it gave none
    ids: Mapping[str, str]  # every device id the platform gave: "imei", "device_id", "node_id", "imsi" ...
    what: str  # one of WHATS
    seq: str  # the platform's packet sequence / message id / request id; "" when it gave none (or -1)
    at_ms: int | None  # the platform's or the device's time of it, ms since the epoch
    fields: Mapping[str, Any]  # the report's values as the platform decoded them (see products.py)
    source: bytes = b""  # the exact bytes this message came from (the dedupe key's digest when seq is "")


@dataclass(frozen=True)
class V1Event:
    """A bus v1 device event before the service gives it its id (ARCHITECTURE §4, docs/payloads.md)."""

    dev: str  # the device id the register holds (the product table says which of Push.ids)
    kind: str  # smoke | co | gas | electric
    evt: str  # the contract's evt (events.EVTS)
    at_ms: int  # the device time, ms since the epoch (-> ts, RFC 3339 with +08:00)
    seq: int | None = None
    val: float | None = None
    unit: str | None = None
    lvl: int | None = None
    code: int | None = None
    bat: int | None = None
    rssi: int | None = None
    hb: int | None = None


@dataclass(frozen=True)
class Quarantine:
    """Stored, answered 200, counted by reason, never published."""

    reason: str  # unknown_product | unmapped_code | bad_body | no_device_id | ...
    detail: str = ""


class Refused(Exception):
    """A push that fails the platform's verification: answered ``status``, counted, never stored."""

    def __init__(self, reason: str, status: int = 401) -> None:
        super().__init__(reason)
        self.reason = reason  # missing_signature | bad_signature | bad_token | stale ...
        self.status = status


class Malformed(Exception):
    """A verified push whose body is not what the platform documents: quarantined, answered 200."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Answer:
    """An HTTP answer a platform expects (the success answer, OneNET's URL verification echo)."""

    status: int = 200
    body: bytes = b""
    content_type: str = "text/plain"
    headers: Mapping[str, str] = field(default_factory=dict)


class Platform(Protocol):
    """One IoT platform's HTTP push, as it documents it."""

    name: str

    def answer_get(self, query: Mapping[str, str]) -> Answer | None:
        """A GET to the push URL (OneNET's URL verification handshake): its answer, or None
        when the platform sends no GET (then 405). Raises Refused when a signed GET is wrong."""
        ...

    def verify(self, headers: Mapping[str, str], query: Mapping[str, str], body: bytes) -> None:
        """Raises Refused when the push fails the platform's signature or token check (headers'
        names lower-cased). A platform configured with no secret checks nothing."""
        ...

    def parse(self, headers: Mapping[str, str], body: bytes) -> list[Push]:
        """The device messages in a verified body; raises Malformed when the body is not what
        the platform documents (it is then quarantined and answered 200)."""
        ...

    def ok(self) -> Answer:
        """What the platform expects once a push is taken."""
        ...
