"""Sign-in lockout on a real SQLite store: N wrong passwords in a row lock the account, the right
one is refused while locked, the lock runs out at the injected clock's time, every refusal is
journaled, and ``python -m console operators unlock`` (a real subprocess) clears it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from console.app.clock import FakeClock
from console.domain import events as ev
from console.domain.chain import verify
from console.io.accounts import Accounts
from console.io.store import SqlStore
from tests.support import T0

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "night-shift-9"


@pytest.fixture
def store(tmp_path: Path) -> Any:
    with SqlStore(f"sqlite:///{tmp_path / 'journal.sqlite'}") as s:
        s.add_operator("li01", "李娜", "township_officer", "500106001", PASSWORD)
        yield s


def notes(store: Any, what: str) -> list[dict[str, Any]]:
    out = []
    for rec in store.journal.read(1):
        if rec.type == "sys":
            note = ev.decode(rec.body)
            if isinstance(note, ev.SystemNote) and note.what == what:
                out.append(json.loads(note.detail))
    return out


def test_n_wrong_passwords_lock_until_the_lock_time_has_passed(store: Any) -> None:
    clock = FakeClock(T0)
    acc = Accounts(store, clock.now_ns, max_failures=3, lock_min=15.0)
    first = acc.sign_in("li01", "wrong-1")
    assert (first.status, first.failures, first.max_failures) == ("wrong", 1, 3)
    assert acc.sign_in("li01", "wrong-2").failures == 2
    third = acc.sign_in("li01", "wrong-3")
    assert third.status == "locked" and third.locked_until_ns == T0 + 15 * 60 * 10**9
    # the right password is refused while locked, and says until when; nothing more is counted
    clock.advance(14 * 60)
    held = acc.sign_in("li01", PASSWORD)
    assert (held.status, held.locked_until_ns, held.failures) == ("locked", third.locked_until_ns, 3)
    assert acc.check_login("li01", PASSWORD) is None
    # the lock runs out at the injected time: the right password now signs in and resets it all
    clock.advance(60)
    ok = acc.sign_in("li01", PASSWORD)
    assert ok.ok and ok.account is not None and ok.account.id == "li01"
    row = store.get_operator("li01")
    assert (row.failed_logins, row.locked_until_ns, row.last_login_ns) == (0, None, clock.now_ns())
    # each refusal journaled: the id, the count, the lock's end when it locked; no password
    failed = notes(store, "login_failed")
    assert [(n["id"], n["status"], n["count"]) for n in failed] == [
        ("li01", "wrong", 1),
        ("li01", "wrong", 2),
        ("li01", "locked", 3),
        ("li01", "locked", 3),
        ("li01", "locked", 3),
    ]
    assert failed[2]["locked_until"] == third.locked_until_ns and "locked_until" not in failed[0]
    body = b"".join(r.body for r in store.journal.read(1))
    assert PASSWORD.encode() not in body and b"wrong-1" not in body and b"argon2" not in body
    assert verify(store.journal.read(1)) is None


def test_a_good_sign_in_resets_the_count_and_an_expired_lock_starts_it_again(store: Any) -> None:
    clock = FakeClock(T0)
    acc = Accounts(store, clock.now_ns, max_failures=2, lock_min=1.0)
    acc.sign_in("li01", "wrong")
    assert acc.sign_in("li01", PASSWORD).ok
    assert acc.sign_in("li01", "wrong").failures == 1  # counted from 0 again
    assert acc.sign_in("li01", "wrong").status == "locked"
    clock.advance(61)
    again = acc.sign_in("li01", "wrong")
    assert (again.status, again.failures) == ("wrong", 1)  # the lock ran out; a new count


def test_unknown_ids_and_disabled_accounts(store: Any) -> None:
    clock = FakeClock(T0)
    acc = Accounts(store, clock.now_ns, max_failures=3)
    unknown = acc.sign_in("nobody", PASSWORD)
    assert (unknown.status, unknown.account, unknown.failures) == ("wrong", None, 0)
    acc.add("admin0", "boss", "管", "admin", "*", "admin-password")
    acc.set_active("boss", "li01", False)
    assert acc.sign_in("li01", PASSWORD).status == "disabled"
    failed = notes(store, "login_failed")
    assert failed[0] == {"id": "unknown", "status": "wrong", "count": 0}
    assert failed[1]["id"] == "li01" and failed[1]["status"] == "disabled"


def test_the_last_active_admin_is_kept(store: Any) -> None:
    acc = Accounts(store, FakeClock(T0).now_ns)
    acc.add("cli", "boss", "管", "admin", "*", "admin-password")
    with pytest.raises(ValueError, match="last active administrator"):
        acc.set_active("boss", "boss", False)
    with pytest.raises(ValueError, match="last active administrator"):
        acc.set_role("boss", "boss", "district_officer", "*")
    with pytest.raises(ValueError, match="no operator"):
        acc.unlock("boss", "ghost")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "console", "operators", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_cli_unlocks_resets_and_sets_the_role_in_a_subprocess(tmp_path: Path) -> None:
    db = str(tmp_path / "journal.sqlite")
    with SqlStore(db) as s:
        s.add_operator("li01", "李娜", "township_officer", "500106001", PASSWORD)
        acc = Accounts(s, FakeClock(T0).now_ns, max_failures=2)
        acc.sign_in("li01", "wrong")
        assert acc.sign_in("li01", "wrong").status == "locked"
    # the lock started at T0 (2026-11-28) and lasts 15 min: on the wall clock it has run out, so
    # set it well into the future to see ``list`` show it and ``unlock`` clear it
    with SqlStore(db) as s, s.engine.begin() as conn:
        from sqlalchemy import text

        conn.execute(text("UPDATE operators SET locked_until_ns = :u"), {"u": 2**62})
    listed = _cli("list", "--db", db)
    assert listed.returncode == 0 and "locked until" in listed.stdout
    done = _cli("unlock", "li01", "--db", db)
    assert done.returncode == 0, done.stderr
    assert "unlocked li01" in done.stdout
    assert _cli("unlock", "ghost", "--db", db).returncode == 2
    reset = _cli("reset-password", "li01", "--db", db, "--password", "a-new-password")
    assert reset.returncode == 0, reset.stderr
    assert _cli("reset-password", "li01", "--db", db, "--password", "short").returncode == 2
    role = _cli("set-role", "li01", "--db", db, "--role", "district_officer")
    assert role.returncode == 0 and "scope *" in role.stdout
    bad = _cli("set-role", "li01", "--db", db, "--role", "township_officer", "--scope", "*")
    assert bad.returncode == 2 and "township code" in bad.stderr
    help_text = _cli("--help").stdout
    assert "exit codes" in help_text and "unlock" in help_text
    with SqlStore(db) as s:
        row = s.get_operator("li01")
        assert (row.failed_logins, row.locked_until_ns, row.role, row.scope) == (
            0,
            None,
            "district_officer",
            "*",
        )
        assert Accounts(s, FakeClock(T0).now_ns).sign_in("li01", "a-new-password").ok
        assert notes(s, "operator_unlocked") == [{"id": "li01", "by": "cli"}]
        assert notes(s, "operator_password_reset") == [{"id": "li01", "by": "cli"}]
        assert notes(s, "operator_role_changed") == [
            {"id": "li01", "by": "cli", "role": "district_officer", "scope": "*"}
        ]
        assert b"a-new-password" not in b"".join(r.body for r in s.journal.read(1))
