"""Login at start: operator id and password, checked against the local accounts.

``CredentialsDialog`` is the shared part (operator, password, error line, OK/Cancel); the shift
handover asks the incoming officer for the same proof through it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QWidget


def _t(text: str) -> str:
    return QCoreApplication.translate("LoginDialog", text)


class CredentialsDialog(QDialog):
    clear_password_on_failure = True

    def __init__(self, check: Callable[[str, str], Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.check = check
        self.result_operator: Any = None
        self.form = QFormLayout(self)

    def add_credentials(self, user_label: str) -> None:
        self.user = QLineEdit()
        self.user.setObjectName("user")
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.error = QLabel("")
        self.error.setObjectName("loginError")
        self.error.setStyleSheet("color:#c62828")
        self.form.addRow(user_label, self.user)
        self.form.addRow(_t("Password"), self.password)
        self.form.addRow(self.error)
        bb = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        bb.accepted.connect(self.try_login)
        bb.rejected.connect(self.reject)
        self.form.addRow(bb)

    def try_login(self) -> None:
        op = self.check(self.user.text().strip(), self.password.text())
        if op is None:
            self.error.setText(_t("Wrong operator or password."))
            if self.clear_password_on_failure:
                self.password.clear()
            return
        self.result_operator = op
        self.accept()


class LoginDialog(CredentialsDialog):
    def __init__(self, check: Callable[[str, str], Any], parent: QWidget | None = None) -> None:
        super().__init__(check, parent)
        self.setWindowTitle(_t("Guardian Console — log in"))
        self.add_credentials(_t("Operator"))
