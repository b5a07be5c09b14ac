"""Small dialogs the officer uses while working an incident."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import ClassVar

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.domain import closure
from console.domain.checklist import CAUSES, Step
from console.domain.closure import Fact
from console.domain.field import responder_text, responders
from console.domain.registry import Household
from console.ui import words
from console.ui.personal import RevealLog, contact_field, mask_phone


class DispatchDialog(QDialog):
    """The responders nearest first; their numbers masked, one shown by a reveal (a reason,
    journaled, for REVEAL_FOR_S) when the officer must dial it."""

    def __init__(
        self,
        hh: Household | None,
        parent: QWidget | None = None,
        proposed: str = "",
        reveals: RevealLog | None = None,
    ) -> None:
        """``proposed``: the contact the incident proposes next (after a responder replied they
        cannot go), selected first."""
        super().__init__(parent)
        self.hh = hh
        self.reveals = reveals
        self.setWindowTitle(self.tr("Dispatch someone nearby"))
        lay = QVBoxLayout(self)
        self.list = QListWidget()
        self.list.setObjectName("responders")
        self.contacts = [c for c, _d in responders(hh)] if hh else []
        self.distances = [d for _c, d in responders(hh)] if hh else []
        first = 0
        for c in self.contacts:
            if c.id == proposed:
                first = self.list.count()
            item = QListWidgetItem()
            # the journal records whom: name, number and role (console.domain.field.responder_text)
            item.setData(Qt.ItemDataRole.UserRole, responder_text(c))
            self.list.addItem(item)
        self.show_numbers()
        self.other = QLineEdit()
        self.other.setPlaceholderText(self.tr("or type a name and phone"))
        lay.addWidget(QLabel(self.tr("Proposed responders, nearest first:")))
        lay.addWidget(self.list)
        self.reveal_button = QPushButton(self.tr("Show the number to dial…"))
        self.reveal_button.setObjectName("btn_reveal")
        self.reveal_button.setToolTip(
            self.tr("Asks for a reason; recorded in the journal; the number is masked again after a while")
        )
        self.reveal_button.clicked.connect(self.reveal)
        self.reveal_button.setEnabled(reveals is not None and bool(self.contacts))
        self.refused = QLabel("")
        self.refused.setObjectName("revealRefused")
        self.refused.setWordWrap(True)
        self.refused.setStyleSheet("color:#c62828")
        self.refused.hide()
        row = QHBoxLayout()
        row.addWidget(self.reveal_button)
        row.addWidget(self.refused, 1)
        lay.addLayout(row)
        lay.addWidget(self.other)
        bb = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        bb.accepted.connect(self.accept)
        bb.rejected.connect(self.reject)
        lay.addWidget(bb)
        if self.list.count():
            self.list.setCurrentRow(first)
        self.list.setFocus()
        if reveals is not None:
            reveals.changed.connect(self.show_numbers)
            reveals.refused.connect(self._refused)
        self.setMinimumWidth(480)

    def show_numbers(self) -> None:
        """Each responder's line: role, name, number (masked unless revealed here), distance."""
        for row, c in enumerate(self.contacts):
            d = self.distances[row]
            dist = f"{d:.0f} m" if d is not None else self.tr("distance unknown")
            number = (
                self.reveals.phone(self.hh.code, c.id, c.phone)
                if self.reveals is not None and self.hh is not None
                else mask_phone(c.phone)
            )
            item = self.list.item(row)
            if item is not None:
                item.setText(f"{words.role(c.role)}  {c.name}  {number}  ({dist})")

    def reveal(self) -> None:
        row = self.list.currentRow()
        if self.reveals is None or self.hh is None or not 0 <= row < len(self.contacts):
            return
        c = self.contacts[row]
        self.refused.hide()
        self.reason_dialog = self.reveals.ask(
            self, self.hh.code, contact_field(c.id), f"{words.role(c.role)} {c.name}"
        )

    def _refused(self, household: str, _field: str, text: str) -> None:
        if self.hh is not None and household == self.hh.code:
            self.refused.setText(text)
            self.refused.show()

    def responder(self) -> str:
        if self.other.text().strip():
            return self.other.text().strip()
        item = self.list.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item else ""


class _TextBox(QPlainTextEdit):
    """A few lines of text, wrapped and shown whole; Enter confirms the dialog (as a line edit
    would), Shift+Enter starts a new line."""

    def __init__(self, text: str, dialog: QDialog) -> None:
        super().__init__(text)
        self.dialog = dialog
        self.setTabChangesFocus(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        lines = 4
        self.setMinimumHeight(self.fontMetrics().lineSpacing() * lines + 16)
        self.setMinimumWidth(380)

    def keyPressEvent(self, e: QKeyEvent) -> None:
        if e.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not (
            e.modifiers() & Qt.KeyboardModifier.ShiftModifier
        ):
            self.dialog.accept()
            return
        super().keyPressEvent(e)


class ValuesDialog(QDialog):
    """Asks for the values a checklist step records: a fixed list where the value has one (the
    cause; under closure on evidence the call's outcome, how a responder confirmed, whom the
    family was told by what: console/domain/closure.py), free text otherwise. Nothing is
    pre-filled with a fact that was not recorded: the feedback is the officer's own words.

    ``facts``: for the close, what was and was not confirmed (closure.facts), shown above the
    fields; ``proposal``: the escalation the cause calls for and the incident has not had (a real
    fire: 119), with a field for why it was not made; ``elder``: the elder's line for the call."""

    LONG: ClassVar[frozenset[str]] = frozenset(
        {"feedback", "finding", "skip_escalation"}
    )  # a few lines, shown whole

    def __init__(
        self,
        title: str,
        names: tuple[str, ...],
        parent: QWidget | None = None,
        step: Step | None = None,
        facts: list[Fact] | None = None,
        proposal: str | None = None,
        prefill: dict[str, str] | None = None,
        elder: str = "",
        place_call: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        form = QFormLayout(self)
        heading = QLabel(f"<b>{html.escape(title)}</b>")
        heading.setObjectName("heading")
        form.addRow(heading)  # the step, inside the dialog too (a title bar may be far away)
        self.fields: dict[str, QComboBox | QLineEdit | QPlainTextEdit] = {}
        prefill = prefill or {}
        if elder:
            line = QLabel(self.tr("Elder: %1").replace("%1", elder))
            line.setObjectName("elderLine")
            form.addRow(line)
        self.call_button: QPushButton | None = None
        if place_call is not None:
            # the gateway calls the elder now (a voice call, shown with the notifications); the
            # outcome is then chosen here, "called through the gateway"
            b = QPushButton(self.tr("Call the elder through the gateway now"))
            b.setObjectName("btn_place_call")

            def call() -> None:
                place_call()
                b.setEnabled(False)
                b.setText(self.tr("Calling through the gateway… (see the notifications)"))
                how = self.fields.get("how")
                if isinstance(how, QComboBox):
                    how.setCurrentIndex(how.findData("gateway_call"))

            b.clicked.connect(call)
            self.call_button = b
            form.addRow(b)
        if facts:
            box = QLabel("\n".join(self.fact_line(f) for f in facts))
            box.setObjectName("facts")
            box.setWordWrap(True)
            form.addRow(QLabel(self.tr("What was recorded:")), box)
        if proposal:
            names = (*names, "skip_escalation")
            ask = QLabel(
                self.tr(
                    "The cause calls for %1, not escalated: escalate (E) first, or say here why not."
                ).replace("%1", words.target(proposal))
            )
            ask.setObjectName("proposal")
            ask.setWordWrap(True)
            ask.setStyleSheet("color:#c62828")
            form.addRow(ask)
        for name in dict.fromkeys(names):
            w: QComboBox | QLineEdit | QPlainTextEdit
            fixed = CAUSES if name == "cause" else (closure.choices(step, name) if step is not None else None)
            if fixed:
                w = QComboBox()
                if name != "cause":
                    # nothing chosen until the officer chooses: Enter alone claims nothing
                    w.addItem(self.tr("— choose —"), "")
                for c in fixed:
                    w.addItem(words.value(name, c), c)
                if prefill.get(name) in fixed:
                    w.setCurrentIndex(w.findData(prefill[name]))
            elif name in self.LONG:
                w = _TextBox(prefill.get(name, ""), self)
                if name == "feedback":
                    w.setPlaceholderText(self.tr("What was found and done, and who was told (in your words)"))
            else:
                w = QLineEdit(prefill.get(name, ""))
            w.setObjectName(name)
            self.fields[name] = w
            form.addRow(self.label(name), w)
        self.missing = QLabel("")
        self.missing.setObjectName("missing")
        self.missing.setStyleSheet("color:#c62828")
        self.missing.setWordWrap(True)
        self.missing.hide()
        form.addRow(self.missing)
        how = self.fields.get("how")
        if (
            step is not None
            and step.id == "inform"
            and isinstance(how, QComboBox)
            and "outcome" in self.fields
        ):
            outcome = self.fields["outcome"]
            # the call's outcome is asked only when the family was told by phone
            how.currentIndexChanged.connect(lambda _i: outcome.setEnabled(how.currentData() == "call"))
            outcome.setEnabled(False)
        bb = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        bb.accepted.connect(self.accept)
        bb.rejected.connect(self.reject)
        form.addRow(bb)
        if self.fields:
            next(iter(self.fields.values())).setFocus()
        # sized for what it holds: a whole sentence of feedback visible without scrolling
        self.setMinimumWidth(520)
        self.adjustSize()

    def accept(self) -> None:
        """Only once every list the step asks has a choice (the World would refuse the rest)."""
        empty = [
            name
            for name, w in self.fields.items()
            if isinstance(w, QComboBox) and w.isEnabled() and not w.currentData()
        ]
        if empty:
            self.missing.setText(
                self.tr("Choose: %1").replace("%1", words.list_of(words.field_name(n) for n in empty))
            )
            self.missing.show()
            self.fields[empty[0]].setFocus()
            return
        super().accept()

    def fact_line(self, f: Fact) -> str:
        mark = "✔" if f.confirmed else "✘"
        item = {
            "elder_reached": self.tr("Elder reached"),
            "responder_going": self.tr("Responder confirmed going"),
            "on_site": self.tr("On site confirmed"),
            "family_informed": self.tr("Elder and guardian informed"),
            "escalation": self.tr("Escalated as the cause calls for"),
        }.get(f.item, f.item)
        if f.item == "escalation":
            how = words.list_of(words.target(t) for t in f.how.split(",") if t)
        else:
            how = words.value("how", f.how) if f.how else ""
        if not f.confirmed:
            return f"{mark} {item}: " + self.tr("not recorded")
        return f"{mark} {item}" + (f" ({how})" if how else "")

    def label(self, name: str) -> str:
        return words.field_name(name)

    def values(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for name, w in self.fields.items():
            if isinstance(w, QComboBox):
                if w.isEnabled() and w.currentData():
                    out[name] = str(w.currentData())
            elif isinstance(w, QPlainTextEdit):
                out[name] = w.toPlainText().strip()
            else:
                out[name] = w.text()
        return out
