"""A township officer's scope must be a township of the register (issue 18): a typo would give
an officer a queue that stays empty. Real SQLite store, the real importer and the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from console.bootstrap import accounts_for
from console.config import Settings
from console.io.registry_import import import_file
from console.io.store.store import SqlStore
from tests.fixtures import real_district as rd

ROOT = Path(__file__).resolve().parents[2]


def test_a_scope_no_household_is_in_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "j.sqlite"
    with SqlStore(db) as store:
        assert import_file(rd.write_csv(tmp_path / "r.csv", rd.homes(2)), store).saved
        accounts = accounts_for(store, Settings())
        town = rd.TOWNSHIPS[0][0]
        assert accounts.add("cli", "wang", "王", "township_officer", town, "a-long-password").scope == town
        with pytest.raises(ValueError, match="999"):
            accounts.add("cli", "li", "李", "township_officer", "999", "a-long-password")
        with pytest.raises(ValueError, match="999"):
            accounts.set_role("cli", "wang", "township_officer", "999")
        assert [a.id for a in store.list_operators()] == ["wang"]
    env = dict(os.environ, GUARDIAN_DATA_DIR=str(tmp_path / "data"))
    args = [sys.executable, "-m", "console", "operators", "add", "zhao", "--name", "赵", "--role"]
    args += ["township_officer", "--scope", "999", "--password", "a-long-password", "--db", str(db)]
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "999" in done.stderr, done.stdout + done.stderr
