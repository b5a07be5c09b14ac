"""The maintenance tickets of the officer's scope (offline, low battery, fault, tamper, end of
life), soonest due first."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from console.domain.supervision import Ticket
from console.ui import words
from console.ui.incident_panel import hhmmss


class TicketTable(QTableWidget):
    def __init__(self, scope: str, parent: QWidget | None = None) -> None:
        super().__init__(0, 6, parent)
        self.scope = scope
        self.tickets: dict[int, Ticket] = {}
        self.setObjectName("tickets")
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.horizontalHeader().setStretchLastSection(True)
        self.empty = QLabel()  # what will appear here, while nothing is open
        self.empty.setObjectName("ticketsEmpty")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setStyleSheet("color:#607d8b;padding:12px")
        self.retranslate()

    def page(self) -> QWidget:
        """The table with its empty-state line above it, for the window's tab."""
        page = QWidget()
        lay = QVBoxLayout(page)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.empty)
        lay.addWidget(self, 1)
        return page

    def retranslate(self) -> None:
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
        self.empty.setText(
            self.tr(
                "No open maintenance ticket. Device troubles (offline, low battery, fault, tamper, end of life) appear here, soonest due first."
            )
        )
        self.update_tickets([])

    def changeEvent(self, e: QEvent) -> None:
        if e.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(e)

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
        self.empty.setVisible(not rows)
        return len(rows)
