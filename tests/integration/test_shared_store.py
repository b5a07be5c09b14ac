"""Several workstations of one center on one store (PostgreSQL, and a shared SQLite file):
each folds every record in journal order, sees the other's actions, and a conflicting command
is refused with a reason instead of being lost."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from console.app.clock import FakeClock
from console.app.engine import Engine
from console.bootstrap import make_world
from console.domain import events as ev
from console.domain.chain import verify
from console.domain.codec import device_topic
from console.io.store.store import SqlStore
from console.sim.traffic import payload
from tests.support import T0, Msg, Sink
from tests.unit.helpers import register


class Station:
    def __init__(self, url: str, console: str, clock: FakeClock) -> None:
        self.store = SqlStore(url)
        self.sink = Sink()
        self.published: list[tuple[str, bytes]] = []
        self.engine = Engine(make_world(register()), self.store.journal, clock, console, sink=self.sink)
        self.engine.publisher = self
        self.console = console
        self.engine.recover()
        self.engine.start()
        self.engine.submit_command(
            ev.Login(at=0, operator=f"op-{console}", console=console, role="district_officer", scope="*")
        )

    def publish(self, topic: str, body: bytes, qos: int = 1, on_acked: Any = None) -> bool:
        self.published.append((topic, body))
        if on_acked is not None:
            on_acked()  # the broker acknowledges at once
        return True

    def q(self, fn: Any) -> Any:
        return self.engine.query(fn).result(10)

    def wait(self, pred: Any, timeout: float = 15.0) -> None:
        import time

        deadline = time.monotonic() + timeout
        while not pred():
            if time.monotonic() > deadline:
                raise AssertionError("condition not reached")
            with self.sink.cond:
                self.sink.cond.wait(0.05)

    def close(self) -> None:
        self.engine.stop()
        self.store.close()


@pytest.fixture
def stations(journal_db_url: str) -> Iterator[tuple[Station, Station]]:
    clock = FakeClock(T0)
    a = Station(journal_db_url, "wsA", clock)
    b = Station(journal_db_url, "wsB", clock)
    yield a, b
    a.close()
    b.close()


def alarm_msg(id_: str = "x1") -> Msg:
    return Msg(device_topic("SIM", "T1", "H1-smoke"), payload("H1-smoke", "smoke", "alarm", T0, id_))


def test_both_hear_the_alarm_one_incident_one_set_of_notifications(stations: tuple[Station, Station]) -> None:
    a, b = stations
    done_a, done_b = threading.Event(), threading.Event()
    a.engine.submit_bus([alarm_msg()], done_a.set)
    assert done_a.wait(10)
    b.engine.submit_bus([alarm_msg()], done_b.set)
    assert done_b.wait(10)
    for s in (a, b):
        s.wait(lambda s=s: s.q(lambda w: len(w.incidents)) == 1)
    assert (
        a.q(lambda w: w.counters["duplicates_in_journal"])
        + b.q(lambda w: w.counters["duplicates_in_journal"])
        >= 1
    )
    # only the station whose record came first sends the SMS / calls
    assert bool(a.published) != bool(b.published)
    assert verify(a.store.journal.read(1)) is None


def test_each_sees_the_others_action_and_a_stale_command_is_refused(
    stations: tuple[Station, Station],
) -> None:
    a, b = stations
    a.engine.submit_bus([alarm_msg("x2")])
    b.wait(lambda: b.q(lambda w: len(w.incidents)) == 1)
    iid, version = b.q(lambda w: next((i.id, i.version) for i in w.incidents.values()))
    a.engine.submit_command(
        ev.CompleteStep(
            at=0, operator="op-wsA", console="wsA", incident=iid, step="ack", expect_version=version
        )
    )
    # B sees A's acknowledgement without doing anything
    b.wait(lambda: b.q(lambda w: w.incidents[iid].state) == "acknowledged")
    assert b.q(lambda w: w.incidents[iid].steps["ack"].operator) == "op-wsA"
    # B's officer acted on the version it had before: refused with a reason, not lost
    b.engine.submit_command(
        ev.CompleteStep(
            at=0,
            operator="op-wsB",
            console="wsB",
            incident=iid,
            step="call_elder",
            values={"outcome": "ok"},
            expect_version=version,
        )
    )
    b.wait(lambda: any(r.code == "conflict" for r in b.sink.refusals()))
    types = [(r.console, r.type) for r in a.store.journal.read(1)]
    assert ("wsB", "step") in types  # the refused attempt is on the record too

    # and A folds the same refusal from the journal: both stations end in the same state
    def whats(s: Station) -> list[str]:
        return list(s.q(lambda w: [e.what for e in w.incidents[iid].timeline]))

    a.wait(lambda: "refused:conflict" in whats(a))
    assert whats(a) == whats(b)
    assert a.q(lambda w: w.incidents[iid].version) == b.q(lambda w: w.incidents[iid].version)
