"""The maintenance tickets of the officer's scope (offline, low battery, fault, tamper, end of
life), soonest due first."""

from __future__ import annotations

from PySide6.QtWidgets import QTableWidget, QTableWidgetItem, QWidget

from console.domain.supervision import Ticket
from console.ui import words
from console.ui.incident_panel import hhmmss


class TicketTable(QTableWidget):
    def __init__(self, scope: str, parent: QWidget | None = None) -> None:
        super().__init__(0, 6, parent)
        self.scope = scope
        self.tickets: dict[int, Ticket] = {}
        self.setObjectName("tickets")
        self.setHorizontalHeaderLabels(
            [
                self.tr("Ticket"),
                self.tr("Household"),
                self.tr("Device"),
                self.tr("Trouble"),
                self.tr("Opened"),
                self.tr("Due"),
            ]
        )
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.horizontalHeader().setStretchLastSection(True)

    def update_tickets(self, tickets: list[Ticket]) -> int:
        """Take changed tickets in; returns how many open tickets the table now shows."""
        for t in tickets:
            if t.closed is None and (self.scope == "*" or t.township == self.scope):
                self.tickets[t.id] = t
            else:
                self.tickets.pop(t.id, None)
        rows = sorted(self.tickets.values(), key=lambda t: t.due)
        self.setRowCount(len(rows))
        for r, t in enumerate(rows):
            cells = [f"#{t.id}", t.household, t.dev, words.ticket(t.kind), hhmmss(t.opened), hhmmss(t.due)]
            for c, text in enumerate(cells):
                self.setItem(r, c, QTableWidgetItem(text))
        return len(rows)
