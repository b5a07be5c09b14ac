"""Held events saved when a console stops while its journal fails are read back at the next start
(issue 16): in order, deduplicated, durable before the file is renamed; an undecodable file is
left in place and reported. Real SQLite journals in tmp_path; the journal fails for real (another
connection holds its write lock); nothing sleeps."""

from __future__ import annotations

import logging
import shutil
import sqlite3
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from console.app.clock import FakeClock
from console.bootstrap import Core, build_core
from console.config import Settings
from console.domain import events as ev
from console.domain.codec import device_topic
from console.io.store import SqlStore
from console.io.unwritten import journal_tag, read_back, save_unwritten, unwritten_files
from console.sim.district import generate
from console.sim.traffic import payload
from tests.support import Msg

WAIT_S = 20.0
CID = "rb1"


@pytest.fixture(scope="module")
def register() -> Any:
    return generate(seed=11, households=40)


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A data dir and a temp dir of this test's own (the read-back looks in both)."""
    d, t = tmp_path / "data", tmp_path / "tmp"
    d.mkdir()
    t.mkdir()
    monkeypatch.setenv("GUARDIAN_DATA_DIR", str(d))
    monkeypatch.setattr(tempfile, "tempdir", str(t))
    yield d


def alarms(register: Any, start: int, n: int) -> list[Msg]:
    homes = [h for h in register.households.values() if h.devices][start : start + n]
    return [
        Msg(
            device_topic(h.district, h.township, h.devices[0].id),
            payload(h.devices[0].id, h.devices[0].kind, "alarm", time.time_ns(), f"rb{start}-{i}"),
        )
        for i, h in enumerate(homes)
    ]


def start(path: Path, register: Any = None) -> Core:
    store = SqlStore(path, busy_timeout_ms=100)
    s = Settings(db_url=str(path), console_id=CID, district="SIM")
    return build_core(s, register=register, clock=FakeClock(time.time_ns()), connect_bus=False, store=store)


def records(path: Path) -> list[tuple[str, bytes]]:
    with SqlStore(path, readonly=True) as s:
        return [(r.type, r.body) for r in s.journal.read()]


def notes(path: Path, what: str) -> list[ev.SystemNote]:
    out = []
    for type_, body in records(path):
        if type_ == "sys":
            e = ev.decode(body)
            assert isinstance(e, ev.SystemNote)
            if e.what == what:
                out.append(e)
    return out


def stop_while_failing(
    path: Path, register: Any, msgs: list[Msg]
) -> tuple[list[bytes], list[threading.Event]]:
    """A console whose journal fails (another connection holds the write lock) takes ``msgs`` and
    an operator's login, then stops: what it held is in an unwritten file. Returns the lines."""
    core = start(path, register)
    core.engine.query(lambda _w: None).result(WAIT_S)  # behind the start note: that one is journaled
    lock = sqlite3.connect(path, isolation_level=None)
    try:
        lock.execute("BEGIN EXCLUSIVE")
        dones = []
        for m in msgs:
            done = threading.Event()
            core.engine.submit_bus([m], done.set)
            dones.append(done)
        core.engine.submit_command(
            ev.Login(at=0, operator="op1", console=CID, role="district_officer", scope="*")
        )
        held = core.engine.changes.wait_for(lambda: core.engine.status().pending >= len(msgs) + 1, WAIT_S)
        assert held, core.engine.status()
        assert core.engine.query(lambda w: len(w.incidents)).result(WAIT_S) == len(msgs)
        core.stop()
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    assert not any(d.is_set() for d in dones), "acknowledged though never journaled"
    files = unwritten_files(CID, journal_tag(str(path)))
    assert len(files) == 1, files
    return files[0].read_bytes().splitlines(), dones


def test_held_events_are_journaled_at_the_next_start_in_order_and_applied(
    data: Path, tmp_path: Path, register: Any, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "journal.sqlite"
    msgs = alarms(register, 0, 5)
    lines, _ = stop_while_failing(path, register, msgs)
    assert [ev.type_of(ev.decode(x)) for x in lines] == ["dev"] * 5 + ["login", "sys"]
    before = records(path)

    caplog.set_level(logging.WARNING, logger="console.io.unwritten")
    core = start(path)
    try:
        # the world has the held alarms' incidents, from the journal now
        assert core.engine.query(lambda w: len(w.incidents)).result(WAIT_S) == 5
        # the broker redelivers the alarms it never had acknowledged: duplicates, acknowledged
        done = threading.Event()
        core.engine.submit_bus(msgs, done.set)
        assert done.wait(WAIT_S)
        assert core.engine.status().duplicates == 5
    finally:
        core.stop()
    after = records(path)
    assert after[: len(before)] == before
    added = [body for _, body in after[len(before) :]]
    assert added[: len(lines)] == lines  # the held events, in their order, byte for byte
    note = ev.decode(added[len(lines)])
    assert isinstance(note, ev.SystemNote) and note.what == "unwritten_read_back"
    assert f"{len(lines)} read back, 0 already journaled" in note.detail
    assert sum(1 for t, _ in after if t == "dev") == 5
    assert unwritten_files(CID, journal_tag(str(path))) == []
    done_files = list(data.glob("unwritten-*.jsonl.done"))
    assert len(done_files) == 1 and done_files[0].read_bytes().splitlines() == lines
    assert f"{len(lines)} held event(s) read back into the journal, 0 already there" in caplog.text


def test_a_file_read_back_again_adds_nothing(data: Path, tmp_path: Path, register: Any) -> None:
    """The console stopped after the read-back was durable but before the rename."""
    path = tmp_path / "journal.sqlite"
    lines, _ = stop_while_failing(path, register, alarms(register, 5, 3))
    start(path).stop()
    (done,) = data.glob("unwritten-*.jsonl.done")
    shutil.copy(done, done.with_suffix(""))  # back under its first name
    before = records(path)
    start(path).stop()
    added = records(path)[len(before) :]
    assert [t for t, _ in added] == ["sys", "sys"]  # this start's note and its stop's: nothing read back
    assert len(notes(path, "unwritten_read_back")) == 1
    assert unwritten_files(CID, journal_tag(str(path))) == []
    assert len(lines) == 3 + 1 + 1  # 3 alarms, the login, the stop note


def test_files_are_read_oldest_first_from_both_folders(data: Path, tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    SqlStore(path).close()
    tag = journal_tag(str(path))
    t0 = time.time_ns() - 3_600 * 1_000_000_000
    older = [ev.SystemNote(at=t0 + i, what="held", detail=f"older {i}") for i in range(3)]
    newer = [ev.SystemNote(at=t0 + 100 + i, what="held", detail=f"newer {i}") for i in range(3)]
    tmp = Path(tempfile.gettempdir())
    (tmp / f"unwritten-{CID}-{tag}-20260101-080000.jsonl").write_bytes(
        b"".join(ev.encode(e) + b"\n" for e in older)
    )
    (data / f"unwritten-{CID}-{tag}-20260101-090000.jsonl").write_bytes(
        b"".join(ev.encode(e) + b"\n" for e in newer)
    )
    with SqlStore(path) as store:
        result = read_back(store.journal, CID, tag, time.time_ns)
        got = [ev.decode(r.body) for r in store.journal.read()]
    assert result.read_back == 6 and result.duplicates == 0 and len(result.files_done) == 2
    held = [e for e in got if isinstance(e, ev.SystemNote) and e.what == "held"]
    assert [e.detail for e in held] == [e.detail for e in older + newer]
    assert sorted(p.name for p in tmp.iterdir()) == [f"unwritten-{CID}-{tag}-20260101-080000.jsonl.done"]


def test_an_undecodable_line_leaves_the_file_in_place_and_says_so(
    data: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "journal.sqlite"
    SqlStore(path).close()
    tag = journal_tag(str(path))
    t0 = time.time_ns()
    good = [ev.SystemNote(at=t0, what="held", detail="a"), ev.SystemNote(at=t0 + 1, what="held", detail="b")]
    saved = save_unwritten(good, CID, tag)
    assert saved is not None and saved.parent == data
    saved.write_bytes(ev.encode(good[0]) + b"\n" + b'{"t":"dev","at":oops\n' + ev.encode(good[1]) + b"\n")
    caplog.set_level(logging.CRITICAL, logger="console.io.unwritten")
    for run in (1, 2):
        with SqlStore(path) as store:
            result = read_back(store.journal, CID, tag, time.time_ns)
        assert result.unreadable == [saved] and result.bad_lines == 1
        assert result.read_back == (2 if run == 1 else 0) and result.duplicates == (0 if run == 1 else 2)
        assert saved.exists()  # left in place, never renamed nor dropped
        assert len(notes(path, "unwritten_unreadable")) == run  # said again at every start
    assert [e.detail for e in notes(path, "held")] == ["a", "b"]
    assert "1 line(s) cannot be decoded" in caplog.text


def test_a_file_for_another_journal_is_left_alone(
    data: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A training console has its own journal: its held drill events never reach the live one."""
    live, training = tmp_path / "journal.sqlite", tmp_path / "training.sqlite"
    SqlStore(live).close()
    other = save_unwritten([ev.SystemNote(at=time.time_ns(), what="held")], CID, journal_tag(str(training)))
    assert other is not None
    caplog.set_level(logging.WARNING, logger="console.io.unwritten")
    with SqlStore(live) as store:
        result = read_back(store.journal, CID, journal_tag(str(live)), time.time_ns)
        assert store.journal.count() == 0
    assert result.foreign == [other] and other.exists()
    assert "belong to another journal, left in place" in caplog.text


def test_held_events_saved_in_the_temp_dir_are_read_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The data dir cannot be used (here: it is a file): the events go to the temp dir, and come back."""
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("GUARDIAN_DATA_DIR", str(blocked))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    path = tmp_path / "journal.sqlite"
    SqlStore(path).close()
    tag = journal_tag(str(path))
    held = [ev.SystemNote(at=time.time_ns() + i, what="held", detail=str(i)) for i in range(3)]
    saved = save_unwritten(held, CID, tag)
    assert saved is not None and saved.parent == tmp
    with SqlStore(path) as store:
        result = read_back(store.journal, CID, tag, time.time_ns)
        assert [ev.decode(r.body) for r in store.journal.read()][:3] == held
    assert result.read_back == 3 and not saved.exists()
