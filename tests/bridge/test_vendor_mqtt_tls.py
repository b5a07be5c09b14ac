"""A vendor running its own MQTT broker (the generic mapping), and the push server over HTTPS
with the district's certificate."""

from __future__ import annotations

import asyncio
import ssl
import subprocess
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
import pytest

from console.bridge import config as bconfig
from tests.bridge.bridge_support import TOWNSHIP, Events, Running, bridge_config
from tests.bridge.platform_bodies import doc, json_body
from tests.fixtures.brokers import publish_paho, wait_until
from tests.gateway.gw_support import Loop

pytestmark = pytest.mark.integration
DEVICE = "311865815040244829"


def vendor_config(broker: Any, district: str) -> bconfig.BridgeConfig:
    return bconfig.parse(
        {
            "broker": {"host": broker.host, "port": broker.port, "district": district},
            "server": {"host": "127.0.0.1", "port": 0},
            "bridge": {"id": "b-vendor", "status_every_s": 1},
            "mqtt": [
                {
                    "name": "wanlin",
                    "topic": f"{district}-vendor/wanlin/up/+",
                    "product": "311",
                    "ids": {"device_id": "deviceCode"},
                    "broker": {"host": broker.host, "port": broker.port, "client_id": f"vendor-{district}"},
                }
            ],
        }
    )


def wanlin(event: str, t: int) -> bytes:
    """The vendor's message as its public integration shows it (resources/vendors/mqtt-wanlin-gas.toml)."""
    return json_body(
        {
            "deviceCode": DEVICE,
            "deviceType": "311",
            "deviceStatus": "2",
            "netStatus": "1",
            "time": t,
            "content": "",
            "detail": {
                "edition": "3.1",
                "event": event,
                "temperature": "20",
                "bat_capacity": "84",
                "signal_intensity": "17",
            },
        }
    )


def test_a_vendor_brokers_messages_become_events_and_a_bad_one_is_quarantined(
    loop: Loop, mosquitto: Any, district: str, events: Events, tmp_path: Path
) -> None:
    r = Running(loop, vendor_config(mosquitto, district), tmp_path / "b", register={DEVICE: TOWNSHIP})
    try:
        assert r.bridge.vendor_bus("wanlin").wait_subscribed(10), "no subscription at the vendor's broker"
        topic = f"{district}-vendor/wanlin/up/{DEVICE}"
        publish_paho(
            mosquitto,
            [
                (topic, b"not json at all"),
                (topic, wanlin("01", 1764576000)),
                (topic, wanlin("11", 1764576060)),
            ],
        )
        got = events.wait_count(2)
        assert [(e["dev"], e["kind"], e["evt"], e.get("bat"), e.get("rssi")) for e in got] == [
            (DEVICE, "gas", "alarm", 84, -79),
            (DEVICE, "gas", "restore", 84, -79),
        ]
        assert got[0]["ts"].startswith("2025-12-01T16:00:00")
        wait_until(lambda: r.bridge.counters["quarantined"] == 1, 10, "the quarantine", on=r.bridge.changes)
        ((platform, reason, _detail, head),) = r.quarantined()
        assert (platform, head) == ("mqtt:wanlin", b"not json at all") and reason
        assert r.bridge.state["mqtt:wanlin"].pushes == 3
    finally:
        r.stop()


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made by openssl as a district's IT would."""
    cert, key = tmp_path / "bridge.crt", tmp_path / "bridge.key"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


def test_the_push_server_speaks_https_with_the_districts_certificate(
    loop: Loop, mosquitto: Any, district: str, events: Events, tmp_path: Path, certificate: tuple[Path, Path]
) -> None:
    cert, key = certificate
    cfg = bridge_config(mosquitto, district)
    cfg = bconfig.BridgeConfig(
        **{**cfg.__dict__, "server": bconfig.ServerConfig("127.0.0.1", 0, str(cert), str(key))}
    )
    r = Running(loop, cfg, tmp_path / "b")
    body = json_body(doc("ctwing", "data_report_service_data")["body"])
    try:
        trusted = ssl.create_default_context(cafile=str(cert))

        async def post(ctx: ssl.SSLContext | None) -> int:
            async with aiohttp.ClientSession() as s:
                async with s.post(
                    f"https://127.0.0.1:{r.bridge.port}/push/ctwing", data=body, ssl=ctx
                ) as resp:
                    return resp.status

        assert loop.run(post(trusted)) == 200
        (e,) = events.wait_count(1)
        assert e["evt"] == "mute"  # the documented report's Alarm_Status 2 (静音)
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            loop.run(post(ssl.create_default_context()))  # a client that does not trust it refuses
        with pytest.raises((aiohttp.ClientError, asyncio.TimeoutError)):

            async def plain() -> int:
                async with aiohttp.ClientSession() as s:
                    async with s.post(f"http://127.0.0.1:{r.bridge.port}/push/ctwing", data=body) as resp:
                        return resp.status

            loop.run(plain(), timeout=10)

        async def health() -> bytes:
            async with aiohttp.ClientSession() as s:
                async with s.get(f"https://127.0.0.1:{r.bridge.port}/health", ssl=trusted) as resp:
                    return await resp.read()

        assert msgspec.json.decode(loop.run(health()))["counters"]["pushes"] == 1
    finally:
        r.stop()
