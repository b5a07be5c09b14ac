"""The product table format (resources/vendors/README.md): its keys, checked strictly.

A broken table is a ``ProductError`` naming the file and the key; a key the format does not have
is one too (a misspelt ``normal`` would otherwise silently turn restores off). What a table
means for a push is console/bridge/products.py. Standard library only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

from console.domain.codec import VAL_RANGES
from console.domain.events import EVTS, KINDS

# the contract's lists (docs/payloads.md), from the domain itself
UNITS: Final = tuple(VAL_RANGES)

# the order of the events one push yields: what an officer must see first, first
ORDER: Final = (
    "alarm",
    "fault",
    "tamper",
    "end_of_life",
    "low_battery",
    "restore",
    "mute",
    "self_test",
    "fault_clear",
    "tamper_clear",
    "battery_ok",
    "offline",
    "heartbeat",
)

HB_MIN_S: Final = 1
HB_MAX_S: Final = 30 * 86400  # the contract's hb range
RSSI_MIN: Final = -140
RSSI_MAX: Final = 0
FLATTEN_DEPTH: Final = 32

FRAME_TYPES: Final = {  # name -> (bytes, signed, byte order)
    "u8": (1, False, "big"),
    "i8": (1, True, "big"),
    "u16be": (2, False, "big"),
    "i16be": (2, True, "big"),
    "u32be": (4, False, "big"),
    "i32be": (4, True, "big"),
    "u16le": (2, False, "little"),
    "u32le": (4, False, "little"),
}
TIME_UNITS: Final = {"ms": 1, "s": 1000}
HB_UNITS: Final = {"s": 1, "min": 60, "h": 3600}
BATTERY_UNITS: Final = ("%", "mV", "V", "raw")


class ProductError(Exception):
    """A broken product table: the message names the file and the key."""


# --- the table ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Status:
    """One status field: its values (or its bits) -> evt."""

    field: str
    values: Mapping[str, str]  # the field's value as text ("1", "true") -> evt
    bits: Mapping[int, str]  # a bit number -> evt, for a field that is a bit mask
    normal: frozenset[str]  # the values meaning "nothing is wrong" (restore by normal status)
    required: bool  # a report without this field is quarantined (no_status)

    @property
    def says_alarm(self) -> bool:
        return "alarm" in self.values.values() or "alarm" in self.bits.values()


@dataclass(frozen=True)
class Battery:
    field: str
    unit: str  # % | mV | V | raw
    empty: float  # the value meaning 0 % (mV, V, raw)
    full: float  # the value meaning 100 %


@dataclass(frozen=True)
class Signal:
    field: str  # RSRP
    scale: float  # rssi = value * scale + offset (dBm)
    offset: float
    snr_field: str  # recorded only: bus v1 has no field for SNR / SINR


@dataclass(frozen=True)
class Reading:
    field: str
    unit: str
    scale: float
    offset: float


@dataclass(frozen=True)
class Level:
    field: str
    values: Mapping[str, int]  # empty: the field holds 1 or 2 itself


@dataclass(frozen=True)
class Code:
    field: str
    values: Mapping[str, int]  # empty: the field holds the code as an integer


@dataclass(frozen=True)
class Heartbeat:
    field: str
    unit: str  # s | min | h


@dataclass(frozen=True)
class FrameField:
    name: str
    offset: int
    type: str  # FRAME_TYPES

    @property
    def end(self) -> int:
        return self.offset + FRAME_TYPES[self.type][0]


@dataclass(frozen=True)
class AppData:
    """How a transparent-transmission product's bytes read (CTWing ``APPdata``)."""

    field: str  # the Push field holding the bytes
    format: str  # json | binary
    fields: tuple[FrameField, ...]
    expect: tuple[tuple[int, bytes], ...]  # (offset, bytes) a frame of this layout has

    @property
    def length(self) -> int:
        ends = [f.end for f in self.fields] + [o + len(b) for o, b in self.expect]
        return max(ends, default=0)


@dataclass(frozen=True)
class Product:
    """One product table (one detector model on one platform)."""

    source: str  # the file it came from (for messages)
    platform: str  # ctwing | onenet | iotda | mqtt:<name>
    product_id: str  # the platform's product id, or "*" for any product of that platform
    kind: str
    model: str
    dev: tuple[str, ...]  # Push.ids keys, the first present wins
    hb_s: int  # the model's heartbeat period
    statuses: tuple[Status, ...]
    battery: Battery | None = None
    signal: Signal | None = None
    reading: Reading | None = None
    level: Level | None = None
    code: Code | None = None
    heartbeat: Heartbeat | None = None
    time_field: str = ""
    time_unit: str = "ms"
    seq_field: str = ""
    service_field: str = ""
    services: frozenset[str] = frozenset()
    appdata: AppData | None = None
    other_fields: frozenset[str] = frozenset()  # reported, known, with no place in bus v1

    @property
    def known_fields(self) -> frozenset[str]:
        """The fields whose presence makes a report one this table understands."""
        names = {s.field for s in self.statuses} | set(self.other_fields)
        for part in (self.battery, self.signal, self.reading, self.level, self.code, self.heartbeat):
            if part is not None:
                names.add(part.field)
        if self.signal is not None and self.signal.snr_field:
            names.add(self.signal.snr_field)
        return frozenset(names)

    @property
    def key(self) -> tuple[str, str]:
        return (self.platform, self.product_id)

    @staticmethod
    def parse(data: Mapping[str, Any], source: str) -> Product:
        """A table from its TOML; raises ProductError naming ``source`` and the key."""
        return _parse(_Table(data, source, ""))


# --- parsing a table ---------------------------------------------------------------------------


class _Table:
    """One TOML table being read: every key it reads is checked, every key it does not know is
    an error (a misspelt ``normal`` would otherwise silently turn restores off)."""

    def __init__(self, data: Any, source: str, path: str) -> None:
        if not isinstance(data, Mapping):
            raise ProductError(f"{source}: {path or '(top)'}: not a table")
        self.data: Mapping[str, Any] = data
        self.source = source
        self.path = path

    def where(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def fail(self, key: str, problem: str) -> ProductError:
        return ProductError(f"{self.source}: {self.where(key)}: {problem}")

    def done(self, known: Iterable[str]) -> None:
        unknown = sorted(set(self.data) - set(known))
        if unknown:
            raise self.fail(unknown[0], "not a key of a product table (resources/vendors/README.md)")

    def text(self, key: str, default: str | None = None, choices: Iterable[str] = ()) -> str:
        v = self.data.get(key, default)
        if v is None:
            raise self.fail(key, "missing")
        if not isinstance(v, str) or (v == "" and default is None):
            raise self.fail(key, "must be a non-empty string")
        allowed = tuple(choices)
        if allowed and v not in allowed:
            raise self.fail(key, f"{v!r} is not one of {', '.join(allowed)}")
        return v

    def number(self, key: str, default: float | None = None) -> float:
        v = self.data.get(key, default)
        if v is None:
            raise self.fail(key, "missing")
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise self.fail(key, "must be a number")
        return float(v)

    def integer(self, key: str, default: int | None = None) -> int:
        v = self.data.get(key, default)
        if v is None:
            raise self.fail(key, "missing")
        if isinstance(v, bool) or not isinstance(v, int):
            raise self.fail(key, "must be an integer")
        return v

    def texts(self, key: str, required: bool = False) -> tuple[str, ...]:
        v = self.data.get(key)
        if v is None:
            if required:
                raise self.fail(key, "missing")
            return ()
        items = [v] if isinstance(v, str) else v
        if not isinstance(items, list) or not items or not all(isinstance(i, str) and i for i in items):
            raise self.fail(key, "must be a string or a list of non-empty strings")
        return tuple(items)

    def sub(self, key: str) -> _Table | None:
        v = self.data.get(key)
        return None if v is None else _Table(v, self.source, self.where(key))

    def subs(self, key: str) -> list[_Table]:
        v = self.data.get(key)
        if v is None:
            return []
        if not isinstance(v, list):
            raise self.fail(key, f"must be an array of tables ([[{key}]])")
        return [_Table(item, self.source, f"{self.where(key)}[{i}]") for i, item in enumerate(v)]


def _parse(t: _Table) -> Product:
    platform = t.text("platform")
    if platform not in ("ctwing", "onenet", "iotda") and not (
        platform.startswith("mqtt:") and len(platform) > 5
    ):
        raise t.fail("platform", f"{platform!r} is not ctwing, onenet, iotda or mqtt:<name>")
    hb_s = t.integer("hb_s")
    if not HB_MIN_S <= hb_s <= HB_MAX_S:
        raise t.fail("hb_s", f"{hb_s} is outside 1 s .. 30 days")
    statuses = tuple(_parse_status(s) for s in t.subs("status"))
    if not statuses:
        raise t.fail("status", "a table needs at least one [[status]] (what says alarm)")
    service_field = t.text("service_field", "")
    services = frozenset(t.texts("services", required=bool(service_field)))
    if services and not service_field:
        raise t.fail("services", "given without service_field")
    seq_field = t.text("seq_field", "")
    time_field = t.text("time_field", "")
    time_unit = t.text("time_unit", "ms", TIME_UNITS)
    product = Product(
        source=t.source,
        platform=platform,
        product_id=t.text("product_id"),
        kind=t.text("kind", choices=KINDS),
        model=t.text("model"),
        dev=t.texts("dev", required=True),
        hb_s=hb_s,
        statuses=statuses,
        battery=_opt(t, "battery", _parse_battery),
        signal=_opt(t, "signal", _parse_signal),
        reading=_opt(t, "reading", _parse_reading),
        level=_opt(t, "level", _parse_level),
        code=_opt(t, "code", _parse_code),
        heartbeat=_opt(t, "heartbeat", _parse_heartbeat),
        time_field=time_field,
        time_unit=time_unit,
        seq_field=seq_field,
        service_field=service_field,
        services=services,
        appdata=_opt(t, "appdata", _parse_appdata),
        other_fields=frozenset(t.texts("other_fields")),
    )
    t.done(
        (
            "platform", "product_id", "kind", "model", "dev", "hb_s", "status", "battery",
            "signal", "reading", "level", "code", "heartbeat", "time_field", "time_unit",
            "seq_field", "service_field", "services", "appdata", "other_fields",
        )
    )  # fmt: skip
    if product.appdata is not None and product.appdata.format == "binary":
        names = {f.name for f in product.appdata.fields}
        for where, name in _field_names(product):
            if name not in names:
                raise t.fail(where, f"{name!r} is not a field of [[appdata.field]]")
    return product


def _field_names(p: Product) -> Iterable[tuple[str, str]]:
    for i, s in enumerate(p.statuses):
        yield f"status[{i}].field", s.field
    for key, part in (
        ("battery", p.battery),
        ("signal", p.signal),
        ("reading", p.reading),
        ("level", p.level),
        ("code", p.code),
        ("heartbeat", p.heartbeat),
    ):
        if part is not None:
            yield f"{key}.field", part.field
    if p.signal is not None and p.signal.snr_field:
        yield "signal.snr_field", p.signal.snr_field
    for key, name in (("time_field", p.time_field), ("seq_field", p.seq_field)):
        if name:
            yield key, name


def _opt(t: _Table, key: str, parse: Callable[[_Table], Any]) -> Any:
    sub = t.sub(key)
    return None if sub is None else parse(sub)


def _parse_status(t: _Table) -> Status:
    values: dict[str, str] = {}
    vt = t.sub("values")
    if vt is not None:
        for k, evt in vt.data.items():
            if not isinstance(evt, str) or evt not in EVTS:
                raise vt.fail(f'"{k}"', f"{evt!r} is not an evt of bus v1 ({', '.join(EVTS)})")
            values[k] = evt
    bits: dict[int, str] = {}
    bt = t.sub("bits")
    if bt is not None:
        for k, evt in bt.data.items():
            if not (k.isascii() and k.isdigit() and int(k) < 64):
                raise bt.fail(f'"{k}"', "a bit is a number 0..63")
            if not isinstance(evt, str) or evt not in EVTS:
                raise bt.fail(f'"{k}"', f"{evt!r} is not an evt of bus v1 ({', '.join(EVTS)})")
            bits[int(k)] = evt
    if not values and not bits:
        raise t.fail("values", "a [[status]] needs values (or bits) naming what each value means")
    normal = frozenset(t.texts("normal"))
    both = sorted(normal & set(values))
    if both:
        raise t.fail("normal", f"{both[0]!r} is both normal and in values")
    required = t.data.get("required", True)
    if not isinstance(required, bool):
        raise t.fail("required", "must be true or false")
    s = Status(
        field=t.text("field"),
        values=MappingProxyType(values),
        bits=MappingProxyType(bits),
        normal=normal,
        required=required,
    )
    t.done(("field", "values", "bits", "normal", "required"))
    return s


def _parse_battery(t: _Table) -> Battery:
    unit = t.text("unit", choices=BATTERY_UNITS)
    if unit == "%":
        b = Battery(field=t.text("field"), unit=unit, empty=0.0, full=100.0)
        t.done(("field", "unit"))
        return b
    empty, full = t.number("empty"), t.number("full")
    if empty == full:
        raise t.fail("full", "must differ from empty")
    b = Battery(field=t.text("field"), unit=unit, empty=empty, full=full)
    t.done(("field", "unit", "empty", "full"))
    return b


def _parse_signal(t: _Table) -> Signal:
    s = Signal(
        field=t.text("field"),
        scale=t.number("scale", 1.0),
        offset=t.number("offset", 0.0),
        snr_field=t.text("snr_field", ""),
    )
    t.done(("field", "scale", "offset", "snr_field"))
    return s


def _parse_reading(t: _Table) -> Reading:
    r = Reading(
        field=t.text("field"),
        unit=t.text("unit", choices=UNITS),
        scale=t.number("scale", 1.0),
        offset=t.number("offset", 0.0),
    )
    t.done(("field", "unit", "scale", "offset"))
    return r


def _int_values(t: _Table, key: str, allowed: Callable[[int], bool], what: str) -> dict[str, int]:
    out: dict[str, int] = {}
    vt = t.sub(key)
    if vt is not None:
        for k, v in vt.data.items():
            if isinstance(v, bool) or not isinstance(v, int) or not allowed(v):
                raise vt.fail(f'"{k}"', f"must be {what}")
            out[k] = v
    return out


def _parse_level(t: _Table) -> Level:
    lv = Level(
        field=t.text("field"),
        values=MappingProxyType(_int_values(t, "values", lambda v: v in (1, 2), "1 or 2")),
    )
    t.done(("field", "values"))
    return lv


def _parse_code(t: _Table) -> Code:
    c = Code(
        field=t.text("field"),
        values=MappingProxyType(_int_values(t, "values", lambda v: 0 <= v < 2**63, "an integer >= 0")),
    )
    t.done(("field", "values"))
    return c


def _parse_heartbeat(t: _Table) -> Heartbeat:
    h = Heartbeat(field=t.text("field"), unit=t.text("unit", "s", HB_UNITS))
    t.done(("field", "unit"))
    return h


def _parse_appdata(t: _Table) -> AppData:
    fmt = t.text("format", choices=("json", "binary"))
    fields: list[FrameField] = []
    for f in t.subs("field"):
        type_ = f.text("type", choices=FRAME_TYPES)
        offset = f.integer("offset")
        if not 0 <= offset < 4096:
            raise f.fail("offset", "must be 0..4095")
        if "length" in f.data and f.integer("length") != FRAME_TYPES[type_][0]:
            raise f.fail("length", f"{type_} is {FRAME_TYPES[type_][0]} bytes")
        fields.append(FrameField(name=f.text("name"), offset=offset, type=type_))
        f.done(("name", "offset", "type", "length"))
    expect: list[tuple[int, bytes]] = []
    for e in t.subs("expect"):
        offset = e.integer("offset")
        if not 0 <= offset < 4096:
            raise e.fail("offset", "must be 0..4095")
        try:
            want = bytes.fromhex(e.text("hex"))
        except ValueError as err:
            raise e.fail("hex", 'must be hex digits ("5055")') from err
        expect.append((offset, want))
        e.done(("offset", "hex"))
    if fmt == "binary" and not fields:
        raise t.fail("field", "a binary layout needs [[appdata.field]] entries")
    if fmt == "json" and (fields or expect):
        raise t.fail("field" if fields else "expect", 'only for format = "binary"')
    names = [f.name for f in fields]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise t.fail("field", f"{dup[0]!r} named twice")
    a = AppData(
        field=t.text("bytes_field", "APPdata"), format=fmt, fields=tuple(fields), expect=tuple(expect)
    )
    t.done(("format", "bytes_field", "field", "expect"))
    return a
