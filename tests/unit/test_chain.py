"""The journal's hash chain: any edit, drop or reorder is found, and where."""

from __future__ import annotations

import msgspec
import pytest

from console.domain import events as ev
from console.domain.chain import GENESIS, Break, Record, record_hash, seal, verify
from tests.support import T0


def chain(n: int = 5) -> list[Record]:
    out: list[Record] = []
    prev = GENESIS
    for i in range(n):
        e = ev.Tick(at=T0 + i)
        r = seal(prev, i + 1, e.at, ev.source_of(e), ev.type_of(e), ev.key_of(e), "c1", ev.encode(e))
        out.append(r)
        prev = r.hash
    return out


def test_a_sealed_chain_verifies() -> None:
    rs = chain()
    assert verify(rs) is None
    assert verify([]) is None
    assert verify(rs[2:], prev=rs[1].hash, expect_seq=3) is None
    assert rs[0].prev == GENESIS and all(len(r.hash) == 64 for r in rs)


@pytest.mark.parametrize(
    "change",
    [
        {"at": T0 + 99},
        {"source": "bus"},
        {"type": "dev"},
        {"key": "x"},
        {"console": "c2"},
        {"body": b'{"at":1,"t":"tick"}'},
    ],
)
def test_a_changed_field_breaks_the_hash(change: dict[str, object]) -> None:
    rs = chain()
    rs[2] = msgspec.structs.replace(rs[2], **change)
    assert verify(rs) == Break(3, "bad_hash")


def test_a_resealed_record_breaks_the_next_link() -> None:
    rs = chain()
    r = rs[2]
    rs[2] = seal(r.prev, r.seq, r.at, r.source, r.type, "forged", r.console, r.body)
    assert verify(rs) == Break(4, "bad_prev")


def test_a_dropped_record_is_a_gap() -> None:
    rs = chain()
    del rs[2]
    assert verify(rs) == Break(4, "gap")


def test_a_dropped_last_record_shows_against_the_known_head() -> None:
    rs = chain()
    assert verify(rs[:-1]) is None  # the chain alone cannot know its tail was cut ...
    assert rs[-2].hash != rs[-1].hash  # ... which is why the store keeps the head's hash


def test_reordered_records() -> None:
    rs = chain()
    rs[1], rs[2] = rs[2], rs[1]
    b = verify(rs)
    assert b is not None and b.seq == 3 and b.reason == "gap"
    assert verify(list(reversed(chain()))) == Break(5, "bad_prev")
    rs = chain()
    assert verify([rs[0], rs[2], rs[1]], expect_seq=1) == Break(3, "gap")
    assert verify([rs[1], rs[0]], prev=rs[0].hash, expect_seq=2) == Break(1, "reordered")


def test_reordered_even_with_renumbered_seq_is_caught() -> None:
    rs = chain()
    a, b = rs[1], rs[2]
    rs[1] = msgspec.structs.replace(b, seq=2)
    rs[2] = msgspec.structs.replace(a, seq=3)
    assert verify(rs) == Break(2, "bad_prev")


def test_first_seq_and_wrong_genesis() -> None:
    rs = chain()
    assert verify(rs, expect_seq=1) is None
    assert verify(rs, expect_seq=2) == Break(1, "reordered")
    assert verify(rs, prev="f" * 64) == Break(1, "bad_prev")


def test_hash_separates_fields() -> None:
    # moving a character from one field to the next must change the hash
    assert record_hash(GENESIS, 1, 2, "ab", "c", "", "", b"") != record_hash(
        GENESIS, 1, 2, "a", "bc", "", "", b""
    )
    assert record_hash(GENESIS, 1, 23, "s", "t", "", "", b"") != record_hash(
        GENESIS, 12, 3, "s", "t", "", "", b""
    )
