"""Backups of a SQLite journal: one copy, verified, and the daily ones kept in a folder.

A copy is taken with SQLite's online backup API in a single step: one read transaction, so the
copy is the journal as it stood at one moment, while the console goes on writing (WAL: readers
do not hold writers up). It is written beside its target as ``*.partial``, checked (``PRAGMA
integrity_check`` and the journal chain, console/io/store/verify.py) and only then given its
name, so a file with a backup's name is always a checked copy. Restoring is the same copy the
other way, to a new file only. PostgreSQL is backed up with pg_dump (docs/store.md, Backups).
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from console.io.store.db import side_files, sqlite_uri

log = logging.getLogger(__name__)

STAMP: Final = "%Y%m%d-%H%M%S"  # UTC, in the file name: the folder alone says when each was taken
NAME: Final = re.compile(r"^(?P<stem>.+)-(?P<stamp>\d{8}-\d{6})\.sqlite$")
EVERY: Final = timedelta(days=1)  # the scheduled backups' interval
OVERDUE: Final = timedelta(days=2)  # older than this, the window shows a banner
CHECK_S: Final = 3600.0  # how often the scheduler looks whether a backup is due


class BackupError(Exception):
    """A backup or restore whose copy failed or did not verify; the message says why."""


class Refused(BackupError):
    """A backup or restore not even tried: no source, or a target that exists or is live."""


@dataclass(frozen=True)
class Checked:
    """A copy that passed ``integrity_check`` and the chain check."""

    path: Path
    records: int
    head_seq: int
    head_hash: str


def verify_copy(path: Path) -> Checked:
    """``PRAGMA integrity_check``, then the journal chain, both read-only."""
    from console.io.store.store import SqlStore
    from console.io.store.verify import verify_engine

    try:
        conn = sqlite3.connect(sqlite_uri(path, "ro"), uri=True)
        try:
            rows = [str(r[0]) for r in conn.execute("PRAGMA integrity_check")]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise BackupError(f"{path}: not a readable SQLite file ({exc})") from exc
    if rows != ["ok"]:
        raise BackupError(f"{path}: integrity_check failed: {'; '.join(rows[:5])}")
    try:
        store = SqlStore(str(path), readonly=True)
    except Exception as exc:  # noqa: BLE001 - a JournalError or a driver's: said, not raised on
        raise BackupError(f"{path}: not a journal ({exc})") from exc
    try:
        result = verify_engine(store.engine)
    finally:
        store.close()
    if result.broken is not None:
        raise BackupError(f"{path}: journal chain broken at seq {result.broken.seq} ({result.broken.reason})")
    return Checked(path, result.records, result.head_seq, result.head_hash)


def file_exists(path: Path) -> bool:
    return path.exists() or any(p.exists() for p in side_files(path))


def name_copy(partial: Path, dest: Path) -> None:
    """Give the checked copy its name, never over a file that appeared meanwhile."""
    try:
        os.link(partial, dest)  # atomic, and fails if dest exists
    except FileExistsError:
        raise Refused(f"{dest} exists: a backup or restore writes a new file only") from None
    except OSError:  # a file system without hard links (FAT, exFAT: a USB disk)
        if file_exists(dest):
            raise Refused(f"{dest} exists: a backup or restore writes a new file only") from None
        os.replace(partial, dest)


def copy_journal(source: Path, dest: Path) -> Checked:
    """Copy the SQLite journal ``source`` (it may be in use) to the new file ``dest``, verified."""
    if not source.is_file():
        raise Refused(f"no journal at {source}")
    if file_exists(dest):
        raise Refused(f"{dest} exists: a backup or restore writes a new file only")
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    partial.unlink(missing_ok=True)  # a copy that was cut short before: never named, never checked
    try:
        src = sqlite3.connect(sqlite_uri(source, "ro"), uri=True)
        try:
            dst = sqlite3.connect(partial)
            try:
                src.backup(dst)  # pages=-1: one step, one read transaction, one moment's journal
                dst.execute("PRAGMA journal_mode=DELETE")  # the copy is one self-contained file
            finally:
                dst.close()
        finally:
            src.close()
        checked = verify_copy(partial)
        name_copy(partial, dest)
    except (sqlite3.Error, OSError) as exc:
        raise BackupError(f"copying {source} to {dest} failed: {exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
    return Checked(dest, checked.records, checked.head_seq, checked.head_hash)


def restore(source: Path, dest: Path, live: list[Path]) -> Checked:
    """A backup ``source`` restored to the new file ``dest``: never over an existing file nor a
    journal named in ``live`` (the configured ones), and only a backup that verifies."""
    target = dest.resolve()
    if any(target == p.resolve() for p in live):
        raise Refused(f"{dest} is a live journal: restore to a new file, then point the console at it")
    if target == source.resolve():
        raise Refused(f"{dest} is the backup itself")
    if file_exists(dest):
        raise Refused(f"{dest} exists: restore writes a new file only")
    verify_copy(source)
    return copy_journal(source, dest)


# --- the scheduled backups ----------------------------------------------------------------------


def backup_name(stem: str, now: datetime) -> str:
    return f"{stem}-{now.astimezone(UTC).strftime(STAMP)}.sqlite"


def list_backups(folder: Path, stem: str | None = None) -> list[tuple[datetime, Path]]:
    """The backups in ``folder`` (optionally of one journal), oldest first, by their names."""
    found = []
    try:
        names = list(folder.iterdir())
    except OSError:
        return []
    for p in names:
        m = NAME.match(p.name)
        if m is None or (stem is not None and m["stem"] != stem) or not p.is_file():
            continue
        found.append((datetime.strptime(m["stamp"], STAMP).replace(tzinfo=UTC), p))
    return sorted(found)


def last_backup_at(folder: str | Path | None, stem: str | None = None) -> datetime | None:
    """When the newest backup in ``folder`` was taken (UTC), or None: none, or no folder set."""
    if not folder:
        return None
    found = list_backups(Path(folder), stem)
    return found[-1][0] if found else None


def backup_overdue(folder: str | Path | None, now: datetime, max_age: timedelta = OVERDUE) -> bool:
    """True when the newest backup is older than ``max_age`` or there is none (the banner)."""
    last = last_backup_at(folder)
    return last is None or now - last > max_age


def prune(folder: Path, stem: str, keep_days: int, now: datetime) -> list[Path]:
    """Delete this journal's backups older than ``keep_days``; the newest is always kept, and
    files not named like a backup are never touched."""
    found = list_backups(folder, stem)
    cutoff = now - timedelta(days=keep_days)
    gone = []
    for at, p in found[:-1]:
        if at < cutoff:
            p.unlink(missing_ok=True)
            gone.append(p)
    return gone


def run_due(
    source: Path, folder: Path, keep_days: int, now: datetime, every: timedelta = EVERY
) -> Path | None:
    """Take a backup if the last one of ``source`` is ``every`` old (or there is none); prune."""
    stem = source.stem
    last = last_backup_at(folder, stem)
    made = None
    if last is None or now - last >= every:
        made = copy_journal(source, folder / backup_name(stem, now)).path
        log.info("backup written: %s", made)
    prune(folder, stem, keep_days, now)
    return made


class BackupScheduler:
    """A daemon thread that runs ``run_due`` at start and then every ``check_s`` seconds."""

    def __init__(self, source: Path, folder: Path, keep_days: int, check_s: float = CHECK_S) -> None:
        self.source, self.folder, self.keep_days, self.check_s = source, folder, keep_days, check_s
        self.last_error: str | None = None
        self.runs = 0  # checks done (tests wait on it)
        self.ran = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="guardian-backups", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(60)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                run_due(self.source, self.folder, self.keep_days, datetime.now(UTC))
                self.last_error = None
            except Exception as exc:  # noqa: BLE001 - told in the log and tried again at the next check
                self.last_error = str(exc)
                log.exception("scheduled backup failed")
            with self.ran:
                self.runs += 1
                self.ran.notify_all()
            self._stop.wait(self.check_s)


def start_backups(core: Any) -> BackupScheduler | None:
    """Daily backups of ``core``'s SQLite journal to ``settings.backup_dir`` (kept
    ``backup_keep_days``), stopped by ``core.stop()``. None: not configured, a read-only store,
    or PostgreSQL (pg_dump, docs/store.md)."""
    folder = core.settings.backup_dir
    if not folder or getattr(core.store, "readonly", False):
        return None
    source = getattr(core.store, "path", None)
    if source is None:
        log.warning(
            "backup_dir is set but the journal is not SQLite: back it up with pg_dump (docs/store.md)"
        )
        return None
    sched = BackupScheduler(Path(source), Path(folder), int(core.settings.backup_keep_days))
    sched.start()
    core.extra_stops.append(sched.stop)
    return sched
