"""Real failures, each classified: corrupt files (left byte-identical), locked, disk full, read-only."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from console.io.store import JournalError, SqlStore, verify_engine

ROOT = Path(__file__).resolve().parents[2]


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def _filled(path: Path, batches: int = 20) -> None:
    with SqlStore(path) as s:
        for b in range(batches):
            s.journal.append([(i, "bus", "dev", f"k{b}/{i}", os.urandom(200)) for i in range(100)], "c")


def test_random_bytes_file_is_corrupt_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    path.write_bytes(os.urandom(64 * 1024))
    before = _sha(path)
    with pytest.raises(JournalError) as info:
        SqlStore(path)
    assert info.value.kind == "corrupt"
    assert _sha(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["journal.sqlite"]


def test_damaged_pages_are_corrupt_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    _filled(path)
    data = bytearray(path.read_bytes())
    middle = len(data) // 4096 // 2
    for page in (middle, middle + 1):
        data[page * 4096 : page * 4096 + 200] = os.urandom(200)
    path.write_bytes(bytes(data))
    before = _sha(path)
    with pytest.raises(JournalError) as info:
        SqlStore(path)
    assert info.value.kind == "corrupt"
    assert "left untouched" in info.value.message
    assert _sha(path) == before


def _journal_pages(path: Path) -> tuple[int, int]:
    """(page size, the page number of the journal table's right-most leaf: its newest rows)."""
    with sqlite3.connect(path) as c:
        size = c.execute("PRAGMA page_size").fetchone()[0]
        (last,) = c.execute(
            "SELECT pageno FROM dbstat WHERE name = 'journal' AND pagetype = 'leaf' ORDER BY path DESC LIMIT 1"
        ).fetchone()
    return size, last


def test_a_large_journal_is_probed_at_open_and_checked_whole_by_the_backup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past QUICK_CHECK_MAX_BYTES an open does not read every page (a year's journal would take
    half a minute at each start): it probes the schema and the newest records, and a page
    damaged there is still refused; one damaged elsewhere is found by the backup's check."""
    from console.io import backup
    from console.io.store import db

    monkeypatch.setattr(db, "QUICK_CHECK_MAX_BYTES", 0)  # every file counts as large here
    newest, middle = tmp_path / "newest.sqlite", tmp_path / "middle.sqlite"
    _filled(newest)
    shutil.copy(newest, middle)
    size, last = _journal_pages(newest)
    data = bytearray(newest.read_bytes())
    data[(last - 1) * size + 8 : (last - 1) * size + 208] = os.urandom(200)
    newest.write_bytes(bytes(data))
    with pytest.raises(JournalError) as info:
        SqlStore(newest)
    assert info.value.kind == "corrupt"

    data = bytearray(middle.read_bytes())
    page = len(data) // size // 2
    assert page != last
    data[page * size : page * size + 200] = os.urandom(200)
    middle.write_bytes(bytes(data))
    SqlStore(middle, readonly=True).close()  # the probe does not read that page
    with pytest.raises(backup.BackupError, match=r"integrity_check failed|not a readable|broken"):
        backup.copy_journal(middle, tmp_path / "copy.sqlite")
    assert not (tmp_path / "copy.sqlite").exists()


def test_truncated_header_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    path.write_bytes(b"SQLite format 3\x00" + b"\x00" * 20)
    with pytest.raises(JournalError, match="corrupt"):
        SqlStore(path)


def test_locked_by_another_connection(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    store = SqlStore(path, busy_timeout_ms=100)
    store.journal.append([(1, "bus", "dev", "a", b"{}")], "c")
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        with pytest.raises(JournalError) as info:
            store.journal.append([(2, "bus", "dev", "b", b"{}")], "c")
        assert info.value.kind == "locked"
        with pytest.raises(JournalError) as info:
            SqlStore(path, busy_timeout_ms=100)  # opening needs the write lock for migrations too
        assert info.value.kind == "locked"
        other.execute("ROLLBACK")
    finally:
        other.close()
    store.journal.append([(2, "bus", "dev", "b", b"{}")], "c")  # usable again once released
    assert verify_engine(store.engine).records == 2
    store.close()


def test_disk_full_is_classified_and_the_chain_survives(tmp_path: Path) -> None:
    """SQLITE_FULL for real: the database may not grow past max_page_count pages."""
    path = tmp_path / "journal.sqlite"
    SqlStore(path).close()
    pages = sqlite3.connect(path).execute("PRAGMA page_count").fetchone()[0]
    store = SqlStore(path, pragmas={"max_page_count": pages + 30})
    acked = 0
    with pytest.raises(JournalError) as info:
        for i in range(1000):
            store.journal.append([(i, "bus", "dev", f"k{i}/{k}", b"x" * 1000) for k in range(10)], "c")
            acked += 10
    assert info.value.kind == "disk_full"
    assert acked > 0
    result = verify_engine(store.engine)
    assert result.ok and result.records == acked  # the failed batch left nothing behind
    store.close()
    with SqlStore(path) as again:  # room again: the chain continues where it stopped
        rec = again.journal.append([(0, "bus", "dev", "after", b"{}")], "c")
        assert rec[0].seq == acked + 1
        assert verify_engine(again.engine).ok


READONLY_PROBE = r"""
import sys
sys.path.insert(0, sys.argv[1])
from console.io.store import JournalError, SqlStore, verify_engine
try:
    SqlStore(sys.argv[2])
    print("opened-writable")
except JournalError as exc:
    print("open", exc.kind)
s = SqlStore(sys.argv[2], readonly=True)
r = verify_engine(s.engine)
print("verify", r.ok, r.records)
try:
    s.journal.append([(1, "bus", "dev", "x", b"{}")], "c")
    print("appended")
except JournalError as exc:
    print("append", exc.kind)
s.close()
"""


def test_read_only_file(tmp_path: Path) -> None:
    """A file the OS will not let us write. Root ignores file modes, so as root the probe runs with
    CAP_DAC_OVERRIDE dropped from its bounding set (setpriv): then root, like anyone, may only write
    files whose mode allows it, and a 0444 file is truly read-only."""
    path = tmp_path / "journal.sqlite"
    _filled(path, batches=2)
    path.chmod(0o444)
    before = _sha(path)
    cmd = [sys.executable, "-c", READONLY_PROBE, str(ROOT), str(path)]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.fail(
                "running as root without setpriv, so a file cannot be made read-only for root: "
                "Debian package util-linux (build/system_packages.sh test)",
                pytrace=False,
            )
        drop = "-dac_override,-dac_read_search"
        cmd = [setpriv, f"--inh-caps={drop}", f"--bounding-set={drop}", *cmd]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split("\n")[:3] == ["open read_only", "verify True 200", "append read_only"]
    assert _sha(path) == before


def test_odd_characters_in_the_path(tmp_path: Path) -> None:
    """Windows profile folders have spaces and Chinese names; '#', '?' and '%' must not be URL syntax."""
    folder = tmp_path / "张 三#1 %20?x"
    with SqlStore(folder / "journal.sqlite") as s:
        s.journal.append([(1, "bus", "dev", "k", b"{}")], "c")
    assert sorted(p.name for p in tmp_path.iterdir()) == [folder.name]
    with SqlStore(str(folder / "journal.sqlite"), readonly=True) as r:
        assert verify_engine(r.engine).records == 1


def test_schema_from_a_newer_console_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    SqlStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE alembic_version SET version_num = '0099'")
    conn.commit()
    conn.close()
    with pytest.raises(JournalError, match="0099"):
        SqlStore(path)
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("0099",)]
    conn.close()
