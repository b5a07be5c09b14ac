"""Fast chain verification: a raw DBAPI cursor, plain tuples and chain.record_hash.

No ORM and no Record objects per row (that costs more than the SHA-256 itself). Verification
starts where archiving left off (the last archive mark, or an archive file's own boundary),
checks the marks chain onto itself, and then compares every witness of the chain's head it is
given or finds — signed anchors (console/io/anchors.py, checked by the caller), the engine and
KPI checkpoints in ``fold_checkpoints`` and the ``checkpoints`` table — with the journal, so a
cut-off tail or a consistently rewritten suffix up to the newest witness is caught too.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, NamedTuple

from sqlalchemy import Engine, inspect
from sqlalchemy.exc import DBAPIError

from console.domain.chain import GENESIS, Break, record_hash
from console.io.store.errors import classify
from console.io.store.journal_checkpoints import journal_hash

FETCH: Final = 5000
SELECT: Final = "SELECT seq, at_ns, source, type, key, console, body, prev, hash FROM journal"


@dataclass
class VerifyResult:
    records: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    start_seq: int = 1
    seconds: float = 0.0
    broken: Break | None = None
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # what a witness says is wrong, in words

    @property
    def ok(self) -> bool:
        return self.broken is None

    @property
    def rate(self) -> float:
        return self.records / self.seconds if self.seconds > 0 else 0.0


def verify_rows(
    cursor: Any,
    prev: str,
    expect_seq: int,
    result: VerifyResult,
    progress: Callable[[int], None] | None = None,
    seen: dict[int, str] | None = None,
) -> None:
    """Walk ``cursor`` (already executed, rows in seq order), filling ``result``; the hash of
    each record whose seq is a key of ``seen`` is put there."""
    rh = record_hash
    watch = seen if seen is not None else {}
    n = 0
    seq = expect_seq
    while True:
        rows = cursor.fetchmany(FETCH)
        if not rows:
            break
        for row in rows:
            seq, at, source, type_, key, console, body, p, h = row
            if seq != expect_seq:
                result.broken = Break(seq, "gap" if seq > expect_seq else "reordered")
                return
            if p != prev:
                result.broken = Break(seq, "bad_prev")
                return
            try:
                ok = rh(p, seq, at, source, type_, key, console, body) == h
            except (TypeError, ValueError, AttributeError, UnicodeError):
                result.broken = Break(seq, "bad_row")
                return
            if not ok:
                result.broken = Break(seq, "bad_hash")
                return
            if seq in watch:
                watch[seq] = h
            prev = h
            expect_seq = seq + 1
        n += len(rows)
        result.records = n
        result.head_seq, result.head_hash = seq, prev
        if progress is not None:
            progress(n)


def _marks(conn: Any, result: VerifyResult) -> tuple[str, int]:
    """Where the live chain starts, after checking the archive marks chain onto each other."""
    cur = conn.cursor()
    cur.execute(
        "SELECT first_seq, last_seq, prev_hash, last_hash, file_name FROM archive_marks ORDER BY first_seq"
    )
    prev, expect = GENESIS, 1
    for first, last, prev_hash, last_hash, name in cur.fetchall():
        if first != expect or prev_hash != prev or last < first:
            result.broken = Break(first, "bad_archive_mark")
            break
        result.notes.append(f"seq {first}..{last} archived to {name}")
        prev, expect = last_hash, last + 1
    cur.close()
    return prev, expect


def _archive_start(conn: Any) -> tuple[str, int]:
    cur = conn.cursor()
    cur.execute("SELECT key, value FROM archive_info")
    info = dict(cur.fetchall())
    cur.close()
    return str(info["prev_hash"]), int(info["first_seq"])


class Witness(NamedTuple):
    """Someone saw record ``seq`` with ``hash`` at ``at_ns``; ``signed``: a checked anchor."""

    seq: int
    hash: str
    what: str
    at_ns: int
    signed: bool = False


def _iso(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, tz=UTC).isoformat(timespec="seconds")


def _stored_witnesses(conn: Any, tables: set[str]) -> list[Witness]:
    """The (seq, hash) the database itself holds: engine/KPI fold checkpoints and checkpoints."""
    out: list[Witness] = []
    cur = conn.cursor()
    if "fold_checkpoints" in tables:
        cur.execute("SELECT name, seq, hash, saved_ns FROM fold_checkpoints")
        out += [Witness(int(s), str(h), f"fold checkpoint {n}", int(t)) for n, s, h, t in cur.fetchall()]
    if "checkpoints" in tables:
        cur.execute("SELECT seq, hash, saved_ns FROM checkpoints ORDER BY seq DESC LIMIT 3")
        out += [Witness(int(s), str(h), "checkpoint", int(t)) for s, h, t in cur.fetchall()]
    cur.close()
    return out


def _resume(engine: Engine, witnesses: list[Witness], expect: int) -> Witness | None:
    """The newest signed anchor whose record the journal still holds with its hash."""
    with engine.connect() as conn:
        for w in sorted((w for w in witnesses if w.signed and w.seq >= expect), reverse=True):
            if journal_hash(conn, w.seq) == w.hash:
                return w
    return None


def _judge(
    engine: Engine, witnesses: list[Witness], seen: dict[int, str], live_start: int, result: VerifyResult
) -> None:
    """Each witness against the journal, after an unbroken walk: an edited (re-hashed) record
    at a witnessed seq, or a journal that ends before the newest witness. Records before
    ``live_start`` are archived; those between it and the walk's start are looked up one by one."""
    start, head = result.start_seq, result.head_seq
    looked: dict[int, str | None] = {}
    with engine.connect() as conn:
        for w in witnesses:
            if w.seq < start and w.seq not in looked:
                looked[w.seq] = journal_hash(conn, w.seq)
    bad: list[Witness] = []
    good: list[int] = []
    for w in sorted(witnesses):
        if w.seq > head:
            continue
        h = seen.get(w.seq) if w.seq >= start else looked.get(w.seq)
        if h is None and w.seq < live_start:
            result.notes.append(f"{w.what} at seq {w.seq} is in the archived part (not checked)")
        elif h == w.hash:
            good.append(w.seq)
        else:
            bad.append(w)
    if bad:
        w = bad[0]
        after = max((s for s in good if s < w.seq), default=0)
        result.problems.append(
            f"re-hashed / edited from seq <= {w.seq} (after seq {after}, the last witnessed record that"
            f" matches): {w.what}, {_iso(w.at_ns)}, names another hash for record {w.seq}"
        )
        result.broken = Break(w.seq, "anchor_mismatch" if w.signed else "checkpoint_mismatch")
    top = max(witnesses, key=lambda w: (w.seq, w.signed), default=None)
    if top is not None and top.seq > head:
        result.problems.append(
            f"journal shortened: last record {head}, anchored up to {top.seq} at {_iso(top.at_ns)} ({top.what})"
        )
        if result.broken is None:
            result.broken = Break(top.seq, "truncated")
    if witnesses and result.broken is None:
        result.notes.append(f"{len(witnesses)} witnesses agree, the newest at seq {top.seq if top else 0}")


def verify_engine(
    engine: Engine,
    progress: Callable[[int], None] | None = None,
    witnesses: Sequence[Witness] = (),
    from_anchor: bool = False,
    resume_from: Sequence[Witness] = (),
) -> VerifyResult:
    """Verify the whole stored chain (live part after archive marks; archive files on their own)
    and compare it with ``witnesses`` (checked anchors) and the checkpoints it holds.
    ``from_anchor``: walk only after the newest signed anchor the journal matches.
    ``resume_from``: walk only after the newest of these (signed heads that earlier verifies
    reached, ``audit verify --resume``) the journal matches; the whole chain when none does."""
    result = VerifyResult()
    t0 = time.perf_counter()
    try:
        tables = set(inspect(engine).get_table_names())
        raw = engine.raw_connection()
        try:
            prev, expect = GENESIS, 1
            if "archive_marks" in tables:
                prev, expect = _marks(raw, result)
            elif "archive_info" in tables:
                prev, expect = _archive_start(raw)
                result.notes.append(f"archive file starting at seq {expect}")
            if result.broken is not None:
                return result
            known = list(witnesses) + _stored_witnesses(raw, tables)
            result.head_seq, result.head_hash = expect - 1, prev
            live_start = expect
            if resume_from:
                w = _resume(engine, list(resume_from), expect)
                if w is None:
                    result.notes.append(
                        "no earlier verify's head matches the journal: the whole chain was walked"
                    )
                else:
                    prev, expect = w.hash, w.seq + 1
                    result.head_seq, result.head_hash = w.seq, w.hash
                    result.notes.append(
                        f"resumed after seq {w.seq}, where the verify of {_iso(w.at_ns)} ended: records up to"
                        " it were walked then, not again"
                    )
            elif from_anchor:
                w = _resume(engine, known, expect)
                if w is None:
                    result.notes.append("no signed anchor matches the journal: the whole chain was walked")
                else:
                    prev, expect = w.hash, w.seq + 1
                    result.head_seq, result.head_hash = w.seq, w.hash
                    result.notes.append(
                        f"resumed after the anchor at seq {w.seq} ({_iso(w.at_ns)}): records up to it"
                        " were not walked again"
                    )
            result.start_seq = expect
            seen: dict[int, str] = {w.seq: "" for w in known if w.seq >= expect}
            if engine.dialect.name == "postgresql":
                dbapi: Any = raw.driver_connection
                cur = dbapi.cursor(name="guardian_verify")  # server-side: stream
                cur.itersize = FETCH
            else:
                cur = raw.cursor()
            if expect > live_start:  # resumed: the rows after the anchor only
                mark = "%s" if engine.dialect.name == "postgresql" else "?"
                cur.execute(SELECT + f" WHERE seq >= {mark} ORDER BY seq", (expect,))
            else:  # every row, so one stored below the archive boundary shows as out of order
                cur.execute(SELECT + " ORDER BY seq")
            verify_rows(cur, prev, expect, result, progress, seen)
            cur.close()
            if result.broken is None:
                _judge(engine, known, {s: h for s, h in seen.items() if h}, live_start, result)
            if result.records == 0 and result.broken is None and not (from_anchor or resume_from):
                result.notes.append("journal is empty")
        finally:
            raw.rollback()
            raw.close()
    except (DBAPIError, OSError) as exc:
        raise classify(exc) from exc
    finally:
        result.seconds = time.perf_counter() - t0
    return result
