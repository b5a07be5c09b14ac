"""The embedded (amqtt) demo broker: loopback only, credentials, offline queueing, CLI process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from console.io.broker import DEMO_PASSWORD, DEMO_USERNAME, EmbeddedBroker
from console.io.bus import BusClient
from tests.fixtures.brokers import ROOT, Recorder, bus_config, publish_paho, wait_until


def evt(district: str, dev: str) -> str:
    return f"guard/v1/evt/{district}/tw1/{dev}"


def connect_rc(host: str, port: int, username: str | None, password: str | None) -> int:
    import threading

    import paho.mqtt.client as mqtt

    result: list[int] = []
    answered = threading.Event()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"probe-{uuid.uuid4().hex[:6]}")
    if username:
        client.username_pw_set(username, password)

    def on_connect(c: Any, u: Any, flags: Any, rc: Any, props: Any) -> None:
        result.append(int(rc.value))
        answered.set()

    def on_disconnect(c: Any, u: Any, flags: Any, rc: Any, props: Any) -> None:
        if not result:
            result.append(int(rc.value) or -1)
        answered.set()

    client.on_connect = on_connect
    client.on_disconnect = on_disconnect
    client.connect(host, port)
    client.loop_start()
    try:
        assert answered.wait(10), "no CONNACK"
        return result[0]
    finally:
        client.disconnect()
        client.loop_stop()


def test_listens_on_loopback_only(embedded_broker: Any) -> None:
    server = embedded_broker.inner._broker._servers["default"].instance
    addresses = {sock.getsockname()[0] for sock in server.sockets}
    assert addresses == {"127.0.0.1"}
    assert embedded_broker.port > 0


def test_demo_credentials_required(embedded_broker: Any) -> None:
    b = embedded_broker
    assert connect_rc(b.host, b.port, DEMO_USERNAME, DEMO_PASSWORD) == 0
    assert connect_rc(b.host, b.port, None, None) != 0
    assert connect_rc(b.host, b.port, DEMO_USERNAME, "wrong") != 0


def test_persistent_session_queues_while_console_is_away(
    embedded_broker: Any, unique_topic_prefix: str
) -> None:
    """The reason for the password file: anonymous sessions get nothing queued in amqtt 0.12."""
    d = unique_topic_prefix
    cfg = bus_config(embedded_broker, d)
    first = BusClient(cfg, Recorder().on_batch, Recorder().on_status)
    first.start()
    wait_until(lambda: first.state == "connected", what="session created", on=first.changes)
    first.stop()
    sent = [(evt(d, f"dev{i}"), f"away{i}".encode()) for i in range(25)]
    publish_paho(embedded_broker, sent)
    rec = Recorder()
    second = BusClient(cfg, rec.on_batch, rec.on_status)
    second.start()
    try:
        rec.wait_for(lambda: rec.count() >= 25, what="25 queued messages")
        assert sorted(rec.payloads()) == sorted(p for _, p in sent)
    finally:
        second.stop()


def test_restart_on_same_port(tmp_path: Path) -> None:
    broker = EmbeddedBroker(port=0, data_dir=tmp_path)
    broker.start()
    port = broker.port
    broker.stop()
    assert not broker.running
    broker.start()
    try:
        assert broker.port == port
        assert connect_rc(broker.host, port, broker.username, broker.password) == 0
    finally:
        broker.close()


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM")
def test_cli_process_serves_and_stops_on_sigterm(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    errlog = tmp_path / "stderr.txt"
    with (
        errlog.open("wb") as err,
        subprocess.Popen(
            [sys.executable, "-m", "console", "broker", "--port", "0", "--data-dir", str(tmp_path)],
            stdout=subprocess.PIPE,
            stderr=err,
            cwd=ROOT,
            env=env,
        ) as proc,
    ):
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline().decode()
            assert line.startswith("broker: listening on 127.0.0.1:"), line + errlog.read_text()
            port = int(line.split("127.0.0.1:")[1].split()[0])
            assert connect_rc("127.0.0.1", port, DEMO_USERNAME, DEMO_PASSWORD) == 0
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(15) == 0, errlog.read_text()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
