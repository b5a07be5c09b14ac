"""The maintenance tickets of the officer's scope (offline, low battery, fault, tamper, end of
life), worked from the tab: overdue ones (past their service level, TICKET_SLA_H) first and
marked, then the soonest due.

Select a ticket, then 确认 / 派人 / 备注 / 关闭 (buttons, or A / D / R / C while the table has the
focus: the keys of resources/checklists/device.toml; elsewhere in the window those keys work the
incident). Each sends one ``TicketAction`` through the window's ``send`` (journaled like an
incident step); a refusal comes back in words on the tab and in the status bar.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.domain import events as ev
from console.domain.supervision import Ticket
from console.ui import words
from console.ui.ticket_dialogs import AssignDialog, CloseTicketDialog, NoteDialog

# the action -> its key (resources/checklists/device.toml: ack A, dispatch D, resolve R, close C)
KEYS: Final = {"ack": "A", "assign": "D", "note": "R", "close": "C"}
# refusals only a ticket action gives; the shared ones (not_logged_in, out_of_scope, missing_field)
# are a ticket's while one of this tab's commands waits for its answer
OWN_REFUSALS: Final = frozenset({"unknown_ticket", "ticket_closed", "ticket_needs_reason", "bad_action"})
SHARED_REFUSALS: Final = frozenset({"not_logged_in", "out_of_scope", "missing_field"})
OVERDUE_BG: Final = QColor("#ffcdd2")
ID_ROLE: Final = Qt.ItemDataRole.UserRole


def when(ns: int, now_ns: int) -> str:
    """``14:05`` today, ``12-03 14:05`` another day (local time, as the queue shows times)."""
    if not ns:
        return ""
    t = datetime.fromtimestamp(ns / 1e9)
    today = datetime.fromtimestamp(now_ns / 1e9).date() if now_ns else t.date()
    return t.strftime("%H:%M") if t.date() == today else t.strftime("%m-%d %H:%M")


class TicketTable(QTableWidget):
    """The tab's table and its actions; ``page()`` is what the window's tab holds."""

    refused = Signal(str)  # a refusal of this tab's command, in words
    COLUMNS: Final = ("ticket", "household", "dev", "trouble", "opened", "due", "acked", "assignee", "note")

    def __init__(
        self,
        scope: str,
        parent: QWidget | None = None,
        send: Callable[[ev.AnyEvent], None] | None = None,
        who: Callable[[], tuple[str, str]] | None = None,
        now: Callable[[], int] | None = None,
        read_only: bool = False,
    ) -> None:
        super().__init__(0, len(self.COLUMNS), parent)
        self.scope = scope
        self.send = send
        self.who = who
        self.now = now or (lambda: 0)
        self.read_only = read_only or send is None
        self.tickets: dict[int, Ticket] = {}
        self.pending: list[tuple[int, str]] = []  # (ticket, action) sent, answer not yet seen
        self.dialog: Any = None  # the action dialog while it is open
        self._overdue: frozenset[int] = frozenset()
        self.setObjectName("tickets")
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.verticalHeader().hide()
        self.horizontalHeader().setStretchLastSection(True)
        for col, width in {"ticket": 60, "trouble": 90, "opened": 90, "due": 130, "acked": 80}.items():
            self.setColumnWidth(self.COLUMNS.index(col), width)
        self.itemSelectionChanged.connect(self._enable)
        self.empty = QLabel()  # what will appear here, while nothing is open
        self.empty.setObjectName("ticketsEmpty")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setStyleSheet("color:#607d8b;padding:12px")
        self.message = QLabel()  # the last refusal or confirmation of this tab's commands
        self.message.setObjectName("ticketMessage")
        self.message.setWordWrap(True)
        self.message.hide()
        self.buttons: dict[str, QPushButton] = {}
        for action in KEYS:
            b = QPushButton()
            b.setObjectName(f"btn_ticket_{action}")
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the table keeps the focus: its keys keep working
            b.clicked.connect(lambda _c=False, a=action: self.do(a))
            self.buttons[action] = b
        self._page: QWidget | None = None
        self.retranslate()

    def page(self) -> QWidget:
        """The action bar, the empty-state line and the table, for the window's tab."""
        if self._page is not None:
            return self._page
        page = QWidget()
        lay = QVBoxLayout(page)
        lay.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        for b in self.buttons.values():
            bar.addWidget(b)
            b.setVisible(not self.read_only)
        bar.addStretch(1)
        lay.addLayout(bar)
        lay.addWidget(self.message)
        lay.addWidget(self.empty)
        lay.addWidget(self, 1)
        self._page = page
        self._enable()
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
                self.tr("Acknowledged"),
                self.tr("Technician"),
                self.tr("Last note"),
            ]
        )
        self.empty.setText(
            self.tr(
                "No open maintenance ticket. Device troubles (offline, low battery, fault, tamper, end of life) appear here, soonest due first."
            )
        )
        texts = {
            "ack": (self.tr("Acknowledge (A)"), self.tr("Acknowledge the ticket: you have seen it (A)")),
            "assign": (self.tr("Send technician… (D)"), self.tr("Give the ticket to a technician (D)")),
            "note": (self.tr("Note… (R)"), self.tr("Record what was found or done (R)")),
            "close": (
                self.tr("Close… (C)"),
                self.tr("Close the ticket with what was done, or why it is closed without a repair (C)"),
            ),
        }
        for action, (text, tip) in texts.items():
            self.buttons[action].setText(text)
            self.buttons[action].setToolTip(tip)
        self.setToolTip(
            self.tr("Overdue tickets (past their service level) first, in red; then the soonest due.")
        )
        self.update_tickets([])

    def changeEvent(self, e: QEvent) -> None:
        if e.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(e)

    # --- showing -------------------------------------------------------------------------------

    def update_tickets(self, tickets: list[Ticket]) -> int:
        """Take changed tickets in; returns how many open tickets the table now shows."""
        for t in tickets:
            self._answered(t)
            if t.closed is None and (self.scope == "*" or t.township == self.scope):
                self.tickets[t.id] = t
            else:
                self.tickets.pop(t.id, None)
        self._render()
        return len(self.tickets)

    def overdue(self) -> list[int]:
        now = self.now()
        return [t.id for t in self.tickets.values() if t.overdue(now)]

    def tick(self) -> None:
        """Once a second: a ticket that just went past its service level moves up, in red."""
        if frozenset(self.overdue()) != self._overdue:
            self._render()

    def ordered(self) -> list[Ticket]:
        """Overdue first (the longest overdue on top), then the soonest due."""
        now = self.now()
        return sorted(self.tickets.values(), key=lambda t: (not t.overdue(now), t.due, t.id))

    def _render(self) -> None:
        keep = self.current()
        now = self.now()
        rows = self.ordered()
        self._overdue = frozenset(t.id for t in rows if t.overdue(now))
        self.blockSignals(True)
        self.setRowCount(len(rows))
        for r, t in enumerate(rows):
            late = t.id in self._overdue
            due = when(t.due, now)
            if late:
                due = self.tr("%1 · overdue").replace("%1", due)
            cells = [
                f"#{t.id}",
                t.household,
                t.dev,
                words.ticket(t.kind),
                when(t.opened, now),
                due,
                t.acked_by,
                t.assignee,
                self.note_text(t),
            ]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(ID_ROLE, t.id)
                if late:
                    item.setBackground(QBrush(OVERDUE_BG))
                self.setItem(r, c, item)
        self.blockSignals(False)
        self.empty.setVisible(not rows)
        if keep is not None and keep in self.tickets:
            self.select(keep)
        self._enable()

    def note_text(self, t: Ticket) -> str:
        """The last note in words (the domain notes an assignment as ``assign:<who>``)."""
        if not t.notes:
            return ""
        n = t.notes[-1]
        if n.text.startswith("assign:"):
            return self.tr("Technician sent: %1").replace("%1", n.text.partition(":")[2])
        return n.text

    # --- the selection -------------------------------------------------------------------------

    def current(self) -> int | None:
        """The selected ticket's number, or None."""
        rows = self.selectionModel().selectedRows() if self.selectionModel() is not None else []
        if not rows:
            return None
        item = self.item(rows[0].row(), 0)
        return int(item.data(ID_ROLE)) if item is not None else None

    def select(self, ticket: int) -> None:
        for r in range(self.rowCount()):
            item = self.item(r, 0)
            if item is not None and item.data(ID_ROLE) == ticket:
                self.selectRow(r)
                return

    def _enable(self) -> None:
        t = self.tickets.get(self.current() or -1)
        for action, b in self.buttons.items():
            b.setEnabled(not self.read_only and t is not None and (action != "ack" or not t.acked_by))

    # --- actions -------------------------------------------------------------------------------

    def event(self, e: QEvent) -> bool:
        """A, D, R, C while the table has the focus work the ticket, not the incident (the window's
        shortcuts for the same keys stand aside)."""
        if e.type() == QEvent.Type.ShortcutOverride and isinstance(e, QKeyEvent):
            if self._action_of(e) is not None:
                e.accept()
                return True
        return super().event(e)

    def keyPressEvent(self, e: QKeyEvent) -> None:
        action = self._action_of(e)
        if action is not None:
            self.do(action)
            return
        super().keyPressEvent(e)

    def _action_of(self, e: QKeyEvent) -> str | None:
        if self.read_only or e.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            return None
        text = e.text().upper()
        return next((a for a, k in KEYS.items() if k == text), None)

    def do(self, action: str) -> None:
        """One action on the selected ticket: ack at once, the others through their dialog."""
        t = self.tickets.get(self.current() or -1)
        if t is None or self.read_only:
            self.show_message(self.tr("Select a ticket first."), error=True)
            return
        if action == "ack":
            self._send(t, "ack")
            return
        if self.dialog is not None:
            self.dialog.close()
        if action == "assign":
            known = sorted({x.assignee for x in self.tickets.values() if x.assignee})
            dlg: Any = AssignDialog(t, known, self)
            dlg.accepted.connect(lambda: self._send(t, "assign", assignee=dlg.assignee()))
        elif action == "note":
            dlg = NoteDialog(t, self)
            dlg.accepted.connect(lambda: self._send(t, "note", note=dlg.note()))
        elif action == "close":
            dlg = CloseTicketDialog(t, self)
            dlg.accepted.connect(lambda: self._send(t, "close", note=dlg.reason()))
        else:
            return
        dlg.finished.connect(lambda _r: setattr(self, "dialog", None))
        self.dialog = dlg
        dlg.open()

    def _send(self, t: Ticket, action: str, note: str = "", assignee: str = "") -> None:
        if self.send is None or self.who is None:
            return
        operator, console = self.who()
        self.pending.append((t.id, action))
        self.send(
            ev.TicketAction(
                at=0,
                operator=operator,
                console=console,
                ticket=t.id,
                action=action,
                note=note,
                assignee=assignee,
            )
        )

    def _answered(self, t: Ticket) -> None:
        """A changed ticket is the answer to the oldest command on it that waits."""
        for k, (tid, action) in enumerate(self.pending):
            if tid != t.id:
                continue
            del self.pending[k]
            done = {
                "ack": self.tr("Ticket #%1 acknowledged."),
                "assign": self.tr("Ticket #%1 given to %2."),
                "note": self.tr("Note added to ticket #%1."),
                "close": self.tr("Ticket #%1 closed (recorded in the journal)."),
            }[action]
            self.show_message(done.replace("%1", str(t.id)).replace("%2", t.assignee))
            return

    def takes(self, code: str) -> bool:
        """A refusal with no incident for this console answers this tab's oldest waiting command."""
        return bool(self.pending) and (code in OWN_REFUSALS or code in SHARED_REFUSALS)

    def on_refusal(self, code: str, detail: str) -> str:
        """The refusal of this tab's oldest waiting command: shown here, returned in words."""
        self.pending.pop(0)
        text = words.ticket_refusal(code, detail)
        self.show_message(text, error=True)
        self.refused.emit(text)
        return text

    def show_message(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color:#c62828;font-weight:bold" if error else "color:#2e7d32")
        self.message.setVisible(self._page is not None)
