"""Idle lock on the real window: an engine journaling into a real SQLite store, a fake clock moved
past ``idle_lock_min``, the lock dialog over the window, the signed-in officer's password counted
like any sign-in, and input resetting the idle time. Nothing sleeps: the clock is moved and the
check run by hand."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from console.app.clock import FakeClock
from console.app.engine import Engine
from console.bootstrap import accounts_for, install_idle_lock, make_world, operators_screen_for, templates
from console.config import Settings
from console.domain import events as ev
from console.io.store import SqlStore
from console.sim.district import generate
from console.ui.idle_lock import LockDialog
from console.ui.main_window import MainWindow
from console.ui.operator import Operator
from console.ui.qtsink import QtSink
from tests.support import T0, Publisher

PASSWORD = "night-shift-9"
_ids = itertools.count(1)


class LockRig:
    """The window over an engine of its own, journaling into ``store``; the idle lock installed
    by the same wiring as ``run`` (console.bootstrap.install_idle_lock)."""

    def __init__(self, qtbot: Any, store: Any, operator: Operator, idle_min: float = 10.0) -> None:
        self.qtbot = qtbot
        self.store = store
        self.clock = FakeClock(T0)
        self.sink = QtSink()
        self.console = f"lock{next(_ids)}"
        self.engine = Engine(
            make_world(generate(seed=3, households=20)),
            store.journal,
            self.clock,
            self.console,
            publisher=Publisher(),
            sink=self.sink,
        )
        self.engine.start()
        self.engine.submit_command(ev.BusStatus(at=0, state="connected"))
        settings = Settings(idle_lock_min=idle_min, login_max_failures=3)
        self.accounts = accounts_for(store, settings, self.clock.now_ns)
        self.window = MainWindow(
            self.engine,
            self.sink,
            templates(),
            operator,
            self.console,
            check_login=self.accounts.sign_in,
            manage_operators=operators_screen_for(self.accounts),
        )
        self.window.timer.stop()  # the tick is driven by hand
        qtbot.addWidget(self.window)
        self.window.show()
        qtbot.waitExposed(self.window)
        self.lock = install_idle_lock(self.window, self.engine, self.accounts, settings.idle_lock_min)
        self.window.idle_lock = self.lock

    def notes(self, what: str) -> list[str]:
        self.engine.query(lambda w: None).result(10)  # what was submitted is journaled by now
        out = []
        for rec in self.store.journal.read(1):
            if rec.type == "sys":
                note = ev.decode(rec.body)
                if isinstance(note, ev.SystemNote) and note.what == what:
                    out.append(note.detail)
        return out

    def close(self) -> None:
        self.lock.stop()
        self.window.close()
        self.engine.stop()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Any]:
    with SqlStore(f"sqlite:///{tmp_path / 'journal.sqlite'}") as s:
        s.add_operator("op1", "甲", "district_officer", "*", PASSWORD)
        yield s


@pytest.fixture
def rig(qtbot: Any, store: Any) -> Iterator[LockRig]:
    r = LockRig(qtbot, store, Operator("op1", "district_officer", "*", "甲"))
    yield r
    r.close()


def test_idle_past_the_limit_locks_and_only_the_officers_password_unlocks(rig: LockRig) -> None:
    rig.clock.advance(9 * 60 + 59)
    assert not rig.lock.check()
    with rig.qtbot.waitSignal(rig.lock.locked, timeout=5000):
        rig.clock.advance(1)
        assert rig.lock.check()
    dlg = rig.lock.dialog
    assert isinstance(dlg, LockDialog)
    rig.qtbot.waitUntil(dlg.isVisible, timeout=5000)
    assert dlg.isModal() and dlg.user.text() == "op1" and dlg.user.isReadOnly()
    assert rig.notes("console_locked") == ["op1"]
    # Esc does not unlock
    dlg.reject()
    assert dlg.isVisible() and rig.lock.is_locked
    # a wrong password is refused, counted and journaled (it never locks the account here)
    dlg.password.setText("wrong-password")
    dlg.try_login()
    assert dlg.isVisible() and rig.lock.is_locked
    assert dlg.error.text() == "Wrong password."
    assert rig.store.get_operator("op1").failed_logins == 1
    failed = [json.loads(d) for d in rig.notes("unlock_failed")]
    assert failed == [{"id": "op1", "status": "wrong", "count": 1}]
    # the window behind still takes the engine's deltas while locked (alarms must still show)
    with rig.qtbot.waitSignal(rig.sink.delta, timeout=5000):
        rig.engine.submit_command(ev.BusStatus(at=0, state="disconnected"))
    rig.qtbot.waitUntil(lambda: rig.window.status is not None and rig.window.status.bus == "disconnected")
    # the right password unlocks
    with rig.qtbot.waitSignal(rig.lock.unlocked, timeout=5000):
        dlg.password.setText(PASSWORD)
        dlg.try_login()
    assert not rig.lock.is_locked
    rig.qtbot.waitUntil(lambda: not dlg.isVisible(), timeout=5000)
    assert rig.notes("console_unlocked") == ["op1"]
    assert rig.store.get_operator("op1").failed_logins == 0
    # idle counts from the unlock
    rig.clock.advance(9 * 60)
    assert not rig.lock.check()


def test_input_resets_the_idle_time(rig: LockRig) -> None:
    rig.clock.advance(9 * 60)
    QTest.keyClick(rig.window.table, Qt.Key.Key_Down)
    rig.clock.advance(9 * 60)
    assert not rig.lock.check()  # 9 min since the key, not 18 since the start
    QTest.mouseMove(rig.window.table, QPoint(20, 20))
    QTest.mouseClick(rig.window.table.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(10, 10))
    rig.clock.advance(9 * 60)
    assert not rig.lock.check()
    rig.clock.advance(60)
    assert rig.lock.check()
    rig.qtbot.waitUntil(lambda: rig.lock.dialog is not None and rig.lock.dialog.isVisible(), timeout=5000)
    rig.lock.dialog.password.setText(PASSWORD)
    rig.lock.dialog.try_login()
    assert not rig.lock.is_locked


def test_zero_switches_the_idle_lock_off(qtbot: Any, store: Any) -> None:
    r = LockRig(qtbot, store, Operator("op1", "district_officer", "*", "甲"), idle_min=0)
    try:
        r.clock.advance(24 * 3600)
        assert not r.lock.check() and not r.lock.timer.isActive()
    finally:
        r.close()


def test_wrong_passwords_at_the_lock_are_counted_but_never_lock_the_console_out(rig: LockRig) -> None:
    """A console locked out while alarms come in, with nobody able to act, is worse than a
    guesser in the duty room: the idle lock counts and journals every wrong password, and neither
    they nor a lock of the account from elsewhere keep the officer's own password out."""
    rig.clock.advance(10 * 60)
    assert rig.lock.check()
    dlg = rig.lock.dialog
    assert dlg is not None
    for _ in range(5):  # more than login_max_failures (3 here)
        dlg.password.setText("wrong-password")
        dlg.try_login()
        assert dlg.error.text() == "Wrong password."
    acct = rig.store.get_operator("op1")
    assert acct.failed_logins == 5 and acct.locked_until_ns is None
    failed = [json.loads(d) for d in rig.notes("unlock_failed")]
    assert [f["count"] for f in failed] == [1, 2, 3, 4, 5] and {f["id"] for f in failed} == {"op1"}
    # someone types wrong passwords for op1 at another console's sign-in: the account locks ...
    for _ in range(3):
        assert not rig.accounts.sign_in("op1", "wrong-password").ok
    assert rig.store.get_operator("op1").locked_until_ns is not None
    # ... and the officer at this console still gets back in with their own password
    with rig.qtbot.waitSignal(rig.lock.unlocked, timeout=5000):
        dlg.password.setText(PASSWORD)
        dlg.try_login()
    assert not rig.lock.is_locked
