"""``bench ingest`` at a small size: several runs, each draining the same backlog through a raw
subscriber and through the console, prints the figures issue #23 asks for, and loses nothing."""

from __future__ import annotations

import json
import subprocess
import sys

KEYS = (
    "per_s_min",
    "per_s_median",
    "raw_per_s",
    "ratio_min",
    "ratio_median",
    "lost",
    "duplicates",
    "p99_ms",
    "p50_ms",
    "runs",
    "messages",
    "loadavg_start",
    "machine_busy_pct",
    "machine_steal_pct",
)


def test_bench_ingest_runs_raw_and_console_side_by_side_and_loses_nothing() -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "console",
            "bench",
            "ingest",
            "--runs",
            "2",
            "--messages",
            "3000",
            "--paced-seconds",
            "2",
            "--json",
        ],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=240,
        check=True,
    )
    figures = json.loads(out.stdout)
    missing = [k for k in KEYS if k not in figures]
    assert not missing, missing
    assert figures["runs"] == 2
    assert figures["messages"] == 3000
    assert figures["lost"] == 0
    assert figures["duplicates"] == 0
    assert figures["same_messages"] is True  # raw and console drained exactly the backlog
    assert figures["completed"] is True
    assert figures["ratio_min"] > 0
    assert figures["ratio_min"] <= figures["ratio_median"]
    assert figures["per_s_min"] <= figures["per_s_median"]
    assert figures["raw_per_s"] > 0
    assert len(figures["per_s_runs"]) == len(figures["raw_per_s_runs"]) == 2
    assert figures["raw_client"] == "aiomqtt"  # bus_drain's raw drain; paho's beside it
    assert figures["raw_paho_per_s"] > 0 and figures["ratio_paho_min"] > 0
    assert figures["orders"] == ["console,aiomqtt,paho", "aiomqtt,paho,console"]  # each goes first in turn
    assert figures["alarms_seen_paced"] > 0
