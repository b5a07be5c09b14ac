"""The console's district and scope from the register and the settings (issue 18 item 2), on a
real SQLite store: the register's only district when the settings name none; no register and no
district, or a register of several, are scope problems on the status and ERROR lines in the log."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from console import bootstrap
from console.app.clock import FakeClock
from console.config import Settings
from console.io.registry_import import import_file
from console.io.store.store import SqlStore
from tests.fixtures import real_district as rd
from tests.support import T0


def core_for(db: Path, **kw: str) -> bootstrap.Core:
    s = Settings(console_id="sc1", db_url=f"sqlite:///{db}", **kw)  # type: ignore[arg-type]
    return bootstrap.build_core(s, clock=FakeClock(T0), connect_bus=False)


def test_the_registers_district_when_the_settings_name_none(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "j.sqlite"
    with SqlStore(db) as store:
        assert import_file(rd.write_csv(tmp_path / "r.csv", rd.homes(2)), store).saved
    with caplog.at_level(logging.WARNING):
        core = core_for(db)
    try:
        assert core.settings.district == rd.DISTRICT
        assert core.engine.status().scope_problems == ()
        (line,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("console sc1:")]
        assert f"district {rd.DISTRICT} (the register's)" in line and "store sqlite:///" in line
    finally:
        core.stop()


def test_no_register_and_no_district_is_said(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        core = core_for(tmp_path / "j.sqlite")
    try:
        assert core.engine.status().scope_problems == (("no_district", ""),)
        assert any(r.levelno == logging.ERROR and "NO DISTRICT" in r.getMessage() for r in caplog.records)
    finally:
        core.stop()


def test_a_township_no_household_is_in(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    db = tmp_path / "j.sqlite"
    with SqlStore(db) as store:
        assert import_file(rd.write_csv(tmp_path / "r.csv", rd.homes(2)), store).saved
    with caplog.at_level(logging.WARNING):
        core = core_for(db, township="500112999")
    try:
        assert core.engine.status().scope_problems == (("township", "500112999"),)
        assert any("WRONG TOWNSHIP" in r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)
    finally:
        core.stop()


def test_a_store_url_password_is_not_logged() -> None:
    masked = bootstrap._masked_url("postgresql://guard:s3cret@db.example/guardian")
    assert "s3cret" not in masked and "guard" in masked
