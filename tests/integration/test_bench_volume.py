"""The volume bench at a tiny size: one JSON object with the year's projection, and the compact
journal is smaller than the form before compaction."""

from __future__ import annotations

import json
import subprocess
import sys

KEYS = (
    "bytes_per_device_day",
    "records_per_device_day",
    "year_gb_sqlite",
    "year_gb_postgres",
    "start_s",
    "verify_s_day",
    "verify_s_year",
    "replay_index_s_year",
    "devices",
    "days",
    "periods",
    "heartbeats_per_s",
    "records",
    "seen_records",
    "hb_records",
    "day_bytes",
    "loadavg_start",
    "machine_busy_pct",
    "machine_steal_pct",
    "old_bytes_per_device_day",
    "old_year_gb_sqlite",
    "how",
)


def test_bench_volume_projects_a_year_and_compaction_shrinks_the_journal() -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "console",
            "bench",
            "volume",
            "--devices",
            "3000",
            "--days",
            "2",
            "--alarms-per-min",
            "0.1",
            "--json",
        ],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=900,
        check=True,
    )
    figures = json.loads(out.stdout)
    for key in KEYS:
        assert key in figures, key
    assert "day 1:" in out.stderr  # progress as it builds
    assert figures["year_gb_sqlite"] > 0
    assert figures["bytes_per_device_day"] < figures["old_bytes_per_device_day"]
    assert figures["start_s"] > 0
    assert figures["seen_records"] > 0
    assert figures["start_same_world"] is True
    assert figures["replay_identical_to_live"] is True
    assert figures["verify_ok"] is True and figures["verify_day_ok"] is True
    assert 0 < figures["verify_day_records"] < figures["records"]
    assert figures["year_gb_postgres"] is None or figures["year_gb_postgres"] > 0
