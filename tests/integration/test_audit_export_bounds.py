"""``audit export`` with --from and/or --to omitted, on a real SQLite journal: from the first
record, up to and including the last one; with neither, the whole journal."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from console.domain import events
from console.entry.audit import main as audit
from console.io.store import SqlStore

ROOT = Path(__file__).resolve().parents[2]


def _ns(y: int, m: int, d: int) -> int:
    return int(datetime(y, m, d, 12, tzinfo=UTC).timestamp()) * 1_000_000_000


def _dev(at: int, i: int) -> tuple[int, str, str, str, bytes]:
    e = events.DeviceEvent(
        at=at, district="500106", township="500106001", dev="d1", id=f"e{i}", kind="smoke", evt="alarm", ts=at
    )
    return (at, "bus", "dev", e.key, events.encode(e))


@pytest.fixture
def db(tmp_path: Path) -> str:
    """Three records, not in time order (two consoles sharing a store): Jan 5, Mar 5, Feb 5."""
    url = f"sqlite:///{tmp_path / 'journal.sqlite'}"
    with SqlStore(url) as s:
        s.journal.append([_dev(_ns(2020, 1, 5), 1), _dev(_ns(2020, 3, 5), 2)], "c1")
        s.journal.append([_dev(_ns(2020, 2, 5), 3)], "c2")
    return url


def _seqs(path: Path) -> list[int]:
    return [json.loads(line)["seq"] for line in path.read_text(encoding="utf-8").splitlines()]


def _export(db: str, out: Path, *bounds: str) -> int:
    return audit(["export", "--db", db, *bounds, "--format", "jsonl", "--out", str(out)])


def test_no_bounds_exports_the_whole_journal_including_the_last_record(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "all.jsonl"
    assert _export(db, out) == 0
    assert _seqs(out) == [1, 2, 3]  # the latest record (Mar 5, seq 2) is in: --to omitted includes it
    err = capsys.readouterr().err
    assert "exported 3 records (2020-01-05T12:00:00.000+00:00 .. 2020-03-05T12:00:00.000+00:00)" in err


def test_one_bound_omitted(db: str, tmp_path: Path) -> None:
    out = tmp_path / "x.jsonl"
    assert _export(db, out, "--from", "2020-02-01T00:00:00Z") == 0
    assert _seqs(out) == [2, 3]  # Mar 5 and Feb 5: by time, not by seq
    assert _export(db, out, "--to", "2020-02-10T00:00:00Z") == 0
    assert _seqs(out) == [1, 3]
    assert _export(db, out, "--from", "2020-03-05T12:00:00Z") == 0
    assert _seqs(out) == [2]  # the last record itself, to the last record included
    assert _export(db, out, "--to", "2020-01-05T12:00:00Z") == 0
    assert _seqs(out) == []  # --to stays exclusive when given


def test_a_range_past_the_journal_is_empty_not_an_error(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "late.jsonl"
    assert _export(db, out, "--from", "2021-01-01T00:00:00Z") == 0
    assert _seqs(out) == [] and "exported 0 records (an empty range)" in capsys.readouterr().err
    # both given and out of order is still a usage error
    assert _export(db, out, "--from", "2020-03-01T00:00:00Z", "--to", "2020-02-01T00:00:00Z") == 2


def test_an_empty_journal_exports_a_header_only(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    SqlStore(url).close()
    out = tmp_path / "empty.csv"
    assert audit(["export", "--db", url, "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8-sig").splitlines() == [
        "seq,at,at_ns,source,type,key,console,body,prev,hash"
    ]


def test_python_m_console_audit_export_without_bounds(db: str, tmp_path: Path) -> None:
    out = tmp_path / "all.csv"
    run = subprocess.run(
        [sys.executable, "-m", "console", "audit", "export", "--db", db, "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert "exported 3 records" in run.stderr
    assert len(out.read_text(encoding="utf-8-sig").splitlines()) == 4  # the header and 3 records
    helped = subprocess.run(
        [sys.executable, "-m", "console", "audit", "export", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert helped.returncode == 0, helped.stderr
    text = " ".join(helped.stdout.split())
    assert "omitted: from the first record" in text and "omitted: to the last record, included" in text
    assert "exit codes:" in text
