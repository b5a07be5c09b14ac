"""The World's open-incident index (console/domain/open_index.py) always equals the plain walk.

``next_due`` and ``held_notifications`` are asked after nearly every event; they are kept
incrementally from the world's dirty marks. Here every storm of the triage tests is fed through
a real World as the engine feeds it (a Tick at every due time, NotifyPublished after requests),
officers take some incidents up and close others, the UI empties the dirty marks at irregular
moments and the world is snapshotted and restored half way: after every event the index must
give exactly what walking every open incident gives. Nothing sleeps.
"""

from __future__ import annotations

import random

import pytest

from console.app import world_snapshot
from console.domain import events as ev
from console.domain.deadlines import NS
from console.domain.world import World
from tests.unit import helpers, storms
from tests.unit.storm_drive import Drive, new_world
from tests.unit.test_triage import STORMS, storm


class CheckedDrive(Drive):
    """A Drive that compares the index with the walk after every event it applies."""

    checks: int = 0
    rng: random.Random = random.Random(0)

    def apply(self, e: ev.AnyEvent) -> list[object]:
        fx = super().apply(e)
        w = self.world
        if self.rng.random() < 0.3:
            w.take_dirty()  # the engine's delta to the UI empties the marks whenever it runs
        assert w.next_due() == w.next_due_walk(), (type(e).__name__, e.at)
        assert w.held_notifications() == w.held_walk(), (type(e).__name__, e.at)
        self.checks += 1
        return fx


def _officer_work(d: CheckedDrive, at: int, rng: random.Random) -> None:
    """Acknowledge a few open incidents (which releases what they hold) and walk one to closed."""
    w = d.world
    open_ids = sorted(w.open_by_household.values())
    for iid in rng.sample(open_ids, min(5, len(open_ids))):
        d.apply(helpers.step(iid, "ack", at, helpers.STEP_VALUES.get("ack", {})))
    if open_ids:
        iid = open_ids[0]
        for step_id in helpers.FULL_WALK:
            d.apply(helpers.step(iid, step_id, at, helpers.STEP_VALUES.get(step_id, {})))


@pytest.mark.parametrize("name", STORMS)
def test_the_index_equals_the_walk_through_every_storm(name: str) -> None:
    s = storm(name)
    d = CheckedDrive(new_world(s.register))
    d.rng = random.Random(name)
    helpers.login(d.world, s.events[0].at - NS)
    half = len(s.events) // 2
    d.feed(s.events[:half])
    held_mid = len(d.world.held_notifications())
    _officer_work(d, d.world.now, d.rng)

    # a snapshot restored into a fresh world (as replay and the checkpoints do) indexes anew
    core, incs = world_snapshot.snapshot(d.world)
    restored = world_snapshot.restore(d.world.empty_like(), core, incs)
    assert restored.next_due() == d.world.next_due() == d.world.next_due_walk()
    assert restored.held_notifications() == d.world.held_notifications()
    d.world = restored

    d.feed(s.events[half:], until=s.events[-1].at + 600 * NS)
    assert d.checks > len(s.events)
    assert held_mid > 0, "the storm held nothing back: the held index was not exercised"
    assert d.ticks > 0


def test_an_incident_closed_or_reopened_leaves_and_enters_the_index() -> None:
    w: World = helpers.world()
    helpers.login(w, helpers.T0)
    iid = helpers.open_incident(w, at=helpers.T0)
    first = w.next_due()
    assert first == w.next_due_walk() is not None
    for step_id in helpers.FULL_WALK:
        helpers.do(w, iid, step_id, helpers.T0 + NS)
    assert not w.incidents[iid].is_open
    assert w.next_due() == w.next_due_walk()
    again = helpers.open_incident(w, at=helpers.T0 + 10 * NS, id_="e2")
    assert again != iid
    assert w.next_due() == w.next_due_walk() is not None
    assert w.next_due() != first  # the new incident's own 1-minute mark, not the closed one's


def test_no_field_of_the_world_is_left_out_of_a_snapshot() -> None:
    s = storms.GENERATED[next(iter(storms.GENERATED))]()
    d = Drive(new_world(s.register))
    d.feed(s.events[:50])
    assert world_snapshot.unknown_fields(d.world) == []
