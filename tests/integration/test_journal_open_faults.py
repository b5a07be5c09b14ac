"""Opening the journal under fault (issue 16): a read-only file, folder, shared-memory file or file
system is reported as read-only, naming it; a zero-length journal file is refused unless a new
journal is confirmed; a process that dies of a fatal signal leaves a crash report.

Real SQLite files in tmp_path. Root ignores file modes, so as root the read-only probes run in a
child started through setpriv without CAP_DAC_OVERRIDE (as tests/integration/test_store_errors.py
does); the read-only file system is a tmpfs remounted read-only (which binds root too). Nothing
sleeps: the children are waited on, their output read until a line shows up.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from console.config import Settings, add_flags, from_args, load
from console.io.store import JournalError, SqlStore
from console.io.store.errors import EmptyJournal

ROOT = Path(__file__).resolve().parents[2]
WAIT_S = 60.0

PROBE = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from console.io.store import JournalError, SqlStore
try:
    SqlStore(sys.argv[2]).close()
    print(json.dumps({"opened": True}))
except JournalError as exc:
    print(json.dumps({"kind": exc.kind, "message": exc.message}))
"""

LEAVE_SIDE_FILES = r"""
import os, sys
sys.path.insert(0, sys.argv[1])
from console.io.store import SqlStore
s = SqlStore(sys.argv[2])
s.journal.append([(1, "bus", "dev", "a/1", b"{}")], "c")
s.journal.count()
os._exit(0)  # killed, in effect: the -wal and -shm stay behind
"""


def env(data: Path) -> dict[str, str]:
    return {**os.environ, "GUARDIAN_DATA_DIR": str(data), "PYTHONPATH": str(ROOT)}


def unprivileged(cmd: list[str]) -> list[str]:
    """``cmd`` as a process the kernel holds to file modes (root: without CAP_DAC_OVERRIDE)."""
    if os.geteuid() != 0:
        return cmd
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.fail(
            "running as root without setpriv, so a file cannot be made read-only for root: "
            "Debian package util-linux (build/system_packages.sh test)",
            pytrace=False,
        )
    drop = "-dac_override,-dac_read_search"
    return [setpriv, f"--inh-caps={drop}", f"--bounding-set={drop}", *cmd]


def probe_open(path: Path) -> dict[str, str]:
    out = subprocess.run(
        unprivileged([sys.executable, "-c", PROBE, str(ROOT), str(path)]),
        capture_output=True,
        text=True,
        timeout=WAIT_S,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    result: dict[str, str] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def journal(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "journal.sqlite"
    with SqlStore(path) as s:
        s.journal.append([(1, "bus", "dev", "a/1", b"{}")], "c")
    return path


# --- read-only ---------------------------------------------------------------------------------


def test_a_read_only_journal_file_is_named_read_only(tmp_path: Path) -> None:
    path = journal(tmp_path / "j")
    path.chmod(0o444)
    before = path.read_bytes()
    got = probe_open(path)
    assert got["kind"] == "read_only", got
    assert "read-only" in got["message"] and str(path) in got["message"]
    assert path.read_bytes() == before


def test_a_read_only_folder_is_named_read_only(tmp_path: Path) -> None:
    """SQLite must create journal.sqlite-wal and -shm next to the journal."""
    folder = tmp_path / "j"
    journal(folder)
    folder.chmod(0o555)
    try:
        got = probe_open(folder / "journal.sqlite")
    finally:
        folder.chmod(0o755)
    assert got["kind"] == "read_only", got
    assert "read-only" in got["message"] and str(folder) in got["message"]
    assert "journal.sqlite-shm" in got["message"]


def test_a_first_start_in_a_read_only_folder_is_named_read_only(tmp_path: Path) -> None:
    folder = tmp_path / "j"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        got = probe_open(folder / "journal.sqlite")
        nested = probe_open(folder / "sub" / "journal.sqlite")
    finally:
        folder.chmod(0o755)
    assert got["kind"] == "read_only" and str(folder) in got["message"], got
    assert nested["kind"] == "read_only" and "read-only" in nested["message"], nested
    assert str(folder / "sub") in nested["message"]
    assert list(folder.iterdir()) == []


def test_a_shared_memory_file_that_cannot_be_written_is_named_read_only(tmp_path: Path) -> None:
    """A -shm left read-only (a console killed, its files restored from a backup, another user's):
    SQLite maps it into memory; the open says so instead."""
    folder = tmp_path / "j"
    folder.mkdir()
    path = folder / "journal.sqlite"
    subprocess.run([sys.executable, "-c", LEAVE_SIDE_FILES, str(ROOT), str(path)], check=True, timeout=WAIT_S)
    shm = folder / "journal.sqlite-shm"
    assert shm.exists() and (folder / "journal.sqlite-wal").exists()
    shm.chmod(0o444)
    got = probe_open(path)
    assert got["kind"] == "read_only", got
    assert "shared-memory" in got["message"] and "read-only" in got["message"] and str(shm) in got["message"]


def test_a_read_only_file_system_is_named_read_only(tmpfs: Path) -> None:
    """EROFS binds root as well: no child needed. SQLite alone says "unable to open database file"."""
    path = journal(tmpfs)
    subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)], check=True, timeout=WAIT_S)
    with pytest.raises(JournalError) as info:
        SqlStore(path)
    assert info.value.kind == "read_only"
    assert "read-only" in info.value.message and str(path) in info.value.message
    with pytest.raises(JournalError) as info:
        SqlStore(tmpfs / "new" / "journal.sqlite")
    assert info.value.kind == "read_only" and str(tmpfs / "new") in info.value.message


# --- zero-length -------------------------------------------------------------------------------


def test_a_zero_length_journal_file_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    path.write_bytes(b"")
    for readonly in (False, True):
        with pytest.raises(EmptyJournal) as info:
            SqlStore(path, readonly=readonly)
        assert isinstance(info.value, JournalError)
        assert str(path) in info.value.message and "empty" in info.value.message
        assert "--new-journal" in info.value.message
    assert path.stat().st_size == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["journal.sqlite"]  # no -wal, no -shm


def test_a_confirmed_new_journal_starts_in_the_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    path.write_bytes(b"")
    with SqlStore(path, new_journal=True) as s:
        s.journal.append([(1, "bus", "dev", "a/1", b"{}")], "c")
    with SqlStore(path) as s:  # a journal now: no confirmation needed again
        assert s.journal.count() == 1


def test_a_missing_file_is_a_first_start_and_new_journal_never_clears_one(tmp_path: Path) -> None:
    path = tmp_path / "new" / "journal.sqlite"
    with SqlStore(path) as s:
        s.journal.append([(1, "bus", "dev", "a/1", b"{}")], "c")
    with SqlStore(path, new_journal=True) as s:
        assert s.journal.count() == 1


def test_new_journal_is_a_flag_never_a_kept_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A confirmation kept in a file or the environment would take every empty journal as new."""
    cfg = tmp_path / "console.toml"
    cfg.write_text("new_journal = true\n", encoding="utf-8")
    monkeypatch.setenv("GUARDIAN_NEW_JOURNAL", "1")
    assert load(cfg).new_journal is False
    import argparse

    p = argparse.ArgumentParser()
    add_flags(p)
    assert from_args(p.parse_args(["--config", str(cfg)])).new_journal is False
    assert from_args(p.parse_args(["--config", str(cfg), "--new-journal"])).new_journal is True
    assert Settings().new_journal is False


class Child:
    """A ``python -m console`` process whose output is read line by line on a thread."""

    def __init__(self, args: list[str], data: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "console", *args],
            cwd=ROOT,
            env=env(data),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def wait_line(self, text: str) -> None:
        while True:
            line = self.lines.get(timeout=WAIT_S)
            if line is None:
                raise AssertionError(f"ended before {text!r}: {''.join(self.seen)[-3000:]}")
            self.seen.append(line)
            if text in line:
                return

    def finish(self) -> tuple[int, str]:
        rc = self.proc.wait(WAIT_S)
        while (line := self.lines.get(timeout=WAIT_S)) is not None:
            self.seen.append(line)
        self.lines.put(None)  # for kill()
        return rc, "".join(self.seen)

    def kill(self) -> None:
        """However the test ends: the process gone, its pipe read to the end and closed."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(WAIT_S)
        while self.lines.get(timeout=WAIT_S) is not None:
            pass
        assert self.proc.stdout is not None
        self.proc.stdout.close()


def headless(db: Path, data: Path, *extra: str) -> Child:
    # the broker port is one nothing listens on: the bus keeps reconnecting, the core runs
    return Child(["headless", "--db", str(db), "--broker-port", "9", "--console-id", "h1", *extra], data)


def test_headless_refuses_an_empty_journal_and_starts_one_with_new_journal(tmp_path: Path) -> None:
    db, data = tmp_path / "journal.sqlite", tmp_path / "data"
    db.write_bytes(b"")
    refused = headless(db, data)
    try:
        rc, out = refused.finish()
    finally:
        refused.kill()
    assert rc == 1 and "is empty (0 bytes)" in out and str(db) in out, out[-3000:]
    assert db.stat().st_size == 0
    confirmed = headless(db, data, "--new-journal")
    try:
        confirmed.wait_line("headless: ready")
        confirmed.proc.send_signal(signal.SIGTERM)
        rc, out = confirmed.finish()
    finally:
        confirmed.kill()
    assert rc == 0, out[-3000:]
    with SqlStore(db, readonly=True) as s:
        assert s.journal.count() > 0


# --- never die silently ------------------------------------------------------------------------

SIGBUS_CHILD = r"""
import os, signal, sys
from console.__main__ import enable_crash_log
print(enable_crash_log(), flush=True)
def mapped_journal_page_gone():
    os.kill(os.getpid(), signal.SIGBUS)
mapped_journal_page_gone()
"""


def crash_files(data: Path, prefix: str = "crash-") -> list[Path]:
    return sorted(data.glob(f"{prefix}*.log"))


def test_a_process_killed_by_sigbus_leaves_a_crash_report_said_at_the_next_start(tmp_path: Path) -> None:
    data = tmp_path / "data"
    out = subprocess.run(
        [sys.executable, "-c", SIGBUS_CHILD],
        cwd=ROOT,
        env=env(data),
        capture_output=True,
        text=True,
        timeout=WAIT_S,
    )
    assert out.returncode == -signal.SIGBUS, out.stderr[-3000:]
    (crash,) = crash_files(data)
    assert out.stdout.strip() == str(crash)
    report = crash.read_text(encoding="utf-8")
    assert "Fatal Python error: Bus error" in report
    assert "mapped_journal_page_gone" in report  # where it died: the traceback
    nxt = subprocess.run(
        [sys.executable, "-m", "console", "--version"],
        cwd=ROOT,
        env=env(data),
        capture_output=True,
        text=True,
        timeout=WAIT_S,
    )
    assert nxt.returncode == 0, nxt.stderr[-3000:]
    assert "an earlier console process died: Fatal Python error: Bus error" in nxt.stderr
    assert crash_files(data) == []  # its own, empty, removed as it ended
    (kept,) = crash_files(data, "crashed-")
    assert kept.read_text(encoding="utf-8") == report
    again = subprocess.run(
        [sys.executable, "-m", "console", "--version"],
        cwd=ROOT,
        env=env(data),
        capture_output=True,
        text=True,
        timeout=WAIT_S,
    )
    assert "died" not in again.stderr  # said once


def test_a_running_console_killed_by_sigbus_leaves_every_threads_traceback(tmp_path: Path) -> None:
    db, data = tmp_path / "journal.sqlite", tmp_path / "data"
    child = headless(db, data)
    try:
        child.wait_line("headless: ready")
        (crash,) = crash_files(data)
        assert crash.stat().st_size == 0
        child.proc.send_signal(signal.SIGBUS)
        rc, out = child.finish()
    finally:
        child.kill()
    assert rc == -signal.SIGBUS, out[-3000:]
    report = crash.read_text(encoding="utf-8")
    assert "Fatal Python error: Bus error" in report
    assert "console/app/engine.py" in report  # the engine thread's stack among the others


# --- the officer's window ----------------------------------------------------------------------


def test_the_console_window_asks_before_starting_a_new_journal(qapp: object, tmp_path: Path) -> None:
    from PySide6.QtWidgets import QMessageBox

    from console.entry.run import open_failure_box

    path = tmp_path / "journal.sqlite"
    box = open_failure_box(EmptyJournal(path))
    assert str(path) in box.text()
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.No)  # quitting is the default
    assert box.button(QMessageBox.StandardButton.Yes) is not None
    other = open_failure_box(JournalError("read_only", f"the journal file {path} is read-only"))
    assert "read-only" in other.informativeText() and str(path) in other.informativeText()
    assert other.button(QMessageBox.StandardButton.Yes) is None
