"""``import-register``'s output in the order a terminal or a log shows it (issue 18 item 5): the
progress lines, then the summary, then the row lines, even with both streams merged into one
pipe (``2>&1 | tee``) and Python's output not forced unbuffered."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

from tests.fixtures import real_district as rd

ROOT = Path(__file__).resolve().parents[2]


def test_progress_then_summary_then_rows_in_a_merged_stream(tmp_path: Path) -> None:
    path = rd.write_csv(tmp_path / "big.csv", rd.homes(3000, 1, gcj02_one=False))  # 6,000 rows
    rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    rows[7][12] = "north"  # two bad rows: a latitude that is no number, a phone that is none
    rows[4000][17] = "guardian:何:12345:GD-x"
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f, lineterminator="\r\n").writerows(rows)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    env["GUARDIAN_DATA_DIR"] = str(tmp_path / "data")
    args = [sys.executable, "-m", "console", "import-register", str(path), "--db", str(tmp_path / "j.sqlite")]
    done = subprocess.run(
        args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300
    )
    assert done.returncode == 3, done.stdout
    lines = done.stdout.splitlines()
    progress = [i for i, ln in enumerate(lines) if ln.startswith("  checked ")]
    summary = [i for i, ln in enumerate(lines) if " rows: " in ln and " valid, " in ln]
    row_lines = [i for i, ln in enumerate(lines) if ln.startswith("  row ")]
    assert progress and len(summary) == 1 and len(row_lines) == 2, done.stdout
    assert "checked 0/" not in done.stdout
    assert max(progress) < summary[0] < min(row_lines), done.stdout
