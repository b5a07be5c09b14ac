"""What the platform adapters share: reading a JSON body, ids, times, sequence numbers, and the
bridge's own shared-token check (for the platforms that document no check of their own:
CTWing and IoTDA; see their modules)."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any

import msgspec

from console.bridge.push import Answer, Malformed, Refused

_decoder = msgspec.json.Decoder()
TOKEN_PARAM = "token"
TOKEN_HEADER = "x-bridge-token"
MAX_ID = 256  # longer "ids" are not ids
MAX_MS = 10**14  # ms since the epoch beyond year 5000: not a time
# CTWing writes these for "no value" (e.g. IMSI on LwM2M devices)
NO_VALUE = frozenset({"", "undefined", "null", "-1"})


def load_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, or Malformed. msgspec's decoder (a few times faster than the
    standard library's, on every push) refuses NaN and infinities, numbers beyond a double,
    integers beyond 64 bits, lone surrogates and text that is not UTF-8; over-deep nesting is a
    RecursionError, refused too."""
    try:
        obj = _decoder.decode(body)
    except (msgspec.DecodeError, RecursionError) as exc:
        raise Malformed("not_json", type(exc).__name__) from None
    if not isinstance(obj, dict):
        raise Malformed("not_object", type(obj).__name__)
    return obj


def id_text(value: Any) -> str | None:
    """An id as text (CTWing sends productId / tenantId as strings or numbers); None for none."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip() not in NO_VALUE and len(value) <= MAX_ID:
        return value
    return None


def epoch_ms(value: Any) -> int | None:
    """A ms-epoch timestamp given as a number or digits; None when absent or unreadable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 15:
        value = int(value)
    if isinstance(value, int) and 0 < value < MAX_MS:
        return value
    return None


def sequence(value: Any) -> str:
    """``upPacketSN`` as text; "" for LwM2M's -1 or "" (and anything that is not a count)."""
    if isinstance(value, bool):
        return ""
    if isinstance(value, int):
        return str(value) if value >= 0 else ""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 20:
        return value
    return ""


def check_token(token: str, headers: Mapping[str, str], query: Mapping[str, str]) -> None:
    """The bridge's own shared-token check (see the module docstring)."""
    if not token:
        return
    given = query.get(TOKEN_PARAM) or headers.get(TOKEN_HEADER)
    if not given:
        raise Refused("missing_token", 401)
    if not hmac.compare_digest(given.encode("utf-8", "surrogateescape"), token.encode("utf-8")):
        raise Refused("bad_token", 403)


class TokenChecked:
    """A platform that documents no check of its own on the push (CTWing, IoTDA): the bridge's
    shared token (``check_token``), no GET, and "ok" for a push taken."""

    def __init__(self, *, token: str = "") -> None:
        self.token = token

    def answer_get(self, query: Mapping[str, str]) -> Answer | None:
        return None  # the platform sends no GET

    def verify(self, headers: Mapping[str, str], query: Mapping[str, str], body: bytes) -> None:
        check_token(self.token, headers, query)

    def ok(self) -> Answer:
        return Answer(200, b"ok")
