"""Signed anchors witness a running console's journal head outside the database: `audit verify`
(a real subprocess) reports a shortened or a re-hashed journal and an anchor it cannot trust."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from console.app.clock import FakeClock
from console.bootstrap import Core, build_core
from console.config import Settings
from console.domain.chain import GENESIS, record_hash
from console.domain.codec import device_topic
from console.io.anchors import AnchorWriter, read_anchors
from console.sim.district import generate
from console.sim.traffic import payload
from tests.support import Msg

ROOT = Path(__file__).resolve().parents[2]
WAIT_S = 20.0


class Journal(NamedTuple):
    db: Path
    data: Path  # the data dir holding the console's anchor key
    mid: int  # the seq anchored while the console ran
    last: int  # the last seq (anchored at stop)


def _feed(core: Core, register: Any, start: int, n: int) -> None:
    homes = [h for h in register.households.values() if h.devices][start : start + n]
    msgs = [
        Msg(
            device_topic(h.district, h.township, h.devices[0].id),
            payload(h.devices[0].id, h.devices[0].kind, "alarm", time.time_ns(), f"a{start}-{i}"),
        )
        for i, h in enumerate(homes)
    ]
    done = threading.Event()
    core.engine.submit_bus(msgs, done.set)
    assert done.wait(WAIT_S), "the batch was never journaled"


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Journal:
    """A journal written by a running console: 10 alarms, an anchor, 10 more alarms, a stop."""
    base = tmp_path_factory.mktemp("anchored")
    data, db = base / "data", base / "journal.sqlite"
    register = generate(seed=5, households=60)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GUARDIAN_DATA_DIR", str(data))
        s = Settings(db_url=f"sqlite:///{db}", console_id="an1", district="SIM")
        core = build_core(s, register=register, clock=FakeClock(time.time_ns()), connect_bus=False)
        try:
            # the anchor written at start names whatever the engine journaled by then (nothing, or
            # its start note): dropped, so that the lines these tests name are always the same two
            db.with_name(db.name + ".anchors.jsonl").unlink(missing_ok=True)
            _feed(core, register, 0, 10)
            assert core.anchors is not None
            core.anchors.write()  # what the thread does every 1000 records / 5 minutes
            _feed(core, register, 10, 10)
        finally:
            core.stop()
    anchors = read_anchors(db.with_name(db.name + ".anchors.jsonl")).anchors
    with sqlite3.connect(db) as conn:
        last = conn.execute("SELECT max(seq) FROM journal").fetchone()[0]
    assert len(anchors) == 2 and anchors[-1].seq == last and 5 <= anchors[0].seq < last
    assert (data / "anchor.key").stat().st_mode & 0o777 == 0o600
    return Journal(db, data, anchors[0].seq, last)


@pytest.fixture
def journal(written: Journal, tmp_path: Path) -> Journal:
    """A copy of the written journal, its anchors file and key, for one test to tamper with."""
    db = tmp_path / written.db.name
    for suffix in ("", "-wal", ".anchors.jsonl"):
        src = Path(str(written.db) + suffix)
        if src.exists():
            shutil.copy(src, str(db) + suffix)
    shutil.copytree(written.data, tmp_path / "data")
    return Journal(db, tmp_path / "data", written.mid, written.last)


def verify(j: Journal, *extra: str, data: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GUARDIAN_DATA_DIR": str(data or j.data)}
    return subprocess.run(
        [sys.executable, "-m", "console", "audit", "verify", "--db", f"sqlite:///{j.db}", *extra],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _sql(j: Journal, *statements: str) -> None:
    with sqlite3.connect(j.db) as conn:
        for s in statements:
            conn.execute(s)


def test_a_clean_journal_verifies(journal: Journal) -> None:
    out = verify(journal)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.startswith(f"OK {journal.last} records")
    assert f"2 signed anchors in {journal.db}.anchors.jsonl, the newest at seq {journal.last}" in out.stderr


@pytest.mark.parametrize("cut", [1, 6])
@pytest.mark.parametrize("checkpoints_too", [False, True], ids=["checkpoints-left", "checkpoints-deleted"])
def test_a_cut_off_tail_is_reported(journal: Journal, cut: int, checkpoints_too: bool) -> None:
    statements = [f"DELETE FROM journal WHERE seq > {journal.last - cut}"]
    if checkpoints_too:  # what the chain's own table could still tell is gone as well
        statements.append("DELETE FROM fold_checkpoints")
    _sql(journal, *statements)
    out = verify(journal)
    assert out.returncode == 1, out.stdout
    assert (
        f"journal shortened: last record {journal.last - cut}, anchored up to {journal.last} at" in out.stdout
    )
    assert f"BROKEN at seq {journal.last}: truncated" in out.stdout


def _rehash_from(j: Journal, first: int) -> None:
    """Edit every body from ``first`` on and seal the chain again exactly as the console does,
    checkpoints included: the database alone looks whole."""
    with sqlite3.connect(j.db) as conn:
        rows = conn.execute(
            "SELECT seq, at_ns, source, type, key, console, body, prev, hash FROM journal ORDER BY seq"
        ).fetchall()
        prev = GENESIS
        new: dict[str, str] = {}
        for seq, at, source, type_, key, console, body, _prev, h in rows:
            if seq < first:
                prev = h
                continue
            body = bytes(body) + b" "
            h2 = record_hash(prev, seq, at, source, type_, key, console, body)
            conn.execute(
                "UPDATE journal SET body = ?, prev = ?, hash = ? WHERE seq = ?", (body, prev, h2, seq)
            )
            new[h] = h2
            prev = h2
        for old, h2 in new.items():
            conn.execute("UPDATE fold_checkpoints SET hash = ? WHERE hash = ?", (h2, old))


def test_a_rehashed_suffix_is_reported(journal: Journal) -> None:
    _rehash_from(journal, 5)
    out = verify(journal)
    assert out.returncode == 1, out.stdout
    assert f"re-hashed / edited from seq <= {journal.mid} (after seq 0" in out.stdout
    assert f"BROKEN at seq {journal.mid}: anchor_mismatch" in out.stdout


def test_a_rehashed_suffix_after_the_first_anchor(journal: Journal) -> None:
    _rehash_from(journal, journal.mid + 2)
    out = verify(journal)
    assert out.returncode == 1, out.stdout
    assert f"re-hashed / edited from seq <= {journal.last} (after seq {journal.mid}," in out.stdout
    resumed = verify(journal, "--from-anchor")
    assert resumed.returncode == 1, resumed.stdout
    assert f"resumed after the anchor at seq {journal.mid}" in resumed.stderr


def test_resume_from_the_last_anchor(journal: Journal) -> None:
    out = verify(journal, "--from-anchor")
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"resumed after the anchor at seq {journal.last}" in out.stderr


def _anchor_lines(j: Journal) -> tuple[Path, list[dict[str, Any]]]:
    path = Path(str(j.db) + ".anchors.jsonl")
    return path, [json.loads(line) for line in path.read_text().splitlines()]


def test_an_anchor_with_a_bad_signature_is_reported(journal: Journal) -> None:
    path, lines = _anchor_lines(journal)
    lines[0]["seq"] = lines[0]["seq"] + 1  # moved, the signature kept
    path.write_text("".join(json.dumps(d) + "\n" for d in lines))
    out = verify(journal)
    assert out.returncode == 1, out.stdout
    assert f"anchors line 1 (seq {journal.mid + 1}): bad signature" in out.stdout


def test_an_anchor_by_an_unknown_key_is_reported(journal: Journal, tmp_path: Path) -> None:
    out = verify(journal, data=tmp_path / "elsewhere")  # no key there
    assert out.returncode == 1, out.stdout
    assert f"anchors line 2 (seq {journal.last}): signed by an unknown key" in out.stdout
    assert (
        verify(journal, "--key", str(journal.data / "anchor.key"), data=tmp_path / "elsewhere").returncode
        == 0
    )


def test_a_line_cut_by_a_crash_is_a_note_and_the_next_write_drops_it(journal: Journal) -> None:
    path, _ = _anchor_lines(journal)
    with path.open("ab") as f:
        f.write(b'{"seq": 99')  # the console died as it wrote
    assert read_anchors(path).notes == ["anchors line 3: cut off as it was written (ignored)"]
    out = verify(journal)
    assert out.returncode == 0, out.stdout + out.stderr
    key = bytes.fromhex((journal.data / "anchor.key").read_text().strip())
    AnchorWriter(path, key, "an1", lambda: (journal.last + 1, "0" * 64), time.time_ns).write()
    found = read_anchors(path)
    assert found.problems == [] and found.notes == []
    assert [a.line for a in found.anchors] == [1, 2, 3] and found.anchors[-1].seq == journal.last + 1


def test_records_make_an_anchor_due(tmp_path: Path) -> None:
    w = AnchorWriter(tmp_path / "a.jsonl", b"k", "c", lambda: None, time.time_ns, every_records=10)
    w.noted(9)
    assert not w._due.is_set()
    w.noted(1)
    assert w._due.is_set()


def test_resume_after_a_witness_on_both_back_ends(journal_db_url: str) -> None:
    """verify_engine walks only the records after the newest signed anchor the journal matches;
    an older anchor that disagrees is still reported (looked up on its own)."""
    from console.io.store import SqlStore, verify_engine
    from console.io.store.verify import Witness

    with SqlStore(journal_db_url) as store:
        recs = store.journal.append([(i, "bus", "dev", f"k/{i}", b"{}") for i in range(12)], "c1")
        good = Witness(8, recs[7].hash, "anchor line 2", 1, signed=True)
        resumed = verify_engine(store.engine, witnesses=[good], from_anchor=True)
        assert resumed.ok and resumed.start_seq == 9 and resumed.records == 4 and resumed.head_seq == 12
        wrong = Witness(3, "f" * 64, "anchor line 1", 1, signed=True)
        bad = verify_engine(store.engine, witnesses=[wrong, good], from_anchor=True)
        assert bad.broken is not None and (bad.broken.seq, bad.broken.reason) == (3, "anchor_mismatch")
        ahead = Witness(20, "e" * 64, "anchor line 3", 1, signed=True)
        cut = verify_engine(store.engine, witnesses=[good, ahead], from_anchor=True)
        assert cut.broken is not None and (cut.broken.seq, cut.broken.reason) == (20, "truncated")
        assert any("journal shortened: last record 12, anchored up to 20" in p for p in cut.problems)


# --- the bus keeps a copy: the newest anchor of each console, retained ----------------------------


def test_the_bus_copy_catches_a_journal_shortened_with_its_anchors_file_gone(
    mosquitto: Any, tmp_path: Path
) -> None:
    from console.io.anchors import anchor_topic
    from tests.fixtures.brokers import Watcher, wait_until

    data, db = tmp_path / "data", tmp_path / "journal.sqlite"
    register = generate(seed=5, households=60)
    watcher = Watcher(mosquitto, anchor_topic("SIM", "bus1"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GUARDIAN_DATA_DIR", str(data))
        s = Settings(
            db_url=f"sqlite:///{db}",
            console_id="bus1",
            district="SIM",
            broker_host=mosquitto.host,
            broker_port=mosquitto.port,
        )
        core = build_core(s, register=register, clock=FakeClock(time.time_ns()))
        try:
            wait_until(lambda: core.engine.status().bus == "connected", 20, "bus", on=core.engine.changes)
            _feed(core, register, 0, 10)
            assert core.anchors is not None
            core.anchors.write()
            # the head it signed (records may follow at once: acknowledgements come in, beats flush)
            head = read_anchors(db.with_name(db.name + ".anchors.jsonl")).anchors[-1]
            got = watcher.wait_for(lambda p: json.loads(p)["seq"] == head.seq, 20, "the anchor on the bus")
            assert json.loads(got)["hash"] == head.hash
        finally:
            core.stop()
            watcher.close()
    j = Journal(db, data, head.seq, head.seq)
    # whoever shortens the journal also removes the file beside it and the database's checkpoints
    _sql(j, f"DELETE FROM journal WHERE seq > {head.seq - 3}", "DELETE FROM fold_checkpoints")
    db.with_name(db.name + ".anchors.jsonl").unlink()
    assert verify(j).returncode == 0  # nothing left beside the journal to say so ...
    out = verify(
        j, "--broker-host", mosquitto.host, "--broker-port", str(mosquitto.port), "--district", "SIM"
    )
    assert out.returncode == 1, out.stdout + out.stderr  # ... but the broker kept the newest anchor
    assert "journal shortened" in out.stdout and f"anchored up to {head.seq}" in out.stdout


def _append_notes(j: Journal, n: int) -> None:
    from console.domain import events as ev
    from console.io.store.store import SqlStore

    store = SqlStore(j.db)
    try:
        notes = [ev.SystemNote(at=time.time_ns(), what="operator_note", detail=str(i)) for i in range(n)]
        store.journal.append([(e.at, "system", "sys", "", ev.encode(e)) for e in notes], "an1")
    finally:
        store.close()


def test_a_daily_check_walks_only_what_came_after_the_last_passing_verify(journal: Journal) -> None:
    first = verify(journal, "--resume")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "no earlier verify recorded" in first.stderr  # the first check walks the whole chain
    assert first.stdout.startswith(f"OK {journal.last} records")
    assert f"head seq {journal.last} recorded in {journal.db}.verified.jsonl" in first.stderr

    _append_notes(journal, 7)  # the next day's records
    daily = verify(journal, "--resume")
    assert daily.returncode == 0, daily.stdout + daily.stderr
    assert f"resumed after seq {journal.last}" in daily.stderr
    assert daily.stdout.startswith("OK 7 records")  # a day's worth, not the whole chain
    assert f"head seq {journal.last + 7} recorded" in daily.stderr

    # the recorded heads witness the chain as anchors do: with the anchors file gone, a journal
    # re-sealed from an early record on still shows, and --resume does not start after it
    Path(str(journal.db) + ".anchors.jsonl").unlink()
    _rehash_from(journal, 5)
    out = verify(journal, "--resume")
    assert out.returncode == 1, out.stdout
    assert "no earlier verify's head matches the journal: the whole chain was walked" in out.stderr
    assert f"BROKEN at seq {journal.last}: anchor_mismatch" in out.stdout


def test_a_verified_head_signed_by_another_key_is_not_trusted(journal: Journal, tmp_path: Path) -> None:
    assert verify(journal).returncode == 0  # records the head, signed with this console's key
    other = tmp_path / "other"
    other.mkdir()
    (other / "anchor.key").write_text("00" * 32 + "\n")
    out = verify(journal, "--resume", "--key", str(other / "anchor.key"))
    assert out.returncode == 1
    assert "verified-heads line 1" in out.stdout and "unknown key" in out.stdout
