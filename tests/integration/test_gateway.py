"""The SMS / voice gateway simulator against a real Mosquitto: requests in, receipts out."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest

from console.app.changes import Changes
from console.domain.codec import (
    NotifyRequest,
    Receipt,
    decode_receipt,
    encode_notify,
    notify_receipt_topic,
    notify_req_topic,
)
from console.sim.gateway import GatewaySimulator, plan
from tests.fixtures.brokers import Lines, publish_paho, wait_until

ROOT = Path(__file__).resolve().parents[2]


class Receipts:
    """Subscriber that keeps each receipt with its arrival time (monotonic)."""

    def __init__(self, broker: Any, district: str) -> None:
        self.got: list[tuple[float, Receipt]] = []
        self._lock = threading.Lock()
        self.changes = Changes()
        self._client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"rcpt-{district}")
        subscribed = threading.Event()
        self._client.on_message = self._on_message
        self._client.on_subscribe = lambda *_: subscribed.set()
        self._client.connect(broker.host, broker.port, keepalive=30)
        self._client.loop_start()
        self._client.subscribe(notify_receipt_topic(district), qos=1)
        assert subscribed.wait(10), "no SUBACK"

    def _on_message(self, client: Any, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        r = decode_receipt(bytes(msg.payload))
        assert isinstance(r, Receipt), r
        with self._lock:
            self.got.append((time.monotonic(), r))
        self.changes.bump()

    def for_req(self, req: str) -> list[tuple[float, Receipt]]:
        with self._lock:
            return [(t, r) for t, r in self.got if r.req == req]

    def count(self) -> int:
        with self._lock:
            return len(self.got)

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


def request(req: str, channel: str, to: str = "19900123456", role: str = "guardian") -> NotifyRequest:
    return NotifyRequest(
        req=req,
        incident=7,
        household="SIM-T01-C01-000001",
        channel=channel,
        role=role,
        to=to,
        text="测试 test",
    )


@pytest.fixture
def district(unique_topic_prefix: str) -> str:
    return unique_topic_prefix


@pytest.fixture
def receipts(mosquitto: Any, district: str) -> Iterator[Receipts]:
    r = Receipts(mosquitto, district)
    yield r
    r.close()


def test_plan_is_deterministic_and_has_the_documented_mix() -> None:
    sms = plan(request("I1-guardian-sms-1", "sms"), seed=7)
    assert [r.status for _, r in sms] == ["sent", "delivered"]
    assert 1.0 <= sms[0][0] <= 3.0 and sms[0][0] + 2.0 <= sms[1][0] <= sms[0][0] + 10.0
    assert plan(request("I1-guardian-sms-1", "sms"), seed=7) == sms
    voice = [plan(request(f"I{i}-elder-voice-1", "voice"), seed=7)[0] for i in range(2000)]
    statuses = [r.status for _, r in voice]
    assert 0.65 < statuses.count("answered") / 2000 < 0.75
    assert 0.21 < statuses.count("no_answer") / 2000 < 0.29
    assert 0.03 < statuses.count("failed") / 2000 < 0.07
    assert all(10.0 <= d <= 40.0 for d, _ in voice)
    assert plan(request("x", "voice", to="not-a-number"), seed=7)[0][1].detail == "invalid_number"


def test_requests_in_receipts_out_as_planned(mosquitto: Any, district: str, receipts: Receipts) -> None:
    speed = 200.0
    reqs = [request("I1-guardian-sms-1", "sms")] + [request(f"I1-r{i}-voice-1", "voice") for i in range(12)]
    expected = {r.req: plan(r, seed=3) for r in reqs}
    with GatewaySimulator(mosquitto.host, mosquitto.port, district, speed=speed, seed=3) as gw:
        sent_at = time.monotonic()
        publish_paho(mosquitto, [(notify_req_topic(district), encode_notify(r)) for r in reqs])
        total = sum(len(v) for v in expected.values())
        # unscaled, the first receipt is due after >= 1 s; at x200 all are in well before 1 s
        wait_until(lambda: receipts.count() >= total, 0.9 + 0.5, f"{total} receipts", on=receipts.changes)
        for r in reqs:
            got = receipts.for_req(r.req)
            assert [x.status for _, x in got] == [x.status for _, x in expected[r.req]]
            for (t, _), (delay, _) in zip(got, expected[r.req], strict=True):
                assert t - sent_at >= delay / speed - 0.01  # never early
        sms = receipts.for_req("I1-guardian-sms-1")
        gap = expected["I1-guardian-sms-1"][1][0] - expected["I1-guardian-sms-1"][0][0]
        assert sms[1][0] - sms[0][0] >= gap / speed - 0.02
        c = gw.counters()
        assert c["requests"] == 13 and c["receipts"] == total and c["pending"] == 0
        statuses = {x.status for _, x in receipts.got}
        assert "delivered" in statuses and "answered" in statuses


def test_malformed_and_duplicate_requests_are_counted_not_fatal(
    mosquitto: Any, district: str, receipts: Receipts
) -> None:
    with GatewaySimulator(mosquitto.host, mosquitto.port, district, speed=1000.0) as gw:
        topic = notify_req_topic(district)
        good = encode_notify(request("I2-elder-sms-1", "sms"))
        fax = encode_notify(request("I2-elder-fax-1", "fax"))
        publish_paho(
            mosquitto,
            [
                (topic, b"not json"),
                (topic, b'{"v": 1}'),
                (topic, b"x" * 5000),
                (topic, good),
                (topic, good),
                (topic, fax),
            ],
        )
        wait_until(
            lambda: len(receipts.for_req("I2-elder-sms-1")) == 2,
            5,
            "receipts for the good request",
            on=receipts.changes,
        )
        wait_until(
            lambda: receipts.for_req("I2-elder-fax-1"),
            5,
            "a failed receipt for the unknown channel",
            on=receipts.changes,
        )
        c = gw.counters()
        assert c["malformed"] == {"bad_json": 2, "too_large": 1, "unknown_channel": 1}
        assert c["duplicates"] == 1 and c["requests"] == 2
        assert receipts.for_req("I2-elder-fax-1")[0][1] == Receipt(
            "I2-elder-fax-1", "failed", "unknown_channel"
        )


def test_gateway_cli_answers_and_stops_on_ctrl_c(mosquitto: Any, district: str, receipts: Receipts) -> None:
    argv = [
        sys.executable,
        "-m",
        "console",
        "gateway",
        "--host",
        mosquitto.host,
        "--port",
        str(mosquitto.port),
    ]
    argv += ["--district", district, "--speed", "1000", "--client-id", f"gw-cli-{district}"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(
        argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    ) as proc:
        out = Lines(proc.stdout)
        try:
            wait_until(
                lambda: any("listening on" in line for line in out.lines),
                30,
                "the gateway to subscribe",
                on=out.changes,
            )
            publish_paho(
                mosquitto, [(notify_req_topic(district), encode_notify(request("I3-cadre-voice-1", "voice")))]
            )
            wait_until(
                lambda: receipts.for_req("I3-cadre-voice-1"), 10, "a voice receipt", on=receipts.changes
            )
            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=20) == 0
            out.join(timeout=10)
            text = out.text()
            assert "gateway: stopped" in text and '"requests":1' in text and "Traceback" not in text
        finally:
            if proc.poll() is None:
                proc.kill()
