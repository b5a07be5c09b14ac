"""Replay across a re-import (issue 18 item 3): before the import's record the register of then,
after it the new one, and the same projection as the live console. Real SQLite store, the real
importer (``import_file``, as the CLI and the wizard run it) writing into the store a running
console core uses, the engine picking the change up from the journal."""

from __future__ import annotations

import threading
from pathlib import Path

from console import bootstrap
from console.app.clock import FakeClock
from console.config import Settings
from console.domain import events as ev
from console.domain.codec import device_topic
from console.io.registry_import import import_file
from console.io.store.store import SqlStore
from console.sim.traffic import payload
from tests.fixtures import real_district as rd
from tests.support import NS, T0, Msg

WAIT_S = 30.0


def alarm(h: rd.Home, k: int, tag: str, at: int) -> Msg:
    dev, kind = h.devices[k]
    return Msg(device_topic(rd.DISTRICT, h.township, dev), payload(dev, kind, "alarm", at, f"{tag}-{dev}"))


def submit(core: bootstrap.Core, msg: Msg) -> None:
    done = threading.Event()
    core.engine.submit_bus([msg], done.set)
    assert done.wait(WAIT_S), "the alarm was never journaled"


def test_replay_uses_the_register_in_force_at_each_moment(tmp_path: Path) -> None:
    db = tmp_path / "journal.sqlite"
    first, later = rd.homes(3, 1), rd.homes(2, 20, gcj02_one=False)
    with SqlStore(db) as store:
        r1 = import_file(rd.write_csv(tmp_path / "r1.csv", first), store)
    assert r1.saved and not r1.errors
    clock = FakeClock(T0)
    settings = Settings(district=rd.DISTRICT, console_id="yb1", db_url=f"sqlite:///{db}")
    core = bootstrap.build_core(settings, clock=clock, connect_bus=False)
    try:
        submit(core, alarm(later[0], 0, "a", T0))  # not registered yet
        clock.advance(60)
        r2 = import_file(rd.write_csv(tmp_path / "r2.csv", first + later), core.store, at_ns=clock.now_ns())
        assert r2.saved and not r2.errors and len(r2.added) == len(later)
        assert core.engine.changes.wait_for(lambda: core.engine.world.register.version == r2.version, WAIT_S)
        clock.advance(60)
        submit(core, alarm(later[1], 1, "b", clock.now_ns()))
        live = core.engine.query(lambda w: w.projection_bytes()).result(WAIT_S)
        live_households = core.engine.query(
            lambda w: sorted(i.household for i in w.incidents.values())
        ).result(5)
    finally:
        core.stop()
    assert live_households == sorted([f"?{later[0].devices[0][0]}", later[1].code])

    with SqlStore(db, readonly=True) as store:
        records = list(store.journal.read())
        named = [(i, ev.decode(r.body)) for i, r in enumerate(records) if r.type == "reg"]
        assert [e.version for _i, e in named] == [r1.version, r2.version]  # type: ignore[union-attr]
        replay = bootstrap.build_replay(store, store.load_register())
        assert replay.index() == len(records)
        assert replay.world.register.version == r2.version
        # the live world went on after the last query with the stop note only: same projection
        (pos_r2, _e) = named[1]
        replay.seek(pos_r2)  # the records before the re-import's: the old register
        assert replay.world.register.version == r1.version and len(replay.world.register) == len(first)
        replay.seek(pos_r2 + 1)
        assert replay.world.register.version == r2.version and len(replay.world.register) == len(
            first + later
        )
        replay.seek(0)
        replay.seek(len(records))
        assert replay.world.register.version == r2.version
        end = replay.world.projection_bytes()
    # the live console's last state (taken before its stop note; the note changes nothing folded)
    assert end == live
    assert NS  # the clock moved in whole seconds above
