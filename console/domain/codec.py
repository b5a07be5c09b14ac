"""Bus payload v1 -> typed event, or Rejected(reason, detail). Never raises."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Final

import msgspec

from console.domain.events import EVTS, KINDS, Beat, DeviceEvent

MAX_PAYLOAD: Final = 4096
MAX_ID: Final = 64
MAX_DEV: Final = 32
TOPIC_PREFIX: Final = "guard/v1/evt/"
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
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
)


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
    if dt.tzinfo is None or dt.utcoffset() is None:
        return None
    d = dt - _EPOCH
    ns = (d.days * 86_400 + d.seconds) * 1_000_000_000 + d.microseconds * 1000
    return ns if _I64_MIN <= ns <= _I64_MAX else None


def _validation_reason(message: str) -> tuple[str, str]:
    if message.startswith("Object missing required field"):
        return "missing_field", message
    if message.startswith("Expected `object`"):
        return "not_object", message
    if message.startswith("Expected") or "out of range" in message:
        return "bad_type", message
    return "bad_json", message


def decode_device(topic: str, payload: bytes, at: int) -> DeviceEvent | Rejected:
    if len(payload) > MAX_PAYLOAD:
        return Rejected("too_large", f"{len(payload)} bytes")
    where = parse_topic(topic)
    if where is None:
        return Rejected("bad_topic", topic[:200])
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
    if p.dev != topic_dev:
        return Rejected("dev_mismatch", f"{p.dev[:32]} != {topic_dev[:32]}")
    ts = parse_ts(p.ts)
    if ts is None:
        return Rejected("bad_ts", p.ts[:64])
    return DeviceEvent(
        at=at,
        district=district,
        township=township,
        dev=p.dev,
        id=p.id,
        kind=p.kind,
        evt=p.evt,
        ts=ts,
        seq=p.seq,
        val=p.val,
        unit=p.unit,
        lvl=p.lvl,
        code=p.code,
        bat=p.bat,
        rssi=p.rssi,
        hb=p.hb,
    )


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


class Receipt(msgspec.Struct, frozen=True):
    req: str
    status: str
    detail: str = ""


RECEIPT_STATUSES: Final = frozenset({"sent", "delivered", "answered", "no_answer", "failed"})
_receipt_decoder = msgspec.json.Decoder(Receipt)


def decode_receipt(payload: bytes) -> Receipt | Rejected:
    if len(payload) > MAX_PAYLOAD:
        return Rejected("too_large", f"{len(payload)} bytes")
    try:
        r = _receipt_decoder.decode(payload)
    except msgspec.ValidationError as exc:
        reason, detail = _validation_reason(str(exc))
        return Rejected(reason, detail)
    except Exception as exc:
        return Rejected("bad_json", repr(exc)[:200])
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


_notify_encoder = msgspec.json.Encoder()
_notify_decoder = msgspec.json.Decoder(NotifyRequest)


def encode_notify(req: NotifyRequest) -> bytes:
    return _notify_encoder.encode(req)


def decode_notify(payload: bytes) -> NotifyRequest | Rejected:
    try:
        return _notify_decoder.decode(payload)
    except Exception as exc:
        return Rejected("bad_json", repr(exc)[:200])


def encode_receipt(r: Receipt) -> bytes:
    return _notify_encoder.encode(r)
