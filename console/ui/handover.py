"""Shift handover: the outgoing officer lists the open incidents and hands the seat to the
incoming one, who logs in with their own password. Recorded as one journal event."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QWidget,
)

from console.domain.incident import Incident
from console.ui import words


class HandoverDialog(QDialog):
    def __init__(
        self,
        open_incidents: list[Incident],
        check: Callable[[str, str], Any],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.check = check
        self.incoming: Any = None
        self.setWindowTitle(self.tr("Shift handover"))
        form = QFormLayout(self)
        self.list = QListWidget()
        self.list.setObjectName("openIncidents")
        for inc in open_incidents:
            self.list.addItem(f"#{inc.id} {inc.household} {words.kind(inc.kind)} · {words.state(inc.state)}")
        form.addRow(QLabel(self.tr("Open incidents handed over: %n", "", len(open_incidents))))
        form.addRow(self.list)
        self.note = QLineEdit()
        self.note.setObjectName("note")
        self.user = QLineEdit()
        self.user.setObjectName("user")
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.error = QLabel("")
        self.error.setStyleSheet("color:#c62828")
        form.addRow(self.tr("Note"), self.note)
        form.addRow(self.tr("Incoming operator"), self.user)
        form.addRow(self.tr("Password"), self.password)
        form.addRow(self.error)
        bb = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        bb.accepted.connect(self.try_accept)
        bb.rejected.connect(self.reject)
        form.addRow(bb)

    def try_accept(self) -> None:
        op = self.check(self.user.text().strip(), self.password.text())
        if op is None:
            self.error.setText(self.tr("Wrong operator or password."))
            return
        self.incoming = op
        self.accept()
