"""The real adapters (Alibaba, Tencent) behind the gateway, against their local fakes and a real
Mosquitto: sends, callbacks posted in each provider's format -> bus receipts and replies, a wrong
token -> 403, and the secret in no log record, no outbox row and no bus message."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from console.io.secrets import SecretStore
from tests.gateway.fake_aliyun import FakeAliyun
from tests.gateway.fake_tencent import FakeTencent
from tests.gateway.gw_support import Bus, Loop, Running, gateway_config, request

pytestmark = pytest.mark.integration

ALIYUN_ID, ALIYUN_SECRET = "LTAI5tFakeKeyId", "FakeSecret0123456789"
TENCENT_ID, TENCENT_SECRET = "AKIDfakefakefake", "TencentSecret-abcdef-0123"
TOKEN = "cb-token-42x"
PHONE = "13800138000"


def aliyun_templates(provider: str = "aliyun") -> list[dict[str, Any]]:
    return [
        {
            "provider": provider,
            "channel": "sms",
            "sign": "守护台",
            "code": "SMS_000000001",
            "params": [
                {"name": "address", "from": "address"},
                {"name": "kinds", "from": "kinds"},
                {"name": "incident", "from": "incident"},
            ],
        },
        {
            "provider": provider,
            "channel": "voice",
            "code": "TTS_000000001",
            "params": [{"name": "kinds", "from": "kinds"}, {"name": "incident", "from": "incident"}],
        },
    ]


def test_aliyun_sends_callbacks_and_replies_reach_the_bus(
    loop: Loop, mosquitto: Any, district: str, bus: Bus, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake = FakeAliyun({ALIYUN_ID: ALIYUN_SECRET})
    url = loop.run(fake.start())
    env = {
        "GUARDIAN_ALIYUN_ACCESS_KEY_ID": ALIYUN_ID,
        "GUARDIAN_ALIYUN_ACCESS_KEY_SECRET": ALIYUN_SECRET,
        "GUARDIAN_ALIYUN_CALLBACK_TOKEN": TOKEN,
    }
    secrets = SecretStore(None, env=env, use_keyring=False)
    provider = {"name": "aliyun", "sms_endpoint": url, "vms_endpoint": url}
    cfg = gateway_config(
        mosquitto, district, [provider], templates=aliyun_templates(), server={"host": "127.0.0.1", "port": 0}
    )
    gw = Running(loop, cfg, tmp_path / "gw", secrets=secrets)
    base = f"http://127.0.0.1:{gw.gw.http_port}/callback/aliyun"
    try:
        sms, call = (
            request("I21-C7-sms-1", to=PHONE),
            request("I21-C8-voice-1", channel="voice", to="13900139000"),
        )
        bus.publish(sms, call)
        accepted = bus.wait_receipt(sms.req, "accepted")
        bus.wait_receipt(call.req, "accepted")
        assert accepted.provider == "aliyun" and accepted.at.endswith("+08:00")
        assert [s.out_id for s in fake.sends] == [sms.req, call.req] or sorted(
            s.out_id for s in fake.sends
        ) == sorted([sms.req, call.req])
        by_out = {s.out_id: s for s in fake.sends}
        sent = fake.deliver(by_out[sms.req].provider_id, at=1_800_000_100.0)
        status, answer = loop.run(fake.post(f"{base}/sms_report?token={TOKEN}", fake.sms_report_body(sent)))
        assert (status == 200 and b'"code": 0' in answer) or b'"code":0' in answer
        delivered = bus.wait_receipt(sms.req, "delivered")
        assert delivered.at == "2027-01-15T16:01:40.000+08:00" and delivered.provider == "aliyun"
        # the elder's guardian answers the SMS: matched to the latest request to that number
        status, _ = loop.run(
            fake.post(f"{base}/sms_up?token={TOKEN}", fake.sms_up_body(PHONE, "1", 1_800_000_200.0))
        )
        assert status == 200
        reply = bus.wait_reply()
        assert (reply.req, reply.sender, reply.text, reply.provider) == (sms.req, PHONE, "1", "aliyun")
        # the same push again (Alibaba retries on a non-200): no second reply
        loop.run(fake.post(f"{base}/sms_up?token={TOKEN}", fake.sms_up_body(PHONE, "1", 1_800_000_200.0)))
        ended = fake.end_call(by_out[call.req].provider_id, "200000", start=1_800_000_110.0, duration_s=12)
        status, _ = loop.run(fake.post(f"{base}/voice_report?token={TOKEN}", fake.voice_report_body(ended)))
        assert status == 200
        assert bus.wait_receipt(call.req, "answered").provider == "aliyun"
        status, _ = loop.run(
            fake.post(
                f"{base}/voice_call_report?token={TOKEN}",
                fake.voice_call_report_body(ended, "2", 1_800_000_120.0),
            )
        )
        bus.replies.wait_for(lambda p: b'"key":"2"' in p, 10, "the keypress")
        keys = [r for r in map(_reply, bus.replies.payloads) if r.key]
        assert [(k.req, k.key) for k in keys] == [(call.req, "2")]
        assert gw.counters()["replies"] == 2  # the same push twice made one reply
        status, _ = loop.run(
            fake.post(f"{base}/sms_up?token=wrong", fake.sms_up_body(PHONE, "1", 1_800_000_300.0))
        )
        assert status == 403 and gw.counters()["callbacks_refused"] == 1
        assert len(fake.sends) == 2
        rows = loop.run(_wrap(gw.gw.outbox.dump()))
    finally:
        gw.stop()
        loop.run(fake.stop())
    # the secret: in no log record, no outbox row, no bus message
    for secret in (ALIYUN_SECRET, TOKEN):
        assert all(secret not in rec.getMessage() for rec in caplog.records)
        assert secret not in caplog.text
        assert all(secret not in repr(row) for row in rows)
        assert all(secret.encode() not in p for p in bus.receipts.payloads + bus.replies.payloads)
    assert rows  # something was written


def test_tencent_sends_callbacks_and_replies_reach_the_bus(
    loop: Loop, mosquitto: Any, district: str, bus: Bus, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake = FakeTencent({TENCENT_ID: TENCENT_SECRET})
    loop.run(fake.start())
    env = {"GUARDIAN_TENCENT_SECRET_KEY": TENCENT_SECRET, "GUARDIAN_TENCENT_CALLBACK_TOKEN": TOKEN}
    secrets = SecretStore(None, env=env, use_keyring=False)
    provider = {
        "name": "tencent",
        "secret_id": TENCENT_ID,
        "sms_endpoint": fake.endpoint,
        "vms_endpoint": fake.endpoint,
        "sms_sdk_app_id": fake.sms_sdk_app_id,
        "voice_sdk_app_id": fake.voice_sdk_app_id,
    }
    templates = [
        {
            "provider": "tencent",
            "channel": "sms",
            "sign": "守护台",
            "code": "1000001",
            "params": [{"name": "1", "from": "kinds"}, {"name": "2", "from": "incident"}],
        },
        {
            "provider": "tencent",
            "channel": "voice",
            "code": "1000002",
            "params": [{"name": "1", "from": "kinds"}, {"name": "2", "from": "incident"}],
        },
    ]
    cfg = gateway_config(
        mosquitto, district, [provider], templates=templates, server={"host": "127.0.0.1", "port": 0}
    )
    gw = Running(loop, cfg, tmp_path / "gw", secrets=secrets)
    base = f"http://127.0.0.1:{gw.gw.http_port}/callback/tencent"
    try:
        sms, call = (
            request("I22-C7-sms-1", to=PHONE),
            request("I22-C8-voice-1", channel="voice", to="13900139000"),
        )
        too_long = request("I22-C9-sms-1", kinds="烟感、一氧化碳、燃气泄漏")
        bus.publish(sms, call, too_long)
        assert bus.wait_receipt(sms.req, "accepted").provider == "tencent"
        bus.wait_receipt(call.req, "accepted")
        assert bus.wait_receipt(too_long.req, "failed").detail == "template:1:too_long"
        by_phone = {s.phone: s for s in fake.sends}
        sid = by_phone["+86" + PHONE].provider_id
        status, _ = loop.run(
            fake.post(
                f"{base}/sms_status?token={TOKEN}",
                fake.sms_status_body(sid, receive_time="2027-01-15 16:01:40"),
            )
        )
        assert status == 200
        assert bus.wait_receipt(sms.req, "delivered").at == "2027-01-15T16:01:40.000+08:00"
        status, _ = loop.run(
            fake.post(f"{base}/sms_reply?token={TOKEN}", fake.sms_reply_body(PHONE, "2", 1_800_000_200))
        )
        assert status == 200
        reply = bus.wait_reply()
        assert (reply.req, reply.text, reply.provider) == (sms.req, "2", "tencent")
        cid = by_phone["+8613900139000"].provider_id
        status, _ = loop.run(fake.post(f"{base}/voice?token={TOKEN}", fake.keypress_body(cid, "1")))
        assert status == 200
        bus.replies.wait_for(lambda p: b'"key":"1"' in p, 10, "the keypress")
        keys = [r for r in map(_reply, bus.replies.payloads) if r.key]
        assert [(k.req, k.key) for k in keys] == [(call.req, "1")]
        status, _ = loop.run(
            fake.post(f"{base}/sms_reply?token=nope", fake.sms_reply_body(PHONE, "1", 1_800_000_300))
        )
        assert status == 403
        rows = loop.run(_wrap(gw.gw.outbox.dump()))
    finally:
        gw.stop()
        loop.run(fake.stop())
    for secret in (TENCENT_SECRET, TOKEN):
        assert secret not in caplog.text
        assert all(secret not in repr(row) for row in rows)


def _reply(p: bytes) -> Any:
    from console.domain.codec import decode_reply

    return decode_reply(p)


async def _wrap(fut: Any) -> Any:
    import asyncio

    return await asyncio.wrap_future(fut)
