"""Close restored false alarms in bulk (Ctrl+B): after a storm, 180 cooking-smoke incidents that
restored are closed with one journaled ``BulkClose``, not 180 × six clicks.

The list is either the rows selected in the queue, or "all restored <kind> in township <X>"
(``console.domain.bulk.restored_candidates`` over the incidents the window holds, with the chosen
cause: only those its checklist closes with that cause without a dispatch). One confirmation
states the cause (false-alarm causes only) and whether the elders were reached; the dialog sends
one command and then shows what the world did with it: "N closed, M refused", each refusal with
its reason (the ``CommandRefused`` effects and the ``bulk`` summary alert arrive in one delta:
``on_delta``). The world checks every incident again; what the dialog lists is a proposal.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from console.app.delta import Delta
from console.domain import events as ev
from console.domain.bulk import restored_candidates
from console.domain.checklist import FALSE_ALARM_CAUSES, Template
from console.domain.effects import CommandRefused, bulk_counts
from console.domain.events import KINDS
from console.domain.incident import Incident
from console.domain.registry import Register
from console.ui import words

TOWNSHIP_LEVELS: Final = ("township", "street")


class _Held:
    """What ``restored_candidates`` reads of a World, over the window's incident copies."""

    def __init__(self, incidents: Mapping[int, Incident], templates: Mapping[str, Template]) -> None:
        self._incidents = incidents
        self._templates = templates

    @property
    def templates(self) -> Mapping[str, Template]:
        return self._templates

    def open_incidents(self) -> list[Incident]:
        return [i for i in self._incidents.values() if i.is_open]


class BulkCloseDialog(QDialog):
    def __init__(
        self,
        register: Register,
        templates: Mapping[str, Template],
        incidents: Mapping[int, Incident],
        selected: list[int],
        send: Callable[[ev.AnyEvent], None],
        who: Callable[[], tuple[str, str]],
        scope: str = "*",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("bulkDialog")
        self.setWindowTitle(self.tr("Close restored false alarms"))
        self.register = register
        self.templates = templates
        self.incidents = incidents  # the window's open incidents (updated in place by its deltas)
        self.selected = list(selected)
        self.send = send
        self.who = who
        self.scope = scope
        self.ids: list[int] = []
        self.sent: ev.BulkClose | None = None
        self.closed: int | None = None  # after the world answered
        self.refusals: list[CommandRefused] = []

        self.from_selection = QRadioButton(self.tr("The selected rows (%n)", "", len(self.selected)))
        self.from_selection.setObjectName("fromSelection")
        self.from_filter = QRadioButton(self.tr("All restored alarms of a kind in a township"))
        self.from_filter.setObjectName("fromFilter")
        self.township = QComboBox()
        self.township.setObjectName("township")
        if scope == "*":
            self.township.addItem(self.tr("All townships"), None)
        for a in sorted(register.areas.values(), key=lambda a: a.code):
            if a.level in TOWNSHIP_LEVELS and (scope == "*" or a.code == scope):
                self.township.addItem(f"{a.name} ({a.code})", a.code)
        self.kind = QComboBox()
        self.kind.setObjectName("kind")
        for k in KINDS:
            self.kind.addItem(words.kind(k), k)
        self.cause = QComboBox()
        self.cause.setObjectName("cause")
        for c in FALSE_ALARM_CAUSES:
            self.cause.addItem(words.cause(c), c)
        self.elder_reached = QCheckBox(self.tr("The elders were reached (else each needs an answered call)"))
        self.elder_reached.setObjectName("elderReached")
        self.note = QLineEdit()
        self.note.setObjectName("note")
        self.note.setPlaceholderText(self.tr("Feedback for the record (optional)"))

        self.count = QLabel("")
        self.count.setObjectName("bulkCount")
        self.list = QListWidget()
        self.list.setObjectName("bulkList")
        self.summary = QLabel("")
        self.summary.setObjectName("bulkSummary")
        self.summary.setWordWrap(True)
        self.summary.setStyleSheet("font-weight:bold;")
        self.refused_list = QListWidget()
        self.refused_list.setObjectName("bulkRefused")
        self.refused_list.hide()

        self.confirm = QPushButton("")
        self.confirm.setObjectName("btn_bulk_confirm")
        self.confirm.setDefault(True)
        self.confirm.clicked.connect(self.submit)
        self.cancel = QPushButton(self.tr("Cancel"))
        self.cancel.setObjectName("btn_bulk_cancel")
        self.cancel.clicked.connect(self.reject)

        form = QFormLayout()
        form.addRow(self.tr("Township"), self.township)
        form.addRow(self.tr("Kind"), self.kind)
        form.addRow(self.tr("Cause"), self.cause)
        form.addRow("", self.elder_reached)
        form.addRow(self.tr("Feedback"), self.note)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel)
        buttons.addWidget(self.confirm)
        lay = QVBoxLayout(self)
        lay.addWidget(self.from_selection)
        lay.addWidget(self.from_filter)
        lay.addLayout(form)
        lay.addWidget(self.count)
        lay.addWidget(self.list, 1)
        lay.addWidget(self.summary)
        lay.addWidget(self.refused_list, 1)
        lay.addLayout(buttons)

        if len(self.selected) > 1:
            self.from_selection.setChecked(True)
        else:
            self.from_filter.setChecked(True)
        self.from_selection.setEnabled(bool(self.selected))
        kind = {self.incidents[i].kind for i in self.selected if i in self.incidents}
        self.choose(kind=next(iter(kind)) if len(kind) == 1 else "smoke", cause="cooking_smoke")
        for w in (self.from_selection, self.from_filter):
            w.toggled.connect(lambda *_: self.refresh())
        for combo in (self.township, self.kind, self.cause):
            combo.currentIndexChanged.connect(lambda *_: self.refresh())
        self.refresh()
        self.resize(620, 560)

    # --- choosing --------------------------------------------------------------------------------

    def choose(
        self, *, township: str | None = None, kind: str | None = None, cause: str | None = None
    ) -> None:
        """Set the pickers (what a test or a caller pre-fills); the list follows."""
        for combo, value in ((self.township, township), (self.kind, kind), (self.cause, cause)):
            if value is not None:
                i = combo.findData(value)
                if i >= 0:
                    combo.setCurrentIndex(i)
        if township is not None:
            self.from_filter.setChecked(True)

    def candidates(self) -> list[int]:
        if self.from_selection.isChecked():
            return sorted(set(self.selected))
        return restored_candidates(
            _Held(self.incidents, self.templates),
            township=self.township.currentData(),
            kind=self.kind.currentData(),
            cause_hint=self.cause.currentData(),
        )

    def refresh(self) -> None:
        if self.sent is not None:
            return
        for w in (self.township, self.kind):
            w.setEnabled(self.from_filter.isChecked())
        self.ids = self.candidates()
        self.list.clear()
        for iid in self.ids:
            inc = self.incidents.get(iid)
            if inc is None:
                continue
            hh = self.register.households.get(inc.household)
            kinds = " + ".join(words.kind(k) for k in inc.kinds)
            item = QListWidgetItem(f"#{iid}  {inc.household}  {kinds}  {hh.address if hh else ''}".rstrip())
            item.setData(Qt.ItemDataRole.UserRole, iid)
            self.list.addItem(item)
        self.count.setText(self.tr("%n incident(s) to close", "", len(self.ids)))
        self.confirm.setText(
            self.tr("Close %1 as “%2”")
            .replace("%1", str(len(self.ids)))
            .replace("%2", self.cause.currentText())
        )
        self.confirm.setEnabled(bool(self.ids))

    # --- sending and the answer ------------------------------------------------------------------

    def submit(self) -> None:
        """The one confirmation: one BulkClose for every listed incident."""
        if self.sent is not None or not self.ids:
            return
        operator, console = self.who()
        self.sent = ev.BulkClose(
            at=0,
            operator=operator,
            console=console,
            incidents=list(self.ids),
            cause=str(self.cause.currentData()),
            elder_reached=self.elder_reached.isChecked(),
            note=self.note.text().strip(),
        )
        for w in (self.from_selection, self.from_filter, self.township, self.kind, self.cause):
            w.setEnabled(False)
        self.elder_reached.setEnabled(False)
        self.note.setEnabled(False)
        self.confirm.setEnabled(False)
        self.summary.setText(self.tr("Sent; waiting for the journal…"))
        self.send(self.sent)

    @property
    def waiting(self) -> bool:
        return self.sent is not None and self.closed is None

    def on_delta(self, d: Delta) -> bool:
        """Take the answer to the sent command from a delta; True once it is complete (its
        refusals are then this dialog's, not the window's to show)."""
        if not self.waiting or self.sent is None:
            return False
        mine = [r for r in d.refusals if r.console == self.sent.console]
        whole = next((r for r in mine if r.incident == 0), None)
        summary = next(
            (c for a in d.alerts if (c := bulk_counts(a)) is not None and c[0] == self.sent.console), None
        )
        if whole is None and summary is None:
            return False
        listed = set(self.sent.incidents)
        self.refusals = [whole] if whole is not None else [r for r in mine if r.incident in listed]
        self.closed = 0 if summary is None else summary[1]
        self.show_answer()
        return True

    def show_answer(self) -> None:
        refused = len(self.refusals)
        self.summary.setText(
            self.tr("%1 closed, %2 refused").replace("%1", str(self.closed)).replace("%2", str(refused))
        )
        self.refused_list.clear()
        for r in self.refusals:
            inc = self.incidents.get(r.incident)
            who = (
                f"#{r.incident} {inc.household}"
                if inc is not None
                else (f"#{r.incident}" if r.incident else "")
            )
            self.refused_list.addItem(f"{who}  {words.refusal(r.code, r.detail)}".strip())
        self.refused_list.setVisible(bool(self.refusals))
        self.cancel.setText(self.tr("Close"))
