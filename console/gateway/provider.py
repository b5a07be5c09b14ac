"""What every SMS / voice provider adapter offers the gateway (console/gateway/service.py).

An adapter speaks one provider's documented, signed HTTP API (Alibaba Cloud SMS + VMS with
ACS3-HMAC-SHA256, Tencent Cloud SMS + VMS with TC3-HMAC-SHA256, our simulator) at a configurable
endpoint (scheme, host and port: a district may point at a private deployment or a proxy), and
turns the provider's callbacks (delivery / call receipts, uplink SMS replies, keypresses) into
the gateway's plain records below. Adapters are asyncio (aiohttp client); they never retry a send
themselves (a send is not idempotent: the gateway's outbox decides), never log a phone number in
full, and never put a secret anywhere but the request's signature.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

Channel = Literal["sms", "voice"]


@dataclass(frozen=True)
class Message:
    """One notification as the gateway hands it to a provider.

    ``out_id``: the gateway's request id (the bus ``req``), given to the provider as its OutId /
    SessionContext / ExtendCode so receipts and replies name it and a query can find the send.
    ``template``: the provider's approved template code for this kind of message, role and
    channel; ``params``: the template's variables, already checked against the provider's length
    limits (console/gateway/templates.py); ``sign``: the approved SMS sign name (签名)."""

    out_id: str
    channel: Channel
    phone: str  # mainland number as the register holds it (11-digit mobile or a landline)
    template: str
    params: Mapping[str, str]
    sign: str = ""
    called_show_number: str = ""  # voice: the number the callee sees, when the account has one


@dataclass(frozen=True)
class Accepted:
    """The provider took the send: its own id for it (BizId / CallId / SerialNo) and its time."""

    provider_id: str
    at_ns: int


@dataclass(frozen=True)
class Refused:
    """The provider refused or could not be reached. ``retryable``: another provider may take
    it — a timeout, a 5xx, a throttle, a limit this provider says is reached for this number (the
    next provider has limits of its own: an alarm fails over), a fault of this account (a wrong
    key, a suspended account); not: a bad number, a template or sign the provider rejects, a
    message the provider refuses as such. ``accepted_unknown``: the request may have been taken
    although no answer came (a timeout after sending, a 5xx from something in front of the
    provider): the gateway must ``query`` before it sends again anywhere."""

    code: str  # the provider's error code, or "timeout" / "http_5xx" / "unreachable"
    detail: str = ""
    retryable: bool = False
    accepted_unknown: bool = False


SendResult = Accepted | Refused

Status = Literal["accepted", "sent", "delivered", "answered", "no_answer", "failed"]


@dataclass(frozen=True)
class Report:
    """A delivery or call receipt from the provider (callback or query)."""

    out_id: str
    provider_id: str
    status: Status
    at_ns: int  # the provider's time for it (its report time), in ns since the epoch
    detail: str = ""  # the provider's code for a failure


@dataclass(frozen=True)
class Reply:
    """A reply from the field: an uplink SMS (``text``) or a keypress in a call (``key``)."""

    out_id: str  # the request the reply answers, when the provider says (else "")
    phone: str  # the number it came from
    at_ns: int
    text: str = ""
    key: str = ""
    provider_id: str = ""  # the provider's id of the reply (for deduplication)
    # the provider's id of the send it answers (a keypress names only the call's CallId), when
    # ``out_id`` is not given: the gateway finds the request by it
    send_provider_id: str = ""


@dataclass(frozen=True)
class Callback:
    """What one callback request held (a provider may batch many reports in one POST)."""

    reports: list[Report] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)
    # the body the provider expects back (e.g. Alibaba's {"code":0,"msg":"成功"}) and its type
    answer: bytes = b""
    content_type: str = "application/json"


class QueryFailed(Exception):
    """``query`` could not ask the provider (unreachable, refused): not the same as an answer
    that it knows nothing of the send ([]), after which the gateway may send again."""


class CallbackRefused(Exception):
    """A callback that must not be believed (a bad signature, an unknown account): answered with
    an HTTP error, counted, logged without its body."""


class Provider(Protocol):
    name: str  # "aliyun" | "tencent" | "sim" ...
    channels: frozenset[Channel]

    async def send(self, m: Message) -> SendResult:
        """Send one SMS or start one TTS call."""
        ...

    async def query(self, m: Message, provider_id: str | None, sent_at_ns: int) -> list[Report]:
        """What the provider knows of an earlier send (``provider_id`` when the send was
        accepted, else found by ``out_id`` / phone and day): [] when it knows nothing;
        QueryFailed when it could not be asked."""
        ...

    def callback(
        self, path: str, headers: Mapping[str, str], body: bytes, query: Mapping[str, str]
    ) -> Callback:
        """Parse one callback POST the gateway's HTTP server received on this provider's path
        (``/callback/{name}/...``); CallbackRefused if it must not be believed."""
        ...

    async def close(self) -> None: ...
