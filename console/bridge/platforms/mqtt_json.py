"""A vendor that runs its own MQTT broker and publishes JSON: its messages as ``Push`` values.

Generic, configured per vendor (the subscriber that feeds it is elsewhere): the JSON object is
flattened to dotted paths (``{"data": {"smoke": 1}}`` -> ``{"data.smoke": 1}``) and those are the
fields a product table (resources/vendors/*.toml, ``platform = "mqtt:<name>"``) names. Device ids
come from dotted paths in the JSON or from a topic level: ``"{2}"`` is the topic's level 2,
counted from 0 (``vendor/acme/860000000000001/up``: ``{0}`` = ``vendor``, ``{2}`` =
``860000000000001``).

A message that is not what the vendor documents (not UTF-8 JSON, not an object, a key given twice,
NaN, an id missing) raises ``Malformed``: the service quarantines it. Nothing else is raised for
any topic or payload.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

from console.bridge.products import flatten, json_object
from console.bridge.push import DATA, WHATS, Malformed, Push

MAX_PAYLOAD: Final = 65536  # far above any detector's report; the broker caps packets anyway
ID_MAX: Final = 128  # Push.ids are checked again by the product table (dev: 32)
TIME_UNITS: Final = {"ms": 1, "s": 1000}


class MqttJson:
    """One vendor's MQTT JSON: which paths hold the ids, the time, the sequence number and what
    the message is about."""

    def __init__(
        self,
        name: str,
        product: str,
        id_fields: Mapping[str, str],
        time_field: str | None = None,
        seq_field: str | None = None,
        what_field: str | None = None,
        what_values: Mapping[str, str] | None = None,
        time_unit: str = "ms",
    ) -> None:
        if not name or "/" in name:
            raise ValueError(f"bad vendor name {name!r}")
        if not id_fields:
            raise ValueError("id_fields names no device id")
        for key, where in id_fields.items():
            if not key or not where:
                raise ValueError(f"bad id field {key!r}: {where!r}")
            if where.startswith("{") and _level(where) is None:
                raise ValueError(f"id field {key!r}: {where!r} is not a topic level like {{2}}")
        for value, what in (what_values or {}).items():
            if what not in WHATS:
                raise ValueError(f"what_values[{value!r}] = {what!r} is not one of {', '.join(WHATS)}")
        if time_unit not in TIME_UNITS:
            raise ValueError(f"time_unit {time_unit!r} is not ms or s")
        self.name = name
        self.platform = f"mqtt:{name}"
        self.product = product
        self.id_fields = dict(id_fields)
        self.time_field = time_field
        self.time_unit = time_unit
        self.seq_field = seq_field
        self.what_field = what_field
        self.what_values = dict(what_values or {})

    def parse(self, topic: str, payload: bytes) -> list[Push]:
        """The message as a Push; raises Malformed when it is not what the vendor documents."""
        if len(payload) > MAX_PAYLOAD:
            raise Malformed("too_large", f"{len(payload)} bytes")
        try:
            fields = flatten(json_object(payload))
        except ValueError as e:
            reason = "not_object" if str(e) == "not a JSON object" else "bad_json"
            raise Malformed(reason, str(e)) from None
        levels = topic.split("/")
        ids: dict[str, str] = {}
        for key, where in self.id_fields.items():
            n = _level(where)
            value: Any = (levels[n] if n < len(levels) else None) if n is not None else fields.get(where)
            text = _id(value)
            if text is None:
                raise Malformed("no_device_id", f"{key} ({where}) {_show(value)}")
            ids[key] = text
        what = DATA
        if self.what_field:
            said = fields.get(self.what_field)
            if isinstance(said, str | int) and not isinstance(said, bool):
                what = self.what_values.get(str(said), DATA)
        return [
            Push(
                platform=self.platform,
                product=self.product,
                ids=ids,
                what=what,
                seq=_seq(fields.get(self.seq_field)) if self.seq_field else "",
                at_ms=self._at_ms(fields.get(self.time_field)) if self.time_field else None,
                fields=fields,
                source=payload,
            )
        ]

    def _at_ms(self, value: Any) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            return None
        try:
            t = float(value) if not isinstance(value, str) or len(value) <= 32 else math.nan
        except ValueError:
            return None
        if not math.isfinite(t) or t <= 0 or t * TIME_UNITS[self.time_unit] >= 2**63:
            return None
        return int(t * TIME_UNITS[self.time_unit])


def _level(where: str) -> int | None:
    inner = where[1:-1]
    if where.startswith("{") and where.endswith("}") and inner.isascii() and inner.isdigit():
        return int(inner) if len(inner) <= 3 else None
    return None


def _id(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value >= 0:
        value = str(value)
    if isinstance(value, str) and 0 < len(value) <= ID_MAX:
        return value
    return None


def _seq(value: Any) -> str:
    if isinstance(value, bool):
        return ""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and len(value) <= 64:
        return value
    return ""


def _show(value: Any) -> str:
    text = "missing" if value is None else ascii(value)
    return text if len(text) <= 80 else text[:77] + "..."
