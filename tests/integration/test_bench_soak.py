"""``bench soak`` at a tiny size (half a minute, 500 households): its JSON holds every figure, it
samples the headless console more than twice, loses no alarm and stops the console cleanly.

The bench runs a real Mosquitto, a headless console and a publisher as children and waits in real
time itself; the test only waits for the bench's process to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
KEYS = (
    "samples",
    "rss_start_mb",
    "rss_end_mb",
    "rss_growth_pct",
    "cpu_pct",
    "cpu_pct_max",
    "msgs_published",
    "msgs_per_s",
    "alarms",
    "journal_records",
    "lost",
    "exit_code",
    "loadavg_start",
    "machine_busy_pct",
    "machine_steal_pct",
)


def test_bench_soak_samples_the_console_and_loses_no_alarm() -> None:
    args = ["--minutes", "0.5", "--sample-s", "5", "--warmup-min", "0.1", "--households", "500"]
    out = subprocess.run(
        [sys.executable, "-m", "console", "bench", "soak", *args, "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=240,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    figures: dict[str, Any] = json.loads(out.stdout)
    for key in KEYS:
        assert key in figures, key
    assert len(figures["samples"]) >= 3, figures["samples"]
    for s in figures["samples"]:
        assert set(s) == {"t_s", "rss_mb", "cpu_pct"}, s
        assert s["rss_mb"] > 0 and s["cpu_pct"] >= 0, s
    assert figures["rss_start_mb"] > 0 and figures["rss_end_mb"] > 0
    assert figures["alarms"] >= 3 and figures["msgs_published"] > figures["alarms"]
    assert figures["lost"] == 0 and figures["restores_lost"] == 0, figures
    assert figures["journal_records"] >= 2 * figures["alarms"]  # each alarm and its restore
    assert figures["exit_code"] == 0, figures
