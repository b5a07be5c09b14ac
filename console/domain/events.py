"""The event vocabulary: everything that can change what the console believes.

Every event carries ``at``: the console's own time (UTC, integer nanoseconds) at which the
event was accepted. The domain never reads a clock; it only looks at ``at``.
Events are msgspec tagged structs so the journal stores them in one canonical encoding.
"""

from __future__ import annotations

from typing import Final

import msgspec

KINDS: Final = ("smoke", "co", "gas", "electric")
EVTS: Final = (
    "alarm",
    "restore",
    "fault",
    "fault_clear",
    "low_battery",
    "battery_ok",
    "tamper",
    "tamper_clear",
    "heartbeat",
    "self_test",
    "mute",
    "end_of_life",
    # added within v1 (docs/payloads.md "offline"): the IoT platform says the device is offline
    # (the ingest bridge's device lifecycle notices); an older console quarantines it as
    # unknown_evt, counted, nothing else lost
    "offline",
)


class Event(msgspec.Struct, frozen=True, tag_field="t", kw_only=True, omit_defaults=True):
    at: int


# --- bus -----------------------------------------------------------------------------------


class DeviceEvent(Event, frozen=True, kw_only=True, tag="dev"):
    """A decoded v1 device payload (ARCHITECTURE §4), with where it came from."""

    district: str
    township: str
    dev: str
    id: str
    kind: str
    evt: str
    ts: int  # device time, UTC ns
    seq: int | None = None
    val: float | None = None
    unit: str | None = None
    lvl: int | None = None
    code: int | None = None
    bat: int | None = None
    rssi: int | None = None
    hb: int | None = None
    # What the codec found odd but not worth an alarm (codec.FLAGS); the odd value is dropped.
    # Empty is the default and is not encoded: journals written before it replay unchanged.
    flags: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.dev}/{self.id}"


class Beat(msgspec.Struct, frozen=True, array_like=True):
    dev: str
    ts: int
    bat: int | None = None
    rssi: int | None = None
    hb: int | None = None


class Heartbeats(Event, frozen=True, kw_only=True, tag="hb"):
    """Heartbeats compacted per ingest batch: device health only needs the latest of each."""

    township: str
    beats: tuple[Beat, ...]


class Seen(Event, frozen=True, kw_only=True, tag="seen"):
    """Heartbeats that changed nothing but the time the devices were last heard, as the devices'
    places in the device order of the register ``reg`` names (console/domain/liveness.py)."""

    reg: str  # digest of the register whose device order the places count in
    places: bytes  # sorted distinct places, delta-coded varints (liveness.encode_places)
    beats: int  # the heartbeats the places stand for (a device heard twice counts twice)
    unknown: int = 0  # heartbeats of the same flush from devices the register does not have


class Quarantined(Event, frozen=True, kw_only=True, tag="quar"):
    topic: str
    reason: str
    detail: str
    head: bytes  # first 512 bytes of the payload


class NotifyReceipt(Event, frozen=True, kw_only=True, tag="rcpt"):
    req: str
    status: str  # accepted | blocked | sent | delivered | answered | no_answer | failed
    detail: str = ""
    provider: str = ""  # which provider (aliyun | tencent | sim ...), when the gateway says
    provider_at: int = 0  # the provider's time for it (ns), 0 when it gave none


class FieldReply(Event, frozen=True, kw_only=True, tag="reply"):
    """Someone answered a notification: an SMS reply (``text``) or a keypress in the call
    (``key``), as the gateway matched it to the request ``req``. ``id``: unique per reply."""

    id: str
    req: str
    sender: str  # the number it came from (personal data: masked on screen)
    text: str = ""
    key: str = ""
    provider: str = ""
    provider_at: int = 0


class GatewayState(Event, frozen=True, kw_only=True, tag="gw"):
    """The notification gateway's presence as it announced it (or its last will)."""

    gateway: str
    state: str  # online | offline
    failing: tuple[str, ...] = ()  # providers it reports failing


# --- operator ------------------------------------------------------------------------------


class Command(Event, frozen=True, kw_only=True):
    operator: str
    console: str
    incident: int
    expect_version: int | None = None


class CompleteStep(Command, frozen=True, kw_only=True, tag="step"):
    step: str
    values: dict[str, str] = {}


class ServiceContact(msgspec.Struct, frozen=True, kw_only=True):
    """Who an escalation to a service notifies (the district's escalation.toml, written into the
    Escalate record by the engine, so a replay notifies the same numbers as the live run)."""

    name: str
    phone: str
    channels: tuple[str, ...] = ("voice", "sms")


class Escalate(Command, frozen=True, kw_only=True, tag="esc"):
    target: str  # district | fire_119 | ambulance_120 | power | gas
    recipients: tuple[ServiceContact, ...] = ()  # filled by the engine from the district's config


class PlaceCall(Command, frozen=True, kw_only=True, tag="call"):
    """The officer has the gateway call one of the household's contacts now (a voice call, as
    the alarm's; the outcome is then recorded by the step that asked for it)."""

    contact: str  # the contact's id in the register


class Reassign(Command, frozen=True, kw_only=True, tag="reassign"):
    assignee: str


class BulkClose(Command, frozen=True, kw_only=True, tag="bulk"):
    """Close many restored false alarms at once (a storm's cooking smoke): one journal record,
    applied to each incident on its own (console/domain/bulk.py). Each incident is closed, or
    refused with a reason, never half-done. ``incident`` is unused (0): versions are per
    incident, so ``expect_version`` is refused; what guards against a race is that each incident
    must still be restored, single-sensor, open and in scope when the command lands."""

    incident: int = 0
    incidents: list[int]
    cause: str  # a false-alarm cause: cooking_smoke | false_alarm | device_fault | test
    elder_reached: bool  # the officer reached the elders (else each needs an answered call)
    note: str = ""


class AckMiss(Command, frozen=True, kw_only=True, tag="ackmiss"):
    """An officer saw that incident ``incident`` missed its ``mark`` (1, 5 or 30 minutes): the
    repeating alert for that miss stops, on every console and after a restart (the incident
    records it: ``Incident.missed_acked``). Refused if the mark was not missed, is already
    acknowledged, or the incident is out of the officer's scope (console/domain/miss_ack.py)."""

    mark: int


class TicketAction(Event, frozen=True, kw_only=True, tag="ticket"):
    """An officer works a maintenance ticket (resources/checklists/device.toml): ``ack``,
    ``assign`` (to ``assignee``, a technician), ``note`` (``note``), ``close`` (``note``: what
    was done, or why it is closed without repair)."""

    operator: str
    console: str
    ticket: int
    action: str  # ack | assign | note | close
    note: str = ""
    assignee: str = ""


class RevealContact(Event, frozen=True, kw_only=True, tag="reveal"):
    """An officer shows one masked number, for a reason, for REVEAL_FOR_S (console/domain/privacy.py)."""

    operator: str
    console: str
    household: str
    field: str  # e.g. "contact:C123:phone" or "resident:R1:id_number"
    reason: str = ""  # why (required since #20; older journals hold reveals without one)


class Login(Event, frozen=True, kw_only=True, tag="login"):
    operator: str
    console: str
    role: str
    scope: str  # township code or "*" for the district


class Logout(Event, frozen=True, kw_only=True, tag="logout"):
    operator: str
    console: str


class Handover(Event, frozen=True, kw_only=True, tag="handover"):
    console: str
    from_operator: str
    to_operator: str
    open_incidents: tuple[int, ...]
    note: str = ""


# --- timer / system ------------------------------------------------------------------------


class Tick(Event, frozen=True, kw_only=True, tag="tick"):
    """The clock reached a due time (a deadline, a retry, a device heartbeat grace)."""


class BusStatus(Event, frozen=True, kw_only=True, tag="bus"):
    state: str  # connected | reconnecting | blind
    detail: str = ""


class NotifyPublished(Event, frozen=True, kw_only=True, tag="npub"):
    """The engine handed these notification requests to the bus."""

    reqs: tuple[str, ...]


class RegisterChanged(Event, frozen=True, kw_only=True, tag="reg"):
    """From here on the register with this digest is in force (console/domain/registry.py
    ``Register.digest``; the register itself is kept in the store's ``register_versions``).
    Journaled by an import, and by a console whose store holds another register than the one
    its journal last named (an import while it was down, a first start)."""

    version: str
    digest: str
    households: int
    devices: int
    source: str = ""  # the import's file name, "start", ...


class SystemNote(Event, frozen=True, kw_only=True, tag="sys"):
    """Start-up, shutdown, journal trouble and recovery: for the record, no state change."""

    what: str
    detail: str = ""


AnyEvent = (
    DeviceEvent
    | Heartbeats
    | Seen
    | Quarantined
    | NotifyReceipt
    | FieldReply
    | GatewayState
    | CompleteStep
    | Escalate
    | Reassign
    | PlaceCall
    | BulkClose
    | AckMiss
    | TicketAction
    | RevealContact
    | Login
    | Logout
    | Handover
    | Tick
    | BusStatus
    | NotifyPublished
    | RegisterChanged
    | SystemNote
)

SOURCE: Final[dict[type, str]] = {
    DeviceEvent: "bus",
    Heartbeats: "bus",
    Seen: "bus",
    Quarantined: "bus",
    NotifyReceipt: "bus",
    FieldReply: "bus",
    GatewayState: "bus",
    CompleteStep: "operator",
    Escalate: "operator",
    Reassign: "operator",
    PlaceCall: "operator",
    BulkClose: "operator",
    AckMiss: "operator",
    TicketAction: "operator",
    RevealContact: "operator",
    Login: "operator",
    Logout: "operator",
    Handover: "operator",
    Tick: "timer",
    BusStatus: "system",
    NotifyPublished: "system",
    RegisterChanged: "system",
    SystemNote: "system",
}

_encoder = msgspec.json.Encoder(order="sorted")
_decoder = msgspec.json.Decoder(AnyEvent)


def encode(event: AnyEvent) -> bytes:
    """Canonical encoding: sorted keys, no whitespace. The journal hashes these bytes."""
    return _encoder.encode(event)


def decode(data: bytes) -> AnyEvent:
    event: AnyEvent = _decoder.decode(data)
    return event


def source_of(event: AnyEvent) -> str:
    return SOURCE[type(event)]


def type_of(event: AnyEvent) -> str:
    tag = type(event).__struct_config__.tag
    assert isinstance(tag, str)
    return tag


def key_of(event: AnyEvent) -> str:
    """A short key for the journal index: dedupe key, incident, household or request."""
    if isinstance(event, DeviceEvent):
        return event.key
    if isinstance(event, BulkClose):
        return f"bulk:{len(event.incidents)}"
    if isinstance(event, Command):
        return f"incident:{event.incident}"
    if isinstance(event, NotifyReceipt):
        return f"req:{event.req}"
    if isinstance(event, FieldReply):
        return f"reply:{event.id}"
    if isinstance(event, TicketAction):
        return f"ticket:{event.ticket}"
    if isinstance(event, RevealContact):
        return f"household:{event.household}"
    if isinstance(event, RegisterChanged):
        return f"register:{event.digest[:16]}"
    return ""
