"""Headless says what the banner would (issue 16): its status line carries the held count, the
journal's error, the held notifications, the storm and the quarantine; its log has a line at
each change of the bus state and when the journal starts and stops failing.

Real parts: ``python -m console headless`` as a child, a real Mosquitto (stopped to lose the
bus), and a journal on a real tmpfs that is filled up (SQLITE_FULL, as on a full disk).
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

from console.domain.codec import device_topic
from console.sim.traffic import payload
from tests.fixtures.brokers import publish_paho
from tests.fixtures.disks import fill
from tests.fixtures.headless import Headless as HeadlessChild
from tests.support import T0

ROOT = Path(__file__).resolve().parents[2]
DISTRICT = "HSTAT"


class Headless(HeadlessChild):
    """The district HSTAT's console ``hs1``, blind after 1 s of silence."""

    def __init__(self, broker: Any, db: Path, data: Path, log: Path) -> None:
        super().__init__(
            broker,
            db,
            data,
            log,
            ["--district", DISTRICT, "--console-id", "hs1"],
            {"GUARDIAN_BLIND_AFTER_S": "1"},
        )

    def logged(self, text: str) -> list[str]:
        return self.lines(text, " WARNING console.headless: ")


def alarms(n: int, tag: str) -> list[tuple[str, bytes]]:
    out = []
    for i in range(n):
        dev = f"86{i % 50:013d}"
        out.append(
            (device_topic(DISTRICT, "T01", dev), payload(dev, "smoke", "alarm", T0 + i * 1000, f"{tag}-{i}"))
        )
    return out


def test_headless_reports_held_events_journal_error_and_bus_changes(
    mosquitto: Any, tmpfs: Path, tmp_path: Path
) -> None:
    hl = Headless(mosquitto, tmpfs / "journal.sqlite", tmp_path / "data", tmp_path / "headless.log")
    try:
        hl.wait(lambda: hl.logged("bus connected"), "the log line for the first connect")
        hl.wait(lambda: hl.status().get("bus") == "connected", "a status line saying connected")
        first = hl.status()
        for key in ("pending", "journal_error", "held", "storm", "quarantine"):
            assert key in first, f"status line lacks {key}: {first}"
        assert (first["pending"], first["journal_error"], first["held"], first["storm"]) == (0, "", 0, False)
        assert hl.logged("bus reconnecting"), "the state before the first connect is logged too"

        # A payload that is not a device message is quarantined and counted on the line.
        publish_paho(mosquitto, [(device_topic(DISTRICT, "T01", "8600000000000099"), b"not json")])
        hl.wait(lambda: hl.status().get("quarantine", 0) >= 1, "the quarantine count")

        # The journal's disk fills up: events are held in memory, the line and the log say so.
        filler = fill(tmpfs)
        tag = uuid.uuid4().hex[:8]
        sent = 0
        while hl.status().get("journal") != "failing":
            assert sent < 20_000, f"the journal never failed on a full disk: {hl.status()}"
            batch = alarms(500, f"{tag}{sent}")
            publish_paho(mosquitto, batch)
            sent += len(batch)
            hl.wait(
                lambda n=sent: hl.status().get("journal") == "failing" or hl.status().get("received", 0) >= n,
                "the alarms received",
            )
        failing = hl.wait(
            lambda: next(
                (s for s in reversed(hl.statuses()) if s["journal"] == "failing" and s["pending"] > 0), None
            ),
            "a status line with held events",
        )
        assert "disk_full" in failing["journal_error"], failing
        line = hl.wait(lambda: hl.logged("journal failing"), "the log line for the failing journal")
        assert "disk_full" in line[0] and "events held in memory" in line[0]

        # Room again: the held events are written, the line and the log say so.
        filler.unlink()
        hl.wait(
            lambda: hl.status().get("journal") == "ok" and hl.status().get("pending") == 0,
            "the journal ok again",
        )
        assert hl.status()["journal_error"] == ""
        hl.wait(lambda: hl.logged("journal ok again"), "the log line for the journal ok again")

        # The broker goes: reconnecting, then blind (GUARDIAN_BLIND_AFTER_S=1), each logged once.
        mosquitto.stop()
        hl.wait(lambda: len(hl.logged("bus reconnecting")) == 2, "the log line for the lost bus")
        hl.wait(lambda: hl.logged("bus blind"), "the log line for blind")
        hl.wait(lambda: hl.status().get("bus") == "blind", "a status line saying blind")
        mosquitto.start()
        hl.wait(lambda: len(hl.logged("bus connected")) == 2, "the log line for the reconnect", timeout=60)
        assert "reconnects 1" in hl.logged("bus connected")[-1]
        bus_lines = [re.search(r"console\.headless: bus (\w+)", ln)[1] for ln in hl.logged("bus ")]  # type: ignore[index]
        assert bus_lines == ["reconnecting", "connected", "reconnecting", "blind", "connected"], bus_lines
    finally:
        code = hl.stop()
    assert code == 0, hl.out.text()[-3000:]
    # No device's or household's data in what headless says: counts and states only.
    text = hl.out.text()
    for secret in (alarms(1, tag)[0][0].rsplit("/", 1)[1], "8600000000000099", tag, "not json"):
        assert secret not in text, secret
