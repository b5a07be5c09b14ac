"""The first start: no operator accounts yet, so the console offers to create the first
administrator (role admin, scope the whole district) before anyone can sign in. The CLI
(``python -m console operators add``) stays for scripted installs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QWidget


def _t(text: str) -> str:
    return QCoreApplication.translate("FirstAdminDialog", text)


class FirstAdminDialog(QDialog):
    """``create(id, name, password)`` makes and journals the account (raising ValueError with a
    reason to show); the dialog checks first that the two passwords match and are long enough."""

    def __init__(
        self, create: Callable[[str, str, str], Any], min_password: int, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("firstAdmin")
        self.make_admin = create
        self.min_password = min_password
        self.created: Any = None
        self.setWindowTitle(_t("Guardian Console — first start"))
        form = QFormLayout(self)
        intro = QLabel(
            _t(
                "There are no operator accounts yet. Create the first administrator; they then add"
                " the duty officers."
            )
        )
        intro.setWordWrap(True)
        form.addRow(intro)
        self.user = _edit("adminId")
        self.name = _edit("adminName")
        self.password = _edit("password", secret=True)
        self.again = _edit("passwordAgain", secret=True)
        form.addRow(_t("Administrator id"), self.user)
        form.addRow(_t("Name"), self.name)
        form.addRow(_t("Password"), self.password)
        form.addRow(_t("Password again"), self.again)
        self.error = QLabel("")
        self.error.setObjectName("firstAdminError")
        self.error.setStyleSheet("color:#c62828")
        self.error.setWordWrap(True)
        form.addRow(self.error)
        bb = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        bb.button(QDialogButtonBox.StandardButton.Ok).setText(_t("Create administrator"))
        bb.accepted.connect(self.try_create)
        bb.rejected.connect(self.reject)
        form.addRow(bb)

    def try_create(self) -> None:
        why = password_problem(self.password.text(), self.again.text(), self.min_password)
        if why:
            self.error.setText(why)
            return
        try:
            self.created = self.make_admin(
                self.user.text().strip(), self.name.text().strip(), self.password.text()
            )
        except ValueError as exc:
            self.error.setText(str(exc))
            return
        self.password.clear()
        self.again.clear()
        self.accept()


def password_problem(password: str, again: str, min_password: int) -> str:
    """Why a new password (typed twice) will not do, or "" (shared with the operators screen)."""
    if password != again:
        return _t("The two passwords differ.")
    if len(password) < min_password:
        return _t("The password needs at least %1 characters.").replace("%1", str(min_password))
    return ""


def _edit(name: str, secret: bool = False) -> QLineEdit:
    e = QLineEdit()
    e.setObjectName(name)
    if secret:
        e.setEchoMode(QLineEdit.EchoMode.Password)
    return e
