"""The household safety file: residents, contacts, devices and health, risk with reasons,
past incidents. Phone and ID numbers are masked; revealing one is a journaled action."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
from console.domain.registry import Household
from console.ui import words
from console.ui.incident_panel import hhmmss, mask_phone


def mask_id(s: str) -> str:
    return s[:4] + "*" * max(0, len(s) - 8) + s[-4:] if len(s) > 8 else "****"


class HouseholdFile(QDialog):
    def __init__(
        self,
        hh: Household,
        facts: dict[str, Any],
        send: Callable[[ev.AnyEvent], None],
        operator: Callable[[], tuple[str, str]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.hh = hh
        self.send = send
        self.operator = operator
        self.setWindowTitle(self.tr("Safety file %s") % hh.code)
        lay = QVBoxLayout(self)
        risk = facts.get("risk")
        lay.addWidget(QLabel(f"<b>{hh.code}</b> {hh.address}"))
        if risk is not None:
            reasons = ", ".join(risk.reasons) or "—"
            lay.addWidget(
                QLabel(
                    self.tr("Risk: %1 (score %2) — %3")
                    .replace("%1", words.band(risk.band))
                    .replace("%2", str(risk.score))
                    .replace("%3", reasons)
                )
            )

        self.people = QTableWidget(0, 5)
        self.people.setObjectName("residents")
        self.people.setHorizontalHeaderLabels(
            [self.tr("Name"), self.tr("Age"), self.tr("Groups"), self.tr("ID number"), ""]
        )
        self.people.setRowCount(len(hh.residents))
        self.reveal_id_buttons: list[QPushButton] = []
        for r, p in enumerate(hh.residents):
            cells = [p.name, str(p.age), ", ".join(words.group(g) for g in p.groups), mask_id(p.id_number)]
            for c, text in enumerate(cells):
                self.people.setItem(r, c, QTableWidgetItem(text))
            b = QPushButton(self.tr("Reveal"))
            b.setObjectName(f"reveal_id_{r}")
            b.clicked.connect(lambda _=False, row=r: self.reveal_id(row))
            self.people.setCellWidget(r, 4, b)
            self.reveal_id_buttons.append(b)
        lay.addWidget(self.people)

        self.contacts = QTableWidget(0, 4)
        self.contacts.setObjectName("contacts")
        self.contacts.setHorizontalHeaderLabels([self.tr("Role"), self.tr("Name"), self.tr("Phone"), ""])
        self.contacts.setRowCount(len(hh.contacts))
        self.reveal_buttons: list[QPushButton] = []
        for r, c in enumerate(hh.contacts):
            self.contacts.setItem(r, 0, QTableWidgetItem(words.role(c.role)))
            self.contacts.setItem(r, 1, QTableWidgetItem(c.name))
            self.contacts.setItem(r, 2, QTableWidgetItem(mask_phone(c.phone)))
            b = QPushButton(self.tr("Reveal"))
            b.setObjectName(f"reveal_{r}")
            b.clicked.connect(lambda _=False, row=r: self.reveal(row))
            self.contacts.setCellWidget(r, 3, b)
            self.reveal_buttons.append(b)
        lay.addWidget(self.contacts)

        health = facts.get("health", {})
        self.devices = QTableWidget(0, 5)
        self.devices.setObjectName("devices")
        self.devices.setHorizontalHeaderLabels(
            [self.tr("Device"), self.tr("Kind"), self.tr("Online"), self.tr("Battery"), self.tr("Trouble")]
        )
        self.devices.setRowCount(len(hh.devices))
        for r, d in enumerate(hh.devices):
            h = health.get(d.id)
            trouble = ", ".join(
                k
                for k in ("fault", "low_battery", "tamper", "end_of_life")
                if h is not None and getattr(h, k)
            )
            cells = [
                d.id,
                words.kind(d.kind),
                "?" if h is None else ("✔" if h.online else "✘"),
                "" if h is None or h.bat is None else f"{h.bat}%",
                trouble,
            ]
            for c, text in enumerate(cells):
                self.devices.setItem(r, c, QTableWidgetItem(text))
        lay.addWidget(self.devices)

        past = facts.get("incidents", [])
        self.past = QTableWidget(len(past), 4)
        self.past.setObjectName("past")
        self.past.setHorizontalHeaderLabels(
            [self.tr("Incident"), self.tr("Opened"), self.tr("State"), self.tr("Cause")]
        )
        for r, i in enumerate(past):
            for c, text in enumerate(
                [f"#{i.id}", hhmmss(i.opened), words.state(i.state), words.cause(i.cause)]
            ):
                self.past.setItem(r, c, QTableWidgetItem(text))
        lay.addWidget(self.past)
        self.resize(720, 560)

    def reveal_id(self, row: int) -> None:
        p = self.hh.residents[row]
        op, console = self.operator()
        self.send(
            ev.RevealContact(
                at=0, operator=op, console=console, household=self.hh.code, field=f"resident:{p.id}:id_number"
            )
        )
        self.people.setItem(row, 3, QTableWidgetItem(p.id_number))

    def reveal(self, row: int) -> None:
        c = self.hh.contacts[row]
        op, console = self.operator()
        self.send(
            ev.RevealContact(
                at=0, operator=op, console=console, household=self.hh.code, field=f"contact:{c.id}:phone"
            )
        )
        self.contacts.setItem(row, 2, QTableWidgetItem(c.phone))
