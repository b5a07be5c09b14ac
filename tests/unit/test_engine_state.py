"""Engine checkpoints: a start from a checkpoint and the journal's tail ends where a start from the
whole journal ends; a checkpoint that may not be used is skipped, never trusted."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from console.app.engine import Engine
from console.app.engine_state import Checkpointer, StateError, dump, load, state_version
from console.app.memjournal import MemoryJournal
from console.app.ports import JournalError
from console.domain import events as ev
from tests.unit.helpers import world
from tests.unit.test_engine import WAIT_S, Rig, alarm_msg, login, make_rig


class MemPort:
    """Checkpoints kept in a list; like the store, confirms (seq, hash) against the journal."""

    def __init__(self, journal: MemoryJournal) -> None:
        self.journal = journal
        self.saved: list[tuple[int, str, str, str, bytes]] = []  # seq, hash, version, register, blob

    def candidates(self, version: str, register: str) -> Iterator[tuple[int, bytes]]:
        for seq, hash_, v, r, blob in sorted(self.saved, reverse=True):
            rec = self.journal.records[seq - 1] if 0 < seq <= len(self.journal.records) else None
            if v == version and r == register and rec is not None and rec.hash == hash_:
                yield seq, blob

    def save(self, seq: int, max_at: int, version: str, register: str, blob: bytes) -> None:
        self.saved.append((seq, self.journal.records[seq - 1].hash, version, register, blob))


def with_port(journal: MemoryJournal, port: MemPort | None, rig: Rig | None = None) -> Rig:
    r = make_rig(journal, rig.clock if rig is not None else None)
    if port is not None:
        r.engine.checkpoints = Checkpointer(port)
    return r


def shift(r: Rig, n: int) -> None:
    """Some work: two alarms (one acknowledged), missed deadlines."""
    r.engine.start()
    login(r)
    h1, h2 = (("H1", "H2"), ("H3", "H4"))[n - 1]  # new households: new incidents
    assert r.bus(alarm_msg(f"{h1}-smoke", f"a{n}"), alarm_msg(f"{h2}-gas", f"b{n}", "T2")).wait(WAIT_S)
    first = r.until(lambda w: max(w.incidents) if w.incidents else 0)
    r.engine.submit_command(ev.CompleteStep(at=0, operator="op1", console="c1", incident=first, step="ack"))
    r.clock.advance(400)
    r.engine.poke()
    r.sink.wait_alert("missed")
    r.engine.stop()


def state(r: Rig) -> tuple[bytes, set[str], set[int], int]:
    e: Engine = r.engine
    return r.world.projection_bytes(), e.intake.seen, e._own_opened, e._last_seq


def test_a_start_from_a_checkpoint_and_the_tail_equals_a_start_from_the_whole_journal() -> None:
    journal = MemoryJournal()
    port = MemPort(journal)
    a = with_port(journal, port)
    shift(a, 1)
    assert [s[0] for s in port.saved] == [len(journal.records)]  # saved when it stopped
    b = with_port(journal, None, a)  # a console without checkpoints adds a tail after it
    b.engine.recover()
    shift(b, 2)
    assert len(journal.records) > port.saved[-1][0]

    fast = with_port(journal, port, b)
    applied = fast.engine.recover()
    assert fast.engine.checkpoints is not None
    assert fast.engine.checkpoints.restored_seq == port.saved[-1][0]
    assert applied == len(journal.records) - port.saved[-1][0]  # only the tail
    full = with_port(journal, None, b)
    assert full.engine.recover() == len(journal.records)
    assert state(fast) == state(full)
    assert fast.world.next_due() == full.world.next_due()


def test_unsent_requests_are_still_resent_after_a_start_from_a_checkpoint() -> None:
    journal = MemoryJournal()
    port = MemPort(journal)
    a = with_port(journal, port)
    a.engine.publisher = None  # dies between journaling the alarm and publishing its requests
    a.engine.start()
    assert a.bus(alarm_msg(id_="crash")).wait(WAIT_S)
    a.until(lambda w: len(w.incidents) == 1)
    a.engine.stop()
    assert port.saved
    b = with_port(journal, port, a)
    b.engine.recover()
    assert b.engine.checkpoints is not None and b.engine.checkpoints.restored_seq is not None
    b.engine.start()
    try:
        b.until(lambda w: next(iter(w.incidents.values())).alert_published_at is not None)
        assert b.pub.sent
    finally:
        b.engine.stop()


def test_a_checkpoint_the_journal_or_build_does_not_confirm_is_skipped() -> None:
    journal = MemoryJournal()
    port = MemPort(journal)
    shift(with_port(journal, port), 1)
    seq, hash_, version, register, blob = port.saved[-1]
    port.saved = [
        (seq, hash_, version, register, blob[:-40] + b"x" * 40),  # damaged
        (seq - 1, journal.records[seq - 2].hash, version, register, blob),  # says seq, holds another
    ]
    r = with_port(journal, port)
    assert r.engine.recover() == len(journal.records)  # both skipped: the whole journal
    assert r.engine.checkpoints is not None and r.engine.checkpoints.restored_seq is None
    full = with_port(journal, None)
    full.engine.recover()
    assert state(r) == state(full)


def test_load_refuses_another_register_and_leaves_the_world_alone() -> None:
    w = world(4)
    blob = dump(w, last_seq=3, last_at=1, seen={"k"}, own_opened={1})
    other = world(5)
    before = other.projection_bytes()
    with pytest.raises(StateError, match="register"):
        load(blob, other)
    with pytest.raises(StateError, match="not an engine state"):
        load(b"junk", other)
    assert other.projection_bytes() == before
    restored = load(blob, world(4))
    assert restored.last_seq == 3 and restored.seen == {"k"} and restored.own_opened == {1}
    assert state_version().startswith("1.")


def test_no_checkpoint_after_the_journal_failed() -> None:
    class Failing(MemoryJournal):
        fail = False

        def append(self, items, console):  # type: ignore[no-untyped-def]
            if self.fail:
                raise JournalError("disk_full", "disk full")
            return super().append(items, console)

    journal = Failing()
    port = MemPort(journal)
    r = with_port(journal, port)
    r.engine.start()
    login(r)
    assert r.bus(alarm_msg(id_="before")).wait(WAIT_S)
    journal.fail = True
    r.bus(alarm_msg("H2-gas", "held", "T2"))
    r.until(lambda w: len(w.incidents) == 2)  # applied from memory, not journaled
    journal.fail = False
    r.until(lambda _w: not r.engine._pending)  # written once the journal takes it again
    r.engine.stop()
    assert r.engine.checkpoints is not None and "journal failed" in r.engine.checkpoints.off
    assert port.saved == []
