"""Bus payload v1 -> typed event, or Rejected(reason, detail). Never raises.

What is refused and what is accepted with a flag: docs/payloads.md. Odd metadata (battery,
signal, reading, device time) never costs an alarm its incident: the value is dropped and a
flag recorded on the event; what makes the event itself ambiguous (a key given twice, ids an
officer could misread) is quarantined.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Annotated, Final, TypeVar

import msgspec

from console.domain.events import EVTS, KINDS, Beat, DeviceEvent

T = TypeVar("T")

MAX_PAYLOAD: Final = 4096
MAX_ID: Final = 64
MAX_DEV: Final = 32
TOPIC_PREFIX: Final = "guard/v1/evt/"
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_US: Final = timedelta(microseconds=1)
_I64_MIN: Final = -(2**63)
_I64_MAX: Final = 2**63 - 1

# Every integer must fit the journal's and the store's 64-bit columns.
I64 = Annotated[int, msgspec.Meta(ge=_I64_MIN, le=_I64_MAX)]

# Reason codes; the UI turns them into words.
REASONS: Final = (
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
    "duplicate_key",
    "bad_chars",
    "bad_id",
)

# Flags on an accepted DeviceEvent (``flags``): the odd value is dropped (None) so nothing
# downstream trusts it; ``ts`` is kept as sent (it is never used for T0, ``at`` is).
FLAGS: Final = (
    "bat_range",  # battery outside 0-100 %
    "rssi_range",  # signal outside -140..0 dBm
    "hb_range",  # heartbeat period outside 1 s .. 30 days
    "lvl_range",  # gas level other than 1 or 2
    "val_range",  # reading impossible for its unit (or beyond 1e9 without one)
    "unit_unknown",  # unit not in the contract's list (a unit with bad characters is dropped)
    "seq_range",  # negative device sequence number
    "ts_skew",  # device time more than a day from the console's receipt time
)

BAT_MIN: Final = 0
BAT_MAX: Final = 100
RSSI_MIN: Final = -140
RSSI_MAX: Final = 0
HB_MIN: Final = 1  # simulators and drills compress time; 0 or less would mean "offline now"
HB_MAX: Final = 30 * 86_400
MAX_SKEW_NS: Final = 86_400 * 1_000_000_000
# Physically possible readings per unit (inclusive); anything else is flagged "val_range".
VAL_RANGES: Final[dict[str, tuple[float, float]]] = {
    "ppm": (0.0, 100_000.0),
    "%LEL": (0.0, 100.0),
    "°C": (-273.15, 2_000.0),
    "mA": (0.0, 1_000_000.0),
    "A": (0.0, 100_000.0),
    "V": (0.0, 1_000_000.0),
}
MAX_ABS_VAL: Final = 1e9
_ANY_VAL: Final = (-MAX_ABS_VAL, MAX_ABS_VAL)


class Rejected(msgspec.Struct, frozen=True):
    reason: str
    detail: str = ""


class _Payload(msgspec.Struct, frozen=True):
    # Unknown extra fields are tolerated on purpose: a vendor adding a field must never
    # make a real alarm disappear into quarantine.
    v: I64
    id: str
    dev: str
    kind: str
    evt: str
    ts: str
    seq: I64 | None = None
    val: float | None = None
    unit: str | None = None
    lvl: I64 | None = None
    code: I64 | None = None
    bat: I64 | None = None
    rssi: I64 | None = None
    hb: I64 | None = None


_decoder = msgspec.json.Decoder(_Payload)
_KINDS = frozenset(KINDS)
_EVTS = frozenset(EVTS)
# Quotes a payload holds when every key is one of the fields decoded, each given once:
# 6 required keys and 5 required string values, 2 quotes each.
_BASE_QUOTES: Final = 2 * (6 + 5)
_FIELDS: Final = frozenset(_Payload.__struct_fields__)
_FIELD_NEEDLES: Final = tuple((name, f'"{name}"'.encode()) for name in _Payload.__struct_fields__)


def parse_topic(topic: str) -> tuple[str, str, str] | None:
    """``guard/v1/evt/{district}/{township}/{device}`` -> (district, township, device)."""
    if not topic.startswith(TOPIC_PREFIX):
        return None
    parts = topic[len(TOPIC_PREFIX) :].split("/")
    if len(parts) != 3 or not all(parts):
        return None
    return parts[0], parts[1], parts[2]


def parse_ts(text: str) -> int | None:
    """RFC 3339 with an offset -> UTC ns; None when there is no offset, it does not parse, or it
    does not fit 64-bit nanoseconds. Exact integer arithmetic: no float rounding, none near 1970."""
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        return None
    if dt.tzinfo is None:  # fromisoformat gives a fixed offset or none: never a None utcoffset
        return None
    ns = (dt - _EPOCH) // _US * 1000  # timedelta // timedelta: an exact int
    return ns if _I64_MIN <= ns <= _I64_MAX else None


def _validation_reason(message: str) -> tuple[str, str]:
    if message.startswith("Object missing required field"):
        return "missing_field", message
    if message.startswith("Expected `object`"):
        return "not_object", message
    if message.startswith("Expected") or "out of range" in message:
        return "bad_type", message
    return "bad_json", message


def _printable(s: str) -> bool:
    """No C0/C1 controls, no bidi marks, overrides or isolates (U+200E/F, U+202A-E,
    U+2066-9), no other format, surrogate or unassigned code point: ``str.isprintable``
    refuses all of these (categories Cc, Cf, Cs, Co, Cn, Z* but the ASCII space)."""
    return s.isprintable()


def _shown(s: str, n: int = 64) -> str:
    """A string safe to echo in a reason's detail: non-printables escaped."""
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in s[:n])


def _quotes(p: _Payload) -> int:
    """The quotes a payload holds when every key is a field decoded, each given once: every
    key and every string value is two. More means an unknown field, an escaped quote, a null
    optional field, or a key given twice."""
    unit = p.unit is not None
    present = (
        (p.seq is not None)
        + (p.val is not None)
        + unit
        + (p.lvl is not None)
        + (p.code is not None)
        + (p.bat is not None)
        + (p.rssi is not None)
        + (p.hb is not None)
    )
    return _BASE_QUOTES + 2 * (present + unit)


def _duplicate_key(payload: bytes, p: _Payload) -> Rejected | None:
    """Rejected when a field of the contract is given twice (msgspec keeps the last one: a
    smoke alarm with a second ``"kind":"gas"`` would open a gas incident), else None. A vendor
    field given twice is ignored like the field itself. Called only when the quotes do not add
    up (``_quotes``): with no escape in the bytes, each field's quoted name must then occur at
    most once; what is left (escapes, a name also used as a value) is read pair by pair."""
    if b"\\" not in payload:
        # Only the fields decoded: one given twice with a null last decoded as absent, harmless.
        for name, needle in _FIELD_NEEDLES:
            if getattr(p, name) is not None and payload.count(needle) > 1:
                break
        else:
            return None
    try:
        pairs = json.loads(payload, object_pairs_hook=lambda kv: kv)
    except (ValueError, RecursionError) as exc:
        # Fail closed: what cannot be checked (nesting past json's depth) could hide a second key.
        return Rejected("duplicate_key", f"keys not checkable: {type(exc).__name__}")
    seen: set[str] = set()
    for k, _ in pairs:
        if k in seen and k in _FIELDS:
            return Rejected("duplicate_key", _shown(k))
        seen.add(k)
    return None


def decode_device(topic: str, payload: bytes, at: int) -> DeviceEvent | Rejected:
    if len(payload) > MAX_PAYLOAD:
        return Rejected("too_large", f"{len(payload)} bytes")
    where = parse_topic(topic)
    if where is None:
        return Rejected("bad_topic", _shown(topic, 200))
    district, township, topic_dev = where
    try:
        p = _decoder.decode(payload)
    except msgspec.ValidationError as exc:
        reason, detail = _validation_reason(str(exc))
        return Rejected(reason, detail)
    except msgspec.DecodeError as exc:
        return Rejected("bad_json", str(exc)[:200])
    except Exception as exc:
        return Rejected("bad_json", repr(exc)[:200])
    if payload.count(b'"') != _quotes(p):
        dup = _duplicate_key(payload, p)
        if dup is not None:
            return dup
    if not (topic + p.id + p.dev + p.kind + p.evt + p.ts).isprintable():  # one pass over all
        for name, value in (("topic", topic), ("id", p.id), ("dev", p.dev), ("kind", p.kind), ("evt", p.evt)):
            if not _printable(value):
                return Rejected("bad_chars", f"{name}: {_shown(value, 200)}")
        return Rejected("bad_chars", f"ts: {_shown(p.ts)}")
    if p.v != 1:
        return Rejected("bad_version", str(p.v))
    if p.kind not in _KINDS:
        return Rejected("unknown_kind", p.kind[:64])
    if p.evt not in _EVTS:
        return Rejected("unknown_evt", p.evt[:64])
    if len(p.id) > MAX_ID or not p.id:
        return Rejected("id_too_long", str(len(p.id)))
    if len(p.dev) > MAX_DEV or not p.dev:
        return Rejected("dev_too_long", str(len(p.dev)))
    if p.id.strip() != p.id or p.dev.strip() != p.dev:
        # "D1 " reads as "D1" on screen; a blank id reads as nothing
        return Rejected("bad_id", f"{p.dev[:32]!r}/{p.id[:64]!r}")
    if p.dev != topic_dev:
        return Rejected("dev_mismatch", f"{p.dev[:32]} != {topic_dev[:32]}")
    ts = parse_ts(p.ts)
    if ts is None:
        return Rejected("bad_ts", p.ts[:64])
    flags: list[str] | None = None
    seq, val, unit, lvl, bat, rssi, hb = p.seq, p.val, p.unit, p.lvl, p.bat, p.rssi, p.hb
    if bat is not None and not BAT_MIN <= bat <= BAT_MAX:
        bat = None
        flags = ["bat_range"]
    if rssi is not None and not RSSI_MIN <= rssi <= RSSI_MAX:
        rssi = None
        flags = [*(flags or ()), "rssi_range"]
    if hb is not None and not HB_MIN <= hb <= HB_MAX:
        hb = None
        flags = [*(flags or ()), "hb_range"]
    if lvl is not None and lvl != 1 and lvl != 2:
        lvl = None
        flags = [*(flags or ()), "lvl_range"]
    if unit is not None and unit not in VAL_RANGES:
        if len(unit) > 16 or not unit.isprintable():
            unit = None  # shown next to the reading: never echo what could disguise it
        flags = [*(flags or ()), "unit_unknown"]
    if val is not None:
        lo, hi = VAL_RANGES.get(unit, _ANY_VAL) if unit is not None else _ANY_VAL
        if not lo <= val <= hi:  # NaN fails both comparisons
            val = None
            flags = [*(flags or ()), "val_range"]
    if seq is not None and seq < 0:
        seq = None
        flags = [*(flags or ()), "seq_range"]
    if not -MAX_SKEW_NS <= ts - at <= MAX_SKEW_NS:
        flags = [*(flags or ()), "ts_skew"]
    e = DeviceEvent(
        at=at,
        district=district,
        township=township,
        dev=p.dev,
        id=p.id,
        kind=p.kind,
        evt=p.evt,
        ts=ts,
        seq=seq,
        val=val,
        unit=unit,
        lvl=lvl,
        code=p.code,
        bat=bat,
        rssi=rssi,
        hb=hb,
    )
    return e if flags is None else msgspec.structs.replace(e, flags=tuple(flags))


def beat_of(e: DeviceEvent) -> Beat:
    return Beat(e.dev, e.ts, e.bat, e.rssi, e.hb)


def device_topic(district: str, township: str, dev: str) -> str:
    return f"{TOPIC_PREFIX}{district}/{township}/{dev}"


def notify_req_topic(district: str) -> str:
    return f"guard/v1/notify/{district}/req"


def notify_receipt_topic(district: str) -> str:
    return f"guard/v1/notify/{district}/receipt"


def presence_topic(district: str, console_id: str) -> str:
    return f"guard/v1/console/{district}/{console_id}"


def notify_reply_topic(district: str) -> str:
    """Replies from the field (an SMS answer, a keypress in a call), gateway -> consoles."""
    return f"guard/v1/notify/{district}/reply"


def gateway_status_topic(district: str) -> str:
    """The notification gateway's presence: retained, with an "offline" last will."""
    return f"guard/v1/notify/{district}/gateway"


def bridge_status_topic(district: str, bridge: str) -> str:
    """An ingest bridge's health: retained, with an "offline" last will (docs/bridge.md)."""
    return f"guard/v1/bridge/{district}/{bridge}"


class Receipt(msgspec.Struct, frozen=True):
    """Gateway -> consoles on ``guard/v1/notify/{district}/receipt``.

    ``accepted``: a provider took the send (the honest "alert out" of the 1-minute mark);
    ``blocked``: a limit kept it from going on this channel / provider (``detail`` says which;
    the gateway tries the other channel or provider under a request of its own only if asked
    to, so the console knows what did not go out); ``sent``: handed to the carrier (the
    simulator's word). ``at``: the provider's time for it (RFC 3339), "" when it gave none;
    ``provider``: which one (aliyun | tencent | sim ...)."""

    req: str
    status: str
    detail: str = ""
    at: str = ""
    provider: str = ""


RECEIPT_STATUSES: Final = frozenset(
    {"accepted", "blocked", "sent", "delivered", "answered", "no_answer", "failed"}
)
_receipt_decoder = msgspec.json.Decoder(Receipt)


def decode_receipt(payload: bytes) -> Receipt | Rejected:
    r = _decoded(_receipt_decoder, payload)
    if isinstance(r, Rejected):
        return r
    if r.status not in RECEIPT_STATUSES:
        return Rejected("bad_receipt_status", r.status[:64])
    return r


class NotifyRequest(msgspec.Struct, frozen=True, kw_only=True):
    """Outgoing on ``guard/v1/notify/{district}/req``; the gateway answers with a Receipt."""

    v: int = 1
    req: str  # unique request id, e.g. "I12-guardian-voice-1"
    incident: int
    household: str
    channel: str  # sms | voice
    role: str  # elder | guardian | grid_worker | cadre | ...
    to: str  # phone number
    text: str
    attempt: int = 1
    # what the gateway fills the provider's approved template with (console/gateway/templates.py):
    # ``msg`` the kind of message (alarm ...), ``vars`` the template's variables from the
    # incident (address, kinds, incident, callback); ``text`` stays the whole message (the
    # simulator, a log of what was meant)
    msg: str = "alarm"
    vars: dict[str, str] = {}


class Reply(msgspec.Struct, frozen=True, kw_only=True):
    """Gateway -> consoles on ``guard/v1/notify/{district}/reply``: what someone answered.

    ``req``: the request it answers (the gateway matches an SMS reply to the latest request to
    that number; "" when it found none); ``from``: the number it came from; ``text`` an SMS
    reply or ``key`` a keypress in the call; ``id``: unique per reply (the provider's id, or
    the gateway's), what the console deduplicates on; ``at``: the provider's time (RFC 3339)."""

    v: int = 1
    id: str
    req: str = ""
    sender: str = msgspec.field(name="from", default="")
    text: str = ""
    key: str = ""
    at: str = ""
    provider: str = ""


class GatewayStatus(msgspec.Struct, frozen=True, kw_only=True):
    """The gateway's presence on ``guard/v1/notify/{district}/gateway`` (retained; the MQTT
    last will says ``offline``): ``providers`` name -> ok | failing."""

    v: int = 1
    gateway: str
    state: str  # online | offline
    at: str = ""
    providers: dict[str, str] = {}


class PlatformHealth(msgspec.Struct, frozen=True, kw_only=True):
    """One IoT platform as an ingest bridge sees it."""

    last_push: str = ""  # RFC 3339, the last push taken from it; "" none since the bridge started
    silent: bool = False  # no push for longer than its devices' heartbeat allows (``silent_after_s``)
    silent_after_s: int = 0
    pushes: int = 0  # taken since the bridge started
    refused: int = 0  # a wrong signature or token
    quarantined: int = 0


class BridgeStatus(msgspec.Struct, frozen=True, kw_only=True):
    """An ingest bridge's health on ``guard/v1/bridge/{district}/{bridge}`` (retained; the MQTT
    last will says ``offline``), published every ``every_s`` and at each change."""

    v: int = 1
    bridge: str
    state: str  # online | offline
    at: str = ""
    every_s: int = 0  # how often it publishes: a status older than 3x this is stale
    outbox: int = 0  # events stored, not yet acknowledged by the broker
    outbox_full: bool = False  # at its bound: heartbeats are shed, then pushes are refused
    platforms: dict[str, PlatformHealth] = {}
    counters: dict[str, int] = {}


_notify_encoder = msgspec.json.Encoder()
_notify_decoder = msgspec.json.Decoder(NotifyRequest)


def encode_notify(req: NotifyRequest) -> bytes:
    return _notify_encoder.encode(req)


def decode_notify(payload: bytes) -> NotifyRequest | Rejected:
    try:
        return _notify_decoder.decode(payload)
    except Exception as exc:
        return Rejected("bad_json", repr(exc)[:200])


def check_notify(payload: bytes) -> NotifyRequest | Rejected:
    """A notification request as a gateway takes it (docs/payloads.md): more than MAX_PAYLOAD,
    not decodable, another version, or a request id empty or over 128 characters is refused.
    The channel is the gateway's to judge (it answers an unknown one with a failed receipt)."""
    if len(payload) > MAX_PAYLOAD:
        return Rejected("too_large", f"{len(payload)} bytes")
    r = decode_notify(payload)
    if isinstance(r, NotifyRequest):
        if r.v != 1:
            return Rejected("bad_version", str(r.v))
        if not r.req or len(r.req) > 128:
            return Rejected("bad_req_id", r.req[:64])
    return r


def encode_receipt(r: Receipt) -> bytes:
    return _notify_encoder.encode(r)


_reply_decoder = msgspec.json.Decoder(Reply)
_status_decoder = msgspec.json.Decoder(GatewayStatus)
_bridge_decoder = msgspec.json.Decoder(BridgeStatus)


def encode_reply(r: Reply) -> bytes:
    return _notify_encoder.encode(r)


def _decoded(decoder: msgspec.json.Decoder[T], payload: bytes) -> T | Rejected:
    """``decoder.decode(payload)``, or why not as the quarantine names it."""
    if len(payload) > MAX_PAYLOAD:
        return Rejected("too_large", f"{len(payload)} bytes")
    try:
        return decoder.decode(payload)
    except msgspec.ValidationError as exc:
        reason, detail = _validation_reason(str(exc))
        return Rejected(reason, detail)
    except Exception as exc:
        return Rejected("bad_json", repr(exc)[:200])


def decode_reply(payload: bytes) -> Reply | Rejected:
    r = _decoded(_reply_decoder, payload)
    if isinstance(r, Rejected):
        return r
    if r.v != 1:
        return Rejected("bad_version", str(r.v))
    if not r.id or len(r.id) > 128 or len(r.req) > 128 or len(r.text) > 1000 or len(r.key) > 8:
        return Rejected("bad_reply", f"id {r.id[:64]!r}")
    return r


def encode_gateway_status(s: GatewayStatus) -> bytes:
    return _notify_encoder.encode(s)


def encode_bridge_status(s: BridgeStatus) -> bytes:
    return _notify_encoder.encode(s)


def decode_bridge_status(payload: bytes) -> BridgeStatus | Rejected:
    s = _decoded(_bridge_decoder, payload)
    if isinstance(s, Rejected):
        return s
    if s.state not in ("online", "offline"):
        return Rejected("bad_bridge_state", s.state[:32])
    return s


def decode_gateway_status(payload: bytes) -> GatewayStatus | Rejected:
    s = _decoded(_status_decoder, payload)
    if isinstance(s, Rejected):
        return s
    if s.state not in ("online", "offline"):
        return Rejected("bad_gateway_state", s.state[:32])
    return s
