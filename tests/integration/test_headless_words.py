"""Headless speaks (#20): alerts and quarantines as lines an operator can read on its log, and
with --json as JSON lines for tools; never a household's data. Real parts: ``python -m console
headless`` as a child on a real Mosquitto."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from console.domain.codec import device_topic
from console.sim.traffic import payload
from tests.fixtures.brokers import publish_paho
from tests.fixtures.headless import Headless
from tests.support import T0

DISTRICT = "HWORD"


def test_alerts_and_quarantines_are_lines_in_words_and_json(mosquitto: Any, tmp_path: Path) -> None:
    hl = Headless(
        mosquitto,
        tmp_path / "journal.sqlite",
        tmp_path / "data",
        tmp_path / "headless.log",
        ["--district", DISTRICT, "--console-id", "hw1", "--json", "--sim-households", "20"],
    )
    try:
        hl.wait(lambda: hl.status().get("bus") == "connected", "a status line saying connected")
        dev = "86000000000077"
        publish_paho(
            mosquitto,
            [
                (device_topic(DISTRICT, "T01", dev), payload(dev, "smoke", "alarm", T0, "w-1")),
                (device_topic(DISTRICT, "T01", "86000000000078"), b"not json"),
            ],
        )
        new = hl.wait(lambda: hl.lines("NEW ALARM: incident 1 (smoke)"), "the new alarm in words")
        assert " WARNING console.headless: " in new[0]
        quarantined = hl.wait(
            lambda: hl.lines("QUARANTINED 1 payload(s): 1 bad_json (not JSON)"), "the quarantine"
        )
        assert "nothing of them opened an incident" in quarantined[0]
        alerts = hl.wait(
            lambda: [
                j
                for ln in list(hl.out.lines)
                if ln.startswith('{"alert"') and (j := json.loads(ln))["alert"] == "new_incident"
            ],
            "the alert as JSON",
        )
        assert alerts[0]["incident"] == 1 and alerts[0]["kinds"] == "smoke" and "township" in alerts[0]
        text = hl.out.text()
        assert dev not in text.replace(f"/{dev}", "")  # no device id on a line (it is data, not words)
    finally:
        assert hl.stop() == 0
