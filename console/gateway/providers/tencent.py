"""Tencent Cloud SMS (sms, API 2021-01-11) and voice messages (vms, API 2020-09-02).

Spoken over the documented HTTP API 3.0, signed with TC3-HMAC-SHA256 ("签名方法 v3"), with
aiohttp, not through ``tencentcloud-sdk-python``: the endpoints (scheme, host, port) stay
configurable for a private deployment or a proxy, the request a send makes is exactly the one
documented (so a local server in the tests can check it byte for byte), and the adapter shares the
gateway's event loop instead of the SDK's blocking ``requests`` calls. The examples this was built
from are kept with their sources in tests/gateway/docs/tencent/.

What Tencent offers and what it does not, as documented:

* SMS: ``SendSms`` answers per number (``SendStatusSet[i].Code`` "Ok" and a ``SerialNo``);
  receipts come by callback (``sid`` = SerialNo; ``ext`` = our SessionContext once Tencent has
  enabled that for the account) or by ``PullSmsSendStatusByPhoneNumber`` (a time window for one
  number, at most 7 days back) and ``PullSmsSendStatus`` (a queue: each receipt is returned
  once, so it is only for a poller that owns every receipt: ``drain_sms_status_queue``).
  Neither pull knows a send before its receipt: until then ``query`` answers [].
* Voice: ``SendTtsVoice`` answers ``SendStatus.CallId``; there is no documented status pull, so
  call results and keypresses come by callback only, and ``query`` answers [] for a call.
* Callbacks: Tencent documents no signature on its callbacks (its answer to "is this really
  Tencent" is a list of its callback IPs). So the gateway may put a shared secret in the URL it
  configures in Tencent's console (``?token=...``); when ``callback_token`` is set, a callback
  without that token is refused (compared with ``hmac.compare_digest``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from console.gateway.provider import (
    Accepted,
    Callback,
    CallbackRefused,
    Channel,
    Message,
    QueryFailed,
    Refused,
    Reply,
    Report,
    SendResult,
    Status,
)

log = logging.getLogger(__name__)

SMS_VERSION = "2021-01-11"
VMS_VERSION = "2020-09-02"
CONTENT_TYPE = "application/json; charset=utf-8"
ALGORITHM = "TC3-HMAC-SHA256"
# The time zone of the SMS status callback's ``user_receive_time`` ("2015-10-17 08:03:04"): the
# documentation gives no zone. Assumed Beijing time (UTC+8, no DST), the zone of the mainland
# service and its console; the other callbacks and the pulls use UNIX seconds.
BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
CALLBACK_OK = b'{"result":0,"errmsg":"OK"}'
# voiceprompt_callback.result: "0表示用户正常接听,1表示用户未接听, 2表示呼叫异常"
_CALL_RESULT: dict[str, Status] = {"0": "answered", "1": "no_answer", "2": "failed"}
# PullSmsSendStatusByPhoneNumber: "最大可拉取当前时期前7天的数据", at most 100 rows a pull.
PULL_MAX_AGE_S = 7 * 24 * 3600
PULL_LIMIT = 100


@dataclass(frozen=True)
class TencentConfig:
    """One Tencent Cloud account. The secret is only ever used to sign (never in a repr or log)."""

    secret_id: str
    secret_key: str = field(repr=False)
    sms_sdk_app_id: str = ""  # SmsSdkAppId, "1400..."; "" = no SMS
    voice_sdk_app_id: str = ""  # VoiceSdkAppid (sic: the vms API spells it with a small "id"); "" = no voice
    region: str = "ap-guangzhou"
    sms_endpoint: str = "https://sms.tencentcloudapi.com"
    vms_endpoint: str = "https://vms.tencentcloudapi.com"
    timeout_s: float = 10.0  # the whole request; connecting has its own share below
    connect_timeout_s: float = 3.0
    play_times: int = 2  # PlayTimes of a TTS call: "最多3次, 默认2次"
    callback_token: str = field(default="", repr=False)  # "" = callbacks are not checked (see module doc)
    status_window_s: int = 24 * 3600  # how long after a send query() looks for its receipt

    def __post_init__(self) -> None:
        for endpoint in (self.sms_endpoint, self.vms_endpoint):
            parts = urlsplit(endpoint)
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
                raise ValueError(f"a Tencent endpoint is scheme://host[:port], not {endpoint!r}")


# --- TC3-HMAC-SHA256 ------------------------------------------------------------------------------


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def utc_date(timestamp: int) -> str:
    """The credential scope's date: the UTC day of X-TC-Timestamp (never the local one)."""
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d")


def tc3_signature(
    secret_key: str, service: str, host: str, content_type: str, payload: bytes, timestamp: int
) -> str:
    """The hex signature of a POST to "/" signing ``content-type;host`` (签名方法 v3, steps 1-3)."""
    canonical_request = "\n".join(
        [
            "POST",
            "/",
            "",  # CanonicalQueryString: always empty for a POST
            f"content-type:{content_type.strip().lower()}\nhost:{host.strip().lower()}\n",
            "content-type;host",
            _sha256_hex(payload),
        ]
    )
    scope = f"{utc_date(timestamp)}/{service}/tc3_request"
    string_to_sign = f"{ALGORITHM}\n{timestamp}\n{scope}\n{_sha256_hex(canonical_request.encode('utf-8'))}"
    k_date = _hmac(("TC3" + secret_key).encode("utf-8"), utc_date(timestamp))
    k_signing = _hmac(_hmac(k_date, service), "tc3_request")
    return hmac.new(k_signing, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def tc3_authorization(
    secret_id: str,
    secret_key: str,
    service: str,
    host: str,
    content_type: str,
    payload: bytes,
    timestamp: int,
) -> str:
    """The Authorization header (签名方法 v3, step 4)."""
    signature = tc3_signature(secret_key, service, host, content_type, payload, timestamp)
    return (
        f"{ALGORITHM} Credential={secret_id}/{utc_date(timestamp)}/{service}/tc3_request, "
        f"SignedHeaders=content-type;host, Signature={signature}"
    )


# --- numbers, parameters, error codes -----------------------------------------------------------


def e164(phone: str) -> str:
    """A mainland number as the register holds it -> "+86..." (a landline loses its trunk 0)."""
    digits = "".join(c for c in phone if c.isdigit() or c == "+")
    if digits.startswith("+"):
        return digits
    if digits.startswith("0086"):
        return "+" + digits[2:]
    if digits.startswith("86") and len(digits) == 13:
        return "+" + digits
    if digits.startswith("0"):
        return "+86" + digits[1:]
    return "+86" + digits


def masked(phone: str) -> str:
    return "*" * max(0, len(phone) - 4) + phone[-4:]


def template_values(params: Mapping[str, str]) -> list[str]:
    """TemplateParamSet: the values in the template's own order.

    A Tencent template numbers its variables ({1}, {2}, ...). When every key is such a number the
    values go in that numeric order; otherwise the mapping's own order is used, so the template
    configuration must list the variables in the template's order (a dict keeps it)."""
    if params and all(k.isdigit() for k in params):
        return [params[k] for k in sorted(params, key=int)]
    return list(params.values())


# Not worth another provider or another try: the message itself is wrong for any provider.
_FINAL_PREFIXES = (
    "InvalidParameter",  # InvalidParameter, InvalidParameter.*, InvalidParameterValue.*
    "MissingParameter",
    "UnsupportedOperation",
    "FailedOperation.TemplateIncorrectOrUnapproved",
    "FailedOperation.TemplateParamSetNotMatchApprovedTemplate",
    "FailedOperation.TemplateUnapprovedOrNotExist",
    "FailedOperation.TemplateIdNotExist",
    "FailedOperation.SignatureIncorrectOrUnapproved",
    "FailedOperation.MissingSignature",
    "FailedOperation.PhoneNumberInBlacklist",
    "FailedOperation.PhoneNumberParseFail",
    "FailedOperation.ContainSensitiveWord",
    "FailedOperation.JsonParseFail",
    "FailedOperation.FailResolvePacket",
    "FailedOperation.InvalidParameters",
    "FailedOperation.InvalidJsonParameters",
)
# Tencent's side timed out towards the carrier: the message may still go out.
_MAYBE_SENT = (
    "InternalError.Timeout",
    "InternalError.SendAndRecvFail",
    "InternalError.AccessUpstreamTimeout",
    "InternalError.SsoSendRecvFail",
    "FailedOperation.AccessUpstreamTimeout",
)


def refusal(code: str, message: str) -> Refused:
    """Tencent's error code -> Refused.

    Retryable (another provider, or later): throttles and limits (RequestLimitExceeded,
    LimitExceeded.*: Tencent's limits are Tencent's, the second provider has its own), the
    account's faults (AuthFailure.*, UnauthorizedOperation.*, an empty package), InternalError.*.
    Not: a number, template, sign or parameter Tencent rejects."""
    final = code.startswith(_FINAL_PREFIXES)
    return Refused(
        code=code,
        detail=message[:200],
        retryable=not final,
        accepted_unknown=code.startswith(_MAYBE_SENT),
    )


class TencentQueryError(QueryFailed):
    """A status pull that got no answer: "unknown", never "nothing was sent"."""


# --- the provider ---------------------------------------------------------------------------------


@dataclass
class _Sent:
    """Whether any byte of the request reached the socket (aiohttp trace hook)."""

    headers_sent: bool = False


class TencentProvider:
    name = "tencent"

    def __init__(self, config: TencentConfig, now_ns: Callable[[], int] = time.time_ns) -> None:
        self.config = config
        self._now_ns = now_ns
        self._session: aiohttp.ClientSession | None = None
        channels: set[Channel] = set()
        if config.sms_sdk_app_id:
            channels.add("sms")
        if config.voice_sdk_app_id:
            channels.add("voice")
        self.channels: frozenset[Channel] = frozenset(channels)

    def __repr__(self) -> str:
        return f"TencentProvider({self.config!r})"

    # -- HTTP ----------------------------------------------------------------------------------

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            trace = aiohttp.TraceConfig()

            async def headers_sent(
                _s: aiohttp.ClientSession, ctx: Any, _p: aiohttp.TraceRequestHeadersSentParams
            ) -> None:
                if isinstance(ctx.trace_request_ctx, _Sent):
                    ctx.trace_request_ctx.headers_sent = True

            trace.on_request_headers_sent.append(headers_sent)
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(
                    total=self.config.timeout_s, sock_connect=self.config.connect_timeout_s
                ),
                trace_configs=[trace],
            )
        return self._session

    async def _call(
        self, service: str, endpoint: str, action: str, version: str, params: Mapping[str, Any]
    ) -> dict[str, Any] | Refused:
        """POST one signed action; the ``Response`` object, or why there is none."""
        payload = json.dumps(params).encode("utf-8")
        host = urlsplit(endpoint).netloc.lower()  # host[:port], exactly what is signed and sent
        timestamp = self._now_ns() // 1_000_000_000
        headers = {
            "Authorization": tc3_authorization(
                self.config.secret_id, self.config.secret_key, service, host, CONTENT_TYPE, payload, timestamp
            ),
            "Content-Type": CONTENT_TYPE,
            "Host": host,
            "X-TC-Action": action,
            "X-TC-Version": version,
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Region": self.config.region,
        }
        sent = _Sent()
        url = endpoint.rstrip("/") + "/"
        try:
            async with self._client().post(
                url, data=payload, headers=headers, trace_request_ctx=sent
            ) as resp:
                text = await resp.text(encoding="utf-8")
                if resp.status >= 500:
                    # Tencent's API answers its own errors with 200 and an Error object; a 5xx
                    # comes from something in front of it, which may have passed the request on.
                    return Refused("http_5xx", f"HTTP {resp.status}", retryable=True, accepted_unknown=True)
                if resp.status != 200:
                    return Refused(f"http_{resp.status}", text[:200], retryable=True)
        except aiohttp.ConnectionTimeoutError:
            return Refused("timeout", "connect", retryable=True)
        except TimeoutError:
            return Refused("timeout", "no answer", retryable=True, accepted_unknown=sent.headers_sent)
        except aiohttp.ClientConnectorError as e:
            return Refused("unreachable", type(e).__name__, retryable=True)
        except aiohttp.ClientError as e:
            return Refused(
                "unreachable", type(e).__name__, retryable=True, accepted_unknown=sent.headers_sent
            )
        try:
            body = json.loads(text)
            response = body["Response"]
            if not isinstance(response, dict):
                raise TypeError("Response")
        except (ValueError, KeyError, TypeError):
            return Refused("bad_answer", text[:200], retryable=True, accepted_unknown=True)
        error = response.get("Error")
        if isinstance(error, dict):
            return refusal(str(error.get("Code", "")), str(error.get("Message", "")))
        return response

    # -- send ----------------------------------------------------------------------------------

    async def send(self, m: Message) -> SendResult:
        if m.channel not in self.channels:
            return Refused("channel_not_configured", m.channel)
        if m.channel == "sms":
            result = await self._call(
                "sms",
                self.config.sms_endpoint,
                "SendSms",
                SMS_VERSION,
                {
                    "PhoneNumberSet": [e164(m.phone)],
                    "SmsSdkAppId": self.config.sms_sdk_app_id,
                    "SignName": m.sign,
                    "TemplateId": m.template,
                    "TemplateParamSet": template_values(m.params),
                    "SessionContext": m.out_id,
                },
            )
            if isinstance(result, Refused):
                return self._logged(m, result)
            statuses = result.get("SendStatusSet") or []
            if not statuses or not isinstance(statuses[0], dict):
                return self._logged(m, Refused("bad_answer", "no SendStatusSet", True, accepted_unknown=True))
            status = statuses[0]
            if status.get("Code") != "Ok":
                return self._logged(m, refusal(str(status.get("Code", "")), str(status.get("Message", ""))))
            return Accepted(str(status.get("SerialNo", "")), self._now_ns())
        # voice: the callee sees the account's number; SendTtsVoice 2020-09-02 takes no display number
        result = await self._call(
            "vms",
            self.config.vms_endpoint,
            "SendTtsVoice",
            VMS_VERSION,
            {
                "TemplateId": m.template,
                "TemplateParamSet": template_values(m.params),
                "CalledNumber": e164(m.phone),
                "VoiceSdkAppid": self.config.voice_sdk_app_id,
                "PlayTimes": self.config.play_times,
                "SessionContext": m.out_id,
            },
        )
        if isinstance(result, Refused):
            return self._logged(m, result)
        call_id = (result.get("SendStatus") or {}).get("CallId")
        if not call_id:
            return self._logged(m, Refused("bad_answer", "no CallId", True, accepted_unknown=True))
        return Accepted(str(call_id), self._now_ns())

    def _logged(self, m: Message, r: Refused) -> Refused:
        log.warning(
            "tencent %s to %s refused: %s (retryable=%s, accepted_unknown=%s)",
            m.channel,
            masked(m.phone),
            r.code,
            r.retryable,
            r.accepted_unknown,
        )
        return r

    # -- query ---------------------------------------------------------------------------------

    async def query(self, m: Message, provider_id: str | None, sent_at_ns: int) -> list[Report]:
        """The receipt of an earlier SMS, by SerialNo, else by SessionContext (= out_id) among the
        number's receipts from the send on. [] for a call (no documented pull) and for an SMS whose
        receipt has not come yet (Tencent keeps no pullable record of a send before it). Raises
        TencentQueryError when Tencent could not be asked."""
        if m.channel != "sms" or "sms" not in self.channels:
            return []
        now_s = self._now_ns() // 1_000_000_000
        sent_s = sent_at_ns // 1_000_000_000
        begin = max(sent_s - 60, now_s - PULL_MAX_AGE_S + 60)  # a minute for clocks apart
        end = max(begin, min(now_s, sent_s + self.config.status_window_s))
        result = await self._call(
            "sms",
            self.config.sms_endpoint,
            "PullSmsSendStatusByPhoneNumber",
            SMS_VERSION,
            {
                "BeginTime": begin,
                "EndTime": end,
                "Offset": 0,  # "目前固定设置为0"
                "Limit": PULL_LIMIT,
                "PhoneNumber": e164(m.phone),
                "SmsSdkAppId": self.config.sms_sdk_app_id,
            },
        )
        if isinstance(result, Refused):
            raise TencentQueryError(result.code)
        rows = [row for row in result.get("PullSmsSendStatusSet") or [] if isinstance(row, dict)]
        if provider_id:
            rows = [row for row in rows if row.get("SerialNo") == provider_id]
        else:  # e.g. after a crash between the send and its answer: our SessionContext names it
            rows = [row for row in rows if row.get("SessionContext") == m.out_id]
        return [self._pulled(row, m.out_id) for row in rows]

    async def drain_sms_status_queue(self) -> list[Report]:
        """PullSmsSendStatus: up to 100 receipts Tencent has not handed out yet (a queue: each is
        returned once, to whoever pulls). ``out_id`` is the SessionContext when Tencent returns it."""
        if "sms" not in self.channels:
            return []
        result = await self._call(
            "sms",
            self.config.sms_endpoint,
            "PullSmsSendStatus",
            SMS_VERSION,
            {"Limit": PULL_LIMIT, "SmsSdkAppId": self.config.sms_sdk_app_id},
        )
        if isinstance(result, Refused):
            raise TencentQueryError(result.code)
        return [
            self._pulled(row, str(row.get("SessionContext") or ""))
            for row in result.get("PullSmsSendStatusSet") or []
        ]

    @staticmethod
    def _pulled(row: Mapping[str, Any], out_id: str) -> Report:
        ok = row.get("ReportStatus") == "SUCCESS"
        return Report(
            out_id=out_id,
            provider_id=str(row.get("SerialNo", "")),
            status="delivered" if ok else "failed",
            at_ns=int(row.get("UserReceiveTime") or 0) * 1_000_000_000,  # UNIX seconds
            detail="" if ok else str(row.get("Description", "")),
        )

    # -- callbacks -----------------------------------------------------------------------------

    def callback(
        self, path: str, headers: Mapping[str, str], body: bytes, query: Mapping[str, str]
    ) -> Callback:
        """/callback/tencent/sms_status | sms_reply | voice, in the documented bodies (see the
        module doc on authentication: Tencent signs none of them)."""
        token = self.config.callback_token
        if token and not hmac.compare_digest(query.get("token", "").encode(), token.encode()):
            raise CallbackRefused("bad_token")
        kind = path.rstrip("/").rsplit("/", 1)[-1]
        try:
            data = json.loads(body.decode("utf-8"))
            if kind == "sms_status":
                return Callback(reports=[self._sms_status(x) for x in _as_list(data)], answer=CALLBACK_OK)
            if kind == "sms_reply":
                return Callback(replies=[self._sms_reply(x) for x in _as_list(data)], answer=CALLBACK_OK)
            if kind == "voice":
                return self._voice(data)
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            raise CallbackRefused(f"bad_body:{type(e).__name__}") from None
        raise CallbackRefused("unknown_path")

    @staticmethod
    def _sms_status(x: Mapping[str, Any]) -> Report:
        ok = x["report_status"] == "SUCCESS"
        received = dt.datetime.strptime(x["user_receive_time"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING)
        return Report(
            out_id=str(x.get("ext") or ""),
            provider_id=str(x["sid"]),
            status="delivered" if ok else "failed",
            at_ns=int(received.timestamp()) * 1_000_000_000,
            detail="" if ok else str(x.get("errmsg", "")),
        )

    @staticmethod
    def _sms_reply(x: Mapping[str, Any]) -> Reply:
        text = str(x["text"])
        phone = str(x["mobile"])
        at_s = int(x["time"])  # UNIX seconds
        digest = hashlib.sha256(f"{x.get('nationcode', '')}|{phone}|{at_s}|{text}".encode()).hexdigest()[:16]
        return Reply(out_id="", phone=phone, at_ns=at_s * 1_000_000_000, text=text, provider_id=digest)

    def _voice(self, data: Mapping[str, Any]) -> Callback:
        """One event a POST: a call's result, a keypress, or why the call failed."""
        if "voiceprompt_callback" in data or "voicecode_callback" in data:
            x = data.get("voiceprompt_callback") or data["voicecode_callback"]
            result = str(x["result"])  # "0" answered, "1" not answered, "2" call failed
            status = _CALL_RESULT.get(result, "failed")
            stamp = (
                x.get("accept_time") if result == "0" else x.get("end_calltime") or x.get("start_calltime")
            )
            at_ns = int(stamp) * 1_000_000_000 if stamp else self._now_ns()
            detail = "" if result == "0" else f"result={result}"
            report = Report(
                out_id="", provider_id=str(x["callid"]), status=status, at_ns=at_ns, detail=detail
            )
            return Callback(reports=[report], answer=CALLBACK_OK)
        if "voicekey_callback" in data:
            x = data["voicekey_callback"]
            key = str(x["keypress"])
            # No time in the documented body: the time it reached us. provider_id = "<callid>:<key>".
            reply = Reply(
                out_id="",
                phone=str(x["mobile"]),
                at_ns=self._now_ns(),
                key=key,
                provider_id=f"{x['callid']}:{key}",
            )
            return Callback(replies=[reply], answer=CALLBACK_OK)
        if "voice_failure_callback" in data:
            x = data["voice_failure_callback"]
            code = int(x["failure_code"])
            # 2 通话中, 5 无人接听, 10 用户正忙, 20 无应答: reached a phone nobody answered
            failed: Status = "no_answer" if code in (2, 5, 10, 20) else "failed"
            report = Report(
                out_id="",
                provider_id=str(x["callid"]),
                status=failed,
                at_ns=self._now_ns(),  # no time in the documented body
                detail=f"{code}:{x.get('failure_reason', '')}",
            )
            return Callback(reports=[report], answer=CALLBACK_OK)
        raise KeyError("voice event")

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _as_list(data: Any) -> list[Mapping[str, Any]]:
    """The status callback is a JSON array; the reply callback one object (either is accepted)."""
    rows = data if isinstance(data, list) else [data]
    if not all(isinstance(r, dict) for r in rows):
        raise TypeError("row")
    return rows
