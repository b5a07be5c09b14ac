"""Alibaba Cloud (阿里云) SMS (Dysmsapi) and voice (Dyvmsapi) over their documented RPC API.

Why not the SDK (alibabacloud-dysmsapi20170525 / -dyvmsapi20170525): the endpoint (scheme, host
and port) must be configurable for a private deployment or a proxy, tests must speak to a local
server, and the gateway is asyncio. We sign as the SDK does by default, with the V3 request
signature ACS3-HMAC-SHA256 (https://help.aliyun.com/document_detail/2593177.html), and send the
RPC parameters as the SDK's ``call_api`` does for these APIs: ``POST /`` with the parameters in
the query string and an empty body (``x-acs-content-sha256`` = SHA-256 of b"").

Alibaba's HTTP batch push (SmsReport, SmsUp, VoiceReport, VoiceCallReport) carries no signature
and no token of its own: the docs describe only the JSON body, the expected answer
``{"code":0,"msg":"..."}`` and the retries (1, 5, 10 min) on a non-200 answer. So the only proof
a callback is ours is a secret the district puts in the URL it configures in the console
(``...?token=...``), checked here with ``hmac.compare_digest`` when configured.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import aiohttp
import yarl

from console.gateway.provider import (
    Accepted,
    Callback,
    CallbackRefused,
    Channel,
    Message,
    Refused,
    Reply,
    Report,
    SendResult,
    Status,
)

log = logging.getLogger(__name__)

ALGORITHM = "ACS3-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
# Mainland China has kept UTC+8 without daylight saving since 1991: the providers' local times.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")
TTS_PROD_ID = "11000000300006"  # QueryCallDetailByCallId's ProdId for voice notifications (TTS)
ANSWER = json.dumps({"code": 0, "msg": "成功"}, ensure_ascii=False).encode()

# The send is refused because of the message itself: another provider would refuse it too.
MESSAGE_ERRORS = frozenset(
    {
        "isv.MOBILE_NUMBER_ILLEGAL",
        "isv.MOBILE_COUNT_OVER_LIMIT",
        "isv.SMS_TEMPLATE_ILLEGAL",
        "isv.TEMPLATE_MISSING_PARAMETERS",
        "isv.TEMPLATE_PARAMS_ILLEGAL",
        "isv.SMS_SIGNATURE_ILLEGAL",
        "isv.SMS_SIGN_ILLEGAL",
        "isv.SIGN_STATE_ILLEGAL",
        "isv.SMS_SIGNATURE_SCENE_ILLEGAL",
        "isv.SMS_CONTENT_ILLEGAL",
        "isv.PARAM_LENGTH_LIMIT",
        "isv.PARAM_NOT_SUPPORT_URL",
        "isv.INVALID_JSON_PARAM",
        "isv.INVALID_PARAMETERS",
        "isv.BLACK_KEY_CONTROL_LIMIT",
        "isv.DOMESTIC_NUMBER_NOT_SUPPORTED",
        "isv.CALLED_NUMBER_ILLEGAL",  # voice
        "isv.TTS_TEMPLATE_ILLEGAL",  # voice
        "isv.DISPLAY_NUMBER_ILLEGAL",  # voice
        "MissingPhoneNumbers",
        "MissingSignName",
        "MissingTemplateCode",
        "MissingCalledNumber",
        "MissingTtsCode",
    }
)
# Everything else that is not "OK" (throttles such as isv.BUSINESS_LIMIT_CONTROL and
# Throttling.User, the account's quotas, a wrong key or signature, a suspended account, 5xx) is
# this provider's or this account's state, not the message's: retryable, another provider may
# take it.

# VMS call status codes (运营商回执错误码, https://help.aliyun.com/document_detail/55085.html)
ANSWERED_CODES = frozenset({"200000", "200001", "200102", "200103"})
NO_ANSWER_CODES = frozenset({"200002", "200003", "200005", "200008"})
IN_PROGRESS_CODES = frozenset({"200101", "200201"})
DTMF_CODE = "300000"
SMART_ANSWERED = frozenset({"ANSWERED"})
SMART_NO_ANSWER = frozenset({"NO_ANSWER", "CALL_REJECTED", "USER_BUSY", "CANCEL"})


# --- ACS3-HMAC-SHA256 --------------------------------------------------------------------------


def percent_encode(value: str) -> str:
    """RFC 3986 encoding of UTF-8 (only A-Z a-z 0-9 - _ . ~ unencoded), as the V3 docs ask."""
    return quote(value, safe="-_.~")


def canonical_query(params: Mapping[str, str]) -> str:
    pairs = sorted((percent_encode(k), percent_encode(v)) for k, v in params.items())
    return "&".join(f"{k}={v}" for k, v in pairs)


def signed_header_names(headers: Mapping[str, str]) -> list[str]:
    """Every x-acs-* header, host and content-type (when present) take part in the signature."""
    names = {k.lower() for k in headers}
    return sorted(n for n in names if n.startswith("x-acs-") or n in ("host", "content-type"))


def canonical_request(
    method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str], payload_sha256: str
) -> tuple[str, str]:
    """(CanonicalRequest, SignedHeaders) of the V3 signature."""
    lower = {k.lower(): v for k, v in headers.items()}
    names = signed_header_names(headers)
    canon_headers = "".join(f"{n}:{lower[n].strip()}\n" for n in names)
    signed = ";".join(names)
    text = "\n".join(
        [method.upper(), path or "/", canonical_query(query), canon_headers, signed, payload_sha256]
    )
    return text, signed


def authorization(
    key_id: str,
    secret: str,
    method: str,
    path: str,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    payload_sha256: str,
) -> str:
    """The Authorization header: ACS3-HMAC-SHA256 Credential=...,SignedHeaders=...,Signature=..."""
    text, signed = canonical_request(method, path, query, headers, payload_sha256)
    to_sign = f"{ALGORITHM}\n{hashlib.sha256(text.encode()).hexdigest()}"
    signature = hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    return f"{ALGORITHM} Credential={key_id},SignedHeaders={signed},Signature={signature}"


# --- configuration -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AliyunConfig:
    """One Alibaba Cloud account. Endpoints are ``scheme://host[:port]`` (a path is ignored).
    The secret and the callback token are kept out of ``repr`` so a logged config shows neither."""

    access_key_id: str
    access_key_secret: str = field(repr=False)
    sms_endpoint: str = "https://dysmsapi.aliyuncs.com"
    vms_endpoint: str = "https://dyvmsapi.aliyuncs.com"
    sms_version: str = "2017-05-25"
    vms_version: str = "2017-05-25"
    timeout_s: float = 5.0  # the whole request; the 1-minute mark leaves no room for more
    connect_timeout_s: float = 2.0
    callback_token: str = field(default="", repr=False)  # "" = callbacks carry no token
    tts_prod_id: str = TTS_PROD_ID
    query_page_size: int = 50  # QuerySendDetails allows 1..50
    query_max_pages: int = 20


def mask(phone: str) -> str:
    """A number as it may appear in a log: 138****1234."""
    return phone[:3] + "****" + phone[-4:] if len(phone) > 7 else "****"


def shanghai_ns(text: str) -> int:
    """ "2017-01-01 00:00:00" (or "20170101000000"), Beijing time, to ns since the epoch."""
    text = text.strip()
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y%m%d%H%M%S", "%a, %d %b %Y %H:%M:%S %z"):
        try:
            dt = datetime.strptime(text, fmt)
        except ValueError:
            continue
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=SHANGHAI)
        return int(dt.timestamp()) * 1_000_000_000
    raise ValueError(f"not a provider time: {text!r}")


def shanghai_date(at_ns: int) -> str:
    return datetime.fromtimestamp(at_ns / 1e9, SHANGHAI).strftime("%Y%m%d")


class _Sent:
    """Whether aiohttp wrote the request: a timeout after it may mean the provider took it."""

    def __init__(self) -> None:
        self.headers_sent = False


async def _on_headers_sent(
    session: aiohttp.ClientSession, ctx: Any, params: aiohttp.TraceRequestHeadersSentParams
) -> None:
    if isinstance(ctx.trace_request_ctx, _Sent):
        ctx.trace_request_ctx.headers_sent = True


@dataclass(frozen=True)
class _Answer:
    status: int
    body: dict[str, Any]


class _NotSent(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


class _Unknown(Exception):
    """The request was written but no answer came."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


class AliyunProvider:
    """``Provider`` for Alibaba Cloud SMS and voice notifications (TTS)."""

    name = "aliyun"
    channels: frozenset[Channel] = frozenset({"sms", "voice"})

    def __init__(
        self,
        config: AliyunConfig,
        *,
        clock_ns: Callable[[], int] = time.time_ns,
        nonce: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        self._config = config
        self._clock_ns = clock_ns
        self._nonce = nonce
        self._session: aiohttp.ClientSession | None = None

    # --- HTTP ----------------------------------------------------------------------------------

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            trace = aiohttp.TraceConfig()
            trace.on_request_headers_sent.append(_on_headers_sent)
            timeout = aiohttp.ClientTimeout(
                total=self._config.timeout_s, sock_connect=self._config.connect_timeout_s
            )
            self._session = aiohttp.ClientSession(timeout=timeout, trace_configs=[trace])
        return self._session

    def signed_headers(
        self, endpoint: yarl.URL, action: str, version: str, query: Mapping[str, str]
    ) -> dict[str, str]:
        """The headers of one RPC call, Authorization included (public for the signing test)."""
        date = datetime.fromtimestamp(self._clock_ns() / 1e9, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        headers = {
            "host": _host(endpoint),
            "x-acs-action": action,
            "x-acs-version": version,
            "x-acs-date": date,
            "x-acs-signature-nonce": self._nonce(),
            "x-acs-content-sha256": EMPTY_SHA256,
        }
        headers["Authorization"] = authorization(
            self._config.access_key_id,
            self._config.access_key_secret,
            "POST",
            "/",
            query,
            headers,
            EMPTY_SHA256,
        )
        headers["accept"] = "application/json"
        return headers

    async def _call(self, endpoint: str, version: str, action: str, params: Mapping[str, str]) -> _Answer:
        base = yarl.URL(endpoint)
        query = {k: v for k, v in params.items() if v != ""}
        url = yarl.URL.build(
            scheme=base.scheme,
            host=base.raw_host or "",
            port=base.explicit_port,
            path="/",
            query_string=canonical_query(query),
            encoded=True,
        )
        headers = self.signed_headers(base, action, version, query)
        sent = _Sent()
        try:
            async with self._client().post(
                url,
                headers=headers,
                skip_auto_headers=("Content-Type",),  # no body, no type: as the SDK sends it
                trace_request_ctx=sent,
                allow_redirects=False,
            ) as resp:
                raw = await resp.read()
                status = resp.status
        except TimeoutError as e:
            if sent.headers_sent:
                raise _Unknown("timeout", "no answer after the request was sent") from e
            raise _NotSent("timeout", "no connection in time") from e
        except aiohttp.ClientConnectorError as e:
            raise _NotSent("unreachable", type(e).__name__) from e
        except aiohttp.ClientError as e:
            if sent.headers_sent:
                raise _Unknown("broken", type(e).__name__) from e
            raise _NotSent("unreachable", type(e).__name__) from e
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        return _Answer(status, body)

    # --- send ----------------------------------------------------------------------------------

    async def send(self, m: Message) -> SendResult:
        if m.channel == "sms":
            endpoint, version, action = self._config.sms_endpoint, self._config.sms_version, "SendSms"
            params = {
                "PhoneNumbers": m.phone,
                "SignName": m.sign,
                "TemplateCode": m.template,
                "TemplateParam": _json(m.params),
                "OutId": m.out_id,
            }
            id_field = "BizId"
        else:
            endpoint, version, action = self._config.vms_endpoint, self._config.vms_version, "SingleCallByTts"
            params = {
                "CalledNumber": m.phone,
                "CalledShowNumber": m.called_show_number,
                "TtsCode": m.template,
                "TtsParam": _json(m.params),
                "OutId": m.out_id,
            }
            id_field = "CallId"
        try:
            answer = await self._call(endpoint, version, action, params)
        except _NotSent as e:
            log.warning("aliyun %s to %s not sent: %s", action, mask(m.phone), e.code)
            return Refused(e.code, e.detail, retryable=True)
        except _Unknown as e:
            log.warning("aliyun %s to %s: %s, may have been taken", action, mask(m.phone), e.code)
            return Refused(e.code, e.detail, retryable=True, accepted_unknown=True)
        code = str(answer.body.get("Code", ""))
        provider_id = str(answer.body.get(id_field) or "")
        if answer.status == 200 and code == "OK" and provider_id:
            return Accepted(provider_id, self._clock_ns())
        if code == "OK":  # taken, but we cannot name it: the gateway must ask before resending
            log.warning("aliyun %s to %s: OK without %s", action, mask(m.phone), id_field)
            return Refused("no_id", f"OK without {id_field}", retryable=True, accepted_unknown=True)
        return self._refused(action, m, answer, code)

    def _refused(self, action: str, m: Message, answer: _Answer, code: str) -> Refused:
        detail = str(answer.body.get("Message", ""))[:200]
        if answer.status >= 500:
            # Only "not now" answers (503 ServiceUnavailable, a throttle) say the send was not
            # processed; an InternalError, a proxy's 502/504 or a bare 500 may hide a send the
            # provider took: the gateway must query before it sends again.
            unknown = code != "ServiceUnavailable" and not code.startswith("Throttling")
            log.warning("aliyun %s to %s: HTTP %s %s", action, mask(m.phone), answer.status, code)
            return Refused(code or f"http_{answer.status}", detail, retryable=True, accepted_unknown=unknown)
        code = code or f"http_{answer.status}"
        retryable = code not in MESSAGE_ERRORS
        log.warning("aliyun %s to %s refused: %s", action, mask(m.phone), code)
        return Refused(code, detail, retryable=retryable)

    # --- query ---------------------------------------------------------------------------------

    async def query(self, m: Message, provider_id: str | None, sent_at_ns: int) -> list[Report]:
        try:
            if m.channel == "sms":
                return await self._query_sms(m, provider_id, sent_at_ns)
            return await self._query_voice(m, provider_id, sent_at_ns)
        except (_NotSent, _Unknown) as e:
            log.warning("aliyun query for %s: %s", mask(m.phone), e.code)
            return []
        except (KeyError, TypeError, ValueError) as e:  # an answer not of the documented form
            log.warning("aliyun query for %s: unreadable answer (%s)", mask(m.phone), type(e).__name__)
            return []

    async def _query_sms(self, m: Message, provider_id: str | None, sent_at_ns: int) -> list[Report]:
        # a send just before midnight may be filed under the next day
        dates = dict.fromkeys([shanghai_date(sent_at_ns), shanghai_date(sent_at_ns + 300 * 10**9)])
        for day in dates:
            page = 1
            while page <= self._config.query_max_pages:
                params = {
                    "PhoneNumber": m.phone,
                    "SendDate": day,
                    "PageSize": str(self._config.query_page_size),
                    "CurrentPage": str(page),
                    "BizId": provider_id or "",
                }
                answer = await self._call(
                    self._config.sms_endpoint, self._config.sms_version, "QuerySendDetails", params
                )
                if answer.status != 200 or answer.body.get("Code") != "OK":
                    log.warning("aliyun QuerySendDetails: %s", answer.body.get("Code") or answer.status)
                    return []
                dtos = (answer.body.get("SmsSendDetailDTOs") or {}).get("SmsSendDetailDTO") or []
                for dto in dtos:
                    if not isinstance(dto, dict):
                        continue
                    if provider_id or str(dto.get("OutId", "")) == m.out_id:
                        report = _sms_detail_report(dto, m.out_id, provider_id or "")
                        if report is not None:
                            return [report]
                total = int(answer.body.get("TotalCount") or 0)
                if provider_id or page * self._config.query_page_size >= total or not dtos:
                    break
                page += 1
        return []

    async def _query_voice(self, m: Message, provider_id: str | None, sent_at_ns: int) -> list[Report]:
        if not provider_id:
            # VMS offers no look-up by OutId: without the CallId only VoiceReport can tell
            return []
        params = {
            "CallId": provider_id,
            "ProdId": self._config.tts_prod_id,
            "QueryDate": str(sent_at_ns // 1_000_000),
        }
        answer = await self._call(
            self._config.vms_endpoint, self._config.vms_version, "QueryCallDetailByCallId", params
        )
        if answer.status != 200 or answer.body.get("Code") != "OK":
            log.warning("aliyun QueryCallDetailByCallId: %s", answer.body.get("Code") or answer.status)
            return []
        data = answer.body.get("Data")
        if isinstance(data, str):
            try:
                data = json.loads(data) if data else None
            except ValueError:
                data = None
        if not isinstance(data, dict):
            return []
        state = str(data.get("state", ""))
        status = _call_status(state, "")
        if status is None:
            return []
        when = next((str(data[k]) for k in ("endDate", "startDate", "gmtCreate") if data.get(k)), "")
        at_ns = shanghai_ns(when) if when else sent_at_ns
        detail = "" if status == "answered" else state
        return [Report(m.out_id, provider_id, status, at_ns, detail)]

    # --- callbacks -----------------------------------------------------------------------------

    def callback(
        self, path: str, headers: Mapping[str, str], body: bytes, query: Mapping[str, str]
    ) -> Callback:
        token = self._config.callback_token
        if token and not hmac.compare_digest(query.get("token", "").encode(), token.encode()):
            raise CallbackRefused("bad_token")
        kind = path.rstrip("/").rsplit("/", 1)[-1]
        if kind not in ("sms_report", "sms_up", "voice_report", "voice_call_report"):
            raise CallbackRefused("unknown_path")
        try:
            parsed = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise CallbackRefused("bad_body") from e
        items = parsed if isinstance(parsed, list) else [parsed]
        if not all(isinstance(i, dict) for i in items):
            raise CallbackRefused("bad_body")
        out = Callback(answer=ANSWER, content_type="application/json;charset=utf-8")
        try:
            for item in items:
                if kind == "sms_report":
                    out.reports.append(_sms_report(item))
                elif kind == "sms_up":
                    out.replies.append(_sms_up(item))
                elif kind == "voice_report":
                    report = _voice_report(item)
                    if report is not None:
                        out.reports.append(report)
                else:
                    _voice_call_report(item, out)
        except (KeyError, TypeError, ValueError) as e:
            raise CallbackRefused("bad_body") from e
        return out

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


# --- parsing -----------------------------------------------------------------------------------


def _host(url: yarl.URL) -> str:
    host = url.raw_host or ""
    return f"{host}:{url.explicit_port}" if url.explicit_port is not None else host


def _json(params: Mapping[str, str]) -> str:
    return json.dumps(dict(params), ensure_ascii=False, separators=(",", ":")) if params else ""


def _sms_detail_report(dto: Mapping[str, Any], out_id: str, provider_id: str) -> Report | None:
    """QuerySendDetails' SendStatus: 1 waiting for the receipt, 2 failed, 3 delivered."""
    status_code = str(dto.get("SendStatus", ""))
    status: Status
    if status_code == "3":
        status = "delivered"
    elif status_code == "2":
        status = "failed"
    elif status_code == "1":
        status = "accepted"
    else:
        return None
    when = str(dto.get("ReceiveDate") or dto.get("SendDate") or "")
    at_ns = shanghai_ns(when) if when else 0
    detail = "" if status != "failed" else str(dto.get("ErrCode", ""))
    return Report(str(dto.get("OutId") or out_id), provider_id, status, at_ns, detail)


def _sms_report(item: Mapping[str, Any]) -> Report:
    success = item["success"]
    ok = success is True or str(success).lower() == "true"
    return Report(
        out_id=str(item.get("out_id") or ""),
        provider_id=str(item["biz_id"]),
        status="delivered" if ok else "failed",
        at_ns=shanghai_ns(str(item.get("report_time") or item["send_time"])),
        detail="" if ok else str(item.get("err_code", "")),
    )


def _sms_up(item: Mapping[str, Any]) -> Reply:
    # SmsUp names no request: the gateway matches the reply to the latest one to that phone
    return Reply(
        out_id="",
        phone=str(item["phone_number"]),
        at_ns=shanghai_ns(str(item["send_time"])),
        text=str(item.get("content", "")).strip(),
        provider_id=str(item.get("sequence_id", "")),
    )


def _call_status(status_code: str, smart: str) -> Status | None:
    if not status_code and not smart:
        return None
    if status_code in ANSWERED_CODES or (not status_code and smart in SMART_ANSWERED):
        return "answered"
    if status_code in NO_ANSWER_CODES or (not status_code and smart in SMART_NO_ANSWER):
        return "no_answer"
    if status_code in IN_PROGRESS_CODES or status_code == DTMF_CODE:
        return None
    return "failed"


def _voice_report(item: Mapping[str, Any]) -> Report | None:
    status = _call_status(str(item.get("status_code", "")), str(item.get("smart_status_code", "")))
    if status is None:
        return None
    when = next(
        (str(item[k]) for k in ("end_time", "start_time", "ring_time", "originate_time") if item.get(k)),
        "",
    )
    if not when:
        raise ValueError("VoiceReport without a time")
    return Report(
        out_id=str(item.get("out_id") or ""),
        provider_id=str(item["call_id"]),
        status=status,
        at_ns=shanghai_ns(when),
        detail="" if status == "answered" else str(item.get("status_code", "")),
    )


def _voice_call_report(item: Mapping[str, Any], out: Callback) -> None:
    """VoiceCallReport: the call's intermediate states; 300000 carries the DTMF keys pressed."""
    code = str(item.get("status_code", ""))
    at_ns = shanghai_ns(str(item["status_time"]))
    call_id = str(item["call_id"])
    out_id = str(item.get("out_id") or "")
    if code == DTMF_CODE or item.get("dtmf"):
        key = str(item.get("dtmf") or "")
        if key:
            out.replies.append(Reply(out_id, "", at_ns, key=key, provider_id=f"{call_id}:{key}:{at_ns}"))
        return
    if code in ("200102", "200103"):  # the callee answered
        out.reports.append(Report(out_id, call_id, "answered", at_ns))
