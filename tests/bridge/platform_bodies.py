"""Signed push bodies for tests, built from the platforms' documented formulas.

A second implementation, written apart from console/bridge/platforms/ (nothing imported from
there), so a test that posts these bodies fails when the adapter's check drifts from the docs.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

DOCS = Path(__file__).parent / "docs"


def doc(platform: str, name: str) -> dict[str, Any]:
    """One documented example file (tests/bridge/docs/<platform>/<name>.json)."""
    loaded: dict[str, Any] = json.loads((DOCS / platform / f"{name}.json").read_text("utf-8"))
    return loaded


def doc_body(platform: str, name: str) -> bytes:
    """The example's request body as bytes: ``raw_body`` verbatim when the file has one (a signed
    body must keep its exact text), else ``body`` compact-serialised."""
    example = doc(platform, name)
    if "raw_body" in example:
        return str(example["raw_body"]).encode("utf-8")
    return json.dumps(example["body"], ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# --- OneNET ----------------------------------------------------------------------------------


def onenet_sign(token: str, nonce: str, msg: str) -> str:
    """base64(md5(token + nonce + msg)), the digest's 16 bytes, padded (OneNET's HTTP push docs)."""
    md5 = hashlib.md5(usedforsecurity=False)
    for part in (token, nonce, msg):
        md5.update(part.encode("utf-8"))
    return base64.b64encode(md5.digest()).decode("ascii")


def onenet_push(token: str, msg_obj: Any, nonce: str = "abcdefgh", *, indent: int | None = None) -> bytes:
    """A legacy push ``{"msg": ..., "msg_signature": ..., "nonce": ...}``: ``msg`` is written once
    as text, signed over that text and put into the body as is (``indent`` makes it pretty)."""
    msg_text = json.dumps(msg_obj, ensure_ascii=False, indent=indent)
    sig = onenet_sign(token, nonce, msg_text)
    body = (
        '{"msg": '
        + msg_text
        + ', "msg_signature": '
        + json.dumps(sig)
        + ', "nonce": '
        + json.dumps(nonce)
        + "}"
    )
    return body.encode("utf-8")


def onenet_studio_push(
    token: str,
    msg_obj: Any,
    nonce: str = "abcdefgh",
    *,
    time_ms: int = 1591340648197,
    push_id: str = "3799902",
) -> bytes:
    """A OneNET Studio push ``{"msg": "<JSON text>", "nonce", "signature", "time", "id"}``."""
    msg_text = json.dumps(msg_obj, ensure_ascii=False, separators=(",", ":"))
    body = {
        "msg": msg_text,
        "nonce": nonce,
        "signature": onenet_sign(token, nonce, msg_text),
        "time": time_ms,
        "id": push_id,
    }
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def onenet_handshake(token: str, msg: str, nonce: str = "abcdefgh") -> dict[str, str]:
    """The query of OneNET's URL verification GET (already URL-decoded, as a server sees it)."""
    return {"msg": msg, "nonce": nonce, "signature": onenet_sign(token, nonce, msg)}


def onenet_handshake_url(path: str, token: str, msg: str, nonce: str = "abcdefgh") -> str:
    """The same as a URL, percent-encoded (``+`` in the signature becomes ``%2B``)."""
    return f"{path}?{urlencode(onenet_handshake(token, msg, nonce))}"


# --- CTWing / IoTDA: the bridge's own shared token in the URL ---------------------------------


def token_query(token: str) -> dict[str, str]:
    return {"token": token}


def json_body(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
