"""A console restarts from its engine checkpoint and the journal's tail, on SQLite and PostgreSQL,
and ends where a fold of the whole journal ends; a checkpoint the journal does not confirm is
ignored."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import update

from console.app.clock import FakeClock
from console.app.replay import replay_all
from console.bootstrap import Core, build_core, make_world
from console.config import Settings
from console.domain.codec import device_topic
from console.io.store import SqlStore, schema
from console.io.store.fold_checkpoints import list_fold_checkpoints
from console.sim.district import generate
from console.sim.traffic import payload
from tests.support import Msg

WAIT_S = 20.0


@pytest.fixture(scope="module")
def register() -> Any:
    return generate(seed=5, households=60)


def alarms(register: Any, start: int, n: int) -> list[Msg]:
    homes = [h for h in register.households.values() if h.devices][start : start + n]
    return [
        Msg(
            device_topic(h.district, h.township, h.devices[0].id),
            payload(h.devices[0].id, h.devices[0].kind, "alarm", time.time_ns(), f"x{start}-{i}"),
        )
        for i, h in enumerate(homes)
    ]


def feed(core: Core, msgs: list[Msg]) -> None:
    done = threading.Event()
    core.engine.submit_bus(msgs, done.set)
    assert done.wait(WAIT_S), "the batch was never journaled"


def state(core: Core) -> tuple[bytes, int]:
    """The world's projection and the journal position it reflects, read in the engine thread."""
    return core.engine.query(lambda w: (w.projection_bytes(), core.engine._last_seq)).result(WAIT_S)


def full_fold(url: str, register: Any, upto: int) -> bytes:
    store = SqlStore(url)
    try:
        world, problems = replay_all(
            lambda: make_world(register), list(store.journal.read(1, upto)), fast_heartbeats=False
        )
    finally:
        store.close()
    assert problems == []
    return world.projection_bytes()


def test_restart_from_the_engine_checkpoint_ends_where_the_whole_journal_does(
    journal_db_url: str, register: Any
) -> None:
    s = Settings(db_url=journal_db_url, console_id="cp1", district="SIM")
    clock = FakeClock(time.time_ns())
    core = build_core(s, register=register, clock=clock, connect_bus=False)
    feed(core, alarms(register, 0, 20))
    core.stop()  # saves a checkpoint at its last record
    store = SqlStore(journal_db_url)
    saved = [c for c in list_fold_checkpoints(store.engine) if c.name == "engine:cp1"]
    last = store.journal.last()
    store.close()
    assert last is not None and [c.seq for c in saved] == [last.seq]

    clock.advance(30)
    again = build_core(s, clock=clock, connect_bus=False)
    try:
        assert again.engine.checkpoints is not None
        assert again.engine.checkpoints.restored_seq == last.seq
        feed(again, alarms(register, 20, 10))
        projection, seq = state(again)
        assert projection == full_fold(journal_db_url, register, seq)
    finally:
        again.stop()

    # a checkpoint the journal does not confirm (here: it names another hash) is never used
    store = SqlStore(journal_db_url)
    with store.engine.begin() as conn:
        conn.execute(update(schema.fold_checkpoints).values(hash="0" * 64))
    store.close()
    third = build_core(s, clock=clock, connect_bus=False)
    try:
        assert third.engine.checkpoints is not None and third.engine.checkpoints.restored_seq is None
        projection, seq = state(third)
        assert projection == full_fold(journal_db_url, register, seq)
    finally:
        third.stop()
