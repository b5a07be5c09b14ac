"""The administrator's operators screen: the accounts in a table, and add, disable / enable,
reset password, role and scope, unlock. The screen only asks; ``admin`` (console/io/accounts.py,
handed in by the wiring) checks, changes the store and journals each change with who made it.

The small forms open window-modal with ``open()`` (not ``exec()``), so the console's event loop
and its alarms go on meanwhile and a test can fill them in."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.ui.first_admin import password_problem
from console.ui.login import hhmm


def _t(text: str) -> str:
    return QCoreApplication.translate("OperatorsScreen", text)


class AccountAdmin(Protocol):
    """What the screen needs of the accounts (console.io.accounts.Accounts has it)."""

    roles: Sequence[str]

    def now_ns(self) -> int: ...
    def accounts(self) -> list[Any]: ...
    def add(self, by: str, id_: str, name: str, role: str, scope: str, password: str) -> Any: ...
    def set_active(self, by: str, id_: str, active: bool) -> None: ...
    def reset_password(self, by: str, id_: str, password: str) -> None: ...
    def set_role(self, by: str, id_: str, role: str, scope: str) -> None: ...
    def unlock(self, by: str, id_: str) -> None: ...


def role_name(code: str) -> str:
    return {
        "township_officer": _t("Township officer"),
        "district_officer": _t("District officer"),
        "admin": _t("Administrator"),
    }.get(code, code)


class OperatorsScreen(QDialog):
    COLUMNS = ("id", "name", "role", "scope", "active", "locked", "last")

    def __init__(
        self, admin: AccountAdmin, by: str, min_password: int, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("operatorsScreen")
        self.setWindowTitle(_t("Operators"))
        self.admin = admin
        self.by = by
        self.min_password = min_password
        self.rows: list[Any] = []
        self.pending: _Form | None = None  # the small form open now, if any
        lay = QVBoxLayout(self)
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setObjectName("operatorsTable")
        self.table.setHorizontalHeaderLabels(
            [
                _t("Id"),
                _t("Name"),
                _t("Role"),
                _t("Scope"),
                _t("Active"),
                _t("Locked until"),
                _t("Last sign-in"),
            ]
        )
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.itemSelectionChanged.connect(self._enable)
        lay.addWidget(self.table)
        self.error = QLabel("")
        self.error.setObjectName("operatorsError")
        self.error.setStyleSheet("color:#c62828")
        self.error.setWordWrap(True)
        lay.addWidget(self.error)
        buttons = QHBoxLayout()
        self.add_button = _button(buttons, "addOperator", _t("Add…"), self.ask_add)
        self.active_button = _button(buttons, "toggleActive", _t("Disable"), self.toggle_active)
        self.reset_button = _button(buttons, "resetPassword", _t("Reset password…"), self.ask_reset)
        self.role_button = _button(buttons, "setRole", _t("Role and scope…"), self.ask_role)
        self.unlock_button = _button(buttons, "unlock", _t("Unlock"), self.unlock)
        buttons.addStretch(1)
        _button(buttons, "close", _t("Close"), self.accept)
        lay.addLayout(buttons)
        self.resize(820, 420)
        self.refresh()

    # --- the table ----------------------------------------------------------------------------

    def refresh(self, select: str | None = None) -> None:
        keep = select or (self.selected.id if self.selected is not None else None)
        now = self.admin.now_ns()
        self.rows = self.admin.accounts()
        self.table.setRowCount(len(self.rows))
        for r, a in enumerate(self.rows):
            locked = a.locked_until_ns is not None and a.locked_until_ns > now
            cells = (
                a.id,
                a.name,
                role_name(a.role),
                a.scope,
                _t("yes") if a.active else _t("disabled"),
                hhmm(a.locked_until_ns) if locked else "",
                _when(a.last_login_ns),
            )
            for c, text in enumerate(cells):
                self.table.setItem(r, c, QTableWidgetItem(text))
            if a.id == keep:
                self.table.selectRow(r)
        self.table.resizeColumnsToContents()
        self._enable()

    @property
    def selected(self) -> Any:
        rows = {i.row() for i in self.table.selectedIndexes()}
        return self.rows[min(rows)] if rows and min(rows) < len(self.rows) else None

    def select(self, id_: str) -> None:
        for r, a in enumerate(self.rows):
            if a.id == id_:
                self.table.selectRow(r)

    def _enable(self) -> None:
        a = self.selected
        for b in (self.active_button, self.reset_button, self.role_button, self.unlock_button):
            b.setEnabled(a is not None)
        self.active_button.setText(_t("Enable") if a is not None and not a.active else _t("Disable"))

    def _do(self, fn: Callable[[], Any], select: str | None = None) -> str:
        """Run one change; "" when done, else why not (also shown under the table)."""
        try:
            fn()
        except ValueError as exc:
            self.error.setText(str(exc))
            return str(exc)
        self.error.setText("")
        self.refresh(select)
        return ""

    # --- the changes --------------------------------------------------------------------------

    def toggle_active(self) -> None:
        a = self.selected
        if a is not None:
            self._do(lambda: self.admin.set_active(self.by, a.id, not a.active))

    def unlock(self) -> None:
        a = self.selected
        if a is not None:
            self._do(lambda: self.admin.unlock(self.by, a.id))

    def ask_add(self) -> None:
        f = _Form(self, _t("Add operator"))
        ident, name = f.line("newId"), f.line("newName")
        role, scope = f.role_scope(self.admin.roles, "township_officer", "")
        pw, again = f.line("newPassword", secret=True), f.line("newPasswordAgain", secret=True)
        f.row(_t("Id"), ident)
        f.row(_t("Name"), name)
        f.row(_t("Role"), role)
        f.row(_t("Scope"), scope)
        f.row(_t("Password"), pw)
        f.row(_t("Password again"), again)

        def submit() -> str:
            why = password_problem(pw.text(), again.text(), self.min_password)
            if why:
                return why
            new = ident.text().strip()
            return self._do(
                lambda: self.admin.add(
                    self.by, new, name.text(), role.currentData(), scope.text().strip(), pw.text()
                ),
                select=new,
            )

        self._open(f, submit)

    def ask_reset(self) -> None:
        a = self.selected
        if a is None:
            return
        f = _Form(self, _t("Reset the password of %1").replace("%1", a.id))
        pw, again = f.line("newPassword", secret=True), f.line("newPasswordAgain", secret=True)
        f.row(_t("New password"), pw)
        f.row(_t("Password again"), again)

        def submit() -> str:
            why = password_problem(pw.text(), again.text(), self.min_password)
            return why or self._do(lambda: self.admin.reset_password(self.by, a.id, pw.text()))

        self._open(f, submit)

    def ask_role(self) -> None:
        a = self.selected
        if a is None:
            return
        f = _Form(self, _t("Role and scope of %1").replace("%1", a.id))
        role, scope = f.role_scope(self.admin.roles, a.role, a.scope)
        f.row(_t("Role"), role)
        f.row(_t("Scope"), scope)

        def submit() -> str:
            return self._do(
                lambda: self.admin.set_role(self.by, a.id, role.currentData(), scope.text().strip())
            )

        self._open(f, submit)

    def _open(self, form: _Form, submit: Callable[[], str]) -> None:
        form.finish(submit)
        form.finished.connect(lambda _r: setattr(self, "pending", None))
        self.pending = form
        form.open()


class _Form(QDialog):
    """A small form: OK runs ``submit``, which returns "" (done: the form closes) or why not."""

    def __init__(self, parent: QWidget, title: str) -> None:
        super().__init__(parent)
        self.setObjectName("operatorForm")
        self.setWindowTitle(title)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.form = QFormLayout(self)
        self.fields: dict[str, QWidget] = {}
        self.submit: Callable[[], str] = lambda: ""

    def line(self, name: str, secret: bool = False) -> QLineEdit:
        e = QLineEdit()
        e.setObjectName(name)
        if secret:
            e.setEchoMode(QLineEdit.EchoMode.Password)
        self.fields[name] = e
        return e

    def role_scope(self, roles: Sequence[str], role: str, scope: str) -> tuple[QComboBox, QLineEdit]:
        """The role and the scope: '*' (fixed) for the district roles, a township code to type."""
        box = QComboBox()
        box.setObjectName("role")
        for code in roles:
            box.addItem(role_name(code), code)
        edit = self.line("scope")
        edit.setText(scope)

        def follow() -> None:
            township = box.currentData() == "township_officer"
            edit.setEnabled(township)
            if not township:
                edit.setText("*")
            elif edit.text() == "*":
                edit.clear()

        box.currentIndexChanged.connect(follow)
        box.setCurrentIndex(max(0, box.findData(role)))
        self.fields["role"] = box
        follow()
        return box, edit

    def row(self, label: str, w: QWidget) -> None:
        self.form.addRow(label, w)

    def finish(self, submit: Callable[[], str]) -> None:
        self.submit = submit
        self.error = QLabel("")
        self.error.setObjectName("formError")
        self.error.setStyleSheet("color:#c62828")
        self.error.setWordWrap(True)
        self.form.addRow(self.error)
        bb = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        bb.accepted.connect(self.try_submit)
        bb.rejected.connect(self.reject)
        self.form.addRow(bb)

    def try_submit(self) -> None:
        why = self.submit()
        if why:
            self.error.setText(why)
            return
        self.accept()


def _button(lay: QHBoxLayout, name: str, text: str, slot: Callable[[], None]) -> QPushButton:
    b = QPushButton(text)
    b.setObjectName(name)
    b.clicked.connect(slot)
    lay.addWidget(b)
    return b


def _when(ns: int | None) -> str:
    if ns is None:
        return _t("never")
    from datetime import datetime

    return datetime.fromtimestamp(ns / 1e9).strftime("%Y-%m-%d %H:%M")
