"""The administrator's operators screen over a real SQLite store: add, disable / enable, reset
password, role and scope, unlock, each one journaled with who made it; and the window offers it
to administrators only."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QComboBox, QDialogButtonBox, QLineEdit

from console.app.clock import FakeClock
from console.domain import events as ev
from console.io.accounts import Accounts
from console.io.store import SqlStore
from console.io.store.operators import MIN_PASSWORD
from console.ui.operator import Operator
from console.ui.operators_screen import OperatorsScreen
from tests.gui.test_idle_lock import LockRig
from tests.support import T0


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Any]:
    with SqlStore(f"sqlite:///{tmp_path / 'journal.sqlite'}") as s:
        s.add_operator("boss", "管理员", "admin", "*", "admin-password")
        yield s


@pytest.fixture
def screen(qtbot: Any, store: Any) -> tuple[OperatorsScreen, Accounts]:
    clock = FakeClock(T0)
    accounts = Accounts(store, clock.now_ns, max_failures=3)
    s = OperatorsScreen(accounts, "boss", MIN_PASSWORD)
    qtbot.addWidget(s)
    s.show()
    qtbot.waitExposed(s)
    return s, accounts


def notes(store: Any) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for rec in store.journal.read(1):
        note = ev.decode(rec.body) if rec.type == "sys" else None
        if isinstance(note, ev.SystemNote) and note.what.startswith("operator_"):
            out.append((note.what, json.loads(note.detail)))
    return out


def fill(qtbot: Any, s: OperatorsScreen, **values: str) -> Any:
    form = s.pending
    assert form is not None
    qtbot.waitUntil(form.isVisible, timeout=5000)
    for name, value in values.items():
        w = form.fields[name]
        if isinstance(w, QComboBox):
            w.setCurrentIndex(w.findData(value))
        else:
            assert isinstance(w, QLineEdit)
            w.setText(value)
    form.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()
    return form


def column(s: OperatorsScreen, col: int) -> list[str]:
    return [s.table.item(r, col).text() for r in range(s.table.rowCount())]


def test_add_disable_reset_role_unlock_each_journaled(qtbot: Any, store: Any, screen: Any) -> None:
    s, accounts = screen
    assert column(s, 0) == ["boss"]
    # add: mismatched passwords are refused in the form, and nothing is added
    s.add_button.click()
    form = fill(
        qtbot,
        s,
        newId="li01",
        newName="李娜",
        role="township_officer",
        scope="500106001",
        newPassword="correct horse",
        newPasswordAgain="correct hors",
    )
    assert form.isVisible() and form.error.text() == "The two passwords differ."
    assert column(s, 0) == ["boss"]
    form.fields["newPasswordAgain"].setText("correct horse")
    form.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: s.pending is None, timeout=5000)
    assert column(s, 0) == ["boss", "li01"] and s.selected.id == "li01"
    assert store.get_operator("li01").scope == "500106001"
    # disable, then enable
    s.active_button.click()
    assert store.get_operator("li01").active is False and column(s, 4)[1] == "disabled"
    assert s.active_button.text() == "Enable"
    s.active_button.click()
    assert store.get_operator("li01").active is True
    # reset the password: the new one signs in
    s.reset_button.click()
    fill(qtbot, s, newPassword="a-new-password", newPasswordAgain="a-new-password")
    qtbot.waitUntil(lambda: s.pending is None, timeout=5000)
    assert accounts.sign_in("li01", "a-new-password").ok
    # role and scope: a district role takes the whole district ('*')
    s.role_button.click()
    fill(qtbot, s, role="district_officer")
    qtbot.waitUntil(lambda: s.pending is None, timeout=5000)
    assert (store.get_operator("li01").role, store.get_operator("li01").scope) == ("district_officer", "*")
    # unlock: a locked account shows its lock, and the button clears it
    for _ in range(3):
        accounts.sign_in("li01", "wrong-password")
    s.refresh()
    assert column(s, 5)[1] != ""
    s.unlock_button.click()
    assert store.get_operator("li01").locked_until_ns is None and column(s, 5)[1] == ""
    # the last administrator cannot disable themself
    s.select("boss")
    s.active_button.click()
    assert "last active administrator" in s.error.text() and store.get_operator("boss").active
    assert notes(store) == [
        ("operator_added", {"id": "li01", "role": "township_officer", "scope": "500106001", "by": "boss"}),
        ("operator_disabled", {"id": "li01", "by": "boss"}),
        ("operator_enabled", {"id": "li01", "by": "boss"}),
        ("operator_password_reset", {"id": "li01", "by": "boss"}),
        ("operator_role_changed", {"id": "li01", "role": "district_officer", "scope": "*", "by": "boss"}),
        ("operator_unlocked", {"id": "li01", "by": "boss"}),
    ]
    body = b"".join(r.body for r in store.journal.read(1))
    assert b"correct horse" not in body and b"a-new-password" not in body and b"argon2" not in body


@pytest.mark.parametrize(("role", "offered"), [("admin", True), ("district_officer", False)])
def test_the_window_offers_the_screen_to_admins_only(
    qtbot: Any, store: Any, role: str, offered: bool
) -> None:
    store.add_operator("op1", "甲", "district_officer", "*", "night-shift-9")
    op = Operator("boss", role, "*", "管理员") if role == "admin" else Operator("op1", role, "*", "甲")
    rig = LockRig(qtbot, store, op)
    try:
        assert rig.window.operators_action.isVisible() is offered
        rig.window.operators_action.trigger()
        if not offered:
            assert rig.window.operators_screen is None
            return
        screen = rig.window.operators_screen
        assert isinstance(screen, OperatorsScreen) and screen.by == "boss"
        qtbot.waitUntil(screen.isVisible, timeout=5000)
        assert column(screen, 0) == ["boss", "op1"]
        screen.select("op1")
        screen.active_button.click()
        assert notes(store) == [("operator_disabled", {"id": "op1", "by": "boss"})]
        screen.close()
    finally:
        rig.close()
