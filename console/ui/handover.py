"""Shift handover: the outgoing officer lists the open incidents and hands the seat to the
incoming one, who logs in with their own password. Recorded as one journal event."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QLabel, QLineEdit, QListWidget, QWidget

from console.domain.incident import Incident
from console.ui import words
from console.ui.login import CredentialsDialog


class HandoverDialog(CredentialsDialog):
    clear_password_on_failure = False

    def __init__(
        self,
        open_incidents: list[Incident],
        check: Callable[[str, str], Any],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(check, parent)
        self.setWindowTitle(self.tr("Shift handover"))
        self.list = QListWidget()
        self.list.setObjectName("openIncidents")
        for inc in open_incidents:
            self.list.addItem(f"#{inc.id} {inc.household} {words.kind(inc.kind)} · {words.state(inc.state)}")
        self.form.addRow(QLabel(self.tr("Open incidents handed over: %n", "", len(open_incidents))))
        self.form.addRow(self.list)
        self.note = QLineEdit()
        self.note.setObjectName("note")
        self.form.addRow(self.tr("Note"), self.note)
        self.add_credentials(self.tr("Incoming operator"))

    @property
    def incoming(self) -> Any:
        return self.result_operator
