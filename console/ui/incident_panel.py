"""The incident view: checklist, actions, notifications with live receipts, timeline."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from console.domain import closure, notify_plan, privacy
from console.domain import events as ev
from console.domain.checklist import Step, Template, proposed_escalation
from console.domain.incident import ESCALATION_TARGETS, Incident
from console.domain.registry import Household, Register
from console.domain.triage import TriageWeights, row_of
from console.domain.triage_words import words as reason_words
from console.ui import words
from console.ui.dialogs import DispatchDialog, ValuesDialog
from console.ui.personal import RevealLog, mask_text


def _empty_label(name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setStyleSheet("color:#607d8b;padding:12px")
    return label


def _with_empty(table: QTableWidget, empty: QLabel) -> QWidget:
    """A table with the line that says what will appear in it while it is empty."""
    page = QWidget()
    lay = QVBoxLayout(page)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.addWidget(empty)
    lay.addWidget(table, 1)
    return page


def hhmmss(ns: int | None) -> str:
    if not ns:
        return ""
    return datetime.fromtimestamp(ns / 1e9).strftime("%H:%M:%S")


def mask_phone(p: str) -> str:
    """138****8000 (console/domain/privacy.py; kept here by name: other modules import it)."""
    return privacy.mask_phone(p)


class IncidentPanel(QWidget):
    householdRequested = Signal(str)
    actionStarted = Signal(int)  # the officer began an action on this incident (the window pins it)

    def __init__(
        self,
        register: Register,
        templates: dict[str, Template],
        send: Callable[[ev.AnyEvent], None],
        operator: Callable[[], tuple[str, str]],
        read_only: bool = False,
        now: Callable[[], int] | None = None,
    ) -> None:
        super().__init__()
        self.now = now  # the console's clock: how long a notification has waited for its receipt
        self.register = register
        self.templates = templates
        self.send = send
        self.operator = operator
        self.read_only = read_only
        self.incident: Incident | None = None
        self.active_dialog: QDialog | None = None
        # The triage weights the queue ranks by (the window sets the ones it was given); the
        # panel words the same reasons as the incident's row.
        self.weights: TriageWeights | None = None

        self.reveals: RevealLog | None = None  # the window's (console/ui/personal.py)
        self.header = QLabel()
        self.header.setObjectName("incidentHeader")
        self.header.setWordWrap(True)
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.refusal = QLabel("")
        self.refusal.setObjectName("refusal")
        self.refusal.setStyleSheet("color: white; background: #c62828; padding: 4px; font-weight: bold;")
        self.refusal.setWordWrap(True)
        self.refusal.hide()

        self.steps = QTableWidget(0, 5)
        self.steps.setObjectName("checklist")
        self.steps.horizontalHeader().setStretchLastSection(True)
        self.steps.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.steps.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.steps.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.steps.cellDoubleClicked.connect(lambda r, _c: self.complete_row(r))

        buttons = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        for action in ("acknowledge", "dispatch", "on_site", "resolve", "close"):
            b = QPushButton()
            b.setObjectName(f"btn_{action}")
            b.clicked.connect(lambda _=False, a=action: self.do_action(a))
            buttons.addWidget(b)
            self.buttons[action] = b
        esc = QPushButton()
        esc.setObjectName("btn_escalate")
        esc.clicked.connect(self.escalate_menu)
        buttons.addWidget(esc)
        self.buttons["escalate"] = esc
        hhb = QPushButton()
        hhb.setObjectName("btn_household")
        self.household_button = hhb
        hhb.clicked.connect(self.open_household)
        buttons.addWidget(hhb)

        self.notes = QTableWidget(0, 5)
        self.notes.setObjectName("notifications")
        self.notes.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.notes.horizontalHeader().setStretchLastSection(True)
        self.timeline = QTableWidget(0, 4)
        self.timeline.setObjectName("timeline")
        self.timeline.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.timeline.horizontalHeader().setStretchLastSection(False)
        # what happened and who read whole; the detail takes the rest (its full text in a tooltip)
        for col, mode in enumerate(
            (
                QHeaderView.ResizeMode.ResizeToContents,
                QHeaderView.ResizeMode.ResizeToContents,
                QHeaderView.ResizeMode.Stretch,
                QHeaderView.ResizeMode.ResizeToContents,
            )
        ):
            self.timeline.horizontalHeader().setSectionResizeMode(col, mode)
        notes_header = self.notes.horizontalHeader()
        notes_header.setStretchLastSection(False)
        for col in range(5):
            notes_header.setSectionResizeMode(
                col, QHeaderView.ResizeMode.Stretch if col == 3 else QHeaderView.ResizeMode.ResizeToContents
            )
        for table in (self.steps, self.notes, self.timeline):
            table.verticalHeader().hide()  # row numbers say nothing to the officer
        self.notes_empty = _empty_label("notesEmpty")
        self.timeline_empty = _empty_label("timelineEmpty")
        tabs = QTabWidget()
        tabs.setObjectName("incidentTabs")
        tabs.addTab(_with_empty(self.notes, self.notes_empty), "")
        tabs.addTab(_with_empty(self.timeline, self.timeline_empty), "")
        self.tabs = tabs

        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.steps)
        split.addWidget(tabs)
        lay = QVBoxLayout(self)
        lay.addWidget(self.header)
        lay.addWidget(self.refusal)
        lay.addLayout(buttons)
        lay.addWidget(split, 1)
        self.retranslate()

    def retranslate(self) -> None:
        """Every text of the panel in the current language (at start and on a language switch)."""
        self.steps.setHorizontalHeaderLabels(
            [self.tr("Stage"), self.tr("Step"), self.tr("Who"), self.tr("Required"), self.tr("Done")]
        )
        for action, text in (
            ("acknowledge", self.tr("Acknowledge (A)")),
            ("dispatch", self.tr("Dispatch (D)")),
            ("on_site", self.tr("On site (O)")),
            ("resolve", self.tr("Resolve (R)")),
            ("close", self.tr("Close (C)")),
            ("escalate", self.tr("Escalate (E)")),
        ):
            self.buttons[action].setText(text)
        self.household_button.setText(self.tr("Household file (H)"))
        self.notes.setHorizontalHeaderLabels(
            [self.tr("Role"), self.tr("Channel"), self.tr("To"), self.tr("Status"), self.tr("Attempt")]
        )
        self.timeline.setHorizontalHeaderLabels(
            [self.tr("Time"), self.tr("What happened"), self.tr("Detail"), self.tr("Who")]
        )
        self.tabs.setTabText(0, self.tr("Notifications"))
        self.tabs.setTabText(1, self.tr("Timeline"))
        self.notes_empty.setText(
            self.tr("The SMS and calls sent for the selected incident, with their delivery, appear here.")
        )
        self.timeline_empty.setText(
            self.tr("Everything that happens to the selected incident appears here, newest first.")
        )
        self.show_incident(self.incident)

    def changeEvent(self, e: QEvent) -> None:
        if e.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(e)

    # --- showing -----------------------------------------------------------------------------

    def template(self) -> Template | None:
        return self.templates.get(self.incident.kind) if self.incident else None

    def reasons(self, inc: Incident) -> str:
        """The triage reasons of ``inc`` in the window's language, as its queue row words them."""
        from console.ui.queue_model import default_weights, ui_locale

        if self.weights is None:
            self.weights = default_weights()
        row = row_of(inc, self.register.households.get(inc.household), self.weights)
        return reason_words(row.reasons, ui_locale()) if row is not None else ""  # closed: no row

    def show_incident(self, inc: Incident | None) -> None:
        if inc is not None and self.incident is not None and inc.id != self.incident.id:
            self.refusal.hide()
        self.incident = inc
        self._enable_actions(inc)
        if inc is None:
            self.header.setText(
                self.tr("No incident selected: choose one in the alarm queue (N takes the next).")
            )
            self.steps.setRowCount(0)
            self.notes.setRowCount(0)
            self.timeline.setRowCount(0)
            self._empties()
            return
        hh = self.register.households.get(inc.household)
        addr = hh.address if hh else self.tr("unregistered device %s") % ", ".join(inc.devices)
        missed = (
            f" <b style='color:#c62828'>{self.tr('missed')}: {'/'.join(map(str, inc.missed))}′</b>"
            if inc.missed
            else ""
        )
        why = self.reasons(inc)
        self.header.setText(
            f"<b>#{inc.id} {inc.household}</b> — {addr}<br>"
            f"{' + '.join(words.kind(k) for k in inc.kinds)} · {words.state(inc.state)} · T0 {hhmmss(inc.opened)}{missed}"
            + (
                f"<br><span style='color:#37474f'>{self.tr('Why it ranks here')}: {html.escape(why)}</span>"
                if why
                else ""
            )
        )
        t = self.template()
        steps = t.steps if t else ()
        self.steps.setRowCount(len(steps))
        for r, s in enumerate(steps):
            done = inc.steps.get(s.id)
            status = (
                f"✔ {hhmmss(done.at)} {self.who(done.operator, hh)}"
                if done
                else (self.tr("waived") if s.id in inc.waived else "")
            )
            title = s.title_zh if words.is_chinese() else s.title_en
            cells = [
                f"{s.stage}′",
                title + (f"  [{s.key}]" if s.key else ""),
                words.role(s.who),
                "●" if s.required else "",
                status,
            ]
            for c, text in enumerate(cells):
                self.steps.setItem(r, c, QTableWidgetItem(text))
        self._show_notes(inc)
        tl = inc.timeline[-200:]
        self.timeline.setRowCount(len(tl))
        title = self.step_title
        for r, e in enumerate(reversed(tl)):
            what, detail = words.timeline_entry(e.what, e.detail, title)
            for c, text in enumerate([hhmmss(e.at), what, detail, self.who(e.who, hh)]):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.timeline.setItem(r, c, item)
        self._empties()

    def _empties(self) -> None:
        self.notes_empty.setVisible(self.notes.rowCount() == 0)
        self.timeline_empty.setVisible(self.timeline.rowCount() == 0)

    def step_title(self, step_id: str) -> str:
        t = self.template()
        s = t.step(step_id) if t is not None else None
        if s is None:
            return step_id
        return s.title_zh if words.is_chinese() else s.title_en

    def who(self, who: str, hh: Household | None) -> str:
        """Who did it: an operator's id, the system, a contact (their name and masked number)."""
        if who == "system":
            return words.role("system")
        contacts = hh.contacts if hh is not None else ()
        if who.startswith("field:"):
            c = next((c for c in contacts if c.id == who[6:]), None)
            return f"{c.name} ({words.role(c.role)})" if c is not None else words.role("responder")
        c = next((c for c in contacts if c.phone and c.phone == who), None)
        if c is not None:
            return f"{c.name} {mask_phone(c.phone)}"
        return mask_text(who)

    def _enable_actions(self, inc: Incident | None) -> None:
        """An action the World would refuse is disabled: everything on a closed incident, a step
        already done, escalation once resolved; the tooltip says why."""
        t = self.template() if inc is not None else None
        for action, b in self.buttons.items():
            why = ""
            if inc is None:
                why = self.tr("Select an incident first")
            elif not inc.is_open:
                why = self.tr("This incident is closed")
            elif action == "escalate":
                # once the cause is recorded, only the service it calls for (a real fire: 119)
                if inc.resolved_at is not None and proposed_escalation(inc.cause, inc.escalations) is None:
                    why = self.tr("A resolved incident cannot be escalated")
            else:
                s = t.action_step(action) if t is not None else None
                if s is None:
                    why = self.tr("Not in this incident's checklist")
                elif s.id in inc.steps:
                    why = self.tr("Already done")
            b.setEnabled(not self.read_only and not why)
            b.setToolTip(why)
        self.household_button.setEnabled(inc is not None)

    def _show_notes(self, inc: Incident) -> None:
        notes = list(inc.notifications.values())
        now = self.now() if self.now is not None else None
        self.notes.setRowCount(len(notes))
        for r, n in enumerate(notes):
            late = notify_plan.waiting(n, now) if now is not None else None
            for c, text in enumerate(
                [
                    words.role(n.role),
                    words.channel(n.channel),
                    self.reveals.phone(inc.household, n.contact, n.to)
                    if self.reveals is not None
                    else mask_phone(n.to),
                    # what the gateway said last (or that it said nothing for too long), why (a
                    # failure's or a block's detail) and by whom
                    (words.delivery_late(*late) if late else words.delivery(n.status))
                    + (
                        f" ({words.delivery_detail(n.detail)})"
                        if n.detail and n.status in ("failed", "blocked")
                        else ""
                    )
                    + (f" · {n.provider}" if n.provider else ""),
                    str(n.attempt),
                ]
            ):
                self.notes.setItem(r, c, QTableWidgetItem(text))
        self._empties()

    def tick(self) -> None:
        """Every second: the notifications' "no receipt after N s" moves on."""
        if self.incident is not None and self.now is not None:
            self._show_notes(self.incident)

    def show_refusal(self, text: str) -> None:
        self.refusal.setText(text)
        self.refusal.show()

    # --- acting ------------------------------------------------------------------------------

    def _send_step(self, step: Step, values: dict[str, str]) -> None:
        assert self.incident is not None
        op, console = self.operator()
        self.refusal.hide()
        self.send(
            ev.CompleteStep(
                at=0,
                operator=op,
                console=console,
                incident=self.incident.id,
                step=step.id,
                values=values,
                expect_version=self.incident.version,
            )
        )

    def complete(self, step: Step) -> None:
        if self.incident is None or self.read_only:
            return
        self.actionStarted.emit(self.incident.id)
        if step.action == "dispatch":
            dlg: QDialog = DispatchDialog(
                self.register.households.get(self.incident.household),
                self,
                proposed=self.incident.proposed,
                reveals=self.reveals,
            )
            d = dlg

            def accepted() -> None:
                assert isinstance(d, DispatchDialog)
                self._send_step(step, {"responder": d.responder()})

        elif closure.asks(step, closure.RULES):
            # what happened, as closure on evidence asks it (a journal under the first rules
            # ignores the values it did not ask for)
            inc = self.incident
            hh = self.register.households.get(inc.household)
            dlg = ValuesDialog(
                self.step_title(step.id),
                closure.asks(step, closure.RULES),
                self,
                step=step,
                facts=closure.facts(inc) if step.action == "close" else None,
                proposal=proposed_escalation(inc.cause, inc.escalations) if step.action == "close" else None,
                prefill=self._prefill(step),
                elder=self._elder_line(hh) if step.id == "call_elder" else "",
                place_call=self._caller(hh) if step.id == "call_elder" else None,
            )
            v = dlg

            def accepted() -> None:
                assert isinstance(v, ValuesDialog)
                self._send_step(step, v.values())

        else:
            self._send_step(step, {})
            return
        dlg.accepted.connect(accepted)
        dlg.finished.connect(lambda _r: setattr(self, "active_dialog", None))
        self.active_dialog = dlg
        dlg.open()

    def _prefill(self, step: Step) -> dict[str, str]:
        """Only what was recorded: on site, the responder the dispatch named; never a claim."""
        inc = self.incident
        if inc is not None and step.action == "on_site" and inc.responder:
            return {"who": words.responder(inc.responder)}
        return {}

    def _caller(self, hh: Household | None) -> Callable[[], None] | None:
        """Have the gateway call the elder now (PlaceCall), when the register has their number."""
        elders = hh.contacts_by_role("elder") if hh is not None else []
        inc = self.incident
        if not elders or inc is None or self.read_only:
            return None
        contact = elders[0].id

        def call() -> None:
            op, console = self.operator()
            self.send(
                ev.PlaceCall(
                    at=0, operator=op, console=console, incident=inc.id, contact=contact, expect_version=None
                )
            )

        return call

    def _elder_line(self, hh: Household | None) -> str:
        """The elder's name and number, masked (a reveal in the household file shows it), and
        whether the gateway's automatic call to them was answered."""
        if hh is None:
            return ""
        elders = hh.contacts_by_role("elder")
        if not elders:
            return self.tr("no elder's number in the register")
        c = elders[0]
        inc = self.incident
        calls = [
            n
            for n in (inc.notifications.values() if inc else ())
            if n.role == "elder" and n.channel == "voice"
        ]
        answered = any(n.status == "answered" for n in calls)
        state = (
            self.tr("the gateway's call was answered")
            if answered
            else self.tr("the gateway's call not answered")
        )
        return (
            f"{c.name} {mask_phone(c.phone)} · {state if calls else self.tr('no call through the gateway')}"
        )

    def complete_row(self, row: int) -> None:
        t = self.template()
        if t is not None and 0 <= row < len(t.steps):
            self.complete(t.steps[row])

    def do_action(self, action: str) -> None:
        b = self.buttons.get(action)
        if b is not None and not b.isEnabled() and not self.read_only and b.toolTip():
            self.show_refusal(b.toolTip())  # the key of a disabled button: why, not a refusal
            return
        t = self.template()
        s = t.action_step(action) if t else None
        if s is not None:
            self.complete(s)

    def do_key(self, key: str) -> bool:
        t = self.template()
        if t is None:
            return False
        for s in t.steps:
            if s.key.upper() == key.upper():
                self.complete(s)
                return True
        return False

    def escalate(self, target: str) -> None:
        if self.incident is None or self.read_only:
            return
        op, console = self.operator()
        self.send(
            ev.Escalate(
                at=0,
                operator=op,
                console=console,
                incident=self.incident.id,
                target=target,
                expect_version=self.incident.version,
            )
        )

    def escalate_menu(self) -> None:
        if self.incident is not None and not self.read_only:
            self.actionStarted.emit(self.incident.id)
        menu = QMenu(self)
        t = self.template()
        first = t.escalate_to if t else ()
        targets = list(first) + [x for x in ESCALATION_TARGETS if x not in first]
        inc = self.incident
        if inc is not None:
            proposal = proposed_escalation(inc.cause, inc.escalations)
            if proposal is not None:  # the one the recorded cause calls for, first (after resolve: alone)
                targets = [proposal] + (
                    [x for x in targets if x != proposal] if inc.resolved_at is None else []
                )
        for target in targets:
            menu.addAction(words.target(target), lambda tg=target: self.escalate(tg))
        menu.popup(self.buttons["escalate"].mapToGlobal(self.buttons["escalate"].rect().bottomLeft()))

    def open_household(self) -> None:
        if self.incident is not None:
            self.actionStarted.emit(self.incident.id)
            self.householdRequested.emit(self.incident.household)
