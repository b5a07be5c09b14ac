"""Shift handover: the outgoing officer lists the open incidents and hands the seat to the
incoming one, who logs in with their own password. Recorded as one journal event."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QLabel, QLineEdit, QListWidget, QWidget

from console.domain.incident import Incident
from console.ui import words
from console.ui.login import CredentialsDialog
from console.ui.queue_model import overdue


class HandoverDialog(CredentialsDialog):
    """Overdue incidents first (past their stage's 1-5-30 mark), then the others by T0; the list
    follows the queue while the dialog is open (``refresh``), so an alarm that comes in during
    the handover is handed over too."""

    clear_password_on_failure = False

    def __init__(
        self,
        open_incidents: list[Incident],
        check: Callable[[str, str], Any],
        parent: QWidget | None = None,
        now: Callable[[], int] | None = None,
    ) -> None:
        super().__init__(check, parent)
        self.now = now
        self.setWindowTitle(self.tr("Shift handover"))
        self.count = QLabel()
        self.count.setObjectName("handoverCount")
        self.list = QListWidget()
        self.list.setObjectName("openIncidents")
        self.form.addRow(self.count)
        self.form.addRow(self.list)
        self.note = QLineEdit()
        self.note.setObjectName("note")
        self.note.setPlaceholderText(self.tr("what the next officer must know"))
        self.form.addRow(self.tr("Note"), self.note)
        self.add_credentials(self.tr("Incoming operator"))
        self.setMinimumWidth(520)
        self.refresh(open_incidents)

    def refresh(self, open_incidents: list[Incident]) -> None:
        """Show ``open_incidents`` (the queue's, now): overdue first."""
        now = self.now() if self.now is not None else None
        late = {i.id for i in open_incidents if now is not None and overdue(i, now)}
        ordered = sorted(open_incidents, key=lambda i: (i.id not in late, i.opened, i.id))
        self.incidents = ordered
        self.list.clear()
        for inc in ordered:
            text = f"#{inc.id} {inc.household} {words.kind(inc.kind)} · {words.state(inc.state)}"
            if inc.id in late:
                text = self.tr("OVERDUE") + " · " + text
            self.list.addItem(text)
        self.count.setText(
            self.tr("Open incidents handed over: %n", "", len(ordered))
            + (" " + self.tr("(%n overdue, listed first)", "", len(late)) if late else "")
        )

    @property
    def incoming(self) -> Any:
        return self.result_operator
