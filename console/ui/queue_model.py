"""The alarm queue: open incidents sorted by urgency, with a live countdown."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from console.domain.deadlines import NS
from console.domain.incident import Incident
from console.domain.registry import Register
from console.ui import words

RED = QColor("#d32f2f")
AMBER = QColor("#f9a825")
GREEN = QColor("#2e7d32")

Index = QModelIndex | QPersistentModelIndex


def urgency(inc: Incident, now: int) -> tuple[int, int, int, int]:
    """Missed deadlines first, then least time left, then severity, then age."""
    nd = inc.next_deadline()
    left = (nd[1] - now) if nd else 10**18
    return (0 if inc.missed else 1, left, -inc.severity, inc.opened)


def countdown(inc: Incident, now: int) -> tuple[str, QColor]:
    nd = inc.next_deadline()
    if nd is None:
        return ("—", GREEN)
    minute, due = nd
    left = (due - now) // NS
    if inc.missed:
        colour = RED
    elif left < 0:
        colour = RED
    elif left <= min(30, minute * 60 // 3):
        colour = AMBER
    else:
        colour = GREEN
    sign = "-" if left < 0 else ""
    m, s = divmod(abs(left), 60)
    return (f"{minute}′ {sign}{m:02d}:{s:02d}", colour)


class QueueModel(QAbstractTableModel):
    COLUMNS = ("countdown", "kind", "state", "code", "address", "responder", "flags")

    def __init__(self, register: Register, now: Callable[[], int], scope: str = "*") -> None:
        super().__init__()
        self.register = register
        self.now = now
        self.scope = scope
        self.incidents: dict[int, Incident] = {}  # every open incident in scope
        self.rows: list[Incident] = []  # what is shown, in urgency order
        self.escalated_only = False

    def headers(self) -> list[str]:
        return [
            self.tr("Deadline"),
            self.tr("Kind"),
            self.tr("State"),
            self.tr("Household"),
            self.tr("Address"),
            self.tr("Responder"),
            self.tr("Flags"),
        ]

    def visible(self, inc: Incident) -> bool:
        return inc.is_open and (self.scope == "*" or inc.township == self.scope)

    def update(self, incidents: list[Incident]) -> None:
        for inc in incidents:
            if self.visible(inc):
                self.incidents[inc.id] = inc
            else:
                self.incidents.pop(inc.id, None)
        self.resort()

    def ordered(self, now: int) -> list[Incident]:
        """What the queue shows, most urgent first."""
        shown = [i for i in self.incidents.values() if not self.escalated_only or i.escalations]
        return sorted(shown, key=lambda i: urgency(i, now))

    def resort(self) -> None:
        now = self.now()
        self.beginResetModel()
        self.rows = self.ordered(now)
        self.endResetModel()

    def tick(self) -> None:
        """Once a second: the countdown column (and order) move with time."""
        if not self.rows:
            return
        now = self.now()
        order = self.ordered(now)
        if [i.id for i in order] != [i.id for i in self.rows]:
            self.resort()
            return
        self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, 0))

    def row_of(self, incident_id: int) -> int:
        for r, inc in enumerate(self.rows):
            if inc.id == incident_id:
                return r
        return -1

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.headers()[section]
        return None

    def flags_text(self, inc: Incident) -> str:
        out = []
        if inc.missed:
            out.append(self.tr("missed %s′") % "/".join(str(m) for m in inc.missed))
        if inc.escalations:
            out.append(self.tr("escalated: %s") % ", ".join(words.target(t) for t in inc.escalations))
        if inc.reignition:
            out.append(self.tr("re-ignition"))
        if inc.unregistered:
            out.append(self.tr("unregistered device"))
        return "; ".join(out)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        inc = self.rows[index.row()]
        col = self.COLUMNS[index.column()]
        if role == Qt.ItemDataRole.UserRole:
            return inc.id
        if role == Qt.ItemDataRole.DisplayRole:
            if col == "code":
                return inc.household
            if col == "address":
                hh = self.register.households.get(inc.household)
                return hh.address if hh else self.tr("unregistered device %s") % inc.devices[0]
            if col == "kind":
                return " + ".join(words.kind(k) for k in inc.kinds)
            if col == "state":
                return words.state(inc.state)
            if col == "countdown":
                return countdown(inc, self.now())[0]
            if col == "responder":
                return inc.responder
            if col == "flags":
                return self.flags_text(inc)
        if role == Qt.ItemDataRole.ForegroundRole and col == "countdown":
            return QBrush(countdown(inc, self.now())[1])
        if role == Qt.ItemDataRole.BackgroundRole and inc.missed:
            return QBrush(QColor("#ffcdd2"))
        return None
