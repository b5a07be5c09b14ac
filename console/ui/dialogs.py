"""Small dialogs the officer uses while working an incident."""

from __future__ import annotations

from typing import ClassVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.domain.checklist import CAUSES
from console.domain.field import responders
from console.domain.registry import Household
from console.ui import words


class DispatchDialog(QDialog):
    def __init__(self, hh: Household | None, parent: QWidget | None = None, proposed: str = "") -> None:
        """``proposed``: the contact the incident proposes next (after a responder replied they
        cannot go), selected first."""
        super().__init__(parent)
        self.setWindowTitle(self.tr("Dispatch someone nearby"))
        lay = QVBoxLayout(self)
        self.list = QListWidget()
        self.list.setObjectName("responders")
        first = 0
        for c, d in responders(hh) if hh else []:
            if c.id == proposed:
                first = self.list.count()
            dist = f"{d:.0f} m" if d is not None else "?"
            item = QListWidgetItem(f"{words.role(c.role)}  {c.name}  {c.phone}  ({dist})")
            item.setData(Qt.ItemDataRole.UserRole, f"{c.name} {c.phone} ({words.role(c.role)})")
            self.list.addItem(item)
        self.other = QLineEdit()
        self.other.setPlaceholderText(self.tr("or type a name and phone"))
        lay.addWidget(QLabel(self.tr("Proposed responders, nearest first:")))
        lay.addWidget(self.list)
        lay.addWidget(self.other)
        bb = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        bb.accepted.connect(self.accept)
        bb.rejected.connect(self.reject)
        lay.addWidget(bb)
        if self.list.count():
            self.list.setCurrentRow(first)
        self.list.setFocus()

    def responder(self) -> str:
        if self.other.text().strip():
            return self.other.text().strip()
        item = self.list.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item else ""


class ValuesDialog(QDialog):
    """Asks for the values a checklist step records (cause gets a list; others free text)."""

    DEFAULTS: ClassVar[dict[str, str]] = {"feedback": "已电话回访老人及监护人，确认安全"}

    def __init__(self, title: str, names: tuple[str, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        form = QFormLayout(self)
        self.fields: dict[str, QComboBox | QLineEdit] = {}
        for name in names:
            w: QComboBox | QLineEdit
            if name == "cause":
                w = QComboBox()
                w.setObjectName("cause")
                for c in CAUSES:
                    w.addItem(words.cause(c), c)
            else:
                w = QLineEdit(self.DEFAULTS.get(name, ""))
                w.setObjectName(name)
            self.fields[name] = w
            form.addRow(self.label(name), w)
        bb = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        bb.accepted.connect(self.accept)
        bb.rejected.connect(self.reject)
        form.addRow(bb)
        if self.fields:
            next(iter(self.fields.values())).setFocus()

    def label(self, name: str) -> str:
        return {
            "cause": self.tr("Cause"),
            "feedback": self.tr("Feedback"),
            "outcome": self.tr("Outcome"),
            "responder": self.tr("Responder"),
            "finding": self.tr("Finding"),
        }.get(name, name)

    def values(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for name, w in self.fields.items():
            out[name] = str(w.currentData()) if isinstance(w, QComboBox) else w.text()
        return out
