"""The gateway against a real Mosquitto: the simulator provider, failover, limits, templates,
duplicates, presence and callbacks. Nothing sleeps: every wait is on a bus message or a counter."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from console.domain.codec import GatewayStatus, decode_gateway_status, gateway_status_topic
from console.gateway.provider import Refused, Report
from console.gateway.providers.sim import SimProvider
from console.gateway.service import BEIJING  # noqa: F401 (the receipts' offset is +08:00)
from tests.fixtures.brokers import Watcher, wait_until
from tests.gateway.gw_support import ADDRESS, Bus, Loop, Recording, Running, gateway_config, request, unique

pytestmark = pytest.mark.integration

ALIYUN_SMS = {
    "provider": "a",
    "msg": "alarm",
    "channel": "sms",
    "sign": "守护台",
    "code": "SMS_1",
    "params": [{"name": "address", "from": "address"}, {"name": "incident", "from": "incident"}],
}
NO_LIMITS = {"sms": {}, "voice": {"per_minute": 0, "per_hour": 0, "per_day": 0}}


def start(
    loop: Loop,
    mosquitto: Any,
    district: str,
    tmp_path: Path,
    providers: list[dict[str, Any]],
    built: list[Any] | None = None,
    **extra: Any,
) -> Running:
    cfg = gateway_config(mosquitto, district, providers, **extra)
    return Running(loop, cfg, tmp_path / "gw", providers=built)


def test_a_request_is_accepted_then_sent_and_delivered(
    loop: Loop, mosquitto: Any, district: str, bus: Bus, tmp_path: Path
) -> None:
    sim = SimProvider("sim", speed=1000.0, seed=3)
    status = Watcher(mosquitto, gateway_status_topic(district))
    gw = start(loop, mosquitto, district, tmp_path, [{"name": "sim"}], [sim])
    try:
        online = decode_gateway_status(status.wait_for(lambda p: b'"online"' in p, 10, "online"))
        assert isinstance(online, GatewayStatus) and online.providers == {"sim": "ok"}
        bus.publish(request("I1-C1-sms-1"))
        delivered = bus.wait_receipt("I1-C1-sms-1", "delivered")
        statuses = [r.status for r in bus.receipts_for("I1-C1-sms-1")]
        assert statuses == ["accepted", "sent", "delivered"]
        accepted = bus.receipts_for("I1-C1-sms-1")[0]
        assert accepted.provider == "sim" and accepted.at.endswith("+08:00")
        assert delivered.provider == "sim" and delivered.at > accepted.at
        assert sim.sends == 1
    finally:
        gw.stop()
        status.close()
    offline = decode_gateway_status(status.payloads[-1]) if status.payloads else None
    assert offline is None or isinstance(offline, GatewayStatus)


def test_a_duplicate_request_is_answered_from_the_outbox_and_not_sent_again(
    loop: Loop, mosquitto: Any, district: str, bus: Bus, tmp_path: Path
) -> None:
    a = Recording("a")
    gw = start(loop, mosquitto, district, tmp_path, [{"name": "a", "kind": "sim"}], [a])
    try:
        r = request("I2-C1-sms-1")
        bus.publish(r)
        bus.wait_receipt(r.req, "accepted")
        bus.publish(r, r)  # QoS 1 redelivery, the console re-sending after its restart
        wait_until(lambda: gw.counters()["duplicates"] == 2, 10, "two duplicates", on=gw.changes)
        assert len(a.sent) == 1
    finally:
        gw.stop()
    # a restart: the outbox still knows it
    gw = start(loop, mosquitto, district, tmp_path, [{"name": "a", "kind": "sim"}], [a])
    try:
        bus.publish(r)
        wait_until(
            lambda: gw.counters()["duplicates"] == 1, 10, "a duplicate after the restart", on=gw.changes
        )
        assert len(a.sent) == 1
    finally:
        gw.stop()


def test_a_value_too_long_for_the_template_is_a_failed_receipt(
    loop: Loop, mosquitto: Any, district: str, bus: Bus, tmp_path: Path
) -> None:
    a = Recording("a")
    gw = start(
        loop, mosquitto, district, tmp_path, [{"name": "a", "kind": "aliyun"}], [a], templates=[ALIYUN_SMS]
    )
    try:
        long = request("I3-C1-sms-1", address=ADDRESS + "附近的小卖部旁边")  # 39 > 35
        missing = request("I3-C1-voice-1", channel="voice")
        bus.publish(long, missing)
        assert bus.wait_receipt(long.req, "failed").detail == "template:address:too_long"
        assert bus.wait_receipt(missing.req, "failed").detail == "template:missing"
        assert a.sent == []
        ok = request("I3-C2-sms-1")
        bus.publish(ok)
        bus.wait_receipt(ok.req, "accepted")
        assert [m.params for m in a.sent] == [{"address": ADDRESS, "incident": "12"}]
        assert a.sent[0].template == "SMS_1" and a.sent[0].sign == "守护台"
    finally:
        gw.stop()


def test_a_provider_that_times_out_fails_over_to_the_second_once(
    loop: Loop, mosquitto: Any, district: str, bus: Bus, tmp_path: Path
) -> None:
    slow, second = Recording("slow", hang=True), Recording("second")
    gw = start(
        loop,
        mosquitto,
        district,
        tmp_path,
        [{"name": "slow", "kind": "sim"}, {"name": "second", "kind": "sim"}],
        [slow, second],
        gateway={"send_timeout_s": 0.3},
    )
    try:
        r = request("I4-C1-sms-1")
        bus.publish(r)
        accepted = bus.wait_receipt(r.req, "accepted")
        assert accepted.provider == "second"
        assert [m.out_id for m in slow.sent] == [r.req] and [m.out_id for m in second.sent] == [r.req]
    finally:
        gw.stop()
    # after a restart the first is not asked again either (its attempt is recorded as a timeout)
    gw = start(
        loop,
        mosquitto,
        district,
        tmp_path,
        [{"name": "slow", "kind": "sim"}, {"name": "second", "kind": "sim"}],
        [slow, second],
    )
    try:
        assert len(slow.sent) == 1 and len(second.sent) == 1 and slow.queried == []
    finally:
        gw.stop()


def test_a_refusal_that_is_not_retryable_is_failed_with_the_providers_code(
    loop: Loop, mosquitto: Any, district: str, bus: Bus, tmp_path: Path
) -> None:
    bad, second = Recording("bad", refuse=Refused("isv.MOBILE_NUMBER_ILLEGAL")), Recording("second")
    gw = start(
        loop,
        mosquitto,
        district,
        tmp_path,
        [{"name": "bad", "kind": "sim"}, {"name": "second", "kind": "sim"}],
        [bad, second],
    )
    try:
        r = request("I5-C1-sms-1")
        bus.publish(r)
        assert bus.wait_receipt(r.req, "failed").detail == "provider:bad:isv.MOBILE_NUMBER_ILLEGAL"
        assert second.sent == []
    finally:
        gw.stop()


def test_voice_one_call_a_minute_per_number(
    loop: Loop, mosquitto: Any, district: str, bus: Bus, tmp_path: Path
) -> None:
    a = Recording("a")
    gw = start(loop, mosquitto, district, tmp_path, [{"name": "a", "kind": "sim"}], [a])
    try:
        first, second = request("I6-C1-voice-1", channel="voice"), request("I7-C1-voice-1", channel="voice")
        other = request("I7-C2-voice-1", channel="voice", to="13900139000")
        bus.publish(first)
        bus.wait_receipt(first.req, "accepted")
        bus.publish(second, other)
        assert bus.wait_receipt(second.req, "blocked").detail == "limit:a:minute"
        bus.wait_receipt(other.req, "accepted")  # another number
        assert [m.out_id for m in a.sent] == [first.req, other.req]
    finally:
        gw.stop()
    # the limit is counted from the outbox: a restart does not reset it
    gw = start(loop, mosquitto, district, tmp_path, [{"name": "a", "kind": "sim"}], [a])
    try:
        third = request("I8-C1-voice-1", channel="voice")
        bus.publish(third)
        assert bus.wait_receipt(third.req, "blocked").detail == "limit:a:minute"
    finally:
        gw.stop()


def test_a_limit_on_the_first_provider_sends_by_the_second(
    loop: Loop, mosquitto: Any, district: str, bus: Bus, tmp_path: Path
) -> None:
    a, b = Recording("a"), Recording("b")
    gw = start(
        loop,
        mosquitto,
        district,
        tmp_path,
        [{"name": "a", "kind": "sim"}, {"name": "b", "kind": "sim"}],
        [a, b],
    )
    try:
        first, second = request("I9-C1-voice-1", channel="voice"), request("I10-C1-voice-1", channel="voice")
        bus.publish(first)
        assert bus.wait_receipt(first.req, "accepted").provider == "a"
        bus.publish(second)
        assert bus.wait_receipt(second.req, "accepted").provider == "b"
        third = request("I11-C1-voice-1", channel="voice")
        bus.publish(third)
        assert bus.wait_receipt(third.req, "blocked").detail == "limit:a:minute,limit:b:minute"
    finally:
        gw.stop()


def test_callbacks_become_receipts_and_a_wrong_token_is_403(
    loop: Loop, mosquitto: Any, district: str, bus: Bus, tmp_path: Path
) -> None:
    import aiohttp

    a = Recording("a")
    gw = start(
        loop,
        mosquitto,
        district,
        tmp_path,
        [{"name": "a", "kind": "sim", "limits": NO_LIMITS}],
        [a],
        server={"host": "127.0.0.1", "port": 0},
    )
    base = f"http://127.0.0.1:{gw.gw.http_port}/callback/a/report"

    async def post(token: str, body: dict[str, Any]) -> int:
        async with aiohttp.ClientSession() as s, s.post(f"{base}?token={token}", json=body) as resp:
            return resp.status

    try:
        r = request("I12-C1-sms-1")
        bus.publish(r)
        bus.wait_receipt(r.req, "accepted")
        at = 1_800_000_100 * 10**9
        assert (
            loop.run(post("bad", {"out_id": r.req, "id": "a-1", "status": "delivered", "at_ns": at})) == 403
        )
        assert gw.counters()["callbacks_refused"] == 1
        assert (
            loop.run(post("good", {"out_id": r.req, "id": "a-1", "status": "delivered", "at_ns": at})) == 200
        )
        d = bus.wait_receipt(r.req, "delivered")
        assert d.at == "2027-01-15T16:01:40.000+08:00" and d.provider == "a"
        assert (
            loop.run(post("good", {"out_id": "nobody", "id": "x", "status": "delivered", "at_ns": at})) == 200
        )
        assert gw.counters()["unknown_reports"] == 1
    finally:
        gw.stop()


def test_a_late_callback_is_asked_for(
    loop: Loop, mosquitto: Any, district: str, bus: Bus, tmp_path: Path
) -> None:
    a = Recording("a")
    gw = start(
        loop,
        mosquitto,
        district,
        tmp_path,
        [{"name": "a", "kind": "sim"}],
        [a],
        gateway={"callback_late_s": 0.2},
    )
    try:
        r = request("I13-C1-sms-1")
        a.reports[r.req] = [Report(r.req, "a-1", "delivered", 1_800_000_200 * 10**9)]
        bus.publish(r)
        assert bus.wait_receipt(r.req, "delivered").provider == "a"
        assert a.queried == [r.req]
    finally:
        gw.stop()


def test_a_reply_is_matched_to_the_latest_request_to_that_number(
    loop: Loop, mosquitto: Any, district: str, bus: Bus, tmp_path: Path
) -> None:
    sim = SimProvider("sim", speed=1000.0, seed=3, reply_after_s=1.0)
    gw = start(loop, mosquitto, district, tmp_path, [{"name": "sim"}], [sim])
    try:
        r = request("I14-C3-sms-1", role="grid_worker", to="13700137000")
        bus.publish(r)
        reply = bus.wait_reply()
        assert (reply.req, reply.sender, reply.text, reply.provider) == (r.req, "13700137000", "1", "sim")
        assert reply.id.startswith("sim:")
    finally:
        gw.stop()


def test_a_crash_between_the_attempt_and_its_answer_asks_the_provider_first(
    loop: Loop, mosquitto: Any, district: str, bus: Bus, tmp_path: Path
) -> None:
    """In-process version of the SIGKILL test (test_sigkill.py runs the real one)."""
    hang = Recording("a", hang=True)
    gw = start(
        loop,
        mosquitto,
        district,
        tmp_path,
        [{"name": "a", "kind": "sim"}],
        [hang],
        gateway={"send_timeout_s": 60},
    )
    r = request(unique("I") + "-C1-sms-1")
    try:
        bus.publish(r)
        hang.changes.wait_for(lambda: hang.sent, 10)
    finally:
        # the process "dies": the attempt is in the outbox with no result
        loop.run(_abandon(gw))
    after = Recording("a")
    after.reports[r.req] = [Report(r.req, "biz-1", "accepted", 1_800_000_000 * 10**9)]
    gw = start(loop, mosquitto, district, tmp_path, [{"name": "a", "kind": "sim"}], [after])
    try:
        assert bus.wait_receipt(r.req, "accepted").provider == "a"
        assert after.queried == [r.req] and after.sent == []
    finally:
        gw.stop()


async def _abandon(running: Running) -> None:
    """Stop without the orderly parts: cancel the in-flight send, close the bus and the outbox."""
    gw = running.gw
    for t in list(gw._tasks):
        t.cancel()
    if gw.bus is not None:
        gw.bus.stop()
        gw.bus = None
    gw.outbox.close()


def test_a_full_pace_on_the_first_provider_spills_over_to_the_second(
    loop: Loop, mosquitto: Any, district: str, bus: Bus, tmp_path: Path
) -> None:
    a, b = Recording("a"), Recording("b")
    slow = {"name": "a", "kind": "sim", "limits": {"rps": 0.1}}  # one request every 10 s
    gw = start(loop, mosquitto, district, tmp_path, [slow, {"name": "b", "kind": "sim"}], [a, b])
    try:
        first, second = request("I15-C1-sms-1"), request("I15-C2-sms-1", to="13900139000")
        bus.publish(first)
        assert bus.wait_receipt(first.req, "accepted").provider == "a"
        bus.publish(second)
        assert bus.wait_receipt(second.req, "accepted").provider == "b"  # not 10 s behind a's pace
    finally:
        gw.stop()


def test_a_provider_failing_every_send_is_announced_failing_then_ok(
    loop: Loop, mosquitto: Any, district: str, bus: Bus, tmp_path: Path
) -> None:
    down = Recording("down", refuse=Refused("http_5xx", retryable=True))
    backup = Recording("backup")
    status = Watcher(mosquitto, gateway_status_topic(district))
    gw = start(
        loop,
        mosquitto,
        district,
        tmp_path,
        [{"name": "down", "kind": "sim"}, {"name": "backup", "kind": "sim"}],
        [down, backup],
        gateway={"failing_after_s": 0},
    )
    try:
        r = request("I16-C1-sms-1")
        bus.publish(r)
        assert bus.wait_receipt(r.req, "accepted").provider == "backup"
        failing = decode_gateway_status(status.wait_for(lambda p: b'"failing"' in p, 10, "failing"))
        assert isinstance(failing, GatewayStatus) and failing.providers == {"down": "failing", "backup": "ok"}
        down.refuse = None
        again = request("I16-C2-sms-1", to="13900139000")
        bus.publish(again)
        assert bus.wait_receipt(again.req, "accepted").provider == "down"
        status.wait_for(lambda p: b'"down":"ok"' in p, 10, "ok again")
    finally:
        gw.stop()
        status.close()
