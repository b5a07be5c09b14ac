"""Issue 17 item 4: a backup taken while a storm is being journaled is a consistent, verified copy;
restore writes a new file only (never over an existing file or a live journal) and only a
backup that verifies; the scheduled backups keep ``backup_keep_days`` and delete old ones only."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from console.app.clock import FakeClock
from console.bootstrap import Core, build_core
from console.config import Settings
from console.domain.codec import device_topic
from console.entry import backup as backup_cli
from console.io.backup import (
    BackupScheduler,
    backup_name,
    backup_overdue,
    copy_journal,
    last_backup_at,
    list_backups,
    prune,
    run_due,
    verify_copy,
)
from console.io.store import SqlStore
from console.sim.district import generate
from console.sim.traffic import payload
from tests.support import Msg

WAIT_S = 30.0
T0 = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def register() -> Any:
    return generate(seed=11, households=400)


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    monkeypatch.setenv("GUARDIAN_DATA_DIR", str(d))
    monkeypatch.setenv("GUARDIAN_CONFIG", str(d / "console.toml"))
    monkeypatch.delenv("GUARDIAN_DB_URL", raising=False)
    return d


def alarms(register: Any, wave: int) -> list[Msg]:
    homes = [h for h in register.households.values() if h.devices]
    return [
        Msg(
            device_topic(h.district, h.township, h.devices[0].id),
            payload(h.devices[0].id, h.devices[0].kind, "alarm", time.time_ns(), f"w{wave}-{i}"),
        )
        for i, h in enumerate(homes[:50])
    ]


def make_core(tmp_path: Path, register: Any, **kw: Any) -> Core:
    s = Settings(db_url=f"sqlite:///{tmp_path / 'journal.sqlite'}", console_id="bk", district="SIM", **kw)
    return build_core(s, register=register, clock=FakeClock(time.time_ns()), connect_bus=False)


class Storm:
    """Waves of alarms journaled one after another on a thread of its own until stopped."""

    def __init__(self, core: Core, register: Any) -> None:
        self.core, self.register = core, register
        self.waves = 0
        self.changed = threading.Condition()
        self._stop = threading.Event()
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="test-storm")

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                done = threading.Event()
                self.core.engine.submit_bus(alarms(self.register, self.waves), done.set)
                assert done.wait(WAIT_S), "a wave was never journaled"
                with self.changed:
                    self.waves += 1
                    self.changed.notify_all()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc

    def wait_waves(self, n: int) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: self.waves >= n or self.error is not None, WAIT_S)

    def __enter__(self) -> Storm:
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self._stop.set()
        self._thread.join(WAIT_S)
        assert self.error is None, self.error


def test_a_backup_while_a_storm_is_journaled_is_consistent_and_restores(
    tmp_path: Path, register: Any
) -> None:
    core = make_core(tmp_path, register)
    journal = tmp_path / "journal.sqlite"
    try:
        with Storm(core, register) as storm:
            storm.wait_waves(2)
            first = copy_journal(journal, tmp_path / "b1.sqlite")
            waves = storm.waves
            storm.wait_waves(waves + 2)  # still journaling: the next copy is taken mid-storm too
            assert backup_cli.main(["--db", f"sqlite:///{journal}", "--to", str(tmp_path / "b2.sqlite")]) == 0
        second = verify_copy(tmp_path / "b2.sqlite")
        assert 0 < first.head_seq < second.head_seq
        live = {r.seq: r.hash for r in core.store.journal.read(1)}
        for c in (first, second):  # each copy is the live journal up to one moment, nothing torn
            assert live[c.head_seq] == c.head_hash
            assert c.records == c.head_seq
    finally:
        core.stop()
    restored = tmp_path / "restored.sqlite"
    assert backup_cli.restore_main([str(tmp_path / "b2.sqlite"), "--to", str(restored)]) == 0
    assert verify_copy(restored).head_hash == second.head_hash
    # a console starts on the restored journal and rebuilds its world from it
    again = build_core(
        Settings(db_url=f"sqlite:///{restored}", console_id="bk", district="SIM"), connect_bus=False
    )
    try:
        n = again.engine.query(lambda w: len(w.incidents)).result(WAIT_S)
        assert n > 0
    finally:
        again.stop()


@pytest.fixture
def a_backup(tmp_path: Path, register: Any) -> Path:
    core = make_core(tmp_path, register)
    try:
        done = threading.Event()
        core.engine.submit_bus(alarms(register, 0), done.set)
        assert done.wait(WAIT_S)
    finally:
        core.stop()
    return copy_journal(tmp_path / "journal.sqlite", tmp_path / "backup.sqlite").path


def test_restore_never_writes_over_an_existing_file_or_a_live_journal(
    tmp_path: Path, a_backup: Path, data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    existing = tmp_path / "existing.sqlite"
    existing.write_bytes(b"keep me")
    assert backup_cli.restore_main([str(a_backup), "--to", str(existing)]) == 2
    assert existing.read_bytes() == b"keep me"
    assert "exists" in capsys.readouterr().err
    # the per-user live journal, not there yet (a console about to start on it): still refused
    assert backup_cli.restore_main([str(a_backup), "--to", str(data_dir / "journal.sqlite")]) == 2
    assert "live journal" in capsys.readouterr().err
    assert not (data_dir / "journal.sqlite").exists()
    configured = tmp_path / "center.sqlite"  # the configured journal (here by the environment)
    monkeypatch.setenv("GUARDIAN_DB_URL", f"sqlite:///{configured}")
    assert backup_cli.restore_main([str(a_backup), "--to", str(configured)]) == 2
    assert not configured.exists()
    assert backup_cli.restore_main([str(a_backup), "--to", str(a_backup)]) == 2
    assert backup_cli.restore_main([str(tmp_path / "nope.sqlite"), "--to", str(tmp_path / "x.sqlite")]) == 2
    # and a backup never goes over a file either
    assert backup_cli.main(["--db", f"sqlite:///{tmp_path / 'journal.sqlite'}", "--to", str(existing)]) == 2
    assert existing.read_bytes() == b"keep me"


def test_a_backup_that_does_not_verify_is_not_restored(
    tmp_path: Path, a_backup: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    conn = sqlite3.connect(a_backup)
    conn.execute("UPDATE journal SET body = X'00' WHERE seq = 3")
    conn.commit()
    conn.close()
    target = tmp_path / "restored.sqlite"
    assert backup_cli.restore_main([str(a_backup), "--to", str(target)]) == 1
    assert "chain broken at seq 3" in capsys.readouterr().err
    assert not target.exists() and not (tmp_path / "restored.sqlite.partial").exists()


def test_backup_of_a_postgres_url_points_to_pg_dump(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert backup_cli.main(["--db", "postgresql://u@localhost/guardian", "--to", str(tmp_path / "x")]) == 2
    assert "pg_dump" in capsys.readouterr().err


def test_retention_deletes_old_backups_only(tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    for days in (0, 1, 13, 15, 30):
        (folder / backup_name("journal", T0 - timedelta(days=days))).write_bytes(b"x")
    other = folder / backup_name("training", T0 - timedelta(days=30))  # another journal's
    other.write_bytes(b"x")
    notes = folder / "README.txt"
    notes.write_text("not a backup")
    gone = prune(folder, "journal", 14, T0)
    assert sorted(p.name for p in gone) == sorted(
        backup_name("journal", T0 - timedelta(days=d)) for d in (15, 30)
    )
    assert [at for at, _ in list_backups(folder, "journal")] == [T0 - timedelta(days=d) for d in (13, 1, 0)]
    assert other.exists() and notes.exists()
    # the newest is kept however old it is: a console that stopped backing up keeps its last copy
    assert prune(folder, "training", 14, T0) == [] and other.exists()


def test_run_due_makes_one_backup_a_day_and_the_banner_follows(tmp_path: Path, a_backup: Path) -> None:
    journal = tmp_path / "journal.sqlite"
    folder = tmp_path / "backups"
    assert last_backup_at(folder) is None and backup_overdue(folder, T0)
    assert backup_overdue(None, T0)  # not configured: the banner says so too
    made = run_due(journal, folder, 14, T0)
    assert made is not None and verify_copy(made).records > 0
    assert last_backup_at(folder) == T0 and not backup_overdue(folder, T0 + timedelta(days=1))
    assert run_due(journal, folder, 14, T0 + timedelta(hours=23)) is None  # not due yet
    assert run_due(journal, folder, 14, T0 + timedelta(days=1)) is not None
    assert backup_overdue(folder, T0 + timedelta(days=3, seconds=1))
    later = T0 + timedelta(days=16)
    assert run_due(journal, folder, 14, later) is not None
    assert [at for at, _ in list_backups(folder)] == [later]  # the two older than 14 days are gone


def test_the_core_starts_and_stops_the_scheduled_backups(tmp_path: Path, register: Any) -> None:
    folder = tmp_path / "backups"
    core = make_core(tmp_path, register, backup_dir=str(folder), backup_keep_days=3)
    try:
        scheds = [getattr(fn, "__self__", None) for fn in core.extra_stops]
        sched = next(s for s in scheds if isinstance(s, BackupScheduler))
        with sched.ran:
            assert sched.ran.wait_for(lambda: sched.runs >= 1, WAIT_S)
        assert sched.last_error is None
        assert last_backup_at(folder, "journal") is not None
        assert not backup_overdue(folder, datetime.now(UTC))
    finally:
        core.stop()
    assert not sched._thread.is_alive()


def test_no_scheduled_backups_unless_configured(tmp_path: Path, register: Any) -> None:
    core = make_core(tmp_path, register)
    try:
        assert not any(isinstance(getattr(fn, "__self__", None), BackupScheduler) for fn in core.extra_stops)
    finally:
        core.stop()
    assert Settings().backup_dir is None and Settings().backup_keep_days == 14


@pytest.mark.postgres
def test_postgres_dump_and_restore_as_documented(pg_server: Any, tmp_path: Path, register: Any) -> None:
    """docs/store.md, Backups: ``pg_dump -Fc`` of a console's shared journal and ``pg_restore`` into
    a new database give the same verified chain."""
    import shutil
    import subprocess

    from sqlalchemy.engine import make_url

    from console.io.store.pgtemp import PORT
    from console.io.store.verify import verify_engine

    src_url = pg_server.create_database()
    core = build_core(
        Settings(db_url=src_url, console_id="pg", district="SIM"),
        register=register,
        clock=FakeClock(time.time_ns()),
        connect_bus=False,
    )
    try:
        done = threading.Event()
        core.engine.submit_bus(alarms(register, 0), done.set)
        assert done.wait(WAIT_S)
    finally:
        core.stop()
    dst_url = pg_server.create_database()
    conn = ["-h", pg_server.socket_dir, "-p", str(PORT), "-U", "postgres"]
    src_db, dst_db = make_url(src_url).database, make_url(dst_url).database
    assert src_db and dst_db
    dump = tmp_path / "guardian.dump"
    pg_dump, pg_restore = shutil.which("pg_dump"), shutil.which("pg_restore")
    assert pg_dump and pg_restore, "pg_dump / pg_restore (Debian package postgresql-client)"
    subprocess.run([pg_dump, *conn, "-Fc", "-f", str(dump), src_db], check=True, timeout=120)
    subprocess.run([pg_restore, *conn, "--no-owner", "-d", dst_db, str(dump)], check=True, timeout=120)
    heads = []
    for url in (src_url, dst_url):
        store = SqlStore(url, readonly=True)
        try:
            result = verify_engine(store.engine)
        finally:
            store.close()
        assert result.ok and result.records > 0
        heads.append((result.head_seq, result.head_hash))
    assert heads[0] == heads[1]


def test_a_backup_to_a_disk_without_hard_links_is_still_named_only_once_checked(
    tmp_path: Path, a_backup: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import console.io.backup as backup_mod

    def no_links(*_: Any) -> None:
        raise OSError(1, "Operation not permitted")  # FAT / exFAT

    monkeypatch.setattr(backup_mod.os, "link", no_links)
    made = copy_journal(tmp_path / "journal.sqlite", tmp_path / "usb" / "copy.sqlite")
    assert verify_copy(made.path).head_hash == verify_copy(a_backup).head_hash
    assert sorted(p.name for p in (tmp_path / "usb").iterdir()) == ["copy.sqlite"]
