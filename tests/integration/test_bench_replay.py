"""``python -m console bench replay --json`` at a small size: one JSON object of figures, and the
replay it measures ends where the live run did."""

from __future__ import annotations

import json
import subprocess
import sys


def test_bench_replay_prints_one_json_object_and_replay_matches_live() -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "console",
            "bench",
            "replay",
            "--json",
            *("--records", "6000"),
            *("--households", "150"),
            *("--seeks", "5"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    figures = json.loads(out.stdout)
    assert figures["records"] >= 6000
    assert figures["identical_to_live"] is True
    assert figures["problems"] == 0
    assert figures["checkpoints"] >= 2
    for key in ("play_records_per_s", "seek_ms_mean", "seek_ms_p95", "checkpoint_mb"):
        assert figures[key] > 0, key
