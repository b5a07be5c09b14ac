"""The audit and operators CLIs on a real SQLite journal: verify, export, tail, archive."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from console.domain import events
from console.entry.audit import main as audit
from console.entry.operators import main as operators
from console.io.store import SqlStore, verify_engine

ROOT = Path(__file__).resolve().parents[2]


def _ns(y: int, m: int, d: int) -> int:
    return int(datetime(y, m, d, 12, tzinfo=UTC).timestamp()) * 1_000_000_000


def _dev(at: int, i: int) -> tuple[int, str, str, str, bytes]:
    e = events.DeviceEvent(
        at=at,
        district="500106",
        township="500106001",
        dev="d1",
        id=f"e{i}",
        kind="gas",
        evt="alarm",
        ts=at,
        lvl=2,
    )
    return (at, "bus", "dev", e.key, events.encode(e))


@pytest.fixture
def db(tmp_path: Path) -> str:
    """Two records in each month of 2020-01 .. 2020-06, then one undecodable system record."""
    url = f"sqlite:///{tmp_path / 'journal.sqlite'}"
    with SqlStore(url) as s:
        items = [_dev(_ns(2020, m, d), m * 100 + d) for m in range(1, 7) for d in (5, 20)]
        s.journal.append(items, "c1")
        s.journal.append([(_ns(2020, 6, 25), "system", "sys", "", b"\xff not json")], "c1")
    return url


def test_verify_ok_and_broken(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert audit(["verify", "--db", db]) == 0
    out = capsys.readouterr().out
    assert out.startswith("OK 13 records, head ") and "records/s" in out
    with SqlStore(db) as s, s.engine.begin() as conn:
        conn.execute(text("UPDATE journal SET key = 'd1/e999' WHERE seq = 7"))
    assert audit(["verify", "--db", db]) == 1
    out = capsys.readouterr().out
    assert out.startswith("BROKEN at seq 7: bad_hash") and "records/s" in out


def test_export_jsonl_and_csv(db: str, tmp_path: Path) -> None:
    out = tmp_path / "feb.jsonl"
    assert audit(["export", "--db", db, "--from", "2020-02-01T00:00:00+00:00", "--to", "2020-03-01T00:00:00Z",
                  "--format", "jsonl", "--out", str(out)]) == 0  # fmt: skip
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["seq"] for r in rows] == [3, 4]
    assert (
        rows[0]["body"]["t"] == "dev"
        and rows[0]["body"]["lvl"] == 2
        and rows[0]["at"].startswith("2020-02-05")
    )
    out = tmp_path / "all.csv"
    assert audit(["export", "--db", db, "--from", "2019-01-01T00:00:00Z", "--to", "2021-01-01T00:00:00Z",
                  "--format", "csv", "--out", str(out)]) == 0  # fmt: skip
    with out.open(encoding="utf-8-sig", newline="") as f:
        table = list(csv.DictReader(f))
    assert len(table) == 13 and json.loads(table[0]["body"])["id"] == "e105"
    assert "_undecodable_base64" in json.loads(table[-1]["body"])  # kept, not dropped
    assert audit(["export", "--db", db, "--from", "2020-03-01", "--to", "2020-02-01", "--out", str(out)]) == 2


def test_tail_last_n(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert audit(["tail", "--db", db, "-n", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [int(line.split()[0]) for line in lines] == [11, 12, 13]


def test_tail_follow_shows_new_records(db: str) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "console",
            "audit",
            "tail",
            "--db",
            db,
            "-n",
            "1",
            "--follow",
            "--interval",
            "0.05",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: list[int] = []
    got_new = threading.Event()

    def reader() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            seen.append(int(line.split()[0]))
            if 14 in seen:
                got_new.set()

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    try:
        deadline = time.monotonic() + 60
        while 13 not in seen and time.monotonic() < deadline and proc.poll() is None:
            got_new.wait(0.02)  # the first line (seq 13) has to be out before we append
        assert 13 in seen, proc.stderr.read() if proc.poll() is not None and proc.stderr else seen
        with SqlStore(db) as s:
            s.journal.append([_dev(_ns(2020, 7, 1), 701)], "c2")
        assert got_new.wait(60), seen
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        t.join(timeout=10)
        for f in (proc.stdout, proc.stderr):
            if f is not None:
                f.close()
    assert seen[:2] == [13, 14]


def test_archive_keeps_the_live_chain_verifiable(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a1, a2 = tmp_path / "2020Q1.sqlite", tmp_path / "2020-04.sqlite"
    assert audit(["archive", "--db", db, "--before", "2020-04", "--out", str(a1)]) == 0
    assert "archived seq 1..6 (6 records)" in capsys.readouterr().out
    assert audit(["archive", "--db", db, "--before", "2020-05", "--out", str(a2)]) == 0
    with SqlStore(db) as s:
        assert s.journal.count() == 5 and next(s.journal.read()).seq == 9
        result = verify_engine(s.engine)
        assert result.ok and result.start_seq == 9 and result.head_seq == 13
        new = s.journal.append([_dev(_ns(2020, 7, 1), 701)], "c1")  # the chain continues
        assert new[0].seq == 14
    capsys.readouterr()
    assert audit(["verify", "--db", db, "--archives"]) == 0
    assert capsys.readouterr().out.startswith("OK 6 records")  # live: seq 9..14
    assert audit(["verify", "--db", str(a1)]) == 0
    assert capsys.readouterr().out.startswith("OK 6 records")  # archive: seq 1..6
    assert audit(["verify", "--db", str(a2)]) == 0
    # tampering inside an archive file is caught on its own, and through the mark's sha256
    with SqlStore(a1, upgrade=False) as arc, arc.engine.begin() as conn:
        conn.execute(text("UPDATE journal SET console = 'x' WHERE seq = 2"))
    capsys.readouterr()
    assert audit(["verify", "--db", str(a1)]) == 1
    assert "BROKEN at seq 2" in capsys.readouterr().out
    assert audit(["verify", "--db", db, "--archives"]) == 1
    # a forged mark (pretending rows were archived) breaks the marks chain
    with SqlStore(db) as s, s.engine.begin() as conn:
        conn.execute(text("UPDATE archive_marks SET first_seq = 8 WHERE first_seq = 7"))
    assert audit(["verify", "--db", db]) == 1
    assert "bad_archive_mark" in capsys.readouterr().out


def test_archive_refuses_young_records_and_existing_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'journal.sqlite'}"
    now = time.time_ns()
    with SqlStore(url) as s:
        s.journal.append([_dev(now - 40 * 86_400 * 10**9, 1), _dev(now, 2)], "c1")
    month = datetime.now().strftime("%Y-%m")
    out = tmp_path / "young.sqlite"
    assert audit(["archive", "--db", url, "--before", month, "--out", str(out)]) == 2
    assert "GB 50440" in capsys.readouterr().err and not out.exists()
    assert audit(["archive", "--db", url, "--before", month, "--out", str(out), "--force-younger"]) == 0
    assert audit(["archive", "--db", url, "--before", month, "--out", str(out), "--force-younger"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert audit(["verify", "--db", url]) == 0
    assert audit(["archive", "--db", url, "--before", "1999-13", "--out", str(tmp_path / "x")]) == 2


def test_audit_on_corrupt_file_reports_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"\x00garbage" * 1000)
    assert audit(["verify", "--db", str(bad)]) == 2
    assert "journal error (corrupt)" in capsys.readouterr().err


def test_operators_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "journal.sqlite")
    assert operators(["add", "li01", "--db", db, "--name", "李娜", "--role", "township_officer",
                      "--scope", "500106001", "--password", "correct horse"]) == 0  # fmt: skip
    assert operators(["add", "boss", "--db", db, "--name", "王", "--role", "district_officer",
                      "--password", "battery staple"]) == 0  # fmt: skip
    assert operators(["add", "bad", "--db", db, "--name", "x", "--role", "township_officer",
                      "--password", "longenough"]) == 2  # fmt: skip
    assert "township code" in capsys.readouterr().err
    assert operators(["disable", "boss", "--db", db]) == 0
    capsys.readouterr()
    assert operators(["list", "--db", db]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:3] == ["boss", "district_officer", "*"] and "(disabled)" in out[0]
    assert out[1].split() == ["li01", "township_officer", "500106001", "李娜"]
    with SqlStore(db) as s:
        assert s.check_login("li01", "correct horse") is not None
        assert s.check_login("boss", "battery staple") is None


def test_python_m_console_audit_entry_point(db: str) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "console", "audit", "verify", "--db", db],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("OK 13 records")
