"""The first start: no operator accounts, so ``run`` offers the first administrator in a dialog
(argon2id hash, journaled, mismatched or short passwords refused), then the operators screen;
cancelling it exits 1 with a line on stderr. A real SQLite store, real dialogs offscreen."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog
from sqlalchemy import text

from console.app.clock import FakeClock
from console.domain import events as ev
from console.entry import run
from console.io.accounts import Accounts
from console.io.store import SqlStore
from console.io.store.operators import MIN_PASSWORD
from console.ui.first_admin import FirstAdminDialog
from console.ui.operators_screen import OperatorsScreen
from tests.support import T0

PASSWORD = "first-admin-pw"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Any]:
    with SqlStore(f"sqlite:///{tmp_path / 'journal.sqlite'}") as s:
        yield s


def journaled(store: Any) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for rec in store.journal.read(1):
        note = ev.decode(rec.body) if rec.type == "sys" else None
        if isinstance(note, ev.SystemNote) and note.what.startswith("operator_"):
            out.append((note.what, json.loads(note.detail)))
    return out


def test_the_first_admin_dialog_creates_a_journaled_admin(qtbot: Any, store: Any) -> None:
    accounts = Accounts(store, FakeClock(T0).now_ns)
    assert not accounts.has_accounts()
    dlg = FirstAdminDialog(accounts.add_first_admin, MIN_PASSWORD)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    dlg.user.setText("admin")
    dlg.name.setText("王管理")
    # the two passwords must match, and be long enough; nothing is created meanwhile
    dlg.password.setText(PASSWORD)
    dlg.again.setText(PASSWORD + "x")
    dlg.try_create()
    assert dlg.isVisible() and dlg.error.text() == "The two passwords differ."
    dlg.password.setText("short")
    dlg.again.setText("short")
    dlg.try_create()
    assert dlg.error.text() == f"The password needs at least {MIN_PASSWORD} characters."
    assert not accounts.has_accounts()
    # a bad id is the store's to refuse, and said so
    dlg.user.setText("two words")
    dlg.password.setText(PASSWORD)
    dlg.again.setText(PASSWORD)
    dlg.try_create()
    assert "without spaces" in dlg.error.text() and not accounts.has_accounts()
    dlg.user.setText("admin")
    with qtbot.waitSignal(dlg.accepted, timeout=5000):
        dlg.try_create()
    assert dlg.created.id == "admin"
    (acct,) = accounts.accounts()
    assert (acct.id, acct.name, acct.role, acct.scope, acct.active) == ("admin", "王管理", "admin", "*", True)
    with store.engine.connect() as conn:
        stored = conn.execute(text("SELECT pw_hash FROM operators WHERE id = 'admin'")).scalar()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert accounts.sign_in("admin", PASSWORD).ok
    assert journaled(store) == [
        ("operator_added", {"id": "admin", "role": "admin", "scope": "*", "by": "first-start"})
    ]
    body = b"".join(r.body for r in store.journal.read(1))
    assert PASSWORD.encode() not in body and b"argon2" not in body
    # only while there are no accounts
    with pytest.raises(ValueError, match="already"):
        accounts.add_first_admin("admin2", "x", PASSWORD)


def on_modal(qtbot: Any, *steps: Callable[[QDialog], None]) -> list[QDialog]:
    """Answer the next modal dialogs (each opened with ``exec()``) with ``steps``, in turn."""
    seen: list[QDialog] = []
    left = list(steps)

    def poll() -> None:
        w = QApplication.activeModalWidget()
        if isinstance(w, QDialog) and w.isVisible() and (not seen or w is not seen[-1]):
            seen.append(w)
            left.pop(0)(w)
        if left:
            QTimer.singleShot(10, poll)

    QTimer.singleShot(0, poll)
    return seen


def test_first_start_creates_the_admin_then_opens_the_operators_screen(qtbot: Any, store: Any) -> None:
    accounts = Accounts(store, FakeClock(T0).now_ns)

    def create(w: QDialog) -> None:
        assert isinstance(w, FirstAdminDialog)
        w.user.setText("admin")
        w.name.setText("王管理")
        w.password.setText(PASSWORD)
        w.again.setText(PASSWORD)
        w.try_create()

    def operators(w: QDialog) -> None:
        assert isinstance(w, OperatorsScreen) and w.by == "admin"
        w.accept()

    seen = on_modal(qtbot, create, operators)
    assert run.first_start(accounts)
    assert [type(w) for w in seen] == [FirstAdminDialog, OperatorsScreen]
    assert [a.id for a in accounts.accounts()] == ["admin"]


def test_run_with_no_accounts_and_the_dialog_cancelled_exits_1(
    qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from console import bootstrap

    monkeypatch.setattr(bootstrap, "setup_logging", lambda *a, **k: None)  # the session's own log
    db = f"sqlite:///{tmp_path / 'journal.sqlite'}"
    seen = on_modal(qtbot, lambda w: w.reject())
    assert run.main(["--db", db, "--locale", "en"]) == 1
    assert [type(w) for w in seen] == [FirstAdminDialog]
    err = capsys.readouterr().err
    assert "no operator accounts and the first administrator was not created" in err
    with SqlStore(db) as s:
        assert s.list_operators() == []
