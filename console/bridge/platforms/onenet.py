"""China Mobile OneNET HTTP data push (数据推送), both generations.

Verification, as OneNET documents it for both: ``signature = base64(md5(token + nonce + msg))``
(the raw 16-byte digest, base64 with padding), compared after URL decoding; the Java receiver
sample OneNET publishes compares after turning spaces back into ``+`` (a ``+`` that reached the
query undecoded as a space), and copies exactly 8 bytes of the nonce, so a longer nonce is also
tried cut to its first 8 bytes. No token configured: nothing is checked (the docs allow skipping).

- URL verification (both): ``GET ?msg=&nonce=&signature=``; the answer is ``msg`` itself.
- Legacy / multi-protocol push (``open.iot.10086.cn/doc/book/application-develop/httppush``):
  ``{"msg": <object or list>, "msg_signature": ..., "nonce": ...}``, signed over the exact text
  of ``msg`` as it stands in the body (taken from the raw body here, never re-serialised). ``msg``
  types: 1 data point (``dev_id`` -> ``ids["device_id"]``, ``ds_id``, ``at``, ``value``),
  2 online/offline (``status``, ``login_type``), 7 a cached command's result (nothing to
  publish). A list is a batch: one Push per element. Encrypted mode (``enc_msg``, AES) is
  verified but not decrypted: use 明文 mode.
- OneNET Studio / 物联网开放平台 (``.../iot_platform/book/application-develop/push/http_push``):
  ``{"msg": "<JSON text>", "nonce": ..., "signature": ..., "time": ms, "id": ...}``, signed over
  the ``msg`` string; inside, ``messageType`` ``notify`` (``notifyType`` property / event,
  ``data.params`` ``{identifier: {"value", "time"}}``) or ``lifeCycle`` (``data.status``
  online / offline). Other documented messages (``reply``, ``sceneLog``, ``lbsAndWifi``) are
  taken with nothing to publish. Secure mode (AES) is not decrypted: use 明文 mode.

Optional replay window (Studio only, which carries the push ``time``): ``clock`` and
``max_age_ms``. Off by default: OneNET re-pushes a failed message for up to 2 h 45 min and does
not say whether ``time`` is the first or the latest attempt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from console.bridge.platforms.common import epoch_ms, id_text, load_object
from console.bridge.push import DATA, EVENT, OFFLINE, ONLINE, Answer, Malformed, Push, Refused

NAME = "onenet"
WS = " \t\n\r"  # JSON whitespace
STUDIO_IGNORED = frozenset({"reply", "sceneLog", "lbsAndWifi"})
_DECODER = json.JSONDecoder()


def signature(token: str, nonce: str, msg: str) -> str:
    """OneNET's documented signature: base64(md5(token + nonce + msg))."""
    return _signature(token.encode("utf-8"), nonce.encode("utf-8", "surrogatepass"), msg)


def _signature(token: bytes, nonce: bytes, msg: str) -> str:
    digest = hashlib.md5(token + nonce + msg.encode("utf-8", "surrogatepass"), usedforsecurity=False)
    return base64.b64encode(digest.digest()).decode("ascii")


def signature_ok(token: str, nonce: str, msg: str, given: str) -> bool:
    """The signature checks out, allowing for a ``+`` that arrived as a space (in either)."""
    want = given.replace(" ", "+").encode("ascii", "replace")
    nonces = {
        nonce.encode("utf-8", "surrogatepass"),
        nonce.replace(" ", "+").encode("utf-8", "surrogatepass"),
    }
    nonces |= {n[:8] for n in nonces if len(n) > 8}  # OneNET's Java sample copies 8 nonce bytes
    key = token.encode("utf-8")
    ok = False
    for n in nonces:  # every candidate, so the time taken does not say which one matched
        ok |= hmac.compare_digest(_signature(key, n, msg).encode("ascii"), want)
    return ok


# --- the exact text of the members of the body (a signature is over it) -----------------------


def _ws(text: str, i: int) -> int:
    while i < len(text) and text[i] in WS:
        i += 1
    return i


def object_spans(text: str, i: int = 0) -> dict[str, tuple[int, int]]:
    """Where each member's value of the JSON object at ``text[i:]`` starts and ends (the last of
    duplicate keys wins, as in ``json.loads``). ValueError when it is not an object."""
    i = _ws(text, i)
    if text[i : i + 1] != "{":
        raise ValueError("not an object")
    spans: dict[str, tuple[int, int]] = {}
    i = _ws(text, i + 1)
    if text[i : i + 1] == "}":
        return spans
    while True:
        if text[i : i + 1] != '"':
            raise ValueError("key expected")
        key, i = _DECODER.raw_decode(text, i)
        i = _ws(text, i)
        if text[i : i + 1] != ":":
            raise ValueError("colon expected")
        i = _ws(text, i + 1)
        _, end = _DECODER.raw_decode(text, i)
        spans[key] = (i, end)
        i = _ws(text, end)
        if text[i : i + 1] == ",":
            i = _ws(text, i + 1)
        elif text[i : i + 1] == "}":
            return spans
        else:
            raise ValueError("comma expected")


def array_spans(text: str, i: int) -> list[tuple[int, int]]:
    """Where each element of the JSON array at ``text[i:]`` starts and ends."""
    i = _ws(text, i)
    if text[i : i + 1] != "[":
        raise ValueError("not an array")
    spans: list[tuple[int, int]] = []
    i = _ws(text, i + 1)
    if text[i : i + 1] == "]":
        return spans
    while True:
        _, end = _DECODER.raw_decode(text, i)
        spans.append((i, end))
        i = _ws(text, end)
        if text[i : i + 1] == ",":
            i = _ws(text, i + 1)
        elif text[i : i + 1] == "]":
            return spans
        else:
            raise ValueError("comma expected")


@dataclass(frozen=True)
class Envelope:
    """A push body's outer object: what is signed, and how."""

    studio: bool  # the OneNET Studio shape (msg is a JSON string)
    encrypted: bool  # legacy encrypted mode (enc_msg)
    signed: str  # the text the signature is over
    msg: Any  # the legacy msg (object / list), or the Studio msg string
    msg_span: tuple[int, int]  # where msg stands in the body text
    text: str  # the body text
    nonce: str | None
    signature: str | None
    push_id: str
    time_ms: int | None


def envelope(body: bytes) -> Envelope:
    obj = load_object(body)
    text = body.decode("utf-8")
    try:
        spans = object_spans(text)
    except (ValueError, RecursionError):  # load_object already parsed it: cannot happen
        raise Malformed("not_json", "scan") from None
    if "msg" not in obj and "enc_msg" not in obj:
        raise Malformed("missing_field", "msg")
    msg = obj.get("msg")
    studio = isinstance(msg, str) and "msg_signature" not in obj
    if "enc_msg" in obj:  # legacy encrypted mode: signed over the ciphertext string
        signed = obj["enc_msg"]
        if not isinstance(signed, str):
            raise Malformed("bad_type", "enc_msg")
    elif isinstance(msg, str):
        signed = msg
    elif isinstance(msg, (dict, list)):
        start, end = spans["msg"]
        signed = text[start:end]
    else:
        raise Malformed("bad_type", "msg")
    nonce = obj.get("nonce")
    sig = obj.get("signature" if studio else "msg_signature")
    return Envelope(
        studio=studio,
        encrypted="enc_msg" in obj,
        signed=signed,
        msg=msg,
        msg_span=spans.get("msg", (0, 0)),
        text=text,
        nonce=nonce if isinstance(nonce, str) else None,
        signature=sig if isinstance(sig, str) else None,
        push_id=id_text(obj.get("id")) or "",
        time_ms=epoch_ms(obj.get("time")),
    )


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 9:
        return int(value)
    return None


class OneNET:
    """OneNET HTTP data push (legacy multi-protocol and OneNET Studio)."""

    name = NAME

    def __init__(
        self, *, token: str = "", clock: Callable[[], int] | None = None, max_age_ms: int = 0
    ) -> None:
        self.token = token
        self.clock = clock
        self.max_age_ms = max_age_ms

    def answer_get(self, query: Mapping[str, str]) -> Answer | None:
        msg = query.get("msg")
        if msg is None:
            raise Refused("missing_msg", 400)
        if self.token:
            nonce, sig = query.get("nonce"), query.get("signature")
            if not nonce or not sig:
                raise Refused("missing_signature", 401)
            if not signature_ok(self.token, nonce, msg, sig):
                raise Refused("bad_signature", 403)
        return Answer(200, msg.encode("utf-8", "replace"), "text/plain")

    def verify(self, headers: Mapping[str, str], query: Mapping[str, str], body: bytes) -> None:
        if not self.token:
            return
        try:
            env = envelope(body)
        except Malformed:
            raise Refused("missing_signature", 401) from None
        if not env.nonce or not env.signature:
            raise Refused("missing_signature", 401)
        if not signature_ok(self.token, env.nonce, env.signed, env.signature):
            raise Refused("bad_signature", 403)
        if self.clock is not None and self.max_age_ms > 0 and env.time_ms is not None:
            if abs(self.clock() - env.time_ms) > self.max_age_ms:
                raise Refused("stale", 403)

    def ok(self) -> Answer:
        return Answer(200, b"ok")

    def parse(self, headers: Mapping[str, str], body: bytes) -> list[Push]:
        env = envelope(body)
        if env.encrypted:  # what was verified is the ciphertext, whatever msg says
            raise Malformed("encrypted", "enc_msg (AES) is not decrypted: configure 明文 mode")
        if env.studio:
            return self._studio(env)
        if isinstance(env.msg, str):
            raise Malformed("bad_type", "msg")
        return self._legacy(env)

    # --- legacy ---------------------------------------------------------------------------------

    def _legacy(self, env: Envelope) -> list[Push]:
        start, end = env.msg_span
        if isinstance(env.msg, list):
            try:
                items = list(zip(env.msg, array_spans(env.text, start), strict=True))
            except (ValueError, RecursionError):
                raise Malformed("not_json", "msg") from None
        else:
            items = [(env.msg, (start, end))]
        pushes: list[Push] = []
        for item, (a, b) in items:
            push = self._legacy_one(item, env.text[a:b].encode("utf-8"))
            if push is not None:
                pushes.append(push)
        return pushes

    @staticmethod
    def _legacy_one(item: Any, source: bytes) -> Push | None:
        if not isinstance(item, dict):
            raise Malformed("bad_type", "msg item")
        kind = _int(item.get("type"))
        if kind == 7:  # a cached command's result (NB devices): nothing to publish
            return None
        dev_id = id_text(item.get("dev_id"))
        if dev_id is None:
            raise Malformed("missing_field", "dev_id")
        ids = {"device_id": dev_id}  # OneNET's dev_id
        imei = id_text(item.get("imei"))
        if imei is not None:
            ids["imei"] = imei
        fields: dict[str, Any] = {}
        if kind == 1:
            ds_id = item.get("ds_id")
            if not isinstance(ds_id, str) or not ds_id or "value" not in item:
                raise Malformed("missing_field", "ds_id / value")
            what, fields = DATA, {ds_id: item["value"]}
        elif kind == 2:
            status = _int(item.get("status"))
            if status not in (0, 1):
                raise Malformed("bad_value", "status")
            what = ONLINE if status == 1 else OFFLINE
        else:
            raise Malformed("unknown_type", str(item.get("type"))[:32])
        return Push(NAME, "", ids, what, "", epoch_ms(item.get("at")), fields, source)

    # --- OneNET Studio --------------------------------------------------------------------------

    def _studio(self, env: Envelope) -> list[Push]:
        try:
            inner = load_object(env.signed.encode("utf-8", "surrogatepass"))
        except Malformed as exc:
            raise Malformed("bad_msg", f"msg is not a JSON object ({exc.reason}); secure mode?") from None
        kind = inner.get("messageType")
        if kind in STUDIO_IGNORED:
            return []
        name = id_text(inner.get("deviceName"))
        if name is None:
            raise Malformed("missing_field", "deviceName")
        ids = {"device_name": name}
        imei = id_text(inner.get("imei"))
        if imei is not None:
            ids["imei"] = imei
        data = inner.get("data")
        if not isinstance(data, dict):
            raise Malformed("missing_field", "data")
        fields: dict[str, Any] = {}
        at_ms = None
        if kind == "notify":
            notify = inner.get("notifyType")
            if notify not in ("property", "event"):
                raise Malformed("unknown_notify_type", str(notify)[:32])
            what = DATA if notify == "property" else EVENT
            params = data.get("params")
            if not isinstance(params, dict):
                raise Malformed("missing_field", "data.params")
            times = []
            for identifier, point in params.items():
                if not isinstance(point, dict) or "value" not in point:
                    raise Malformed("bad_type", f"data.params.{identifier[:32]}")
                fields[identifier] = point["value"]
                t = epoch_ms(point.get("time"))
                if t is not None:
                    times.append(t)
            at_ms = max(times) if times else None
        elif kind == "lifeCycle":
            status = data.get("status")
            if status not in ("online", "offline"):
                raise Malformed("bad_value", "data.status")
            what = ONLINE if status == "online" else OFFLINE
            at_ms = epoch_ms(data.get("time"))
        else:
            raise Malformed("unknown_message_type", str(kind)[:32])
        if at_ms is None:
            at_ms = epoch_ms(inner.get("timestamp")) or env.time_ms
        product = id_text(inner.get("productId")) or ""
        source = env.signed.encode("utf-8", "surrogatepass")
        return [Push(NAME, product, ids, what, env.push_id, at_ms, fields, source)]
