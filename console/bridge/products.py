"""Product tables: what one detector model's reports mean, as data (resources/vendors/*.toml).

A table maps the fields a platform adapter put in a ``Push`` (push.py documents them per platform)
to bus v1 device events. Adding a detector model is a file, never code; the format is
resources/vendors/README.md, parsed and checked by console/bridge/product_table.py. Real fire, CO
and gas alarms travel this path, so the rule is the codec's (docs/payloads.md): **what makes the
event ambiguous is quarantined with a reason, never guessed; odd metadata is dropped and the
alarm still goes out.**

- which device, which table, which status: a missing or unreadable status, a status value or a
  set bit the table does not name, a service the table does not list, a transparent-transmission
  frame that is not the layout the table gives, a report in which the table recognises no field
  at all (a renamed status field: OneNET pushes one data point at a time, so it would otherwise
  read as a heartbeat) -> ``Quarantine``;
- battery, signal, reading, level, heartbeat period, sequence number, device time: unreadable or
  out of range -> left out of the event (``None``).

**Restore by normal status.** Some smoke models send no restore code: after an alarm they simply
report their normal status again, and they report it periodically anyway. A table names the
value(s) that mean normal (``normal = ["0"]``). A normal report on the status field that can say
"alarm" is a ``restore`` only when the service holds the device in alarm (``in_alarm(dev, kind)``,
kept durably by the service), otherwise a ``heartbeat``. Turning every periodic normal report
into a ``restore`` would be wrong, not merely noisy: a ``restore`` starts the console's 30-minute
re-ignition window (console/domain/world.py, ``last_restore``), so a household's first alarm in
months would be flagged a re-ignition because the detector said "normal" ten minutes earlier, and
the flag would stop meaning anything.

**Time.** ``V1Event.at_ms`` is the device's time when the table names a field carrying it, else
the platform's time of the push (``Push.at_ms``), else 0. 0 means "unknown": the service writes its
own receipt time. An alarm is never quarantined for a missing device time: the console's T0 is its
own receipt time anyway, and the device time is kept only for the record.

**Several things in one push.** A status report can carry an alarm, a low-battery flag and a tamper
flag: each becomes its own ``V1Event`` with the push's metadata, the alarm first (``ORDER``). A
data report that says nothing else is a ``heartbeat`` carrying the metadata (a sign of life).

Pure: the standard library only, no clock, no I/O except ``Products.load`` reading the tables.
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Final

from console.bridge.product_table import (
    FLATTEN_DEPTH,
    FRAME_TYPES,
    HB_MAX_S,
    HB_MIN_S,
    HB_UNITS,
    ORDER,
    RSSI_MAX,
    RSSI_MIN,
    TIME_UNITS,
    UNITS,
    AppData,
    Battery,
    Code,
    Level,
    Product,
    ProductError,
    Reading,
    Signal,
    Status,
)
from console.bridge.push import DATA, EVENT, OFFLINE, ONLINE, Push, Quarantine, V1Event
from console.domain.events import EVTS, KINDS

__all__ = [
    "EVTS",
    "KINDS",
    "ORDER",
    "UNITS",
    "InAlarm",
    "Product",
    "ProductError",
    "Products",
    "flatten",
    "json_object",
]

InAlarm = Callable[[str, str], bool]
DEV_MAX: Final = 32  # the contract's dev limit
_TOPIC_CHARS: Final = frozenset("/+#")  # dev is a level of the bus topic: no separator, no wildcard
_RANK: Final = {evt: i for i, evt in enumerate(ORDER)}


class Products:
    """Every product table the bridge knows, matched by (platform, product id)."""

    def __init__(self, products: tuple[Product, ...]) -> None:
        self.products = products
        self._by_key = {p.key: p for p in products}

    @staticmethod
    def load(directory: Path) -> Products:
        """Every ``*.toml`` in ``directory``; raises ProductError for a broken table or two
        tables claiming the same (platform, product id)."""
        tables: list[Product] = []
        for path in sorted(directory.glob("*.toml")):
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
                raise ProductError(f"{path.name}: not a readable TOML file: {e}") from e
            tables.append(Product.parse(data, path.name))
        return Products.of(tables)

    @staticmethod
    def of(tables: Iterable[Product | Mapping[str, Any]]) -> Products:
        """Products from parsed tables (or from TOML data, named ``<table N>``)."""
        products: list[Product] = []
        seen: dict[tuple[str, str], str] = {}
        for n, table in enumerate(tables):
            p = table if isinstance(table, Product) else Product.parse(table, f"<table {n}>")
            if p.key in seen:
                raise ProductError(
                    f"{p.source}: product_id: {p.platform} product {p.product_id!r} "
                    f"is already claimed by {seen[p.key]}"
                )
            seen[p.key] = p.source
            products.append(p)
        return Products(tuple(products))

    def match(self, platform: str, product: str) -> Product | None:
        """The table for a platform's product: the exact one, else the platform's ``*`` one."""
        return self._by_key.get((platform, product)) or self._by_key.get((platform, "*"))

    def read(self, push: Push, in_alarm: InAlarm) -> list[V1Event] | Quarantine:
        """The bus events a push means, or why it is quarantined."""
        product = self.match(push.platform, push.product)
        if product is None:
            detail = f"{push.platform} product {push.product}"
            return Quarantine("unknown_product", detail=detail if _plain(detail) else _show(detail))
        return _read(product, push, in_alarm)

    def heartbeat_s(self, platform: str) -> int | None:
        """The longest heartbeat period among the platform's products (None: no product): a
        platform silent for longer than that has gone silent, not merely its devices."""
        periods = [p.hb_s for p in self.products if p.platform == platform]
        return max(periods) if periods else None


# --- reading a push ------------------------------------------------------------------------------

_MISSING: Final = object()


def _read(p: Product, push: Push, in_alarm: InAlarm) -> list[V1Event] | Quarantine:
    dev = _device(p, push)
    if isinstance(dev, Quarantine):
        return dev
    at_ms = push.at_ms if push.at_ms is not None and push.at_ms >= 0 else 0
    if push.what == ONLINE:
        return [V1Event(dev=dev, kind=p.kind, evt="heartbeat", at_ms=at_ms)]
    if push.what == OFFLINE:
        return [V1Event(dev=dev, kind=p.kind, evt="offline", at_ms=at_ms)]
    if push.what not in (DATA, EVENT):
        return Quarantine("bad_body", detail=f"what {_show(push.what)}")

    fields: Mapping[str, Any] = push.fields
    if p.appdata is not None:
        decoded = _appdata(p.appdata, fields)
        if isinstance(decoded, Quarantine):
            return decoded
        fields = decoded

    if p.service_field:
        service = _get(fields, p.service_field)
        if service is _MISSING:
            return Quarantine("unmapped_code", detail=f"{p.service_field} missing")
        if _key(service) not in p.services:
            return Quarantine("unmapped_code", detail=f"{p.service_field} {_show(service)}")

    if not any(_get(fields, name) is not _MISSING for name in p.known_fields):
        # nothing the table knows: a renamed field must not turn an alarm into a heartbeat
        return Quarantine("unknown_fields", detail=_show(sorted(str(k) for k in fields)))

    evts: list[str] = []
    for status in p.statuses:
        got = _status(p, status, dev, fields, in_alarm)
        if isinstance(got, Quarantine):
            return got
        evts.extend(e for e in got if e not in evts)
    # a heartbeat only when the report says nothing else (every event carries the metadata)
    evts = [e for e in evts if e != "heartbeat"] or ["heartbeat"]
    evts.sort(key=_RANK.__getitem__)

    code = _code(p.code, fields)
    if isinstance(code, Quarantine):
        return code
    if p.time_field:
        t = _number(_get(fields, p.time_field))
        if t is not None and t > 0:
            at_ms = int(t * TIME_UNITS[p.time_unit])
    val, unit = _reading(p.reading, fields)
    meta: dict[str, Any] = {
        "seq": _seq(p.seq_field, fields),
        "val": val,
        "unit": unit,
        "lvl": _level(p.level, fields),
        "code": code,
        "bat": _battery(p.battery, fields),
        "rssi": _rssi(p.signal, fields),
        "hb": _hb(p, fields),
    }
    return [V1Event(dev=dev, kind=p.kind, evt=e, at_ms=at_ms, **meta) for e in evts]


def _device(p: Product, push: Push) -> str | Quarantine:
    for key in p.dev:
        dev = push.ids.get(key)
        if isinstance(dev, str) and dev != "":
            if len(dev) > DEV_MAX or not dev.isprintable() or dev.strip() != dev or _TOPIC_CHARS & set(dev):
                return Quarantine("bad_device_id", detail=f"{key} {_show(dev)}")
            return dev
    return Quarantine("no_device_id", detail=f"none of {', '.join(p.dev)} in {_show(sorted(push.ids))}")


def _status(
    p: Product, s: Status, dev: str, fields: Mapping[str, Any], in_alarm: InAlarm
) -> list[str] | Quarantine:
    raw = _get(fields, s.field)
    if raw is _MISSING:
        return Quarantine("no_status", detail=s.field) if s.required else []
    key = _key(raw)
    if key is None:
        return Quarantine("bad_status", detail=f"{s.field} {_show(raw)}")
    if key in s.normal:
        return ["restore"] if s.says_alarm and in_alarm(dev, p.kind) else ["heartbeat"]
    if not s.bits:
        evt = s.values.get(key)
        if evt is None:
            return Quarantine("unmapped_code", detail=f"{s.field} {_show(raw)}")
        return [evt]
    mask = _int(raw)
    if mask is None or mask < 0:
        return Quarantine("bad_status", detail=f"{s.field} {_show(raw)}")
    if key in s.values:  # a whole value the table names (besides its bits)
        return [s.values[key]]
    evts: list[str] = []
    bit = 0
    while mask >> bit:
        if mask >> bit & 1:
            evt = s.bits.get(bit)
            if evt is None:
                return Quarantine("unmapped_code", detail=f"{s.field} {_show(raw)}: bit {bit}")
            evts.append(evt)
        bit += 1
    return evts or ["heartbeat"]


def _battery(b: Battery | None, fields: Mapping[str, Any]) -> int | None:
    if b is None:
        return None
    v = _number(_get(fields, b.field))
    if v is None:
        return None
    if b.unit == "%":
        pct = round(v)
        return pct if 0 <= pct <= 100 else None
    # the table's linear conversion: empty -> 0 %, full -> 100 %, clamped
    pct = round((v - b.empty) * 100 / (b.full - b.empty))
    return min(100, max(0, pct))


def _rssi(s: Signal | None, fields: Mapping[str, Any]) -> int | None:
    if s is None:
        return None
    v = _number(_get(fields, s.field))
    if v is None:
        return None
    dbm = round(v * s.scale + s.offset)
    return dbm if RSSI_MIN <= dbm <= RSSI_MAX else None


def _reading(r: Reading | None, fields: Mapping[str, Any]) -> tuple[float | None, str | None]:
    if r is None:
        return None, None
    v = _number(_get(fields, r.field))
    if v is None:
        return None, None
    return v * r.scale + r.offset, r.unit


def _level(lv: Level | None, fields: Mapping[str, Any]) -> int | None:
    if lv is None:
        return None
    raw = _get(fields, lv.field)
    if lv.values:
        key = _key(raw)
        return lv.values.get(key) if key is not None else None
    n = _int(raw)
    return n if n in (1, 2) else None


def _code(c: Code | None, fields: Mapping[str, Any]) -> int | Quarantine | None:
    if c is None:
        return None
    raw = _get(fields, c.field)
    if raw is _MISSING:
        return None
    if c.values:
        key = _key(raw)
        if key is None or key not in c.values:
            return Quarantine("unmapped_code", detail=f"{c.field} {_show(raw)}")
        return c.values[key]
    n = _int(raw)
    if n is None or n < 0:
        return Quarantine("unmapped_code", detail=f"{c.field} {_show(raw)}")
    return n


def _hb(p: Product, fields: Mapping[str, Any]) -> int:
    if p.heartbeat is not None:
        v = _number(_get(fields, p.heartbeat.field))
        if v is not None:
            s = round(v * HB_UNITS[p.heartbeat.unit])
            if HB_MIN_S <= s <= HB_MAX_S:
                return s
    return p.hb_s


def _seq(name: str, fields: Mapping[str, Any]) -> int | None:
    if not name:
        return None
    n = _int(_get(fields, name))
    return n if n is not None and 0 <= n < 2**63 else None


def _appdata(a: AppData, fields: Mapping[str, Any]) -> Mapping[str, Any] | Quarantine:
    raw = fields.get(a.field)
    if not isinstance(raw, bytes | bytearray):
        what = "missing" if raw is None else f"{type(raw).__name__}, not bytes"
        return Quarantine("bad_frame", detail=f"{a.field} {what}")
    rest = {k: v for k, v in fields.items() if k != a.field}
    if a.format == "json":
        try:
            return rest | flatten(json_object(bytes(raw)))
        except ValueError as e:
            return Quarantine("bad_frame", detail=f"{a.field}: {_show(str(e))}")
    if len(raw) < a.length:
        return Quarantine("bad_frame", detail=f"{a.field} {len(raw)} bytes, the layout needs {a.length}")
    for offset, want in a.expect:
        got = bytes(raw[offset : offset + len(want)])
        if got != want:
            return Quarantine(
                "bad_frame", detail=f"{a.field} byte {offset}: {got.hex()}, the layout expects {want.hex()}"
            )
    for f in a.fields:
        _size, signed, order = FRAME_TYPES[f.type]
        chunk = bytes(raw[f.offset : f.end])
        rest[f.name] = int.from_bytes(chunk, "big" if order == "big" else "little", signed=signed)
    return rest


def flatten(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON object as dotted paths: ``{"data": {"smoke": 1}}`` -> ``{"data.smoke": 1}``. Lists
    and empty objects are kept as they came. Raises ValueError for a path given twice
    (``{"a.b": 1, "a": {"b": 2}}``: which one is the device's?) or nesting deeper than 32."""
    out: dict[str, Any] = {}
    stack: list[tuple[str, Mapping[str, Any], int]] = [("", obj, 0)]
    while stack:
        prefix, node, depth = stack.pop()
        if depth > FLATTEN_DEPTH:
            raise ValueError("nested too deep")
        for k, v in node.items():
            path = f"{prefix}{k}"
            if isinstance(v, dict) and v:
                stack.append((path + ".", v, depth + 1))
            elif path in out:
                raise ValueError(f"{_show(path)} given twice")
            else:
                out[path] = v
    return out


def json_object(data: bytes) -> dict[str, Any]:
    """A JSON object from bytes, strictly: raises ValueError when the bytes are not UTF-8 JSON,
    hold NaN / Infinity or a key given twice in one object, nest too deep, or are not an object."""
    try:
        obj = json.loads(data.decode("utf-8"), parse_constant=_no_constant, object_pairs_hook=_pairs)
    except RecursionError as e:
        raise ValueError("nested too deep") from e
    except UnicodeDecodeError as e:
        raise ValueError("not UTF-8") from e
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    return obj


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise ValueError("a key given twice")
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _get(fields: Mapping[str, Any], path: str) -> Any:
    """A field by name, or by dotted path into nested objects the platform kept as they came."""
    if path in fields:
        return fields[path]
    node: Any = fields
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return _MISSING
        node = node[part]
    return node


def _key(v: Any) -> str | None:
    """A status value as the table writes it: "1", "true", "alarm"; None when unreadable."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            return None
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, str):
        return v
    return None


def _number(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int | float):
        f = float(v) if abs(v) < 1e300 else math.inf
    elif isinstance(v, str) and len(v) <= 64:
        try:
            f = float(v.strip())
        except ValueError:
            return None
    else:
        return None
    return f if math.isfinite(f) else None


def _int(v: Any) -> int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, str) and 0 < len(v) <= 20 and v.isascii() and v.isdigit():
        return int(v)
    if isinstance(v, float) and math.isfinite(v) and v.is_integer():
        return int(v)
    return None


def _plain(text: str) -> bool:
    return len(text) <= 160 and text.isprintable()


def _show(v: Any) -> str:
    text = ascii(v)
    return text if len(text) <= 80 else text[:77] + "..."
