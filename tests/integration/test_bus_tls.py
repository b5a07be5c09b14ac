"""The bus over TLS with a CA file, a client certificate and a password, against a real
Mosquitto TLS listener that requires all three (certificates made by openssl for the test)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.brokers import NEEDS, Lines, Recorder, free_port, mosquitto_binary, wait_until


def openssl(*args: str, cwd: Path) -> None:
    if shutil.which("openssl") is None:
        pytest.fail("openssl is not installed: " + NEEDS.format(pkg="openssl"), pytrace=False)
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_pki(d: Path) -> None:
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Test District CA",
            "-keyout", "ca.key", "-out", "ca.crt", cwd=d)  # fmt: skip
    (d / "san.cnf").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n", encoding="utf-8")
    for name, cn in (("server", "127.0.0.1"), ("client", "console-tls1")):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={cn}", "-keyout", f"{name}.key",
                "-out", f"{name}.csr", cwd=d)  # fmt: skip
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                "-days", "2", "-out", f"{name}.crt", "-extfile", "san.cnf", cwd=d)  # fmt: skip


@pytest.fixture
def tls_broker(tmp_path: Path) -> Any:
    binary = mosquitto_binary()
    if binary is None:
        pytest.fail("mosquitto is not installed: " + NEEDS.format(pkg="mosquitto"), pytrace=False)
    make_pki(tmp_path)
    subprocess.run(
        [
            shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd",
            "-b",
            "-c",
            str(tmp_path / "passwd"),
            "officer",
            "s3cret-pass",
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    port = free_port()
    conf = tmp_path / "tls.conf"
    conf.write_text(
        "\n".join(
            [
                "per_listener_settings true",
                f"log_dest file {tmp_path / 'mosquitto.log'}",
                "log_dest stderr",  # unbuffered: the fixture waits for the listening line on it
                "user root",
                f"listener {port} 127.0.0.1",
                f"cafile {tmp_path / 'ca.crt'}",
                f"certfile {tmp_path / 'server.crt'}",
                f"keyfile {tmp_path / 'server.key'}",
                "require_certificate true",
                "allow_anonymous false",
                f"password_file {tmp_path / 'passwd'}",
                "",
            ]
        ),
        encoding="utf-8",
    )
    proc = subprocess.Popen([binary, "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = Lines(proc.stdout, copy_to=tmp_path / "mosquitto.stdout")
    wait_until(
        lambda: any(" running" in line for line in out.lines),
        10,
        "TLS listener",
        on=out.changes,
    )
    yield port, tmp_path
    proc.terminate()
    proc.wait(10)


def tls_config(port: int, pki: Path, console: str, password: str, **kw: Any) -> Any:
    """A BusConfig presenting the test CA, the client certificate and officer's password."""
    from console.io.bus_config import BusConfig

    kw.setdefault("backoff_initial_s", 0.05)
    kw.setdefault("backoff_max_s", 0.5)
    return BusConfig(
        "127.0.0.1",
        port,
        "TLSD",
        None,
        console,
        username="officer",
        password=password,
        ca_file=str(pki / "ca.crt"),
        cert_file=str(pki / "client.crt"),
        key_file=str(pki / "client.key"),
        **kw,
    )


def test_bus_connects_with_ca_client_certificate_and_password(tls_broker: Any) -> None:
    import paho.mqtt.client as mqtt

    from console.io.bus import BusClient

    port, pki = tls_broker
    cfg = tls_config(port, pki, "tls1", "s3cret-pass")
    rec = Recorder()
    bus = BusClient(cfg, rec.on_batch, rec.on_status)
    bus.start()
    try:
        rec.wait_for(lambda: "connected" in rec.states(), 15, "connected over TLS")
        pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="tls-pub")
        pub.tls_set(
            ca_certs=str(pki / "ca.crt"), certfile=str(pki / "client.crt"), keyfile=str(pki / "client.key")
        )
        pub.username_pw_set("officer", "s3cret-pass")
        pub.connect("127.0.0.1", port)
        pub.loop_start()
        pub.publish("guard/v1/evt/TLSD/T1/dev1", b"over-tls", qos=1).wait_for_publish(10)
        pub.disconnect()
        pub.loop_stop()
        rec.wait_for(lambda: b"over-tls" in rec.payloads(), 10, "message over TLS")
    finally:
        bus.stop()


def test_wrong_password_never_connects(tls_broker: Any) -> None:
    from console.io.bus import BusClient

    port, pki = tls_broker
    cfg = tls_config(port, pki, "tls2", "wrong", backoff_max_s=0.2, blind_after_s=0.5)
    rec = Recorder()
    bus = BusClient(cfg, rec.on_batch, rec.on_status)
    bus.start()
    try:
        rec.wait_for(lambda: "blind" in rec.states(), 15, "blind after refused logins")
        assert "connected" not in rec.states()
    finally:
        bus.stop()
