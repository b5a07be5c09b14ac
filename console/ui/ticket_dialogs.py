"""The small dialogs of a maintenance ticket's actions (resources/checklists/device.toml): who is
sent (派人), a note of what was done (备注), and the close with its reason (关闭). Each one says
which ticket it is about and keeps OK disabled until what it asks for is written; nothing here
sends: the ticket tab (console/ui/ticket_table.py) builds the command from what was entered."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.domain.closure import REASON_MIN
from console.domain.supervision import Ticket
from console.ui import words


def ticket_line(t: Ticket) -> str:
    """``#12 · Low battery · device … · household …``: which ticket a dialog is about."""
    return f"#{t.id} · {words.ticket(t.kind)} · {t.dev} · {t.household}"


class _TicketDialog(QDialog):
    """A dialog about one ticket: its line on top, OK enabled only when ``ready()``."""

    def __init__(self, t: Ticket, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ticket = t
        self.lay = QVBoxLayout(self)
        head = QLabel(ticket_line(t))
        head.setObjectName("ticketLine")
        head.setStyleSheet("font-weight:bold")
        self.lay.addWidget(head)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.setMinimumWidth(460)

    def finish(self) -> None:
        """Put the buttons last and set OK's state (call at the end of a subclass's __init__)."""
        self.lay.addWidget(self.buttons)
        self.check()

    def ok(self) -> QPushButton:
        return self.buttons.button(QDialogButtonBox.StandardButton.Ok)

    def ready(self) -> bool:
        return True

    def check(self) -> None:
        self.ok().setEnabled(self.ready())


class AssignDialog(_TicketDialog):
    """派人: the technician (name and how to reach them) the ticket is given to."""

    def __init__(self, t: Ticket, known: list[str], parent: QWidget | None = None) -> None:
        super().__init__(t, parent)
        self.setObjectName("ticketAssign")
        self.setWindowTitle(self.tr("Send a technician"))
        self.lay.addWidget(QLabel(self.tr("Technician (name, and a phone or team):")))
        self.who = QComboBox()
        self.who.setObjectName("ticketAssignee")
        self.who.setEditable(True)
        self.who.addItems(known)
        self.who.setCurrentText(t.assignee)
        line = self.who.lineEdit()
        assert line is not None  # an editable combo box has one
        line.setPlaceholderText(self.tr("e.g. Zhang Wei, maintenance team 2"))
        line.textChanged.connect(lambda _t: self.check())
        self.lay.addWidget(self.who)
        self.finish()

    def assignee(self) -> str:
        return self.who.currentText().strip()

    def ready(self) -> bool:
        return bool(self.assignee())


class NoteDialog(_TicketDialog):
    """备注: what was found or done, added to the ticket's notes."""

    def __init__(self, t: Ticket, parent: QWidget | None = None) -> None:
        super().__init__(t, parent)
        self.setObjectName("ticketNote")
        self.setWindowTitle(self.tr("Note on the ticket"))
        self.lay.addWidget(QLabel(self.tr("What was found or done:")))
        self.text = QPlainTextEdit()
        self.text.setObjectName("ticketNoteText")
        self.text.setPlaceholderText(self.tr("e.g. Called the elder: a technician comes tomorrow morning"))
        self.text.setMinimumHeight(110)
        self.text.textChanged.connect(self.check)
        self.lay.addWidget(self.text)
        self.finish()

    def note(self) -> str:
        return self.text.toPlainText().strip()

    def ready(self) -> bool:
        return bool(self.note())


class CloseTicketDialog(_TicketDialog):
    """关闭: what was done, or why the ticket is closed without a repair; required. End-of-life
    and tamper tickets have quick reasons (replaced, reinstalled, the elder refused and it is on
    record); the box stays editable."""

    def __init__(self, t: Ticket, parent: QWidget | None = None) -> None:
        super().__init__(t, parent)
        self.setObjectName("ticketClose")
        self.setWindowTitle(self.tr("Close the ticket"))
        done = [self.tr("Acknowledged") if t.acked_by else self.tr("Not acknowledged")]
        done.append(
            self.tr("technician: %1").replace("%1", t.assignee)
            if t.assignee
            else self.tr("no technician sent")
        )
        done.append(self.tr("%n note(s)", "", sum(1 for n in t.notes if not n.text.startswith("assign:"))))
        summary = QLabel(words.list_of(done))
        summary.setObjectName("ticketDone")
        summary.setWordWrap(True)
        self.lay.addWidget(summary)
        self.lay.addWidget(QLabel(self.tr("What was done, or why it is closed without a repair (required):")))
        quick = QHBoxLayout()
        quick.setContentsMargins(0, 0, 0, 0)
        self.quick: list[QPushButton] = []
        for text in self.reasons_for(t.kind):
            b = QPushButton(text)
            b.setObjectName("ticketQuickReason")
            b.setAutoDefault(False)
            b.clicked.connect(lambda _c=False, s=text: self.use(s))
            quick.addWidget(b)
            self.quick.append(b)
        quick.addStretch(1)
        self.lay.addLayout(quick)
        self.text = QPlainTextEdit()
        self.text.setObjectName("ticketCloseReason")
        self.text.setPlaceholderText(self.tr("e.g. Battery replaced on site, the detector tested"))
        self.text.setMinimumHeight(110)
        self.text.textChanged.connect(self.check)
        self.lay.addWidget(self.text)
        self.hint = QLabel(self.tr("A ticket is closed with its reason; it is recorded in the journal."))
        self.hint.setObjectName("ticketCloseHint")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color:#607d8b")
        self.lay.addWidget(self.hint)
        self.finish()

    def reasons_for(self, kind: str) -> list[str]:
        """The usual ways a ticket of ``kind`` ends, in words (the officer may add to them)."""
        return {
            "end_of_life": [self.tr("Detector replaced"), self.tr("Elder refused a replacement (recorded)")],
            "tamper": [
                self.tr("Reinstalled"),
                self.tr("Detector replaced"),
                self.tr("Elder refused a replacement (recorded)"),
            ],
            "low_battery": [self.tr("Battery replaced")],
            "fault": [self.tr("Repaired"), self.tr("Detector replaced")],
            "offline": [self.tr("Back online: power or network restored"), self.tr("Detector replaced")],
        }.get(kind, [])

    def use(self, text: str) -> None:
        """A quick reason: it becomes the text (the officer may go on writing after it)."""
        self.text.setPlainText(text)
        self.text.moveCursor(self.text.textCursor().MoveOperation.End)
        self.text.setFocus(Qt.FocusReason.OtherFocusReason)

    def reason(self) -> str:
        return self.text.toPlainText().strip()

    def ready(self) -> bool:
        return len(self.reason()) >= REASON_MIN
