"""AliyunProvider against a local fake of Alibaba Cloud's SMS + VMS RPC API, over real HTTP.

The fake (tests/gateway/fake_aliyun.py) checks the ACS3-HMAC-SHA256 signature with code of its
own; the documented examples (tests/gateway/docs/aliyun) are reproduced exactly. Nothing sleeps:
a timeout is the adapter's own (short) request timeout against a fake that holds its answer.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from console.gateway.provider import (
    Accepted,
    Callback,
    CallbackRefused,
    Message,
    Provider,
    Refused,
    Reply,
    Report,
)
from console.gateway.providers.aliyun import AliyunConfig, AliyunProvider, authorization, shanghai_ns
from tests.gateway.fake_aliyun import FakeAliyun, v3_signature

DOCS = Path(__file__).parent / "docs" / "aliyun"
KEY_ID, SECRET = "LTAI5tFakeKeyId", "FakeSecret0123456789"
PHONE = "13800138000"
BEIJING = timezone(timedelta(hours=8))


def doc(name: str) -> Any:
    return json.loads((DOCS / name).read_text(encoding="utf-8"))


def sms(out_id: str = "req-1", phone: str = PHONE) -> Message:
    return Message(
        out_id=out_id,
        channel="sms",
        phone=phone,
        template="SMS_154950909",
        params={"address": "渝中区解放碑街道 8 号", "kind": "跌倒", "no": "A-0042"},
        sign="守护台",
    )


def call(out_id: str = "req-2", phone: str = PHONE) -> Message:
    return Message(
        out_id=out_id,
        channel="voice",
        phone=phone,
        template="TTS_10001",
        params={"no": "A-0042"},
        called_show_number="02388886666",
    )


def run(body: Callable[..., Awaitable[None]], **config: Any) -> None:
    async def main() -> None:
        fake = FakeAliyun({KEY_ID: SECRET})
        url = await fake.start()
        settings: dict[str, Any] = {"access_key_id": KEY_ID, "access_key_secret": SECRET}
        settings.update(sms_endpoint=url, vms_endpoint=url, timeout_s=2.0)
        settings.update(config)
        provider = AliyunProvider(AliyunConfig(**settings))
        try:
            await body(fake, provider)
        finally:
            await provider.close()
            await fake.stop()

    asyncio.run(main())


# --- the signature -----------------------------------------------------------------------------


@pytest.mark.parametrize("example", doc("signature_v3_examples.json")["examples"])
def test_documented_signature_is_reproduced(example: dict[str, Any]) -> None:
    got = authorization(
        example["access_key_id"],
        example["access_key_secret"],
        example["method"],
        example["path"],
        example["query"],
        example["headers"],
        example["payload_sha256"],
    )
    assert got == example["authorization"]
    # the fake's own verifier agrees on the documented example
    signed = sorted(example["headers"])
    sig, _ = v3_signature(
        example["access_key_secret"],
        "POST",
        "/",
        list(example["query"].items()),
        example["headers"],
        signed,
        b"",
    )
    assert example["authorization"].endswith(f"Signature={sig}")


def test_the_provider_signs_the_documented_example() -> None:
    """The adapter's request headers, with the example's clock and nonce, carry its signature."""
    import yarl

    example = doc("signature_v3_examples.json")["examples"][0]
    at = datetime(2023, 10, 26, 10, 22, 32, tzinfo=UTC)
    provider = AliyunProvider(
        AliyunConfig("YourAccessKeyId", "YourAccessKeySecret"),
        clock_ns=lambda: int(at.timestamp()) * 10**9,
        nonce=lambda: "3156853299f313e23d1673dc12e1703d",
    )
    headers = provider.signed_headers(
        yarl.URL("https://ecs.cn-shanghai.aliyuncs.com"), "RunInstances", "2014-05-26", example["query"]
    )
    assert headers["Authorization"] == example["authorization"]


# --- send --------------------------------------------------------------------------------------


def test_sms_is_accepted_with_the_documented_parameters() -> None:
    async def body(fake: FakeAliyun, provider: AliyunProvider) -> None:
        result = await provider.send(sms())
        assert isinstance(result, Accepted)
        assert [s.provider_id for s in fake.sends] == [result.provider_id]
        sent = fake.sends[0]
        assert sent.action == "SendSms"
        assert sent.params == {
            "PhoneNumbers": PHONE,
            "SignName": "守护台",
            "TemplateCode": "SMS_154950909",
            "TemplateParam": json.dumps(dict(sms().params), ensure_ascii=False, separators=(",", ":")),
            "OutId": "req-1",
        }
        assert json.loads(sent.params["TemplateParam"]) == dict(sms().params)
        headers = fake.requests[-1]
        assert headers["authorization"].startswith(f"ACS3-HMAC-SHA256 Credential={KEY_ID},SignedHeaders=")
        assert headers["x-acs-version"] == "2017-05-25"

    run(body)


def test_voice_call_is_accepted() -> None:
    async def body(fake: FakeAliyun, provider: AliyunProvider) -> None:
        result = await provider.send(call())
        assert isinstance(result, Accepted)
        (sent,) = fake.sends
        assert sent.action == "SingleCallByTts" and sent.provider_id == result.provider_id
        assert sent.params == {
            "CalledNumber": PHONE,
            "CalledShowNumber": "02388886666",
            "TtsCode": "TTS_10001",
            "TtsParam": '{"no":"A-0042"}',
            "OutId": "req-2",
        }

    run(body)


def test_a_wrong_secret_is_refused_by_the_signature_check() -> None:
    async def body(fake: FakeAliyun, provider: AliyunProvider) -> None:
        result = await provider.send(sms())
        assert isinstance(result, Refused) and result.code == "SignatureDoesNotMatch"
        assert not result.accepted_unknown
        assert fake.sends == []
        assert [(r.status, r.code) for r in fake.rejected] == [(400, "SignatureDoesNotMatch")]

    run(body, access_key_secret="not-the-secret")


def test_an_unknown_key_is_refused() -> None:
    async def body(fake: FakeAliyun, provider: AliyunProvider) -> None:
        result = await provider.send(call())
        assert isinstance(result, Refused) and result.code == "InvalidAccessKeyId.NotFound"
        assert fake.sends == [] and fake.rejected[0].status == 404

    run(body, access_key_id="LTAI-unknown")


@pytest.mark.parametrize("code", ["isv.BUSINESS_LIMIT_CONTROL", "Throttling.User"])
def test_a_throttle_is_retryable(code: str) -> None:
    async def body(fake: FakeAliyun, provider: AliyunProvider) -> None:
        fake.throttle_next("SendSms", code)
        result = await provider.send(sms())
        assert isinstance(result, Refused)
        assert (result.code, result.retryable, result.accepted_unknown) == (code, True, False)
        assert fake.sends == []
        assert isinstance(await provider.send(sms("req-9")), Accepted)  # the next one goes

    run(body)


@pytest.mark.parametrize(
    ("status", "code", "unknown"),
    [(500, "InternalError", True), (502, "", True), (200, "OK", True), (503, "ServiceUnavailable", False)],
)
def test_an_answer_that_may_hide_a_send_is_accepted_unknown(status: int, code: str, unknown: bool) -> None:
    async def body(fake: FakeAliyun, provider: AliyunProvider) -> None:
        fake.answer_next("SendSms", status, code, "…")  # "OK" here: without a BizId
        result = await provider.send(sms())
        assert isinstance(result, Refused)
        assert (result.retryable, result.accepted_unknown) == (True, unknown)

    run(body)


def test_the_adapter_is_a_provider() -> None:
    provider: Provider = AliyunProvider(AliyunConfig(KEY_ID, SECRET))
    assert provider.name == "aliyun" and provider.channels == {"sms", "voice"}


def test_a_5xx_is_retryable_and_not_accepted() -> None:
    async def body(fake: FakeAliyun, provider: AliyunProvider) -> None:
        fake.answer_next(
            "SingleCallByTts",
            503,
            "ServiceUnavailable",
            "The request has failed due to a temporary failure of the server.",
        )
        result = await provider.send(call())
        assert isinstance(result, Refused)
        assert (result.code, result.retryable, result.accepted_unknown) == ("ServiceUnavailable", True, False)

    run(body)


@pytest.mark.parametrize(
    ("message", "code"),
    [(sms(phone="12345"), "isv.MOBILE_NUMBER_ILLEGAL"), (call(phone="99"), "isv.CALLED_NUMBER_ILLEGAL")],
)
def test_a_bad_number_is_not_retryable(message: Message, code: str) -> None:
    async def body(fake: FakeAliyun, provider: AliyunProvider) -> None:
        result = await provider.send(message)
        assert isinstance(result, Refused)
        assert (result.code, result.retryable, result.accepted_unknown) == (code, False, False)

    run(body)


def test_a_template_error_is_not_retryable() -> None:
    async def body(fake: FakeAliyun, provider: AliyunProvider) -> None:
        fake.answer_next("SendSms", 200, "isv.SMS_TEMPLATE_ILLEGAL", "模板不合法")
        result = await provider.send(sms())
        assert isinstance(result, Refused) and result.code == "isv.SMS_TEMPLATE_ILLEGAL"
        assert not result.retryable

    run(body)


def test_a_timeout_after_sending_is_accepted_unknown_and_the_query_finds_the_send() -> None:
    async def body(fake: FakeAliyun, provider: AliyunProvider) -> None:
        fake.hold_next("SendSms")
        sent_at = provider_clock()
        result = await provider.send(sms("req-lost"))
        assert isinstance(result, Refused)
        assert (result.code, result.retryable, result.accepted_unknown) == ("timeout", True, True)
        assert len(fake.sends) == 1  # the provider did take it: the gateway must ask, not resend
        reports = await provider.query(sms("req-lost"), None, sent_at)
        assert [(r.out_id, r.status) for r in reports] == [("req-lost", "accepted")]
        assert len(fake.sends) == 1

    run(body, timeout_s=0.3)


def test_an_unreachable_endpoint_is_not_accepted_unknown() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again before the send: nothing listens there

    async def body(fake: FakeAliyun, provider: AliyunProvider) -> None:
        result = await provider.send(sms())
        assert isinstance(result, Refused)
        assert (result.code, result.retryable, result.accepted_unknown) == ("unreachable", True, False)

    run(body, sms_endpoint=f"http://127.0.0.1:{port}")


def test_logs_hold_neither_the_secret_nor_the_number(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)

    async def body(fake: FakeAliyun, provider: AliyunProvider) -> None:
        fake.throttle_next("SendSms")
        await provider.send(sms())
        assert "not-the-secret" not in repr(AliyunConfig(KEY_ID, "not-the-secret"))

    run(body)
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("console."))
    assert ours
    assert SECRET not in ours and PHONE not in ours and "138****8000" in ours


# --- query -------------------------------------------------------------------------------------


def provider_clock() -> int:
    return int(datetime.now(UTC).timestamp() * 1e9)


def test_query_by_biz_id_reports_the_delivery_at_the_providers_time() -> None:
    async def body(fake: FakeAliyun, provider: AliyunProvider) -> None:
        sent_at = provider_clock()
        first = await provider.send(sms("req-1"))
        second = await provider.send(sms("req-2"))
        assert isinstance(first, Accepted) and isinstance(second, Accepted)
        delivered = fake.deliver(first.provider_id, at=fake.sends[0].at + 3)
        fake.deliver(second.provider_id, ok=False, err_code="MK:0005")
        (report,) = await provider.query(sms("req-1"), first.provider_id, sent_at)
        assert report.status == "delivered" and report.provider_id == first.provider_id
        assert report.out_id == "req-1"
        assert report.at_ns == int(delivered.report_at or 0) * 10**9  # whole seconds, Beijing time
        (failed,) = await provider.query(sms("req-2"), second.provider_id, sent_at)
        assert (failed.status, failed.detail) == ("failed", "MK:0005")

    run(body)


def test_query_without_a_provider_id_finds_the_send_by_out_id() -> None:
    async def body(fake: FakeAliyun, provider: AliyunProvider) -> None:
        sent_at = provider_clock()
        for i in range(3):
            assert isinstance(await provider.send(sms(f"req-{i}")), Accepted)
        fake.deliver(fake.sends[1].provider_id)
        (report,) = await provider.query(sms("req-1"), None, sent_at)
        assert (report.out_id, report.status) == ("req-1", "delivered")
        assert await provider.query(sms("req-never"), None, sent_at) == []
        assert len(fake.sends) == 3

    run(body, query_page_size=1)  # the OutId is on page 2: the adapter pages


@pytest.mark.parametrize(
    ("state", "status"), [("200000", "answered"), ("200003", "no_answer"), ("200010", "failed")]
)
def test_query_a_call_by_call_id(state: str, status: str) -> None:
    async def body(fake: FakeAliyun, provider: AliyunProvider) -> None:
        sent_at = provider_clock()
        result = await provider.send(call())
        assert isinstance(result, Accepted)
        # no record before the call ends
        assert await provider.query(call(), result.provider_id, sent_at) == []
        start = fake.sends[0].at + 5
        fake.end_call(result.provider_id, state, start=start, duration_s=20)
        (report,) = await provider.query(call(), result.provider_id, sent_at)
        assert (report.out_id, report.provider_id, report.status) == ("req-2", result.provider_id, status)
        if status == "answered":
            assert report.at_ns == int(start + 20) * 10**9
        else:
            assert report.detail == state

    run(body)


# --- callbacks ---------------------------------------------------------------------------------


@asynccontextmanager
async def receiver(provider: AliyunProvider, got: list[Callback]) -> AsyncIterator[str]:
    """The gateway's side of the push, as small as it can be: provider.callback on each POST."""

    async def handle(request: web.Request) -> web.Response:
        try:
            cb = provider.callback(
                request.path, dict(request.headers), await request.read(), dict(request.query)
            )
        except CallbackRefused:
            return web.Response(status=403)
        got.append(cb)
        return web.Response(body=cb.answer, content_type="application/json", charset="utf-8")

    app = web.Application()
    app.router.add_post("/callback/aliyun/{kind}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


def test_receipts_and_replies_pushed_by_the_fake() -> None:
    async def body(fake: FakeAliyun, provider: AliyunProvider) -> None:
        first = await provider.send(sms("req-1"))
        voice = await provider.send(call("req-2"))
        assert isinstance(first, Accepted) and isinstance(voice, Accepted)
        report_at = datetime(2026, 12, 1, 23, 59, 58, tzinfo=BEIJING).timestamp()
        sent = fake.deliver(first.provider_id, at=report_at)
        got: list[Callback] = []
        async with receiver(provider, got) as base:
            url = f"{base}/callback/aliyun/%s?token=t0ken"
            status, answer = await fake.post(url % "sms_report", fake.sms_report_body(sent))
            assert status == 200 and json.loads(answer) == {"code": 0, "msg": "成功"}
            up_at = datetime(2026, 12, 2, 0, 0, 5, tzinfo=BEIJING).timestamp()
            status, _ = await fake.post(url % "sms_up", fake.sms_up_body(PHONE, " 1 ", up_at))
            assert status == 200
            ended = fake.end_call(voice.provider_id, "200000", start=report_at, duration_s=12)
            status, _ = await fake.post(url % "voice_report", fake.voice_report_body(ended))
            assert status == 200
            status, _ = await fake.post(
                url % "voice_call_report", fake.voice_call_report_body(ended, "2", up_at)
            )
            assert status == 200
            status, _ = await fake.post(
                url.replace("t0ken", "wrong") % "sms_up", fake.sms_up_body(PHONE, "1", up_at)
            )
            assert status == 403
        assert len(got) == 4  # the refused one is not among them
        # 2026-12-01 23:59:58 in Beijing is 15:59:58 UTC; 2026-12-02 00:00:05 is 16:00:05 UTC
        utc = datetime(2026, 12, 1, 15, 59, 58, tzinfo=UTC)
        assert got[0].reports == [
            Report("req-1", first.provider_id, "delivered", int(utc.timestamp()) * 10**9)
        ]
        up_ns = int(datetime(2026, 12, 1, 16, 0, 5, tzinfo=UTC).timestamp()) * 10**9
        assert got[1].replies == [Reply("", PHONE, up_ns, text="1", provider_id="1234567890")]
        end_ns = int(utc.timestamp() + 12) * 10**9
        assert got[2].reports == [Report("req-2", voice.provider_id, "answered", end_ns)]
        (key,) = got[3].replies
        assert (key.out_id, key.key, key.at_ns) == ("req-2", "2", up_ns)

    run(body, callback_token="t0ken")


def test_documented_callback_bodies_are_parsed_with_the_providers_times() -> None:
    provider = AliyunProvider(AliyunConfig(KEY_ID, SECRET))
    report_doc = doc("sms_report.json")
    cb = provider.callback("/callback/aliyun/sms_report", {}, json.dumps(report_doc["body"]).encode(), {})
    # 2017-01-01 00:00:00 Beijing = 2016-12-31 16:00:00 UTC = 1483200000 s
    assert cb.reports == [Report("67890**", "12345********", "delivered", 1_483_200_000 * 10**9)]
    assert json.loads(cb.answer) == {"code": 0, "msg": "成功"}

    for key in ("body", "body_older"):
        up = provider.callback(
            "/callback/aliyun/sms_up", {}, json.dumps(doc("sms_up.json")[key]).encode(), {}
        )
        # 2017-09-01 00:00:00 Beijing = 2017-08-31 16:00:00 UTC
        assert up.replies == [
            Reply("", "1381111****", 1_504_195_200 * 10**9, text="内容", provider_id="1234567890")
        ]

    voice = provider.callback(
        "/callback/aliyun/voice_report", {}, json.dumps(doc("voice_report.json")["body"]).encode(), {}
    )
    end = datetime(2023, 3, 15, 14, 46, 30, tzinfo=BEIJING)
    assert voice.reports == [
        Report("4*************2", "1***********3^1***********2", "answered", int(end.timestamp()) * 10**9)
    ]

    keys = provider.callback(
        "/callback/aliyun/voice_call_report",
        {},
        json.dumps(doc("voice_call_report.json")["body"]).encode(),
        {},
    )
    (reply,) = keys.replies
    assert (reply.out_id, reply.key, reply.phone) == ("4*************2", "1", "")
    assert reply.at_ns == int(datetime(2023, 3, 6, 16, 21, 12, tzinfo=BEIJING).timestamp()) * 10**9


def test_a_failed_receipt_and_a_missed_call() -> None:
    provider = AliyunProvider(AliyunConfig(KEY_ID, SECRET))
    item = dict(doc("sms_report.json")["body"][0], success=False, err_code="MK:0005", err_msg="失败")
    (report,) = provider.callback("/callback/aliyun/sms_report", {}, json.dumps([item]).encode(), {}).reports
    assert (report.status, report.detail) == ("failed", "MK:0005")
    missed = dict(
        doc("voice_report.json")["body"][0],
        status_code="200003",
        smart_status_code="NO_ANSWER",
        start_time="",
        end_time="",
    )
    (report,) = provider.callback(
        "/callback/aliyun/voice_report", {}, json.dumps([missed]).encode(), {}
    ).reports
    assert (report.status, report.detail) == ("no_answer", "200003")
    assert report.at_ns == shanghai_ns("2023-03-15 14:46:12")  # the ring time, the latest one known


@pytest.mark.parametrize(
    ("query", "body"),
    [
        ({"token": "wrong"}, b"[]"),
        ({}, b"[]"),
        ({"token": "t0ken"}, b"not json"),
        ({"token": "t0ken"}, b"[1]"),
    ],
)
def test_a_bad_token_or_body_is_refused(query: dict[str, str], body: bytes) -> None:
    provider = AliyunProvider(AliyunConfig(KEY_ID, SECRET, callback_token="t0ken"))
    with pytest.raises(CallbackRefused):
        provider.callback("/callback/aliyun/sms_report", {}, body, query)


def test_an_unknown_callback_path_is_refused() -> None:
    provider = AliyunProvider(AliyunConfig(KEY_ID, SECRET))
    with pytest.raises(CallbackRefused):
        provider.callback("/callback/aliyun/nonsense", {}, b"[]", {})
