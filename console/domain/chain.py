"""The journal's hash chain: pure functions, so verify runs anywhere (and fast)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Final

import msgspec

GENESIS: Final = "0" * 64


class Record(msgspec.Struct, frozen=True, kw_only=True):
    """One journal row. ``body`` is the canonical event encoding (console.domain.events.encode)."""

    seq: int
    at: int  # UTC ns
    source: str  # bus | operator | timer | system
    type: str
    key: str
    console: str
    body: bytes
    prev: str
    hash: str


def record_hash(
    prev: str, seq: int, at: int, source: str, type_: str, key: str, console: str, body: bytes
) -> str:
    h = hashlib.sha256()
    h.update(prev.encode("ascii"))
    h.update(b"\x1f%d\x1f%d\x1f" % (seq, at))
    h.update(source.encode("utf-8"))
    h.update(b"\x1f")
    h.update(type_.encode("utf-8"))
    h.update(b"\x1f")
    h.update(key.encode("utf-8"))
    h.update(b"\x1f")
    h.update(console.encode("utf-8"))
    h.update(b"\x1f")
    h.update(body)
    return h.hexdigest()


def seal(
    prev: str, seq: int, at: int, source: str, type_: str, key: str, console: str, body: bytes
) -> Record:
    return Record(
        seq=seq,
        at=at,
        source=source,
        type=type_,
        key=key,
        console=console,
        body=body,
        prev=prev,
        hash=record_hash(prev, seq, at, source, type_, key, console, body),
    )


class Break(msgspec.Struct, frozen=True):
    seq: int
    reason: str  # bad_hash | bad_prev | gap | reordered


def verify(records: Iterable[Record], prev: str = GENESIS, expect_seq: int | None = None) -> Break | None:
    """First break in the chain, or None. ``records`` must come in stored order."""
    for r in records:
        if expect_seq is not None and r.seq != expect_seq:
            return Break(r.seq, "gap" if r.seq > expect_seq else "reordered")
        if r.prev != prev:
            return Break(r.seq, "bad_prev")
        if record_hash(r.prev, r.seq, r.at, r.source, r.type, r.key, r.console, r.body) != r.hash:
            return Break(r.seq, "bad_hash")
        prev = r.hash
        expect_seq = r.seq + 1
    return None
