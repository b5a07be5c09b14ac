"""The gateway as its own process, killed with SIGKILL between a provider's acceptance and the
receipt, then restarted: the fake Alibaba endpoint recorded exactly one send per request, and
the receipts still arrive."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from console.app.changes import Changes
from tests.fixtures.brokers import Lines, free_port, wait_until
from tests.gateway.fake_aliyun import FakeAliyun
from tests.gateway.gw_support import Bus, Loop, request

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
KEY_ID, SECRET = "LTAI5tFakeKeyId", "FakeSecret0123456789"


def write_config(path: Path, broker: Any, district: str, fake_url: str, http_port: int) -> None:
    path.write_text(
        f"""
[broker]
host = "{broker.host}"
port = {broker.port}
district = "{district}"
client_id = "gw-kill-{district}"

[gateway]
data_dir = "data"
send_timeout_s = 60
callback_late_s = 600

[server]
host = "127.0.0.1"
port = {http_port}

[[providers]]
name = "aliyun"
sms_endpoint = "{fake_url}"
vms_endpoint = "{fake_url}"

[[templates]]
provider = "aliyun"
channel = "sms"
sign = "守护台"
code = "SMS_000000001"
params = [{{ name = "address", from = "address" }}, {{ name = "incident", from = "incident" }}]
""",
        encoding="utf-8",
    )


class Child:
    def __init__(self, config: Path) -> None:
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "GUARDIAN_ALIYUN_ACCESS_KEY_ID": KEY_ID,
            "GUARDIAN_ALIYUN_ACCESS_KEY_SECRET": SECRET,
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "console", "gateway", "--config", str(config)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
        )
        self.out = Lines(self.proc.stdout)
        wait_until(
            lambda: self.out.ended or any("listening on" in line for line in self.out.lines),
            30,
            "the gateway to subscribe",
            on=self.out.changes,
        )
        assert not self.out.ended, self.out.text()

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self.out.join(10)

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            assert self.proc.wait(20) == 0
        self.out.join(10)
        return self.out.text()


def attempts(db: Path) -> list[tuple[str, int, str | None]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as c:
        return list(c.execute("SELECT req, n, result FROM attempts ORDER BY req, n"))


def test_sigkill_between_acceptance_and_receipt_sends_nothing_twice(
    loop: Loop, mosquitto: Any, unique_topic_prefix: str, tmp_path: Path
) -> None:
    district = unique_topic_prefix
    fake = FakeAliyun({KEY_ID: SECRET})
    url = loop.run(fake.start())
    arrived = Changes()
    record = fake._send_sms

    def recorded(params: Any) -> Any:  # a bump once the fake has recorded a send
        try:
            return record(params)
        finally:
            arrived.bump()

    fake._send_sms = recorded  # type: ignore[method-assign]
    fake_sends = lambda: loop.call(lambda: list(fake.sends))  # noqa: E731
    http_port = free_port()
    config = tmp_path / "gateway.toml"
    write_config(config, mosquitto, district, url, http_port)
    bus = Bus(mosquitto, district)
    child: Child | None = None
    try:
        child = Child(config)
        # 1. accepted and its receipt out, the delivery report still to come
        early = request("I31-C7-sms-1", to="13800138000")
        bus.publish(early)
        bus.wait_receipt(early.req, "accepted", 20)
        # 2. the provider takes it but its answer never comes: SIGKILL with the attempt unanswered
        loop.call(lambda: fake.hold_next("SendSms"))
        held = request("I32-C7-sms-1", to="13900139000")
        bus.publish(held)
        wait_until(lambda: len(fake_sends()) == 2, 20, "the provider to take the held send", on=arrived)
        child.kill()
        child = None
        assert ("I32-C7-sms-1", 1, None) in attempts(tmp_path / "data" / "outbox.sqlite")
        assert not bus.receipts_for(held.req)  # no receipt yet: the crash came first
        # 3. restart: the provider is asked first, and nothing is sent again
        child = Child(config)
        accepted = bus.wait_receipt(held.req, "accepted", 20)
        assert accepted.provider == "aliyun"
        by_out = {s.out_id: s for s in fake_sends()}
        assert sorted(by_out) == [early.req, held.req] and len(fake_sends()) == 2
        # 4. the delivery reports come later, to the restarted gateway
        for req in (early.req, held.req):
            sent = loop.call(lambda r=req: fake.deliver(by_out[r].provider_id))  # type: ignore[misc]
            status, _ = loop.run(
                fake.post(
                    f"http://127.0.0.1:{http_port}/callback/aliyun/sms_report", fake.sms_report_body(sent)
                )
            )
            assert status == 200
            bus.wait_receipt(req, "delivered", 20)
        # the console re-sending both after its own restart: answered from the outbox
        bus.publish(early, held)
        bus.wait_receipt(held.req, "delivered", 20)
        assert len(fake_sends()) == 2
        sends = [h for h in loop.call(lambda: list(fake.requests)) if h.get("x-acs-action") == "SendSms"]
        assert len(sends) == 2  # SendSms reached the provider twice in all: once per request
        text = child.stop()
        child = None
        assert "Traceback" not in text and SECRET not in text
    finally:
        if child is not None:
            child.kill()
        bus.close()
        loop.run(fake.stop())
