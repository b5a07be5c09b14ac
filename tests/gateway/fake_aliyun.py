"""A local Alibaba Cloud SMS + VMS endpoint that speaks the documented RPC API (tests/gateway/docs/aliyun).

It checks the V3 signature (ACS3-HMAC-SHA256) the way the service does, with its own code (it
imports nothing from console/gateway, so a wrong signer fails the tests): the Authorization
header's parts, that every x-acs-* header is signed, the hashed payload against the body, the
date's skew and a nonce used once; then it recomputes the canonical request from the request
as received. It records every accepted send (a test counts them: a send is never made twice),
answers QuerySendDetails / QueryCallDetailByCallId from what it recorded, can be told to hold
its answer (a timeout), to throttle or to fail, and posts SmsReport / SmsUp / VoiceReport /
VoiceCallReport to a URL in the documented format.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
from aiohttp import web

BEIJING = timezone(timedelta(hours=8))
UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")
AUTH_RE = re.compile(
    r"^ACS3-HMAC-SHA256 Credential=(?P<cred>[^,]+),SignedHeaders=(?P<signed>[^,]+),Signature=(?P<sig>[0-9a-f]{64})$"
)
MAX_SKEW_S = 15 * 60  # x-acs-date: "值为请求发出前15分钟内的时间"


def rfc3986(text: str) -> str:
    """Percent-encode each UTF-8 byte outside the unreserved set, upper-case hex."""
    return "".join(chr(b) if b in UNRESERVED else f"%{b:02X}" for b in text.encode("utf-8"))


def v3_signature(
    secret: str,
    method: str,
    path: str,
    params: list[tuple[str, str]],
    headers: Mapping[str, str],
    signed: list[str],
    body: bytes,
) -> tuple[str, str]:
    """(signature, canonical request) for a request as the server sees it."""
    encoded = sorted((rfc3986(k), rfc3986(v)) for k, v in params)  # by key, then value
    query = "&".join(f"{k}={v}" for k, v in encoded)
    canon = "".join(f"{name}:{headers.get(name, '').strip()}\n" for name in signed)
    lines = [method, path, query, canon, ";".join(signed), hashlib.sha256(body).hexdigest()]
    request = "\n".join(lines)
    digest = hashlib.sha256(request.encode("utf-8")).hexdigest()
    sig = hmac.new(secret.encode("utf-8"), f"ACS3-HMAC-SHA256\n{digest}".encode(), hashlib.sha256).hexdigest()
    return sig, request


def beijing(ts: float) -> str:
    return datetime.fromtimestamp(ts, BEIJING).strftime("%Y-%m-%d %H:%M:%S")


@dataclass
class Sent:
    """One send the fake accepted."""

    action: str  # SendSms | SingleCallByTts
    params: dict[str, str]
    provider_id: str  # BizId / CallId
    at: float  # the fake's clock (s)
    phone: str
    out_id: str
    # SMS: 1 waiting, 2 failed, 3 delivered; voice: the call's state code ("" = not ended)
    state: str = "1"
    err_code: str = ""
    report_at: float | None = None
    call_start: float | None = None
    duration_s: int = 0


@dataclass
class Rejected:
    status: int
    code: str
    canonical_request: str = ""


@dataclass
class _Plan:
    kind: str  # "hold" | "answer"
    status: int = 200
    body: dict[str, Any] = field(default_factory=dict)
    record: bool = False


class FakeAliyun:
    def __init__(
        self, keys: Mapping[str, str] | None = None, *, clock: Callable[[], float] | None = None
    ) -> None:
        self.keys = dict(keys or {"LTAI5tFakeKeyId": "FakeSecret0123456789"})
        self.clock = clock or (lambda: datetime.now(UTC).timestamp())
        self.sends: list[Sent] = []
        self.rejected: list[Rejected] = []
        self.requests: list[dict[str, str]] = []  # every request's headers, as received
        self.arrived = asyncio.Event()  # set by each request; a test clears and awaits it
        self._plans: dict[str, list[_Plan]] = {}  # per action, consumed in order
        self._release = asyncio.Event()
        self._nonces: set[str] = set()
        self._ids = itertools.count(900619746936498440)
        self._runner: web.AppRunner | None = None
        self.url = ""

    # --- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # --- what a test asks of it ----------------------------------------------------------------

    def hold_next(self, action: str) -> None:
        """Record the next such request, then answer nothing until ``stop``: a timeout after the
        provider took it."""
        self._plans.setdefault(action, []).append(_Plan("hold", record=True))

    def answer_next(self, action: str, status: int, code: str, message: str) -> None:
        """Answer the next such request with this error (not recorded as a send)."""
        body = {"RequestId": str(uuid.uuid4()).upper(), "Code": code, "Message": message}
        self._plans.setdefault(action, []).append(_Plan("answer", status, body))

    def throttle_next(self, action: str, code: str = "isv.BUSINESS_LIMIT_CONTROL") -> None:
        if code == "Throttling.User":  # the gateway's flow control: HTTP 400
            self.answer_next(action, 400, code, "Request was denied due to user flow control.")
        else:  # the product's per-number flow control: HTTP 200 with the code
            self.answer_next(action, 200, code, "触发分钟级流控Permits:1")

    def deliver(
        self, provider_id: str, *, ok: bool = True, err_code: str = "", at: float | None = None
    ) -> Sent:
        """The carrier's receipt for an SMS."""
        sent = self._find(provider_id)
        sent.state = "3" if ok else "2"
        sent.err_code = "DELIVERED" if ok else (err_code or "MK:0001")
        sent.report_at = self.clock() if at is None else at
        return sent

    def end_call(
        self, provider_id: str, state: str, *, start: float | None = None, duration_s: int = 0
    ) -> Sent:
        """The call's outcome (a VMS status code: 200000 answered, 200003 no answer, ...)."""
        sent = self._find(provider_id)
        sent.state = state
        sent.call_start = start
        sent.duration_s = duration_s
        return sent

    def _find(self, provider_id: str) -> Sent:
        return next(s for s in self.sends if s.provider_id == provider_id)

    # --- callbacks it pushes -------------------------------------------------------------------

    def sms_report_body(self, sent: Sent) -> list[dict[str, Any]]:
        return [
            {
                "phone_number": sent.phone,
                "send_time": beijing(sent.at),
                "report_time": beijing(sent.report_at or sent.at),
                "success": sent.state == "3",
                "err_code": sent.err_code or "DELIVERED",
                "err_msg": "用户接收成功" if sent.state == "3" else "失败",
                "sms_size": "1",
                "biz_id": sent.provider_id,
                "out_id": sent.out_id,
            }
        ]

    @staticmethod
    def sms_up_body(
        phone: str, content: str, at: float, sequence_id: int = 1234567890
    ) -> list[dict[str, Any]]:
        return [
            {
                "phone_number": phone,
                "content": content,
                "send_time": beijing(at),
                "dest_code": "1234",
                "sequence_id": str(sequence_id),
            }
        ]

    def voice_report_body(self, sent: Sent) -> list[dict[str, Any]]:
        start = sent.call_start
        answered = sent.state in ("200000", "200001")
        return [
            {
                "status_code": sent.state,
                "smart_status_code": "ANSWERED" if answered else "NO_ANSWER",
                "status_msg": "用户听完语音" if answered else "用户未接听",
                "hangup_direction": "用户",
                "callee": sent.phone,
                "caller": sent.params.get("CalledShowNumber", ""),
                "originate_time": beijing(sent.at),
                "start_time": beijing(start) if answered and start else "",
                "end_time": beijing(start + sent.duration_s) if answered and start else "",
                "duration": str(sent.duration_s if answered else 0),
                "toll_type": "UNKNOWN",
                "voice_type": "voice",
                "call_id": sent.provider_id,
                "out_id": sent.out_id,
            }
        ]

    @staticmethod
    def voice_call_report_body(sent: Sent, dtmf: str, at: float) -> list[dict[str, Any]]:
        return [
            {
                "status_code": "300000",
                "smart_status_code": "ANSWERED",
                "dtmf": dtmf,
                "status_time": beijing(at),
                "out_id": sent.out_id,
                "call_id": sent.provider_id,
            }
        ]

    @staticmethod
    async def post(url: str, body: Any) -> tuple[int, bytes]:
        """POST a push message as Alibaba's HTTP batch push does: a JSON array, UTF-8."""
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        async with (
            aiohttp.ClientSession() as s,
            s.post(url, data=data, headers={"Content-Type": "application/json"}) as r,
        ):
            return r.status, await r.read()

    # --- the RPC endpoint ----------------------------------------------------------------------

    def _error(self, status: int, code: str, message: str, canonical: str = "") -> web.Response:
        self.rejected.append(Rejected(status, code, canonical))
        body = {
            "RequestId": str(uuid.uuid4()).upper(),
            "HostId": "dysmsapi.aliyuncs.com",
            "Code": code,
            "Message": message,
            "Recommend": f"https://api.aliyun.com/troubleshoot?q={code}",
        }
        return web.json_response(body, status=status)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append({k.lower(): v for k, v in request.headers.items()})
        self.arrived.set()
        body = await request.read()
        checked = self._authenticate(request, body)
        if isinstance(checked, web.Response):
            return checked
        params = checked
        action = request.headers.get("x-acs-action", "")
        if request.headers.get("x-acs-version") != "2017-05-25":
            return self._error(400, "InvalidVersion", "Specified parameter Version is not valid.")
        plans = self._plans.get(action) or []
        plan = plans.pop(0) if plans else None
        if plan is not None and plan.kind == "answer":
            return web.json_response(plan.body, status=plan.status)
        if action == "SendSms":
            resp = self._send_sms(params)
        elif action == "SingleCallByTts":
            resp = self._single_call(params)
        elif action == "QuerySendDetails":
            return self._query_send_details(params)
        elif action == "QueryCallDetailByCallId":
            return self._query_call(params)
        else:
            return self._error(
                404, "InvalidAction.NotFound", "Specified api is not found, please check your url and method."
            )
        if plan is not None and plan.kind == "hold":
            await self._release.wait()  # until the test stops the fake: the client times out
        return resp

    def _authenticate(self, request: web.Request, body: bytes) -> list[tuple[str, str]] | web.Response:
        headers = {k.lower(): v for k, v in request.headers.items()}
        match = AUTH_RE.match(headers.get("authorization", ""))
        if match is None:
            return self._error(
                400, "IncompleteSignature", "The request signature does not conform to Aliyun standards."
            )
        key_id, signed = match["cred"], match["signed"].split(";")
        secret = self.keys.get(key_id)
        if secret is None:
            return self._error(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        required = {
            "host",
            "x-acs-action",
            "x-acs-version",
            "x-acs-date",
            "x-acs-signature-nonce",
            "x-acs-content-sha256",
        }
        present = {k for k in headers if k.startswith("x-acs-")} | {"host"}
        if "content-type" in headers:
            present.add("content-type")
        if not required <= set(signed) or not present <= set(signed) or signed != sorted(signed):
            return self._error(
                400, "IncompleteSignature", "The request signature does not conform to Aliyun standards."
            )
        if headers.get("x-acs-content-sha256") != hashlib.sha256(body).hexdigest():
            return self._error(
                400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation."
            )
        try:
            when = datetime.strptime(headers["x-acs-date"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError:
            return self._error(
                400, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted."
            )
        if abs(when.timestamp() - self.clock()) > MAX_SKEW_S:
            return self._error(
                400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired."
            )
        params = parse_qsl(request.rel_url.raw_query_string, keep_blank_values=True)
        if body and headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            params += parse_qsl(body.decode("utf-8"), keep_blank_values=True)
        sig, canonical = v3_signature(
            secret, request.method, request.rel_url.raw_path, params, headers, signed, body
        )
        if not hmac.compare_digest(sig, match["sig"]):
            return self._error(
                400,
                "SignatureDoesNotMatch",
                "Specified signature is not matched with our calculation.",
                canonical,
            )
        nonce = headers["x-acs-signature-nonce"]
        if nonce in self._nonces:
            return self._error(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
        self._nonces.add(nonce)
        return params

    def _ok(self, **fields: Any) -> web.Response:
        return web.json_response(
            {"Code": "OK", "Message": "OK", "RequestId": str(uuid.uuid4()).upper(), **fields}
        )

    def _send_sms(self, p: list[tuple[str, str]]) -> web.Response:
        params = dict(p)
        for name in ("PhoneNumbers", "SignName", "TemplateCode"):
            if not params.get(name):
                return self._error(400, f"Missing{name}", f"{name} is mandatory for this action.")
        if not re.fullmatch(r"1\d{10}", params["PhoneNumbers"]):
            return web.json_response(
                {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号", "RequestId": "x"}
            )
        if params.get("TemplateParam"):
            try:
                json.loads(params["TemplateParam"])
            except ValueError:
                return web.json_response(
                    {"Code": "isv.INVALID_JSON_PARAM", "Message": "JSON参数不合法", "RequestId": "x"}
                )
        biz_id = f"{next(self._ids)}^0"
        self.sends.append(
            Sent("SendSms", params, biz_id, self.clock(), params["PhoneNumbers"], params.get("OutId", ""))
        )
        return self._ok(BizId=biz_id)

    def _single_call(self, p: list[tuple[str, str]]) -> web.Response:
        params = dict(p)
        for name in ("CalledNumber", "TtsCode"):
            if not params.get(name):
                return self._error(400, f"Missing{name}", f"{name} is mandatory for this action.")
        if not re.fullmatch(r"1\d{10}|0\d{9,11}", params["CalledNumber"]):
            return web.json_response(
                {"Code": "isv.CALLED_NUMBER_ILLEGAL", "Message": "被叫号码不合法", "RequestId": "x"}
            )
        call_id = f"{next(self._ids)}^{next(self._ids)}"
        sent = Sent(
            "SingleCallByTts",
            params,
            call_id,
            self.clock(),
            params["CalledNumber"],
            params.get("OutId", ""),
            state="",
        )
        self.sends.append(sent)
        return self._ok(CallId=call_id)

    def _query_send_details(self, p: list[tuple[str, str]]) -> web.Response:
        params = dict(p)
        phone, day = params.get("PhoneNumber", ""), params.get("SendDate", "")
        size, page = int(params.get("PageSize") or 0), int(params.get("CurrentPage") or 0)
        if not phone or not day or not (1 <= size <= 50) or page < 1:
            return web.json_response(
                {"Code": "isv.INVALID_PARAMETERS", "Message": "参数异常", "RequestId": "x"}
            )
        rows = [
            s
            for s in self.sends
            if s.action == "SendSms"
            and s.phone == phone
            and datetime.fromtimestamp(s.at, BEIJING).strftime("%Y%m%d") == day
            and (not params.get("BizId") or s.provider_id == params["BizId"])
        ]
        chunk = rows[(page - 1) * size : page * size]
        dtos = [
            {
                "PhoneNum": s.phone,
                "SendStatus": int(s.state),
                "ErrCode": s.err_code,
                "TemplateCode": s.params.get("TemplateCode", ""),
                "Content": "【" + s.params.get("SignName", "") + "】…",
                "SendDate": beijing(s.at),
                "ReceiveDate": beijing(s.report_at) if s.report_at is not None else "",
                "OutId": s.out_id,
            }
            for s in chunk
        ]
        return self._ok(TotalCount=len(rows), SmsSendDetailDTOs={"SmsSendDetailDTO": dtos})

    def _query_call(self, p: list[tuple[str, str]]) -> web.Response:
        params = dict(p)
        call = next((s for s in self.sends if s.provider_id == params.get("CallId")), None)
        if call is None or not call.state or params.get("ProdId") != "11000000300006":
            return self._ok(Data="")
        query_ms = int(params.get("QueryDate") or 0)
        if not (query_ms <= call.at * 1000 + 1000 and call.at * 1000 < query_ms + 86_400_000):
            return self._ok(Data="")
        answered = call.state in ("200000", "200001")
        start = call.call_start
        data = {
            "caller": call.params.get("CalledShowNumber", ""),
            "callee": call.phone,
            "calleeShowNumber": call.params.get("CalledShowNumber", ""),
            "gmtCreate": beijing(call.at),
            "startDate": beijing(start) if answered and start else "",
            "endDate": beijing(start + call.duration_s) if answered and start else "",
            "duration": call.duration_s if answered else 0,
            "state": call.state,
            "stateDesc": call.state,
            "hangupDirection": 2,
        }
        return self._ok(Data=json.dumps(data, ensure_ascii=False))
