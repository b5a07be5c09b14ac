"""The household safety file: residents, contacts, devices and health, risk with reasons,
past incidents. Phone and ID numbers are masked; revealing one asks for a reason, is journaled, is allowed by
role (an ID number: district officers and admins) and shows the number for a few minutes, once
the World took it (console/ui/personal.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import (
    QDialog,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.domain import events as ev
from console.domain import privacy
from console.domain.registry import Household
from console.ui import words
from console.ui.incident_panel import hhmmss
from console.ui.personal import RevealLog, contact_field, mask_phone, resident_field


def mask_id(s: str) -> str:
    return privacy.mask_id(s)


TROUBLES = ("fault", "low_battery", "tamper", "end_of_life")


class HouseholdFile(QDialog):
    def __init__(
        self,
        hh: Household,
        facts: dict[str, Any],
        send: Callable[[ev.AnyEvent], None],
        operator: Callable[[], tuple[str, str]],
        parent: QWidget | None = None,
        reveals: RevealLog | None = None,
        now: Callable[[], int] | None = None,
    ) -> None:
        super().__init__(parent)
        self.hh = hh
        self.facts = facts
        self.send = send
        self.operator = operator
        # without the window's log (a file opened on its own): reveals are sent, never confirmed
        self.reveals = (
            reveals if reveals is not None else RevealLog(send, None, operator, now or (lambda: 0), self)
        )
        self.reveals.changed.connect(self.show_numbers)
        self.reveals.refused.connect(self._refused)
        lay = QVBoxLayout(self)
        self.title = QLabel(f"<b>{hh.code}</b> {hh.address}")
        self.title.setWordWrap(True)
        lay.addWidget(self.title)
        self.risk = QLabel("")
        self.risk.setObjectName("risk")
        self.risk.setWordWrap(True)
        lay.addWidget(self.risk)
        self.refused = QLabel("")
        self.refused.setObjectName("revealRefused")
        self.refused.setWordWrap(True)
        self.refused.setStyleSheet("color:white;background:#c62828;padding:4px")
        self.refused.hide()
        lay.addWidget(self.refused)

        self.people = QTableWidget(len(hh.residents), 5)
        self.people.setObjectName("residents")
        self.reveal_id_buttons: list[QPushButton] = []
        for r, _p in enumerate(hh.residents):
            b = QPushButton()
            b.setObjectName(f"reveal_id_{r}")
            b.clicked.connect(lambda _=False, row=r: self.reveal_id(row))
            self.people.setCellWidget(r, 4, b)
            self.reveal_id_buttons.append(b)
        self.headings = [QLabel() for _ in range(4)]
        for h in self.headings:
            h.setStyleSheet("font-weight:bold;margin-top:6px")
        lay.addWidget(self.headings[0])
        lay.addWidget(self.people)

        self.contacts = QTableWidget(len(hh.contacts), 4)
        self.contacts.setObjectName("contacts")
        self.reveal_buttons: list[QPushButton] = []
        for r, _c in enumerate(hh.contacts):
            b = QPushButton()
            b.setObjectName(f"reveal_{r}")
            b.clicked.connect(lambda _=False, row=r: self.reveal(row))
            self.contacts.setCellWidget(r, 3, b)
            self.reveal_buttons.append(b)
        lay.addWidget(self.headings[1])
        lay.addWidget(self.contacts, 2)

        self.devices = QTableWidget(len(hh.devices), 5)
        self.devices.setObjectName("devices")
        lay.addWidget(self.headings[2])
        lay.addWidget(self.devices, 1)

        self.past = QTableWidget(len(facts.get("incidents", [])), 4)
        self.past.setObjectName("past")
        lay.addWidget(self.headings[3])
        lay.addWidget(self.past, 1)
        for table in (self.people, self.contacts, self.devices, self.past):
            table.verticalHeader().hide()
            table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
            table.horizontalHeader().setStretchLastSection(table in (self.devices, self.past))
        self.retranslate()
        self.resize(820, 720)

    def retranslate(self) -> None:
        hh = self.hh
        for h, text in zip(
            self.headings,
            (self.tr("Residents"), self.tr("Contacts"), self.tr("Devices"), self.tr("Past incidents")),
            strict=True,
        ):
            h.setText(text)
        self.setWindowTitle(self.tr("Safety file %s") % hh.code)
        risk = self.facts.get("risk")
        if risk is not None:
            reasons = words.list_of(words.risk_reason(c, self.name_of) for c in risk.reasons) or "—"
            self.risk.setText(
                self.tr("Risk: %1 (score %2) — %3")
                .replace("%1", words.band(risk.band))
                .replace("%2", str(risk.score))
                .replace("%3", reasons)
            )
        self.risk.setVisible(risk is not None)
        self.people.setHorizontalHeaderLabels(
            [self.tr("Name"), self.tr("Age"), self.tr("Groups"), self.tr("ID number"), ""]
        )
        for r, p in enumerate(hh.residents):
            for c, text in enumerate([p.name, str(p.age), words.list_of(words.group(g) for g in p.groups)]):
                self.people.setItem(r, c, QTableWidgetItem(text))
        self.contacts.setHorizontalHeaderLabels([self.tr("Role"), self.tr("Name"), self.tr("Phone"), ""])
        for r, c in enumerate(hh.contacts):
            self.contacts.setItem(r, 0, QTableWidgetItem(words.role(c.role)))
            self.contacts.setItem(r, 1, QTableWidgetItem(c.name))
        for b in self.reveal_buttons + self.reveal_id_buttons:
            b.setText(self.tr("Show…"))
            b.setToolTip(self.tr("Show the number: asks for a reason, recorded in the journal"))
        self.show_numbers()
        health = self.facts.get("health", {})
        self.devices.setHorizontalHeaderLabels(
            [self.tr("Device"), self.tr("Kind"), self.tr("Online"), self.tr("Battery"), self.tr("Trouble")]
        )
        for r, d in enumerate(hh.devices):
            h = health.get(d.id)
            trouble = words.list_of(
                words.device_trouble(k) for k in TROUBLES if h is not None and getattr(h, k, False)
            )
            cells = [
                d.id,
                words.kind(d.kind),
                self.tr("not heard yet")
                if h is None
                else (self.tr("online") if h.online else self.tr("offline")),
                "" if h is None or h.bat is None else f"{h.bat}%",
                trouble,
            ]
            for c, text in enumerate(cells):
                self.devices.setItem(r, c, QTableWidgetItem(text))
        self.past.setHorizontalHeaderLabels(
            [self.tr("Incident"), self.tr("Opened"), self.tr("State"), self.tr("Cause")]
        )
        for r, i in enumerate(self.facts.get("incidents", [])):
            for c, text in enumerate(
                [f"#{i.id}", hhmmss(i.opened), words.state(i.state), words.cause(i.cause) if i.cause else ""]
            ):
                self.past.setItem(r, c, QTableWidgetItem(text))
        for table in (self.people, self.contacts, self.devices, self.past):
            table.resizeColumnsToContents()

    def changeEvent(self, e: QEvent) -> None:
        if e.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(e)

    def name_of(self, ident: str) -> str:
        """A resident's name or a device's kind and id, for the risk reasons."""
        p = next((p for p in self.hh.residents if p.id == ident), None)
        if p is not None:
            return p.name
        d = next((d for d in self.hh.devices if d.id == ident), None)
        return f"{words.kind(d.kind)} {d.id}" if d is not None else ident

    def show_numbers(self) -> None:
        """Numbers masked, except those revealed on this console in the last minutes."""
        code = self.hh.code
        for r, p in enumerate(self.hh.residents):
            self.people.setItem(r, 3, QTableWidgetItem(self.reveals.id_number(code, p.id, p.id_number)))
        for r, c in enumerate(self.hh.contacts):
            self.contacts.setItem(r, 2, QTableWidgetItem(self.reveals.phone(code, c.id, c.phone)))

    def _refused(self, household: str, _field: str, text: str) -> None:
        if household == self.hh.code:
            self.refused.setText(text)
            self.refused.show()

    def reveal_id(self, row: int) -> None:
        p = self.hh.residents[row]
        self.refused.hide()
        self.reason_dialog = self.reveals.ask(
            self, self.hh.code, resident_field(p.id), self.tr("the ID number of %1").replace("%1", p.name)
        )

    def reveal(self, row: int) -> None:
        c = self.hh.contacts[row]
        self.refused.hide()
        self.reason_dialog = self.reveals.ask(
            self,
            self.hh.code,
            contact_field(c.id),
            self.tr("the phone of %1 (%2)").replace("%1", c.name).replace("%2", words.role(c.role)),
        )


__all__ = ["HouseholdFile", "mask_id", "mask_phone"]
