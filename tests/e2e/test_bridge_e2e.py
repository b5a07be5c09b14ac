"""End to end: a CTWing push for a registered smoke detector becomes an incident on the console,
with its notifications accepted by the gateway. Every part is its own process as deployed: the
bridge (``python -m console bridge``), the console (``python -m console headless``), the gateway
simulator; a real Mosquitto; a real HTTP client; one SQLite store holding the register, which
the bridge reads and the console journals into."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from console.domain import events as ev
from tests.bridge.bridge_support import IMEI, body_with, store_with_device
from tests.bridge.platform_bodies import doc
from tests.bridge.test_faults import Child, write_config
from tests.fixtures.brokers import Lines, wait_until
from tests.fixtures.headless import Headless
from tests.gateway.gw_support import Loop

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def test_a_platform_push_becomes_an_incident_with_its_notifications(
    mosquitto: Any, unique_topic_prefix: str, tmp_path: Path
) -> None:
    district = unique_topic_prefix
    db = store_with_device(tmp_path / "journal.sqlite", district=district)
    config = tmp_path / "bridge.toml"
    write_config(config, mosquitto, district, db)
    loop = Loop()
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
    argv += ["--district", district, "--speed", "1000", "--client-id", f"gw-e2e-{district}"]
    gateway = subprocess.Popen(
        argv,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    gw_out = Lines(gateway.stdout)
    console = Headless(mosquitto, db, tmp_path / "data", tmp_path / "headless.log", ["--console-id", "e2e"])
    bridge: Child | None = None
    try:
        wait_until(
            lambda: any("listening on" in ln for ln in gw_out.lines), 30, "the gateway", on=gw_out.changes
        )
        console.wait(lambda: console.status().get("bus") == "connected", "the console on the bus")
        bridge = Child(config)
        alarm = body_with(
            doc("ctwing", "data_report_service_data"),
            upPacketSN=7,
            timestamp=1764576000000,
            payload__serviceData__Alarm_Status=1,
        )
        assert bridge.post_all(loop, [alarm]) == [200]
        console.wait(lambda: console.status().get("open") == 1, "the incident on the console")
        console.wait(lambda: console.status().get("unaccepted") == 0, "nothing left unaccepted")
        assert console.stop() == 0
        bridge.stop()
        bridge = None
    finally:
        if bridge is not None:
            bridge.kill()
        console.stop()
        gateway.terminate()
        gateway.wait(20)
        gw_out.join(10)
        loop.close()
    from console.io.store import SqlStore

    with SqlStore(db) as store:
        records = [ev.decode(r.body) for r in store.journal.read(1)]
    alarms = [e for e in records if isinstance(e, ev.DeviceEvent) and e.evt == "alarm"]
    assert [(e.dev, e.kind, e.township) for e in alarms] == [(IMEI, "smoke", "500106001")]
    accepted = {e.req for e in records if isinstance(e, ev.NotifyReceipt) and e.status == "accepted"}
    published = {r for e in records if isinstance(e, ev.NotifyPublished) for r in e.reqs}
    # the elder, the guardian and the grid worker, by SMS and by call (the smoke checklist)
    assert len(published) == 6 and accepted == published
