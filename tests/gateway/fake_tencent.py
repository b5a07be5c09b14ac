"""A local Tencent Cloud API 3.0 (sms 2021-01-11, vms 2020-09-02) for the adapter's tests.

It speaks the documented request and answer (tests/gateway/docs/tencent/) and checks the
TC3-HMAC-SHA256 signature the way Tencent's documentation describes it, written here from that
description and on purpose sharing no code with console/gateway/providers/tencent.py: a signer
that drifts from the documentation fails against this server. Errors are Tencent's: a wrong key
-> AuthFailure.SignatureFailure, a timestamp more than 5 minutes off -> AuthFailure.SignatureExpire,
an unknown SecretId -> AuthFailure.SecretIdNotFound, a malformed header -> AuthFailure.InvalidAuthorization.

It records every send it took (tests count them: a send is never made twice), can be told what
to do with the next requests (hang past the client's timeout after taking the send, throttle,
fail with an API error or an HTTP status), answers the status pulls from what it recorded and
delivered, and posts the documented callbacks to a URL.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp import web

SERVICE_OF = {
    "SendSms": ("sms", "2021-01-11"),
    "PullSmsSendStatus": ("sms", "2021-01-11"),
    "PullSmsSendStatusByPhoneNumber": ("sms", "2021-01-11"),
    "SendTtsVoice": ("vms", "2020-09-02"),
}
AUTH_RE = re.compile(
    r"^TC3-HMAC-SHA256 Credential=(?P<id>[^/]+)/(?P<date>\d{4}-\d{2}-\d{2})/(?P<service>[a-z]+)/tc3_request, "
    r"SignedHeaders=(?P<signed>[a-z0-9;-]+), Signature=(?P<sig>[0-9a-f]{64})$"
)
MAX_SKEW_S = 300  # "如果 Timestamp 与当前时间相差超过五分钟,请求将失败" (签名方法 v3)


@dataclass(frozen=True)
class Hang:
    """Take the send (it is recorded: Tencent got it), then answer nothing until the server stops."""


@dataclass(frozen=True)
class ApiError:
    """Answer {"Response": {"Error": {...}}} (a request-level error: the send is not taken)."""

    code: str
    message: str = "fake error"


@dataclass(frozen=True)
class NumberError:
    """SendSms: the request is fine, but SendStatusSet[0].Code is this (the send is not taken)."""

    code: str
    message: str = "fake error"


@dataclass(frozen=True)
class HttpStatus:
    status: int


Outcome = Hang | ApiError | NumberError | HttpStatus


@dataclass
class Sent:
    """One send Tencent took."""

    action: str
    provider_id: str  # SerialNo / CallId
    phone: str  # E.164 as sent
    session_context: str
    params: dict[str, Any]
    at_s: int
    delivered: dict[str, Any] | None = None  # the receipt row once delivered


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def expected_signature(
    secret_key: str, date: str, service: str, timestamp: str, canonical_request: str
) -> str:
    """签名方法 v3, step 2 and 3: SecretDate -> SecretService -> SecretSigning -> Signature."""
    string_to_sign = "\n".join(
        [
            "TC3-HMAC-SHA256",
            timestamp,
            f"{date}/{service}/tc3_request",
            _sha256_hex(canonical_request.encode()),
        ]
    )
    secret_date = hmac.new(b"TC3" + secret_key.encode(), date.encode(), hashlib.sha256).digest()
    secret_service = hmac.new(secret_date, service.encode(), hashlib.sha256).digest()
    secret_signing = hmac.new(secret_service, b"tc3_request", hashlib.sha256).digest()
    return hmac.new(secret_signing, string_to_sign.encode(), hashlib.sha256).hexdigest()


@dataclass
class FakeTencent:
    keys: dict[str, str]  # SecretId -> SecretKey the fake account accepts
    sms_sdk_app_id: str = "1400006666"
    voice_sdk_app_id: str = "1400007777"
    now_s: Callable[[], float] = time.time
    sends: list[Sent] = field(default_factory=list)
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # every verified request
    rejected: list[str] = field(default_factory=list)  # error codes it answered
    outcomes: list[Outcome] = field(default_factory=list)  # what to do with the next send requests
    hanging: asyncio.Event = field(default_factory=asyncio.Event)  # set once a request hangs
    _queue: list[dict[str, Any]] = field(default_factory=list)  # PullSmsSendStatus: not yet pulled
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _runner: web.AppRunner | None = None
    port: int = 0

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> FakeTencent:
        app = web.Application()
        app.router.add_post("/", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        self._stop.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeTencent:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- what the tests look at --------------------------------------------------------------

    def sends_to(self, phone: str) -> list[Sent]:
        return [s for s in self.sends if s.phone == phone]

    def deliver(self, provider_id: str, ok: bool = True, at_s: int | None = None) -> dict[str, Any]:
        """The carrier's receipt for an SMS: from now on the pulls answer it."""
        sent = next(s for s in self.sends if s.provider_id == provider_id)
        at = int(self.now_s()) if at_s is None else at_s
        row = {
            "Description": "DELIVRD" if ok else "MK:0001",
            "CountryCode": "86",
            "SubscriberNumber": sent.phone.removeprefix("+86"),
            "ReportStatus": "SUCCESS" if ok else "FAIL",
            "PhoneNumber": sent.phone,
            "SerialNo": sent.provider_id,
            "UserReceiveTime": at,
            "SessionContext": sent.session_context,
        }
        sent.delivered = row
        self._queue.append(row)
        return row

    # -- the API -------------------------------------------------------------------------------

    def _answer(self, response: dict[str, Any]) -> web.Response:
        response["RequestId"] = str(uuid.uuid4())
        return web.json_response({"Response": response})

    def _error(self, code: str, message: str) -> web.Response:
        self.rejected.append(code)
        return self._answer({"Error": {"Code": code, "Message": message}})

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        action = request.headers.get("X-TC-Action", "")
        if action not in SERVICE_OF:
            return self._error("InvalidAction", f"unknown action {action!r}")
        service, version = SERVICE_OF[action]
        if request.headers.get("X-TC-Version") != version:
            return self._error("InvalidParameterValue", "X-TC-Version")
        problem = self._check_signature(request, body, service)
        if problem is not None:
            return self._error(*problem)
        try:
            params = json.loads(body)
        except ValueError:
            return self._error("FailedOperation.JsonParseFail", "body")
        self.requests.append((action, params))
        if action == "SendSms":
            return await self._send_sms(params)
        if action == "SendTtsVoice":
            return await self._send_tts(params)
        if action == "PullSmsSendStatusByPhoneNumber":
            return self._pull_by_phone(params)
        return self._pull_queue(params)

    def _check_signature(self, request: web.Request, body: bytes, service: str) -> tuple[str, str] | None:
        auth = AUTH_RE.match(request.headers.get("Authorization", ""))
        if auth is None:
            return ("AuthFailure.InvalidAuthorization", "Authorization")
        secret_key = self.keys.get(auth["id"])
        if secret_key is None:
            return ("AuthFailure.SecretIdNotFound", "SecretId")
        timestamp = request.headers.get("X-TC-Timestamp", "")
        if not timestamp.isdigit():
            return ("InvalidParameter", "X-TC-Timestamp")
        if abs(self.now_s() - int(timestamp)) > MAX_SKEW_S:
            return ("AuthFailure.SignatureExpire", "signature expired")
        if auth["date"] != datetime.fromtimestamp(int(timestamp), UTC).strftime("%Y-%m-%d"):
            return ("AuthFailure.SignatureFailure", "credential date is not the UTC date of the timestamp")
        if auth["service"] != service:
            return ("AuthFailure.SignatureFailure", "credential service")
        signed = auth["signed"].split(";")
        if "content-type" not in signed or "host" not in signed or signed != sorted(signed):
            return ("AuthFailure.SignatureFailure", "SignedHeaders")
        # CanonicalHeaders: "key:value\n" for each signed header, key and value lower-cased and
        # trimmed, in SignedHeaders' (ASCII) order; the URI is "/", the query string empty.
        canonical_headers = "".join(f"{h}:{request.headers.get(h, '').strip().lower()}\n" for h in signed)
        canonical_request = "\n".join(
            [
                request.method,
                request.path,
                request.query_string,
                canonical_headers,
                auth["signed"],
                _sha256_hex(body),
            ]
        )
        want = expected_signature(secret_key, auth["date"], service, timestamp, canonical_request)
        if not hmac.compare_digest(want, auth["sig"]):
            return ("AuthFailure.SignatureFailure", "signature mismatch")
        return None

    def _next_outcome(self) -> Outcome | None:
        return self.outcomes.pop(0) if self.outcomes else None

    async def _outcome(self, outcome: Outcome | None, taken: Sent) -> web.StreamResponse | None:
        if isinstance(outcome, ApiError):
            return self._error(outcome.code, outcome.message)
        if isinstance(outcome, HttpStatus):
            self.rejected.append(f"http_{outcome.status}")
            return web.Response(status=outcome.status, text="fake upstream failure")
        if isinstance(outcome, Hang):
            self.sends.append(taken)
            self.hanging.set()
            await self._stop.wait()
            return web.Response(status=504)
        return None

    async def _send_sms(self, p: dict[str, Any]) -> web.StreamResponse:
        if p.get("SmsSdkAppId") != self.sms_sdk_app_id:
            return self._error("InvalidParameterValue.SdkAppIdNotExist", "SmsSdkAppId")
        phones = p.get("PhoneNumberSet")
        if not isinstance(phones, list) or not phones or not isinstance(p.get("TemplateParamSet", []), list):
            return self._error("InvalidParameter", "PhoneNumberSet")
        phone = str(phones[0])
        taken = Sent(
            "SendSms",
            f"5000:{uuid.uuid4().int % 10**28}",
            phone,
            str(p.get("SessionContext", "")),
            p,
            int(self.now_s()),
        )
        outcome = self._next_outcome()
        answered = await self._outcome(outcome, taken)
        if answered is not None:
            return answered
        status = {
            "SerialNo": taken.provider_id,
            "PhoneNumber": phone,
            "Fee": 1,
            "SessionContext": taken.session_context,
            "Code": "Ok",
            "Message": "send success",
            "IsoCode": "CN",
        }
        if isinstance(outcome, NumberError):
            self.rejected.append(outcome.code)
            status.update(SerialNo="", Fee=0, Code=outcome.code, Message=outcome.message)
        elif not re.fullmatch(r"\+861\d{10}", phone):
            self.rejected.append("InvalidParameterValue.IncorrectPhoneNumber")
            status.update(
                SerialNo="", Fee=0, Code="InvalidParameterValue.IncorrectPhoneNumber", Message="phone"
            )
        else:
            self.sends.append(taken)
        return self._answer({"SendStatusSet": [status]})

    async def _send_tts(self, p: dict[str, Any]) -> web.StreamResponse:
        if p.get("VoiceSdkAppid") != self.voice_sdk_app_id:
            return self._error("InvalidParameterValue.SdkAppidNotExist", "VoiceSdkAppid")
        phone = str(p.get("CalledNumber", ""))
        if not re.fullmatch(r"\+86\d{9,11}", phone):
            return self._error("InvalidParameterValue.CalledNumberVerifyFail", "CalledNumber")
        taken = Sent(
            "SendTtsVoice", str(uuid.uuid1()), phone, str(p.get("SessionContext", "")), p, int(self.now_s())
        )
        outcome = self._next_outcome()
        answered = await self._outcome(outcome, taken)
        if answered is not None:
            return answered
        if isinstance(outcome, NumberError):
            return self._error(outcome.code, outcome.message)
        self.sends.append(taken)
        return self._answer(
            {"SendStatus": {"CallId": taken.provider_id, "SessionContext": taken.session_context}}
        )

    def _pull_by_phone(self, p: dict[str, Any]) -> web.Response:
        if p.get("SmsSdkAppId") != self.sms_sdk_app_id:
            return self._error("InvalidParameterValue.SdkAppIdNotExist", "SmsSdkAppId")
        begin, end, limit = int(p["BeginTime"]), int(p["EndTime"]), int(p["Limit"])
        if begin < self.now_s() - 7 * 24 * 3600:
            return self._error("InvalidParameterValue.BeginTimeVerifyFail", "BeginTime")
        if end < begin:
            return self._error("InvalidParameterValue.EndTimeVerifyFail", "EndTime")
        if not 0 < limit <= 100:
            return self._error("InvalidParameterValue.LimitVerifyFail", "Limit")
        rows = [
            s.delivered
            for s in self.sends
            if s.delivered is not None
            and s.phone == p["PhoneNumber"]
            and begin <= int(s.delivered["UserReceiveTime"]) <= end
        ]
        return self._answer({"PullSmsSendStatusSet": rows[:limit]})

    def _pull_queue(self, p: dict[str, Any]) -> web.Response:
        if p.get("SmsSdkAppId") != self.sms_sdk_app_id:
            return self._error("InvalidParameterValue.SdkAppIdNotExist", "SmsSdkAppId")
        limit = int(p["Limit"])
        rows, self._queue = self._queue[:limit], self._queue[limit:]
        return self._answer({"PullSmsSendStatusSet": rows})

    # -- callbacks, in the documented bodies ---------------------------------------------------

    @staticmethod
    async def post(url: str, body: Any) -> tuple[int, bytes]:
        async with aiohttp.ClientSession() as session, session.post(url, json=body) as resp:
            return resp.status, await resp.read()

    def sms_status_body(
        self,
        provider_id: str,
        ok: bool = True,
        receive_time: str = "2015-10-17 08:03:04",
        with_ext: bool = True,
    ) -> list[dict[str, Any]]:
        sent = next(s for s in self.sends if s.provider_id == provider_id)
        row = {
            "user_receive_time": receive_time,
            "nationcode": "86",
            "mobile": sent.phone.removeprefix("+86"),
            "report_status": "SUCCESS" if ok else "FAIL",
            "errmsg": "DELIVRD" if ok else "MK:0001",
            "description": "用户短信送达成功" if ok else "用户短信送达失败",
            "sid": sent.provider_id,
        }
        if with_ext:
            row["ext"] = sent.session_context
        return [row]

    @staticmethod
    def sms_reply_body(mobile: str, text: str, at_s: int, sign: str = "短信签名") -> dict[str, Any]:
        return {"extend": "", "mobile": mobile, "nationcode": "86", "sign": sign, "text": text, "time": at_s}

    def voice_status_body(
        self, call_id: str, result: str, start: int, accept: int, end: int
    ) -> dict[str, Any]:
        sent = next(s for s in self.sends if s.provider_id == call_id)
        return {
            "voiceprompt_callback": {
                "result": result,
                "accept_time": str(accept),
                "call_from": "",
                "callid": call_id,
                "end_calltime": str(end),
                "fee": "1",
                "mobile": sent.phone.removeprefix("+86"),
                "nationcode": "86",
                "start_calltime": str(start),
            }
        }

    def keypress_body(self, call_id: str, key: str) -> dict[str, Any]:
        sent = next(s for s in self.sends if s.provider_id == call_id)
        return {
            "voicekey_callback": {
                "call_from": "",
                "callid": call_id,
                "keypress": key,
                "mobile": sent.phone.removeprefix("+86"),
                "nationcode": "86",
            }
        }

    def voice_failure_body(self, call_id: str, code: int, reason: str) -> dict[str, Any]:
        sent = next(s for s in self.sends if s.provider_id == call_id)
        return {
            "voice_failure_callback": {
                "call_from": "075583763333",
                "callid": call_id,
                "failure_code": code,
                "failure_reason": reason,
                "mobile": sent.phone.removeprefix("+86"),
                "nationcode": "86",
            }
        }
