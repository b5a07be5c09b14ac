"""The journal's chain against real databases: append/read, and verify catching every kind of edit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from console.domain import events
from console.domain.chain import GENESIS, record_hash
from console.io.store import SqlStore, verify_engine
from tests.support import T0


def _items(n: int, start: int = 0) -> list[tuple[int, str, str, str, bytes]]:
    out = []
    for i in range(start, start + n):
        e = events.DeviceEvent(
            at=T0 + i * 1_000_000_000,
            district="500106",
            township="500106001",
            dev=f"dev{i % 3}",
            id=f"e{i}",
            kind="smoke",
            evt="alarm",
            ts=T0 + i,
        )
        out.append((e.at, events.source_of(e), events.type_of(e), events.key_of(e), events.encode(e)))
    return out


@pytest.fixture
def store(journal_db_url: str) -> Iterator[SqlStore]:
    s = SqlStore(journal_db_url)
    yield s
    s.close()


def test_append_read_last_count(store: SqlStore) -> None:
    j = store.journal
    assert j.last() is None and j.count() == 0
    first = j.append(_items(3), "c1")
    second = j.append(_items(2, 3), "c2")
    assert [r.seq for r in first + second] == [1, 2, 3, 4, 5]
    assert first[0].prev == GENESIS and second[0].prev == first[-1].hash
    stored = list(j.read())
    assert stored == first + second
    assert list(j.read(2, 3)) == first[1:3]
    assert j.last() == second[-1] and j.count() == 5
    assert all(isinstance(r.body, bytes) for r in stored)
    assert events.decode(stored[0].body).id == "e0"
    assert j.append([], "c1") == []
    # what replay reads: the same records, four fields
    assert [tuple(r) for r in j.read_rows()] == [(r.seq, r.at, r.type, r.body) for r in stored]
    assert [r.seq for r in j.read_rows(2, 3)] == [2, 3]
    assert all(type(r.body) is bytes for r in j.read_rows())


def test_read_time_and_keys_present(store: SqlStore) -> None:
    j = store.journal
    j.append(_items(10), "c1")
    got = [r.seq for r in j.read_time(T0 + 2_000_000_000, T0 + 5_000_000_000)]
    assert got == [3, 4, 5]  # [from, to)
    assert j.keys_present(["dev0/e0", "dev1/e4", "nope/e1"]) == {"dev0/e0", "dev1/e4"}
    assert j.keys_present(["dev0/e0"], type_="step") == set()
    many = [f"x/{i}" for i in range(1200)] + ["dev2/e5"]  # more than one IN chunk
    assert j.keys_present(many) == {"dev2/e5"}


def test_bad_items_get_clear_errors(store: SqlStore) -> None:
    with pytest.raises(ValueError, match="body must be bytes"):
        store.journal.append([(1, "bus", "dev", "k", "text")], "c1")  # type: ignore[list-item]
    with pytest.raises(ValueError, match="at must be int"):
        store.journal.append([(1.5, "bus", "dev", "k", b"")], "c1")  # type: ignore[list-item]
    assert store.journal.count() == 0


def test_read_streams_large_journal(store: SqlStore) -> None:
    j = store.journal
    for b in range(5):
        j.append(_items(1000, b * 1000), "c1")
    it = j.read()
    assert next(it).seq == 1  # a generator: nothing forces all 5,000 rows into memory at once
    assert sum(1 for _ in it) == 4999
    assert verify_engine(store.engine).records == 5000


# --- tampering ------------------------------------------------------------------------------


def _flip_char(s: str) -> str:
    c = s[0]
    return ("b" if c != "b" else "c") + s[1:]


def _tamper(store: SqlStore, seq: int, field: str) -> None:
    with store.engine.begin() as conn:
        row = conn.execute(text(f"SELECT {field} FROM journal WHERE seq = :s"), {"s": seq}).scalar()
        if field == "seq":
            new: object = seq + 100
        elif field == "at_ns":
            new = row ^ 0x01  # one bit of the lowest byte
        elif field == "body":
            b = bytearray(bytes(row))
            b[len(b) // 2] ^= 0x20
            new = bytes(b)
        else:
            new = _flip_char(row)
        conn.execute(text(f"UPDATE journal SET {field} = :v WHERE seq = :s"), {"v": new, "s": seq})


@pytest.mark.parametrize(
    ("field", "reason", "at"),
    [
        ("seq", "gap", 6),
        ("at_ns", "bad_hash", 5),
        ("source", "bad_hash", 5),
        ("type", "bad_hash", 5),
        ("key", "bad_hash", 5),
        ("console", "bad_hash", 5),
        ("body", "bad_hash", 5),
        ("prev", "bad_prev", 5),
        ("hash", "bad_hash", 5),
    ],
)
def test_verify_catches_single_byte_change(store: SqlStore, field: str, reason: str, at: int) -> None:
    store.journal.append(_items(10), "c1")
    assert verify_engine(store.engine).ok
    _tamper(store, 5, field)
    result = verify_engine(store.engine)
    assert result.broken is not None
    assert (result.broken.seq, result.broken.reason) == (at, reason)


def test_verify_catches_deleted_record(store: SqlStore) -> None:
    store.journal.append(_items(10), "c1")
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM journal WHERE seq = 4"))
    result = verify_engine(store.engine)
    assert result.broken is not None and (result.broken.seq, result.broken.reason) == (5, "gap")


def test_verify_catches_reordered_records(store: SqlStore) -> None:
    store.journal.append(_items(10), "c1")
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE journal SET seq = -1 WHERE seq = 4"))
        conn.execute(text("UPDATE journal SET seq = 4 WHERE seq = 5"))
        conn.execute(text("UPDATE journal SET seq = 5 WHERE seq = -1"))
    result = verify_engine(store.engine)
    assert result.broken is not None and result.broken.seq == 4
    assert result.broken.reason in ("bad_prev", "bad_hash")


def test_verify_catches_rewritten_suffix_and_truncation_through_checkpoints(store: SqlStore) -> None:
    """A forger who recomputes every hash after an edit is caught by the saved checkpoint."""
    recs = store.journal.append(_items(10), "c1")
    store.save_checkpoint(8, recs[7].hash, b"state")
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE journal SET console = 'forged' WHERE seq >= 6"))
        prev = recs[4].hash
        for r in recs[5:]:
            h = record_hash(prev, r.seq, r.at, r.source, r.type, r.key, "forged", r.body)
            conn.execute(
                text("UPDATE journal SET prev = :p, hash = :h WHERE seq = :s"),
                {"p": prev, "h": h, "s": r.seq},
            )
            prev = h
    result = verify_engine(store.engine)
    assert result.broken is not None and (result.broken.seq, result.broken.reason) == (
        8,
        "checkpoint_mismatch",
    )
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM journal WHERE seq >= 6"))
    result = verify_engine(store.engine)
    assert result.broken is not None and (result.broken.seq, result.broken.reason) == (8, "truncated")


def test_archive_prefix_then_verify_and_append(store: SqlStore, tmp_path: Path) -> None:
    from console.io.store.archive import archive, verify_archive_file

    recs = store.journal.append(_items(10), "c1")
    before = recs[6].at  # rows 1..6 are older than this
    result = archive(store.engine, before, tmp_path / "a.sqlite", now_ns=before + 400 * 86_400 * 10**9)
    assert result is not None and (result.first_seq, result.last_seq, result.rows) == (1, 6, 6)
    assert verify_archive_file(result.file).ok
    assert [r.seq for r in store.journal.read()] == [7, 8, 9, 10]
    check = verify_engine(store.engine)
    assert check.ok and check.start_seq == 7 and check.head_hash == recs[-1].hash
    assert store.journal.append(_items(1, 10), "c1")[0].prev == recs[-1].hash
    # everything archived: the chain head then comes from the mark
    result = archive(store.engine, recs[-1].at + 10**12, tmp_path / "b.sqlite", force_younger=True)
    assert result is not None and store.journal.count() == 0
    assert store.journal.append(_items(1, 11), "c1")[0].seq == 12
    assert verify_engine(store.engine).ok


def test_default_store_lives_in_guardian_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUARDIAN_DATA_DIR", str(tmp_path / "data"))
    with SqlStore() as s:
        assert s.path == tmp_path / "data" / "journal.sqlite"
        s.journal.append(_items(1), "c1")
    assert (tmp_path / "data" / "journal.sqlite").exists()
