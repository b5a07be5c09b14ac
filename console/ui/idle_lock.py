"""Idle lock: after ``idle_min`` minutes without keyboard or mouse input the console locks behind
a modal dialog that takes the signed-in officer's password. Wrong ones are counted and journaled
but never lock the account, nor does a lock of the account keep the officer out
(``Accounts.unlock_session``): a console nobody can unlock while alarms come in is the worse risk.

A locked console must still alert the officer: the dialog is opened with ``open()``, not a
blocking loop of its own, and it covers no part of the work the window does, so the queue, the
map, the banners and the alarm sound keep going behind it while nobody can act in the window.

Idle time is read from ``now_ns`` (the engine's clock), never from wall time, and checked every
``check_every_s`` seconds; tests move a fake clock and call ``check()``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QWindow
from PySide6.QtWidgets import QLabel, QWidget

from console.ui.login import CredentialsDialog

_INPUT: Final = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseButtonDblClick,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
        QEvent.Type.TouchUpdate,
    }
)


def _t(text: str) -> str:
    return QCoreApplication.translate("IdleLock", text)


class LockDialog(CredentialsDialog):
    """The signed-in officer's id (fixed) and password; it cannot be closed any other way."""

    def __init__(
        self, operator_id: str, check: Callable[[str, str], Any], parent: QWidget | None = None
    ) -> None:
        super().__init__(check, parent)
        self.setObjectName("idleLock")
        self.setWindowTitle(_t("Guardian Console — locked"))
        note = QLabel(
            _t(
                "The console locked itself after a while without input. Alarms still sound and show"
                " behind this dialog. Enter your password to go on."
            )
        )
        note.setWordWrap(True)
        self.form.addRow(note)
        self.add_credentials(_t("Operator"))
        self.user.setText(operator_id)
        self.user.setReadOnly(True)
        self.password.setFocus()
        self.setWindowModality(Qt.WindowModality.ApplicationModal)
        self.setWindowFlag(Qt.WindowType.WindowCloseButtonHint, False)

    def reject(self) -> None:  # Esc and Cancel do not unlock
        self.error.setText(_t("The console stays locked until your password is entered."))

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if self.result() != self.DialogCode.Accepted:
            event.ignore()
            return
        super().closeEvent(event)


class IdleLock(QObject):
    locked = Signal()
    unlocked = Signal()

    def __init__(
        self,
        window: QWidget,
        now_ns: Callable[[], int],
        idle_min: float,
        check: Callable[[str, str], Any],
        operator_id: Callable[[], str],
        journal: Callable[[str, str], None],
        check_every_s: float = 5.0,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.now_ns = now_ns
        self.idle_ns = int(idle_min * 60 * 1_000_000_000)
        self.check_login = check
        self.operator_id = operator_id
        self.journal = journal
        self.last_input_ns = now_ns()
        self.dialog: LockDialog | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(int(check_every_s * 1000))
        self.timer.timeout.connect(self.check)
        # Input is watched on the window's own QWindow, through which every key and mouse event
        # of the window and its children passes first. NOT an application-wide event filter: that
        # one is called for every event of every object, and QtWebEngine creates objects whose
        # ChildAdded events reach it half-built; wrapping one for Python crashed the process
        # (SIGSEGV in libpyside6, about a second after the map's first request).
        self.handle: QWindow | None = None
        if self.idle_ns > 0:
            window.winId()  # makes the native window (and its QWindow) if it is not shown yet
            self.handle = window.windowHandle()
            if self.handle is not None:
                self.handle.installEventFilter(self)
            window.installEventFilter(self)  # its Close stops the checks
            self.timer.start()

    @property
    def is_locked(self) -> bool:
        return self.dialog is not None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        t = event.type()
        if t in _INPUT:
            if self.dialog is None:
                self.last_input_ns = self.now_ns()
        elif t == QEvent.Type.Close and watched is self.window:
            self.stop()
        return False

    def check(self) -> bool:
        """Lock if the console has been idle long enough; whether it is locked now."""
        if self.dialog is None and self.idle_ns > 0 and self.now_ns() - self.last_input_ns >= self.idle_ns:
            self.lock()
        return self.dialog is not None

    def lock(self) -> None:
        if self.dialog is not None:
            return
        op = self.operator_id()
        self.journal("console_locked", op)
        dlg = LockDialog(op, self.check_login, self.window)
        dlg.accepted.connect(self._unlocked)
        self.dialog = dlg
        dlg.open()
        self.locked.emit()

    def _unlocked(self) -> None:
        dlg, self.dialog = self.dialog, None
        self.last_input_ns = self.now_ns()
        self.journal("console_unlocked", self.operator_id())
        if dlg is not None:
            dlg.deleteLater()
        self.unlocked.emit()

    def stop(self) -> None:
        self.timer.stop()
        if self.handle is not None:
            self.handle.removeEventFilter(self)
            self.handle = None
