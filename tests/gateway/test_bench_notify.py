"""``python -m console bench notify --json``: one JSON object, every request accepted, none twice."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def test_bench_notify_prints_its_figures() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "console", "bench", "notify", "--json", "--alarms", "20", "--window", "0.2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    assert figures["requests"] == figures["accepted"] == 80
    assert (
        figures["duplicates"] == 0
        and figures["duplicates_answered_from_outbox"] == figures["duplicate_requests_published"]
    )
    assert figures["accepted_per_s"] > 0 and 0 <= figures["accept_p50_ms"] <= figures["accept_p99_ms"]
