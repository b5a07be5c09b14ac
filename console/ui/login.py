"""Login at start: operator id and password, checked against the local accounts.

``CredentialsDialog`` is the shared part (operator, password, error line, OK/Cancel); the shift
handover asks the incoming officer for the same proof through it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
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
        op, why = outcome(self.check(self.user.text().strip(), self.password.text()))
        if op is None:
            self.error.setText(why)
            if self.clear_password_on_failure:
                self.password.clear()
            return
        self.result_operator = op
        self.accept()


def outcome(result: Any) -> tuple[Any, str]:
    """(the account, "") for a good sign-in, else (None, why, in the officer's words). ``result``
    is a sign-in result (status, account, failures, max_failures, locked_until_ns: the store's
    LoginResult) or, from the older callables, the account or None."""
    status = getattr(result, "status", None)
    if status is None:
        return (result, "") if result is not None else (None, _t("Wrong operator or password."))
    if status == "ok":
        return result.account, ""
    if status == "locked":
        return None, _t("Locked until %1: too many wrong passwords.").replace(
            "%1", hhmm(result.locked_until_ns)
        )
    if status == "disabled":
        return None, _t("This account is disabled; ask an administrator.")
    if result.account is None or not result.failures:
        return None, _t("Wrong operator or password.")
    if result.max_failures <= 0:  # counted, never locks (the idle lock: Accounts.unlock_session)
        return None, _t("Wrong password.")
    return None, (
        _t("Wrong password (%1 of %2).")
        .replace("%1", str(result.failures))
        .replace("%2", str(result.max_failures))
    )


def hhmm(ns: int | None) -> str:
    """A time of day on this workstation's clock, as HH:MM."""
    if ns is None:
        return "--:--"
    return datetime.fromtimestamp(ns / 1e9).strftime("%H:%M")


class LoginDialog(CredentialsDialog):
    """The first thing an officer sees: which product, which console, which district."""

    def __init__(
        self,
        check: Callable[[str, str], Any],
        parent: QWidget | None = None,
        console: str = "",
        district: str = "",
    ) -> None:
        super().__init__(check, parent)
        self.setWindowTitle(_t("Guardian Console — log in"))
        self.product = QLabel(
            "<span style='font-size:18pt;font-weight:bold'>"
            + _t("Guardian Console")
            + "</span><br>"
            + _t("Fire and gas safety of elderly people living alone")
        )
        self.product.setObjectName("product")
        self.product.setWordWrap(True)
        self.form.addRow(self.product)
        where = []
        if console:
            where.append(_t("Console %1").replace("%1", console))
        if district:
            where.append(_t("District %1").replace("%1", district))
        self.where = QLabel(" · ".join(where))
        self.where.setObjectName("where")
        self.where.setStyleSheet("color:#455a64")
        self.where.setVisible(bool(where))
        self.form.addRow(self.where)
        self.add_credentials(_t("Operator"))
        self.setMinimumWidth(420)
