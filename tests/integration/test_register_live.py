"""A register imported while the console runs takes effect in seconds (issue 18 items 2, 3).

Real parts: a real Mosquitto, ``python -m console headless`` as a child over a real SQLite
journal, ``python -m console import-register`` as another child writing the same store while the
console runs, alarms published by an ordinary paho client. The register is a real district's
(渝北区, tests/fixtures/real_district.py: codes, names and coordinates the synthetic generator
never makes, one household in GCJ-02), there is no boundaries file, and the district comes from
the console.toml the installer writes: no ``--district`` flag.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from console.domain.codec import device_topic
from console.sim.traffic import payload
from tests.fixtures import real_district as rd
from tests.fixtures.brokers import publish_paho
from tests.fixtures.headless import Headless as HeadlessChild
from tests.support import T0

ROOT = Path(__file__).resolve().parents[2]


class Headless(HeadlessChild):
    """The 渝北区 console ``yb1`` with the settings file ``config`` (no --district)."""

    def __init__(self, broker: Any, db: Path, config: Path, data: Path, log: Path, *extra: str) -> None:
        super().__init__(broker, db, data, log, ["--config", str(config), "--console-id", "yb1", *extra])

    def logged(self, text: str) -> list[str]:
        return self.lines(text)


def import_register(csv: Path, db: Path, data: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, GUARDIAN_DATA_DIR=str(data))
    args = [sys.executable, "-m", "console", "import-register", str(csv), "--db", f"sqlite:///{db}"]
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, env=env, timeout=120)


def alarm(h: rd.Home, k: int, tag: str) -> tuple[str, bytes]:
    dev, kind = h.devices[k]
    return device_topic(rd.DISTRICT, h.township, dev), payload(dev, kind, "alarm", T0, f"{tag}-{dev}")


def incidents(db: Path) -> list[dict[str, Any]]:
    from console.io.store.store import SqlStore

    with SqlStore(f"sqlite:///{db}", readonly=True) as store:
        return store.read_projection()["incidents"]


def test_an_import_while_headless_runs_takes_effect_without_a_restart(mosquitto: Any, tmp_path: Path) -> None:
    db, data = tmp_path / "journal.sqlite", tmp_path / "data"
    config = tmp_path / "console.toml"  # as the installer writes it: the district, no register yet
    config.write_text(f'district = "{rd.DISTRICT}"\n', encoding="utf-8")
    first, later = rd.homes(3, 1), rd.homes(2, 20, gcj02_one=False)
    done = import_register(rd.write_csv(tmp_path / "r1.csv", first), db, data)
    assert done.returncode == 0, done.stdout + done.stderr
    tag = uuid.uuid4().hex[:6]
    hl = Headless(mosquitto, db, config, data, tmp_path / "headless.log")
    try:
        hl.wait(lambda: hl.status().get("bus") == "connected", "connected")
        assert hl.logged(f"district {rd.DISTRICT} (the settings')"), "the start-up line names the district"
        assert hl.logged(str(config)), "... and the settings file it read"
        # an alarm from a device the register does not know yet: still an incident
        publish_paho(mosquitto, [alarm(later[0], 0, tag)])
        hl.wait(
            lambda: any(i["household"].startswith("?") for i in incidents(db)), "the unregistered incident"
        )

        done = import_register(rd.write_csv(tmp_path / "r2.csv", first + later), db, data)
        assert done.returncode == 0, done.stdout + done.stderr
        hl.wait(lambda: hl.logged("households, "), "the console taking the new register")
        hl.wait(lambda: hl.status().get("register_households") == len(first) + len(later), "the status line")
        publish_paho(mosquitto, [alarm(later[1], 1, tag), alarm(first[0], 0, tag)])

        def placed() -> bool:
            codes = {i["household"] for i in incidents(db)}
            return {later[1].code, first[0].code} <= codes

        hl.wait(placed, "incidents with the newly imported households")
        early = next(i for i in incidents(db) if i["household"].startswith("?"))
        assert early["household"] == f"?{later[0].devices[0][0]}"  # it keeps its history
        assert hl.status().get("unmatched") is None and hl.status().get("scope_problems") == []
    finally:
        assert hl.stop() == 0


def test_a_district_no_household_is_in_is_said_loudly(mosquitto: Any, tmp_path: Path) -> None:
    db, data = tmp_path / "journal.sqlite", tmp_path / "data"
    config = tmp_path / "console.toml"
    config.write_text('district = "500999"\n', encoding="utf-8")  # a typo of the district code
    done = import_register(rd.write_csv(tmp_path / "r1.csv", rd.homes(2, 1)), db, data)
    assert done.returncode == 0, done.stdout + done.stderr
    hl = Headless(mosquitto, db, config, data, tmp_path / "headless.log")
    try:
        hl.wait(lambda: hl.status().get("scope_problems") == [["district", "500999"]], "the scope problem")
        hl.wait(lambda: hl.logged("WRONG DISTRICT"), "an ERROR line in the log")
    finally:
        assert hl.stop() == 0


def test_without_a_district_setting_the_registers_one_is_used(mosquitto: Any, tmp_path: Path) -> None:
    db, data = tmp_path / "journal.sqlite", tmp_path / "data"
    config = tmp_path / "console.toml"
    config.write_text("", encoding="utf-8")
    homes = rd.homes(2, 1)
    done = import_register(rd.write_csv(tmp_path / "r1.csv", homes), db, data)
    assert done.returncode == 0, done.stdout + done.stderr
    hl = Headless(mosquitto, db, config, data, tmp_path / "headless.log")
    try:
        hl.wait(lambda: hl.status().get("bus") == "connected", "connected")
        assert hl.logged(f"district {rd.DISTRICT} (the register's)")
        publish_paho(mosquitto, [alarm(homes[1], 0, uuid.uuid4().hex[:6])])
        hl.wait(lambda: any(i["household"] == homes[1].code for i in incidents(db)), "the alarm heard")
    finally:
        assert hl.stop() == 0
