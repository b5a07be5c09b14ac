"""Find a past incident (the queue shows open ones only) by its number, its household (code,
address or a resident's name) or the day it opened, among those the engine's world holds (every
incident the journal recorded, folded), within the officer's scope; the one chosen opens in the
replay window at its opening (Enter, a double click or the button)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any, Final

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDateEdit,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.domain.incident import Incident
from console.domain.registry import Register
from console.ui import words

CST: Final = timezone(timedelta(hours=8))
NS: Final = 1_000_000_000
DAY_NS: Final = 86_400 * NS
LIMIT: Final = 200  # rows shown at most, newest first


def day_start(d: QDate) -> int:
    """00:00 China time of ``d``, UTC ns."""
    return int(datetime(d.year(), d.month(), d.day(), tzinfo=CST).timestamp()) * NS


def matches(inc: Incident, register: Register, number: str, text: str, day: int | None, scope: str) -> bool:
    """Whether ``inc`` is one the officer looks for (every given criterion holds)."""
    if scope != "*" and inc.township != scope:
        return False
    if number and str(inc.id) != number.lstrip("#"):
        return False
    if day is not None and not day <= inc.opened < day + DAY_NS:
        return False
    if text:
        hh = register.households.get(inc.household)
        hay = [inc.household]
        if hh is not None:
            hay += [hh.address, *(r.name for r in hh.residents)]
        if not any(text.lower() in h.lower() for h in hay if h):
            return False
    return True


class IncidentSearch(QDialog):
    """Criteria on top, the incidents found below; ``replayRequested`` carries the chosen one."""

    replayRequested = Signal(int)

    def __init__(
        self,
        query: Callable[[Callable[[Any], Any], Callable[[Any], None]], None],
        register: Register,
        scope: str,
        today: QDate,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("incidentSearch")
        self.setWindowTitle(self.tr("Find an incident"))
        self.query = query
        self.register = register
        self.scope = scope
        self.found: list[Incident] = []
        lay = QVBoxLayout(self)
        row = QHBoxLayout()
        self.number = QLineEdit()
        self.number.setObjectName("searchNumber")
        self.number.setPlaceholderText(self.tr("Incident number"))
        self.number.setMaximumWidth(140)
        self.text = QLineEdit()
        self.text.setObjectName("searchHousehold")
        self.text.setPlaceholderText(self.tr("Household code, address or resident's name"))
        self.on_day = QCheckBox(self.tr("Opened on"))
        self.on_day.setObjectName("searchOnDay")
        self.day = QDateEdit(today)
        self.day.setObjectName("searchDay")
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("yyyy-MM-dd")
        self.day.setEnabled(False)
        self.on_day.toggled.connect(self.day.setEnabled)
        self.find_button = QPushButton(self.tr("Find"))
        self.find_button.setObjectName("searchFind")
        self.find_button.clicked.connect(self.search)
        for w in (self.number, self.text, self.on_day, self.day, self.find_button):
            row.addWidget(w)
        row.setStretchFactor(self.text, 1)
        lay.addLayout(row)
        self.table = QTableWidget(0, 6)
        self.table.setObjectName("searchResults")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setHorizontalHeaderLabels(
            [
                self.tr("Incident"),
                self.tr("Opened"),
                self.tr("Kind"),
                self.tr("Household"),
                self.tr("State"),
                self.tr("Cause"),
            ]
        )
        self.table.doubleClicked.connect(lambda _i: self.replay())
        self.table.itemSelectionChanged.connect(self._enable)
        lay.addWidget(self.table, 1)
        self.status = QLabel(self.tr("Give a number, a household or a day, then Find."))
        self.status.setObjectName("searchStatus")
        self.status.setWordWrap(True)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        self.replay_button = QPushButton(self.tr("Replay from its start"))
        self.replay_button.setObjectName("searchReplay")
        self.replay_button.setToolTip(
            self.tr("Open the incident in the replay window, at the moment it opened")
        )
        self.replay_button.clicked.connect(self.replay)
        bottom.addWidget(self.replay_button)
        close = QPushButton(self.tr("Close"))
        close.setObjectName("searchClose")
        close.setAutoDefault(False)
        close.clicked.connect(self.reject)
        bottom.addWidget(close)
        lay.addLayout(bottom)
        for edit in (self.number, self.text):
            edit.returnPressed.connect(self.search)
        self.resize(820, 460)
        self._enable()

    def search(self) -> None:
        """Look the criteria up in the engine's world (off the UI thread), newest first."""
        number, text = self.number.text().strip(), self.text.text().strip()
        day = day_start(self.day.date()) if self.on_day.isChecked() else None
        register, scope = self.register, self.scope
        if not number and not text and day is None:
            self.status.setText(self.tr("Give a number, a household or a day, then Find."))
            return
        self.status.setText(self.tr("Searching…"))

        def find(w: Any) -> list[Incident]:
            from console.app.delta import copy_struct

            hits = [i for i in w.incidents.values() if matches(i, register, number, text, day, scope)]
            hits.sort(key=lambda i: i.opened, reverse=True)
            return [copy_struct(i) for i in hits[:LIMIT]]

        self.query(find, self.show_found)

    def show_found(self, found: list[Incident]) -> None:
        self.found = found
        self.table.setRowCount(len(found))
        for r, inc in enumerate(found):
            opened = datetime.fromtimestamp(inc.opened / NS, tz=CST).strftime("%Y-%m-%d %H:%M:%S")
            cells = [
                f"#{inc.id}",
                opened,
                words.kind(inc.kind),
                inc.household,
                words.state(inc.state),
                words.cause(inc.cause) if inc.cause else "",
            ]
            for c, t in enumerate(cells):
                item = QTableWidgetItem(t)
                item.setData(Qt.ItemDataRole.UserRole, inc.id)
                self.table.setItem(r, c, item)
        self.status.setText(
            self.tr("%n incident(s) found.", "", len(found))
            if found
            else self.tr("No incident found: check the number, the household or the day.")
        )
        if found:
            self.table.selectRow(0)
        self._enable()

    def chosen(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.table.item(rows[0].row(), 0)
        return int(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None

    def _enable(self) -> None:
        self.replay_button.setEnabled(self.chosen() is not None)

    def replay(self) -> None:
        iid = self.chosen()
        if iid is not None:
            self.replayRequested.emit(iid)
