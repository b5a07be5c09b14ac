"""``python -m console bench bridge --json``: one JSON object; every push answered 200 is published
once, and every push is counted exactly (by the client, the bridge and the subscriber)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from console.benches import bridge as bench
from tests.bridge.platform_bodies import doc

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
KEYS = {
    "pushes_per_s",
    "http_p50_ms",
    "http_p99_ms",
    "accepted",
    "refused",
    "lost",
    "duplicates",
    "publish_lag_p99_ms",
    "outbox_commits",
    "client",
    "seconds",
    "concurrency",
    "loadavg_start",
}


def test_the_bench_posts_the_documented_ctwing_body() -> None:
    documented = doc("ctwing", "data_report_service_data")["body"]
    assert bench.BODY == documented
    # the 100th push of 50 devices: the last device's second report, an alarm (one in 50)
    body = json.loads(bench.body_of(bench._template(), bench.push_of(99, 50, 1764576000000, 50)))
    data = body["payload"]["serviceData"]
    assert body["IMEI"] == data["IMEI"] == bench.imei(49) and body["productId"] == "15014772"
    assert (body["upPacketSN"], body["timestamp"], data["Alarm_Status"]) == (2, 1764576000099, bench.ALARM)
    changed = {k for k in body if body[k] != documented[k]}
    assert changed == {"IMEI", "deviceId", "upPacketSN", "upDataSN", "timestamp", "payload"}
    assert {k for k in data if data[k] != documented["payload"]["serviceData"][k]} == {"IMEI", "Alarm_Status"}


def test_bench_bridge_prints_its_figures() -> None:
    pushes = 300
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "console",
            "bench",
            "bridge",
            "--json",
            "--pushes",
            str(pushes),
            "--concurrency",
            "8",
            "--devices",
            "40",
            "--alarm-every",
            "10",
            "--drain-timeout",
            "30",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stderr
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    assert KEYS <= set(figures)
    assert figures["client"] == "separate process" and figures["concurrency"] == 8
    assert figures["sent"] == figures["accepted"] == pushes
    assert figures["refused"] == figures["errors"] == 0
    assert figures["lost"] == figures["duplicates"] == figures["unexpected"] == 0
    assert figures["events_seen"] == pushes
    assert figures["bridge_pushes"] == figures["bridge_events"] == pushes
    assert figures["bridge_duplicates"] == figures["quarantined"] == 0
    assert figures["outbox_commits"] > 0 and figures["pushes_per_s"] > 0
    assert 0 < figures["http_p50_ms"] <= figures["http_p99_ms"]
    assert 0 <= figures["publish_lag_p99_ms"]
