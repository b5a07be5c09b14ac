"""The Tencent Cloud adapter against tests/gateway/fake_tencent.py over real HTTP on loopback.

The fake checks the TC3-HMAC-SHA256 signature with its own code (it imports nothing of the
adapter's signer); the documented examples these tests hold the adapter to are in
tests/gateway/docs/tencent/. Nothing sleeps: a test awaits the answer or the event it needs (the
one timeout test waits out the adapter's own short request timeout).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import socket
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
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
from console.gateway.providers.tencent import (
    TencentConfig,
    TencentProvider,
    TencentQueryError,
    e164,
    tc3_authorization,
    template_values,
)
from tests.gateway.fake_tencent import (
    ApiError,
    FakeTencent,
    Hang,
    HttpStatus,
    NumberError,
    expected_signature,
)

DOCS = Path(__file__).parent / "docs" / "tencent"
SECRET_ID = "AKID-test-only-not-a-key"
SECRET_KEY = "test-only-secret-key-0123456789ab"
PHONE = "13800138000"


def doc(name: str) -> Any:
    return json.loads((DOCS / name).read_text("utf-8"))


def run(coro: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(coro())


def sms(out_id: str = "req-1", phone: str = PHONE, params: dict[str, str] | None = None) -> Message:
    return Message(
        out_id=out_id,
        channel="sms",
        phone=phone,
        template="1110",
        params=params
        if params is not None
        else {"address": "渝中区解放碑街道12号", "kind": "跌倒", "no": "A-0042"},
        sign="守护台",
    )


def call(out_id: str = "req-v1", phone: str = PHONE) -> Message:
    return Message(
        out_id=out_id, channel="voice", phone=phone, template="4356", params={"kind": "跌倒", "no": "42"}
    )


@asynccontextmanager
async def world(
    secret_key: str = SECRET_KEY, now_ns: Callable[[], int] = time.time_ns, **config: Any
) -> AsyncIterator[tuple[FakeTencent, TencentProvider]]:
    async with FakeTencent(keys={SECRET_ID: SECRET_KEY}) as fake:
        settings: dict[str, Any] = {
            "sms_sdk_app_id": fake.sms_sdk_app_id,
            "voice_sdk_app_id": fake.voice_sdk_app_id,
            "sms_endpoint": fake.endpoint,
            "vms_endpoint": fake.endpoint,
            "timeout_s": 5.0,
        }
        settings.update(config)
        provider = TencentProvider(TencentConfig(SECRET_ID, secret_key, **settings), now_ns=now_ns)
        try:
            yield fake, provider
        finally:
            await provider.close()


@asynccontextmanager
async def callback_server(provider: TencentProvider) -> AsyncIterator[tuple[str, list[Callback]]]:
    """The gateway's side of a callback, as its HTTP server would do it: 200 + the answer, or 403."""
    got: list[Callback] = []

    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        try:
            cb = provider.callback(request.path, request.headers, body, request.query)
        except CallbackRefused as e:
            return web.Response(status=403, text=str(e))
        got.append(cb)
        return web.Response(body=cb.answer, content_type=cb.content_type)

    app = web.Application()
    app.router.add_post("/callback/tencent/{kind}", handle)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/callback/tencent", got
    finally:
        await runner.cleanup()


# --- the documented signature example -------------------------------------------------------------


@pytest.mark.parametrize("edition", [0, 1])
def test_the_documented_signature_example_is_reproduced(edition: int) -> None:
    ex = doc("signature_v3_example.json")
    ed = ex["editions"][edition]
    req = ex["request"]
    auth = tc3_authorization(
        ed["secret_id"],
        ed["secret_key"],
        ex["service"],
        req["headers"]["Host"],
        req["headers"]["Content-Type"],
        req["body"].encode("utf-8"),
        ex["timestamp"],
    )
    assert auth == ed["authorization"]
    # the fake's own verifier agrees with the documentation too (else its check proves nothing)
    fake_sig = expected_signature(
        ed["secret_key"], "2019-02-25", "cvm", "1551113065", ex["canonical_request"]
    )
    assert fake_sig == ed["signature"]


# --- send -----------------------------------------------------------------------------------------


def test_sms_is_accepted_with_the_documented_request() -> None:
    async def main() -> None:
        async with world() as (fake, provider):
            result = await provider.send(sms())
            assert isinstance(result, Accepted)
            assert [s.provider_id for s in fake.sends] == [result.provider_id]
            action, params = fake.requests[0]
            assert action == "SendSms"
            assert params == {
                "PhoneNumberSet": ["+8613800138000"],
                "SmsSdkAppId": fake.sms_sdk_app_id,
                "SignName": "守护台",
                "TemplateId": "1110",
                "TemplateParamSet": ["渝中区解放碑街道12号", "跌倒", "A-0042"],  # the mapping's order
                "SessionContext": "req-1",
            }
            assert set(params) <= set(doc("api_SendSms.json")["request"])

    run(main)


def test_voice_call_is_accepted_with_the_documented_request() -> None:
    async def main() -> None:
        async with world(play_times=3) as (fake, provider):
            result = await provider.send(call())
            assert isinstance(result, Accepted)
            assert fake.sends[0].action == "SendTtsVoice" and fake.sends[0].provider_id == result.provider_id
            assert fake.requests[0][0] == "SendTtsVoice"
            params = fake.requests[0][1]
            assert params == {
                "TemplateId": "4356",
                "TemplateParamSet": ["跌倒", "42"],
                "CalledNumber": "+8613800138000",
                "VoiceSdkAppid": fake.voice_sdk_app_id,
                "PlayTimes": 3,
                "SessionContext": "req-v1",
            }
            assert set(params) == set(doc("api_SendTtsVoice.json")["request"])

    run(main)


def test_the_fake_answers_with_the_documented_keys() -> None:
    async def main() -> None:
        async with world() as (fake, provider):
            sent = await provider._call(
                "sms",
                fake.endpoint,
                "SendSms",
                "2021-01-11",
                doc("api_SendSms.json")["request"]
                | {"SmsSdkAppId": fake.sms_sdk_app_id, "PhoneNumberSet": ["+8613800138000"]},
            )
            assert isinstance(sent, dict)
            documented = doc("api_SendSms.json")["response"]["Response"]
            assert set(sent) == set(documented)
            assert set(sent["SendStatusSet"][0]) == set(documented["SendStatusSet"][0])
            call_doc = doc("api_SendTtsVoice.json")
            voiced = await provider._call(
                "vms",
                fake.endpoint,
                "SendTtsVoice",
                "2020-09-02",
                call_doc["request"] | {"VoiceSdkAppid": fake.voice_sdk_app_id},
            )
            assert isinstance(voiced, dict)
            assert set(voiced) == set(call_doc["response"]["Response"])
            assert set(voiced["SendStatus"]) == set(call_doc["response"]["Response"]["SendStatus"])
            fake.deliver(sent["SendStatusSet"][0]["SerialNo"])
            pull_doc = doc("api_PullSmsSendStatusByPhoneNumber.json")
            now = int(time.time())
            pulled = await provider._call(
                "sms",
                fake.endpoint,
                "PullSmsSendStatusByPhoneNumber",
                "2021-01-11",
                pull_doc["request"]
                | {
                    "SmsSdkAppId": fake.sms_sdk_app_id,
                    "PhoneNumber": "+8613800138000",
                    "BeginTime": now - 60,
                    "EndTime": now + 60,
                },
            )
            assert isinstance(pulled, dict)
            assert set(pulled["PullSmsSendStatusSet"][0]) == set(
                pull_doc["response"]["Response"]["PullSmsSendStatusSet"][0]
            )

    run(main)


def test_it_is_a_provider_and_its_endpoints_are_checked() -> None:
    provider: Provider = TencentProvider(
        TencentConfig(SECRET_ID, SECRET_KEY, sms_sdk_app_id="1")
    )  # mypy checks it
    assert provider.name == "tencent" and provider.channels == frozenset({"sms"})
    with pytest.raises(ValueError):
        TencentConfig(SECRET_ID, SECRET_KEY, sms_endpoint="sms.tencentcloudapi.com")
    TencentConfig(SECRET_ID, SECRET_KEY, vms_endpoint="http://10.0.0.5:8080")  # a private deployment


def test_template_order_and_numbers() -> None:
    assert template_values({"2": "b", "10": "j", "1": "a"}) == ["a", "b", "j"]  # {1} {2} ... {10}
    assert template_values({"address": "x", "kind": "y"}) == ["x", "y"]
    assert e164("13800138000") == "+8613800138000"
    assert e164("+86 138-0013-8000") == "+8613800138000"
    assert e164("008613800138000") == "+8613800138000"
    assert e164("023-6386 1234") == "+862363861234"  # a Chongqing landline loses its trunk 0


def test_a_wrong_key_is_refused_by_the_fakes_check_and_nothing_is_sent() -> None:
    async def main() -> None:
        async with world(secret_key="not-the-key") as (fake, provider):
            result = await provider.send(sms())
            assert isinstance(result, Refused)
            assert result.code == "AuthFailure.SignatureFailure"
            assert not result.accepted_unknown
            assert fake.sends == [] and fake.rejected == ["AuthFailure.SignatureFailure"]
            assert "not-the-key" not in repr(provider)

    run(main)


def test_a_stale_timestamp_is_refused_as_expired() -> None:
    async def main() -> None:
        async with world(now_ns=lambda: time.time_ns() - 6 * 60 * 1_000_000_000) as (fake, provider):
            result = await provider.send(call())
            assert isinstance(result, Refused) and result.code == "AuthFailure.SignatureExpire"
            assert fake.sends == []

    run(main)


def test_the_fake_rejects_a_signature_over_another_body() -> None:
    """The fake's check can fail: sign one body, send another."""

    async def main() -> None:
        async with FakeTencent(keys={SECRET_ID: SECRET_KEY}) as fake:
            host = f"127.0.0.1:{fake.port}"
            ts = int(time.time())
            signed = b'{"Limit": 1}'
            headers = {
                "Authorization": tc3_authorization(
                    SECRET_ID, SECRET_KEY, "sms", host, "application/json; charset=utf-8", signed, ts
                ),
                "Content-Type": "application/json; charset=utf-8",
                "Host": host,
                "X-TC-Action": "PullSmsSendStatus",
                "X-TC-Version": "2021-01-11",
                "X-TC-Timestamp": str(ts),
                "X-TC-Region": "ap-guangzhou",
            }
            body = json.dumps({"Limit": 100, "SmsSdkAppId": fake.sms_sdk_app_id}).encode()
            async with (
                aiohttp.ClientSession() as s,
                s.post(fake.endpoint + "/", data=body, headers=headers) as resp,
            ):
                answer = await resp.json()
            assert answer["Response"]["Error"]["Code"] == "AuthFailure.SignatureFailure"
            assert "RequestId" in answer["Response"]

    run(main)


def test_a_throttle_or_a_limit_is_retryable() -> None:
    async def main() -> None:
        async with world() as (fake, provider):
            fake.outcomes = [
                ApiError("RequestLimitExceeded"),
                NumberError("LimitExceeded.PhoneNumberDailyLimit"),
            ]
            first = await provider.send(sms("a"))
            second = await provider.send(sms("b"))
            for r, code in ((first, "RequestLimitExceeded"), (second, "LimitExceeded.PhoneNumberDailyLimit")):
                assert isinstance(r, Refused) and r.code == code
                assert r.retryable and not r.accepted_unknown
            assert fake.sends == []

    run(main)


def test_a_bad_number_or_template_is_not_retryable() -> None:
    async def main() -> None:
        async with world() as (fake, provider):
            fake.outcomes = [NumberError("FailedOperation.TemplateIncorrectOrUnapproved")]
            template = await provider.send(sms("a"))
            number = await provider.send(sms("b", phone="12345"))
            bad_callee = await provider.send(call("c", phone="12"))
            assert (
                isinstance(template, Refused)
                and template.code == "FailedOperation.TemplateIncorrectOrUnapproved"
            )
            assert isinstance(number, Refused) and number.code == "InvalidParameterValue.IncorrectPhoneNumber"
            assert (
                isinstance(bad_callee, Refused)
                and bad_callee.code == "InvalidParameterValue.CalledNumberVerifyFail"
            )
            assert not any(r.retryable for r in (template, number, bad_callee))
            assert fake.sends == []

    run(main)


def test_a_timeout_after_sending_is_accepted_unknown_and_the_query_finds_the_send() -> None:
    """Tencent took the SMS but the answer never came (as after a crash): the gateway must ask, and
    the pull by number finds it by its SessionContext; nothing is sent twice."""

    async def main() -> None:
        async with world(timeout_s=0.5) as (fake, provider):
            fake.outcomes = [Hang()]
            sent_at = time.time_ns()
            result = await provider.send(sms("req-lost"))
            assert fake.hanging.is_set()
            assert isinstance(result, Refused) and result.code == "timeout"
            assert result.retryable and result.accepted_unknown
            assert await provider.query(sms("req-lost"), None, sent_at) == []  # no receipt yet
            serial = fake.sends[0].provider_id
            fake.deliver(serial)
            reports = await provider.query(sms("req-lost"), None, sent_at)
            assert [(r.out_id, r.provider_id, r.status) for r in reports] == [
                ("req-lost", serial, "delivered")
            ]
            assert len(fake.sends_to("+8613800138000")) == 1

    run(main)


def test_a_5xx_is_retryable_and_may_have_been_taken() -> None:
    async def main() -> None:
        async with world() as (fake, provider):
            fake.outcomes = [HttpStatus(502)]
            result = await provider.send(sms())
            assert isinstance(result, Refused) and result.code == "http_5xx"
            assert result.retryable and result.accepted_unknown

    run(main)


def test_an_unreachable_endpoint_was_not_sent() -> None:
    async def main() -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        provider = TencentProvider(
            TencentConfig(
                SECRET_ID, SECRET_KEY, sms_sdk_app_id="1400006666", sms_endpoint=f"http://127.0.0.1:{port}"
            )
        )
        try:
            result = await provider.send(sms())
            assert isinstance(result, Refused) and result.code == "unreachable"
            assert result.retryable and not result.accepted_unknown
            with pytest.raises(TencentQueryError):
                await provider.query(sms(), "5000:1", time.time_ns())
        finally:
            await provider.close()

    run(main)


# --- query ----------------------------------------------------------------------------------------


def test_status_pull_by_serial_no() -> None:
    async def main() -> None:
        async with world() as (fake, provider):
            sent_at = time.time_ns()
            a = await provider.send(sms("req-a"))
            b = await provider.send(sms("req-b"))
            assert isinstance(a, Accepted) and isinstance(b, Accepted)
            assert await provider.query(sms("req-a"), a.provider_id, sent_at) == []
            row = fake.deliver(a.provider_id, ok=False)
            fake.deliver(b.provider_id)
            got = await provider.query(sms("req-a"), a.provider_id, sent_at)
            assert got == [
                Report("req-a", a.provider_id, "failed", row["UserReceiveTime"] * 1_000_000_000, "MK:0001")
            ]
            assert await provider.query(call("req-v"), "any", sent_at) == []  # no pull for calls
            assert len(fake.sends) == 2

    run(main)


def test_the_queue_pull_returns_each_receipt_once() -> None:
    async def main() -> None:
        async with world() as (fake, provider):
            a = await provider.send(sms("req-a"))
            b = await provider.send(sms("req-b", phone="13900139000"))
            assert isinstance(a, Accepted) and isinstance(b, Accepted)
            fake.deliver(a.provider_id)
            fake.deliver(b.provider_id)
            first = await provider.drain_sms_status_queue()
            assert {(r.out_id, r.provider_id, r.status) for r in first} == {
                ("req-a", a.provider_id, "delivered"),
                ("req-b", b.provider_id, "delivered"),
            }
            assert await provider.drain_sms_status_queue() == []

    run(main)


# --- callbacks ------------------------------------------------------------------------------------


def test_sms_status_callback_over_http_in_beijing_time() -> None:
    async def main() -> None:
        async with world() as (fake, provider), callback_server(provider) as (url, got):
            accepted = await provider.send(sms("req-cb"))
            assert isinstance(accepted, Accepted)
            body = fake.sms_status_body(accepted.provider_id, receive_time="2026-12-01 00:30:05")
            status, answer = await fake.post(f"{url}/sms_status", body)
            assert status == 200 and json.loads(answer) == doc("callback_sms_status.json")["response"]
            # 00:30:05 in Beijing is 16:30:05 UTC the day before
            utc = dt.datetime(2026, 11, 30, 16, 30, 5, tzinfo=dt.UTC)
            assert got[0].reports == [
                Report("req-cb", accepted.provider_id, "delivered", int(utc.timestamp()) * 10**9)
            ]
            failed = fake.sms_status_body(accepted.provider_id, ok=False, with_ext=False)
            await fake.post(f"{url}/sms_status", failed)
            assert got[1].reports[0].out_id == "" and got[1].reports[0].status == "failed"
            assert got[1].reports[0].detail == "MK:0001"

    run(main)


def test_sms_reply_callback_names_no_request() -> None:
    async def main() -> None:
        async with world() as (fake, provider), callback_server(provider) as (url, got):
            status, _ = await fake.post(
                f"{url}/sms_reply", fake.sms_reply_body("13800138000", "1", 1764520200)
            )
            assert status == 200
            (reply,) = got[0].replies
            assert (reply.out_id, reply.phone, reply.text, reply.at_ns) == (
                "",
                "13800138000",
                "1",
                1764520200 * 10**9,
            )
            assert reply.provider_id  # stable for deduplication
            await fake.post(f"{url}/sms_reply", fake.sms_reply_body("13800138000", "1", 1764520200))
            assert got[1].replies[0].provider_id == reply.provider_id

    run(main)


def test_voice_status_keypress_and_failure_callbacks() -> None:
    async def main() -> None:
        async with world() as (fake, provider), callback_server(provider) as (url, got):
            accepted = await provider.send(call("req-v"))
            assert isinstance(accepted, Accepted)
            cid = accepted.provider_id
            await fake.post(
                f"{url}/voice", fake.voice_status_body(cid, "0", 1764520000, 1764520011, 1764520030)
            )
            await fake.post(f"{url}/voice", fake.keypress_body(cid, "1"))
            await fake.post(f"{url}/voice", fake.voice_status_body(cid, "1", 1764520000, 0, 1764520040))
            status, answer = await fake.post(f"{url}/voice", fake.voice_failure_body(cid, 8, "空号"))
            assert status == 200 and json.loads(answer) == {"result": 0, "errmsg": "OK"}
            assert got[0].reports == [Report("", cid, "answered", 1764520011 * 10**9)]
            assert got[1].replies[0].key == "1" and got[1].replies[0].provider_id == f"{cid}:1"
            assert got[1].replies[0].phone == "13800138000"
            assert got[2].reports[0].status == "no_answer" and got[2].reports[0].at_ns == 1764520040 * 10**9
            assert got[3].reports[0].status == "failed" and got[3].reports[0].detail == "8:空号"

    run(main)


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("callback_sms_status.json", "/callback/tencent/sms_status"),
        ("callback_sms_reply.json", "/callback/tencent/sms_reply"),
        ("callback_voiceprompt.json", "/callback/tencent/voice"),
        ("callback_voicekey.json", "/callback/tencent/voice"),
        ("callback_voice_failure.json", "/callback/tencent/voice"),
    ],
)
def test_every_documented_callback_body_is_understood(name: str, path: str) -> None:
    example = doc(name)
    provider = TencentProvider(TencentConfig(SECRET_ID, SECRET_KEY, sms_sdk_app_id="1", voice_sdk_app_id="2"))
    cb = provider.callback(path, {}, json.dumps(example["request"], ensure_ascii=False).encode(), {})
    assert len(cb.reports) + len(cb.replies) == 1
    assert json.loads(cb.answer) == example["response"]
    if name == "callback_sms_status.json":
        # "2015-10-17 08:03:04" Beijing time
        assert (
            cb.reports[0].at_ns == int(dt.datetime(2015, 10, 17, 0, 3, 4, tzinfo=dt.UTC).timestamp()) * 10**9
        )
        assert cb.reports[0].provider_id == "xxxxxxx" and cb.reports[0].status == "delivered"
    if name == "callback_sms_reply.json":
        assert cb.replies[0] == Reply(
            "",
            "13xxxxxxxxx",
            1457336869 * 10**9,
            text="用户回复的内容",
            provider_id=cb.replies[0].provider_id,
        )
    if name == "callback_voiceprompt.json":
        assert cb.reports[0] == Report("", "xxxxxx", "answered", 1470197211 * 10**9)


def test_a_bad_token_is_refused() -> None:
    async def main() -> None:
        async with (
            world(callback_token="s3cret-token") as (fake, provider),
            callback_server(provider) as (url, got),
        ):
            body = fake.sms_reply_body("13800138000", "2", 1764520200)
            assert (await fake.post(f"{url}/sms_reply?token=wrong", body))[0] == 403
            assert (await fake.post(f"{url}/sms_reply", body))[0] == 403
            assert got == []
            assert (await fake.post(f"{url}/sms_reply?token=s3cret-token", body))[0] == 200
            assert got[0].replies[0].text == "2"
            assert "s3cret-token" not in repr(provider.config)

    run(main)


def test_a_malformed_or_unknown_callback_is_refused() -> None:
    provider = TencentProvider(TencentConfig(SECRET_ID, SECRET_KEY, sms_sdk_app_id="1"))
    with pytest.raises(CallbackRefused):
        provider.callback("/callback/tencent/sms_status", {}, b"not json", {})
    with pytest.raises(CallbackRefused):
        provider.callback("/callback/tencent/sms_status", {}, b'[{"sid": "1"}]', {})
    with pytest.raises(CallbackRefused):
        provider.callback("/callback/tencent/voice", {}, b'{"other_callback": {}}', {})
    with pytest.raises(CallbackRefused):
        provider.callback("/callback/tencent/elsewhere", {}, b"[]", {})
