"""Benches at a small size: each prints one JSON object of figures, and the replay or start it
measures ends where the live run (or a fold of the whole journal) did."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any


def bench(*args: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "console", "bench", *args, "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    figures: dict[str, Any] = json.loads(out.stdout)
    return figures


def test_bench_replay_prints_one_json_object_and_replay_matches_live() -> None:
    figures = bench("replay", "--records", "6000", "--households", "150", "--seeks", "5")
    assert figures["records"] >= 6000
    assert figures["identical_to_live"] is True
    assert figures["problems"] == 0
    assert figures["checkpoints"] >= 2
    for key in ("play_records_per_s", "seek_ms_mean", "seek_ms_p95", "checkpoint_mb"):
        assert figures[key] > 0, key


def test_bench_recover_starts_from_a_checkpoint_into_the_same_world() -> None:
    figures = bench("recover", "--records", "8000", "--households", "150", "--tail", "2000")
    assert figures["from_checkpoint_tail_records"] == 2000
    assert figures["after_clean_stop_tail_records"] == 0
    assert figures["from_checkpoint_same_world"] is True
    assert figures["after_clean_stop_same_world"] is True
    assert figures["checkpoint_bytes"] > 0


def test_bench_queue_keeps_the_storm_queue_right_and_times_each_update() -> None:
    figures = bench("queue", "--households", "1500", "--incidents", "120", "--duration", "20")
    for key in ("update_p99_ms", "update_p50_ms", "updates", "open_incidents", "msgs_per_s", "top_correct"):
        assert key in figures, key
    assert figures["top_correct"] == 1, figures
    assert figures["fire_checked_updates"] > 0  # the fire's corroboration arrived within the run
    assert figures["open_incidents"] == 120
    assert figures["msgs_per_s"] == 1000
    assert figures["updates"] > 100 and 0 < figures["update_p50_ms"] <= figures["update_p99_ms"]
