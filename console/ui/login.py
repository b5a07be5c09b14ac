"""Login at start: operator id and password, checked against the local accounts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QWidget


class LoginDialog(QDialog):
    def __init__(self, check: Callable[[str, str], Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.check = check
        self.result_operator: Any = None
        self.setWindowTitle(self.tr("Guardian Console — log in"))
        form = QFormLayout(self)
        self.user = QLineEdit()
        self.user.setObjectName("user")
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.error = QLabel("")
        self.error.setObjectName("loginError")
        self.error.setStyleSheet("color:#c62828")
        form.addRow(self.tr("Operator"), self.user)
        form.addRow(self.tr("Password"), self.password)
        form.addRow(self.error)
        bb = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        bb.accepted.connect(self.try_login)
        bb.rejected.connect(self.reject)
        form.addRow(bb)

    def try_login(self) -> None:
        op = self.check(self.user.text().strip(), self.password.text())
        if op is None:
            self.error.setText(self.tr("Wrong operator or password."))
            self.password.clear()
            return
        self.result_operator = op
        self.accept()
