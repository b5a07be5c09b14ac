"""``python -m console replay JOURNAL --queue-at SECONDS --json`` on the journal of the shipped
storm drill: a live engine (fake clock, real SQLite journal) takes the drill's messages on their
own time line; the replay then shows the queue as the officer saw it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from console.app.clock import FakeClock
from console.app.engine import Engine
from console.bootstrap import make_world
from console.domain.deadlines import NS
from console.domain.triage import LANE_ORDER
from console.io.store.store import SqlStore
from console.sim.district import generate
from console.sim.drill import load_scenario, resolve, wire
from tests.support import Msg, Publisher


@pytest.fixture(scope="module")
def storm_journal(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("storm") / "journal.sqlite"
    header, items = load_scenario(resolve("alarm_storm_hidden_fire"))
    register = generate()  # the register the shipped drills are made from
    store = SqlStore(path)
    store.save_register(register)
    clock = FakeClock()
    start = clock.now_ns()
    engine = Engine(make_world(register), store.journal, clock, "c1", publisher=Publisher())
    engine.recover()
    engine.start()
    try:
        for item in items:
            clock.set(start + int(item.after_s * NS))
            topic, payload = wire(header, item, clock.now_ns())
            engine.submit_bus([Msg(topic, payload)])
            engine.query(lambda w: None).result(30)  # applied and journaled before time moves on
        clock.set(start + 600 * NS)
        engine.poke()
        engine.query(lambda w: None).result(30)
        opened = engine.query(lambda w: len(w.incidents)).result(30)
        assert opened == header.expect["incidents"]
    finally:
        engine.stop()
        store.close()
    return path, header.expect["real_fire"]


def queue_at(path: Path, seconds: float, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    from console.entry.replay import main

    capsys.readouterr()
    assert main([str(path), "--queue-at", str(seconds), "--json", "--quiet"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    out: dict[str, Any] = json.loads(last)
    return out


def assert_displayed_order(q: dict[str, Any]) -> None:
    rows = q["queue"]
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    keys = [(LANE_ORDER[r["lane"]], -r["score"]) for r in rows]
    assert keys == sorted(keys), "lanes top to bottom, score highest first within a lane"
    assert sum(q["lanes"].values()) == len(rows)


def test_the_fire_is_in_the_top_three_once_its_second_sensor_alarmed(
    storm_journal: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    path, fire = storm_journal
    seen = {}
    for seconds in (90, 200, 400):
        seen[seconds] = q = queue_at(path, seconds, capsys)
        assert_displayed_order(q)
        top3 = [r["household"] for r in q["queue"][:3]]
        assert fire in top3, (seconds, top3)
        row = next(r for r in q["queue"] if r["household"] == fire)
        assert row["lane"] == "new"
        assert "corroborated:smoke+electric.202" in row["reasons"] and "not_restored" in row["reasons"]
        assert row["zh_CN"].startswith("烟感+电气过温，未恢复")
    late = seen[400]
    assert late["next"] == next(r["incident"] for r in late["queue"] if r["household"] == fire)
    assert late["lanes"]["rest"] >= 190  # the cooking smoke restored and sank
    assert all("restored" in r["reasons"] for r in late["queue"] if r["lane"] == "rest")


def test_before_the_storm_the_queue_is_empty_and_the_table_prints(
    storm_journal: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    from console.entry.replay import main

    path, _ = storm_journal
    q = queue_at(path, 0, capsys)
    assert q["queue"] == [] and q["next"] is None
    assert main([str(path), "--queue-at", "150", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "queue at +150 s" in out and "烟感+电气过温" in out
    assert main([str(path), "--queue-at", "-1", "--quiet"]) == 2
