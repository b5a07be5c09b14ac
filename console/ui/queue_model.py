"""The alarm queue: open incidents in triage lanes (new / in progress / other), ranked by score.

The order is console.domain.triage's (lane, then score, then T0, then id): it never depends on the
clock, so the once-a-second tick only repaints the countdown and the overdue colour. Updates are
applied in place — rows inserted, removed, moved (beginInsertRows / beginRemoveRows /
beginMoveRows, the fewest moves: everything on the longest run already in order stays put) and
repainted (dataChanged) — never a model reset, so a view's selection and scroll position survive.

Pinning: ``pin(incident)`` holds one incident at the row it is on while the officer works it (the
window pins the selected incident when an action on it starts); the others keep their ranked order
around it. ``unpin()`` lets it go to its ranked place.

Colour: a row is pink only when it is overdue at its own stage (not acknowledged past 1′, not
dispatched past 5′, not closed past 30′) and is not in the rest lane; restored rows nobody took
up are grey. Usable by any view (the window's table through a sort proxy, the replay window, a wall).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import cache
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from console.domain.deadlines import NS
from console.domain.incident import Incident
from console.domain.registry import Register
from console.domain.triage import LANE_ORDER, Row, TriageWeights, row_of, sort_key
from console.domain.triage_words import words as reason_words
from console.ui import words

RED = QColor("#d32f2f")
AMBER = QColor("#f9a825")
GREEN = QColor("#2e7d32")
QUIET = QColor("#9e9e9e")
OVERDUE_BG = QColor("#ffcdd2")
NEW_LANE_BG = QColor("#e3f2fd")
NEW_LANE_FG = QColor("#0d47a1")

SORT_ROLE = int(Qt.ItemDataRole.UserRole) + 1  # what a sort proxy compares (numbers where it matters)
LANE_ROLE = int(Qt.ItemDataRole.UserRole) + 2  # the lane code: new | working | rest

STAGE_S = {1: 60, 5: 300, 30: 1800}

Index = QModelIndex | QPersistentModelIndex


@cache
def _bold() -> QFont:
    f = QFont()
    f.setBold(True)
    return f


@cache
def default_weights() -> TriageWeights:
    from console.app.data import load_triage
    from console.paths import resource

    return load_triage(resource("triage.toml"))


def stage_of(inc: Incident) -> int:
    """The mark the officer works towards now: 1 until acknowledged, 5 until dispatched (or
    resolved without it), then 30 until closed."""
    if inc.ack_at is None:
        return 1
    if inc.dispatched_at is None and inc.resolved_at is None:
        return 5
    return 30


def due_of(inc: Incident) -> int:
    return inc.opened + STAGE_S[stage_of(inc)] * NS


def overdue(inc: Incident, now: int) -> bool:
    """Past the mark of its current stage (and still open)."""
    return inc.is_open and now >= due_of(inc)


def countdown(inc: Incident, now: int) -> tuple[str, QColor]:
    """``5′ 03:12`` left to the current stage's mark, ``1′ -00:40`` past it; its colour."""
    if not inc.is_open:
        return ("—", GREEN)
    minute = stage_of(inc)
    left = (due_of(inc) - now) // NS
    if left < 0:
        colour = RED
    elif left <= min(30, minute * 60 // 3):
        colour = AMBER
    else:
        colour = GREEN
    sign = "-" if left < 0 else ""
    m, s = divmod(abs(left), 60)
    return (f"{minute}′ {sign}{m:02d}:{s:02d}", colour)


def ui_locale() -> str:
    """The triage words' locale for the language the window shows."""
    return "zh_CN" if words.is_chinese() else "en"


def _stable(seq: Sequence[int]) -> set[int]:
    """Indexes into ``seq`` of one longest strictly increasing subsequence (patience sorting)."""
    tails: list[int] = []  # tails[k]: index in seq of the smallest tail of a run of length k+1
    prev = [-1] * len(seq)
    for i, v in enumerate(seq):
        lo, hi = 0, len(tails)
        while lo < hi:
            mid = (lo + hi) // 2
            if seq[tails[mid]] < v:
                lo = mid + 1
            else:
                hi = mid
        if lo > 0:
            prev[i] = tails[lo - 1]
        if lo == len(tails):
            tails.append(i)
        else:
            tails[lo] = i
    out: set[int] = set()
    k = tails[-1] if tails else -1
    while k >= 0:
        out.add(k)
        k = prev[k]
    return out


class QueueModel(QAbstractTableModel):
    COLUMNS = (
        "lane",
        "score",
        "countdown",
        "kind",
        "state",
        "code",
        "address",
        "reasons",
        "responder",
        "flags",
    )

    def __init__(
        self,
        register: Register,
        now: Callable[[], int],
        scope: str = "*",
        weights: TriageWeights | None = None,
    ) -> None:
        super().__init__()
        self.register = register
        self.now = now
        self.scope = scope
        self.weights = weights if weights is not None else default_weights()
        self.incidents: dict[int, Incident] = {}  # every open incident in scope
        self.triage: dict[int, Row] = {}  # its triage row (lane, score, reasons)
        self.rows: list[Incident] = []  # what is shown, in order
        self.escalated_only = False
        self.pinned: int | None = None
        self._pin_at = 0

    # --- words -------------------------------------------------------------------------------

    def headers(self) -> list[str]:
        return [
            self.tr("Lane"),
            self.tr("Score"),
            self.tr("Deadline"),
            self.tr("Kind"),
            self.tr("State"),
            self.tr("Household"),
            self.tr("Address"),
            self.tr("Why"),
            self.tr("Responder"),
            self.tr("Flags"),
        ]

    def lane_name(self, lane: str) -> str:
        return {"new": self.tr("New"), "working": self.tr("In progress"), "rest": self.tr("Other")}.get(
            lane, lane
        )

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

    # --- what is shown -----------------------------------------------------------------------

    def visible(self, inc: Incident) -> bool:
        return inc.is_open and (self.scope == "*" or inc.township == self.scope)

    def _triage(self, inc: Incident) -> Row | None:
        return row_of(inc, self.register.households.get(inc.household), self.weights)

    def update(self, incidents: Iterable[Incident]) -> None:
        """Take the incidents a delta carries (new copies); rows change in place."""
        for inc in incidents:
            row = self._triage(inc) if self.visible(inc) else None
            if row is not None:
                self.incidents[inc.id] = inc
                self.triage[inc.id] = row
            else:
                self.incidents.pop(inc.id, None)
                self.triage.pop(inc.id, None)
        self._sync(repaint_all=False)

    def resort(self) -> None:
        """After ``incidents`` was replaced wholesale (a replay seek, a handover): recompute every
        triage row and bring the rows in line, in place."""
        self.triage = {}
        for iid, inc in list(self.incidents.items()):
            row = self._triage(inc) if self.visible(inc) else None
            if row is None:
                del self.incidents[iid]
            else:
                self.triage[iid] = row
        self._sync(repaint_all=True)

    def set_escalated_only(self, on: bool) -> None:
        self.escalated_only = on
        self._sync(repaint_all=False)

    def ordered_ids(self) -> list[int]:
        """The ids in display order: ranked, with the pinned incident held at its row."""
        shown = [iid for iid, inc in self.incidents.items() if not self.escalated_only or inc.escalations]
        shown.sort(key=lambda iid: sort_key(self.triage[iid]))
        if self.pinned is not None and self.pinned in shown:
            shown.remove(self.pinned)
            shown.insert(min(self._pin_at, len(shown)), self.pinned)
        return shown

    def ranked(self) -> list[Row]:
        """Triage rows of what is shown, in ranked order (no pin): what take_next reads."""
        rows = [self.triage[i.id] for i in self.rows]
        return sorted(rows, key=sort_key)

    def pin(self, incident_id: int | None) -> None:
        """Hold ``incident_id`` at its current row (None: let go)."""
        if incident_id is None:
            self.unpin()
            return
        r = self.row_of(incident_id)
        if r < 0:
            return
        old = self.row_of(self.pinned) if self.pinned is not None else -1
        self.pinned, self._pin_at = incident_id, r
        for row in {old, r} - {-1}:
            self._repaint_row(row)

    def unpin(self) -> None:
        if self.pinned is None:
            return
        r = self.row_of(self.pinned)
        self.pinned = None
        if r >= 0:
            self._repaint_row(r)
        self._sync(repaint_all=False)

    def _repaint_row(self, r: int) -> None:
        self.dataChanged.emit(self.index(r, 0), self.index(r, len(self.COLUMNS) - 1))

    def tick(self) -> None:
        """Once a second: countdowns and the overdue colour move with time; the order does not."""
        if self.rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, len(self.COLUMNS) - 1))

    def _sync(self, repaint_all: bool) -> None:
        target = self.ordered_ids()
        wanted = set(target)
        root = QModelIndex()
        # 1. rows that leave, bottom up (contiguous runs in one go)
        r = len(self.rows) - 1
        while r >= 0:
            if self.rows[r].id in wanted:
                r -= 1
                continue
            end = r
            while r - 1 >= 0 and self.rows[r - 1].id not in wanted:
                r -= 1
            self.beginRemoveRows(root, r, end)
            del self.rows[r : end + 1]
            self.endRemoveRows()
            r -= 1
        # 2. the longest run already in target order stays; the rest move or arrive
        place = {iid: k for k, iid in enumerate(target)}
        current = [inc.id for inc in self.rows]
        stay = {current[i] for i in _stable([place[iid] for iid in current])}
        ids = list(current)
        for k, iid in enumerate(target):
            if iid in stay:
                continue
            dest = ids.index(target[k - 1]) + 1 if k > 0 else 0
            if iid in ids:
                src = ids.index(iid)
                if src != dest and src + 1 != dest:
                    self.beginMoveRows(root, src, src, root, dest)
                    ids.insert(dest if dest < src else dest - 1, ids.pop(src))
                    self.rows.insert(dest if dest < src else dest - 1, self.rows.pop(src))
                    self.endMoveRows()
            else:
                self.beginInsertRows(root, dest, dest)
                ids.insert(dest, iid)
                self.rows.insert(dest, self.incidents[iid])
                self.endInsertRows()
            stay.add(iid)
        # 3. repaint what changed (new copies of an incident), in contiguous runs
        changed = []
        for k, inc in enumerate(self.rows):
            fresh = self.incidents[inc.id]
            if fresh is not inc or repaint_all:
                self.rows[k] = fresh
                changed.append(k)
        last = len(self.COLUMNS) - 1
        i = 0
        while i < len(changed):
            j = i
            while j + 1 < len(changed) and changed[j + 1] == changed[j] + 1:
                j += 1
            self.dataChanged.emit(self.index(changed[i], 0), self.index(changed[j], last))
            i = j + 1

    def row_of(self, incident_id: int) -> int:
        for r, inc in enumerate(self.rows):
            if inc.id == incident_id:
                return r
        return -1

    # --- Qt model ----------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.headers()[section]
        if role == Qt.ItemDataRole.ToolTipRole and self.COLUMNS[section] == "score":
            return self.tr(
                "Triage score: what the sensors agree on, readings, the household; Ctrl+R ranks by it"
            )
        return None

    def _display(self, inc: Incident, t: Row, col: str) -> Any:
        if col == "lane":
            return self.lane_name(t.lane) + (" ⚲" if inc.id == self.pinned else "")
        if col == "score":
            return t.score
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
        if col == "reasons":
            return reason_words(t.reasons, ui_locale())
        if col == "responder":
            return inc.responder
        if col == "flags":
            return self.flags_text(inc)
        return None

    def _sort_value(self, inc: Incident, t: Row, col: str) -> Any:
        if col == "lane":
            return LANE_ORDER[t.lane]
        if col == "score":
            return t.score
        if col == "countdown":
            return (due_of(inc) - self.now()) // NS
        return str(self._display(inc, t, col) or "")

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        inc = self.rows[index.row()]
        t = self.triage.get(inc.id)
        if t is None:
            return None
        col = self.COLUMNS[index.column()]
        if role == Qt.ItemDataRole.UserRole:
            return inc.id
        if role == LANE_ROLE:
            return t.lane
        if role == SORT_ROLE:
            return self._sort_value(inc, t, col)
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(inc, t, col)
        if role == Qt.ItemDataRole.ToolTipRole:
            return reason_words(t.reasons, ui_locale()) if col in ("reasons", "lane") else None
        quiet = t.lane == "rest"
        if role == Qt.ItemDataRole.ForegroundRole:
            if quiet:
                return QBrush(QUIET)
            if col == "countdown":
                return QBrush(countdown(inc, self.now())[1])
            if col == "lane" and t.lane == "new":
                return QBrush(NEW_LANE_FG)
            return None
        if role == Qt.ItemDataRole.BackgroundRole:
            if not quiet and overdue(inc, self.now()):
                return QBrush(OVERDUE_BG)
            if col == "lane" and t.lane == "new":
                return QBrush(NEW_LANE_BG)
            return None
        if role == Qt.ItemDataRole.FontRole and t.lane == "new" and col in ("lane", "score", "reasons"):
            return _bold()
        return None
