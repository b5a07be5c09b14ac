"""Training drills land in a console marked TRAINING whose journal is kept apart from the live one;
a drill's journal replays like any other."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from console.config import Settings, TrainingError, training_settings
from tests.fixtures.brokers import wait_until


def test_training_settings_keep_the_journal_apart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUARDIAN_DATA_DIR", str(tmp_path))
    live = Settings(console_id="c1")
    s = training_settings(Settings(console_id="c1", db_url=live.journal_url()))
    assert s.training
    assert s.journal_url().endswith("training.sqlite")
    assert s.journal_url() != live.journal_url()
    with pytest.raises(TrainingError, match="local broker"):
        training_settings(Settings(broker_host="10.1.2.3"))


def test_drill_runs_into_the_training_console_only(
    mosquitto: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from console.bootstrap import build_core
    from console.domain import events as ev
    from console.entry.drill import main as drill
    from console.sim.district import generate

    monkeypatch.setenv("GUARDIAN_DATA_DIR", str(tmp_path))
    settings = training_settings(
        Settings(broker_host="127.0.0.1", broker_port=mosquitto.port, district="SIM", console_id="trainer")
    )
    core = build_core(settings, register=generate(seed=7, households=50))
    try:
        core.engine.submit_command(
            ev.Login(at=0, operator="trainee", console="trainer", role="district_officer", scope="*")
        )
        wait_until(
            lambda: core.engine.query(lambda w: w.bus_state).result(10) == "connected",
            20,
            "bus up",
            on=core.engine.changes,
        )
        rc = drill(["kitchen_smoke_false_alarm", "--port", str(mosquitto.port), "--speed", "150", "--quiet"])
        assert rc == 0

        def both_in() -> bool:
            return bool(core.engine.query(lambda w: w.counters.get("evt:restore", 0) >= 1).result(10))

        wait_until(both_in, 20, "the drill's alarm and restore", on=core.engine.changes)
        incidents = core.engine.query(lambda w: len(w.incidents)).result(10)
        assert incidents == 1
    finally:
        core.stop()
    assert (tmp_path / "training.sqlite").exists()
    assert not (tmp_path / "journal.sqlite").exists(), "the live journal is never touched by training"

    from console.entry.replay import main

    assert main([str(tmp_path / "training.sqlite"), "--quiet", "--report", str(tmp_path / "r.json")]) == 0
    assert '"incident": 1' in (tmp_path / "r.json").read_text(encoding="utf-8")
