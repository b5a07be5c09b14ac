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

Speed: a paint asks ``data()`` for every visible cell and ~7 roles, through the proxy, from C++. So
each row's words, brushes and fonts are worked out once per incident version (and pin and
language) and kept (``_Cells``); ``data()`` is a lookup. Only the clock's part is computed on the
spot, cheaply: the countdown (its text and colour re-made only when its second changes) and the
pink of a row past its stage's mark (``now >= due``). The tick repaints the countdown column and
only the rows whose pink changed, not the whole table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import cache
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QLocale, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from console.domain.deadlines import NS
from console.domain.incident import Incident
from console.domain.registry import Household, Register
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

# made once: data() hands out these (Qt copies a brush by reference count), never new ones
_QUIET_FG = QBrush(QUIET)
_NEW_FG = QBrush(NEW_LANE_FG)
_NEW_BG = QBrush(NEW_LANE_BG)
_OVERDUE_BG = QBrush(OVERDUE_BG)
_COUNTDOWN_FG = {c.rgba(): QBrush(c) for c in (RED, AMBER, GREEN)}

# the roles data() answers, each to a slot; any other role is None at once
_DISPLAY, _TOOLTIP, _FOREGROUND, _BACKGROUND, _FONT, _ID, _LANE, _SORT = range(8)
_SLOT = {
    int(Qt.ItemDataRole.DisplayRole): _DISPLAY,
    int(Qt.ItemDataRole.ToolTipRole): _TOOLTIP,
    int(Qt.ItemDataRole.ForegroundRole): _FOREGROUND,
    int(Qt.ItemDataRole.BackgroundRole): _BACKGROUND,
    int(Qt.ItemDataRole.FontRole): _FONT,
    int(Qt.ItemDataRole.UserRole): _ID,
    LANE_ROLE: _LANE,
    SORT_ROLE: _SORT,
}
_CLOCK = object()  # in a cached column: "worked out from the clock when asked"
_BACKGROUND_ROLES = [int(Qt.ItemDataRole.BackgroundRole)]
# A view repaints all it shows for a dataChanged of more cells than this (Qt's item views, seen on
# Qt 6.11), only the cells' rectangle otherwise: the tick's countdown column is sent in pieces.
_CELLS_PER_SIGNAL = 200

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


def short_address(hh: Household, register: Register) -> str:
    """What tells one home from the next: the address after its township's name (community,
    street, building, unit, room), not the city, district and township every row repeats. The
    whole address is the cell's tooltip."""
    for code in (hh.township, hh.district):
        area = register.areas.get(code)
        name = area.name.split(" (", 1)[0].strip() if area is not None else ""
        at = hh.address.find(name) if name else -1
        if at >= 0 and hh.address[at + len(name) :].strip():
            return hh.address[at + len(name) :].strip()
    return hh.address


def ui_locale() -> str:
    """The triage words' locale for the language the window shows."""
    return "zh_CN" if words.is_chinese() else "en"


def _words_key() -> str:
    """Which language the words are in (install_translations sets the default locale with the
    translator), so cached words are re-made after a switch."""
    return QLocale().name()


class _Cells:
    """One row's cells as shown, for one version of its incident and its triage row: texts,
    tooltip, brushes, fonts and sort values per column. The clock's part (countdown, pink) is
    ``_CLOCK`` here; ``due`` / ``cd_*`` serve it. The model drops these when the pin or the
    language changes."""

    __slots__ = (
        "back",
        "cd_brush",
        "cd_left",
        "cd_text",
        "display",
        "due",
        "font",
        "fore",
        "inc",
        "mark",
        "row",
        "sort",
        "tooltip",
        "version",
    )

    def __init__(self, inc: Incident, row: Row) -> None:
        self.inc = inc
        self.version = inc.version
        self.row = row
        self.mark = due_of(inc)  # the stage's mark, for the countdown and its sort value
        # pink from ``due`` on; None: never (closed, or in the quiet rest lane)
        self.due: int | None = self.mark if row.lane != "rest" and inc.is_open else None
        self.cd_left: int | None = None
        self.cd_text = ""
        self.cd_brush = _COUNTDOWN_FG[GREEN.rgba()]
        self.display: tuple[Any, ...] = ()
        self.tooltip: tuple[Any, ...] = ()
        self.fore: tuple[Any, ...] = ()
        self.back: tuple[Any, ...] = ()
        self.font: tuple[Any, ...] = ()
        self.sort: tuple[Any, ...] = ()

    def countdown(self, now: int) -> _Cells:
        """The countdown's text and brush at ``now``, re-made only when its second changes."""
        left = (self.mark - now) // NS
        if left != self.cd_left:
            text, colour = countdown(self.inc, now)
            self.cd_left, self.cd_text, self.cd_brush = left, text, _COUNTDOWN_FG[colour.rgba()]
        return self


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
        self._cells: dict[int, _Cells] = {}  # incident id -> its row as shown (see _cells_of)
        self._words = _words_key()
        self._headers: tuple[str, list[str], str] | None = None  # (words key, texts, score tip)
        self._pink: dict[int, bool] = {}  # incident id -> pink at the last tick
        self._countdown_col = self.COLUMNS.index("countdown")
        self._made: list[tuple[QModelIndex, ...]] = []  # index(): row -> its cells' indexes

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

    def _check_words(self) -> bool:
        """After a language switch drop every cached word (True: they were dropped)."""
        key = _words_key()
        if key == self._words:
            return False
        self._words, self._headers = key, None
        self._cells.clear()
        return True

    def words_changed(self) -> None:
        """A language switch: headers and every cell in the new language, now."""
        self._check_words()
        self._cells.clear()
        if self.rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, len(self.COLUMNS) - 1))
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(self.COLUMNS) - 1)

    def update(self, incidents: Iterable[Incident]) -> None:
        """Take the incidents a delta carries (new copies); rows change in place."""
        repaint_all = self._check_words()
        for inc in incidents:
            self._cells.pop(inc.id, None)  # even the same object: it may have changed in place
            row = self._triage(inc) if self.visible(inc) else None
            if row is not None:
                self.incidents[inc.id] = inc
                self.triage[inc.id] = row
            else:
                self.incidents.pop(inc.id, None)
                self.triage.pop(inc.id, None)
        self._sync(repaint_all=repaint_all)

    def resort(self) -> None:
        """After ``incidents`` was replaced wholesale (a replay seek, a handover): recompute every
        triage row and bring the rows in line, in place."""
        self._check_words()
        self._cells.clear()
        self._pink.clear()
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
        if self.pinned is not None:
            self._cells.pop(self.pinned, None)
        self._cells.pop(incident_id, None)
        self.pinned, self._pin_at = incident_id, r
        for row in {old, r} - {-1}:
            self._repaint_row(row)

    def unpin(self) -> None:
        if self.pinned is None:
            return
        r = self.row_of(self.pinned)
        self._cells.pop(self.pinned, None)
        self.pinned = None
        if r >= 0:
            self._repaint_row(r)
        self._sync(repaint_all=False)

    def _repaint_row(self, r: int) -> None:
        self.dataChanged.emit(self.index(r, 0), self.index(r, len(self.COLUMNS) - 1))

    def _changed(self, first: int, last: int, col0: int, col1: int, roles: list[int] | None = None) -> None:
        """dataChanged for rows ``first``..``last``, columns ``col0``..``col1``, in pieces a view
        repaints as their rectangle (not as all it shows)."""
        step = max(1, _CELLS_PER_SIGNAL // (col1 - col0 + 1))
        for top in range(first, last + 1, step):
            bottom = min(last, top + step - 1)
            if roles is None:
                self.dataChanged.emit(self.index(top, col0), self.index(bottom, col1))
            else:
                self.dataChanged.emit(self.index(top, col0), self.index(bottom, col1), roles)

    def tick(self) -> None:
        """Once a second: countdowns and the overdue colour move with time; the order does not.
        Repaints the countdown column, and whole rows only where the pink came or went."""
        if not self.rows:
            self._pink.clear()
            return
        last_row, last_col = len(self.rows) - 1, len(self.COLUMNS) - 1
        if self._check_words():
            self.dataChanged.emit(self.index(0, 0), self.index(last_row, last_col))
            return
        cd = self._countdown_col
        self._changed(0, last_row, cd, cd)
        now = self.now()
        was, pink = self._pink, {}
        flipped = []
        for k, inc in enumerate(self.rows):
            t = self.triage.get(inc.id)
            on = t is not None and t.lane != "rest" and overdue(inc, now)
            pink[inc.id] = on
            if was.get(inc.id, False) != on:
                flipped.append(k)
        self._pink = pink
        for first, last in _runs(flipped):
            self._changed(first, last, 0, last_col, _BACKGROUND_ROLES)

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
            for inc in self.rows[r : end + 1]:
                self._cells.pop(inc.id, None)
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
        for first, end in _runs(changed):
            self._changed(first, end, 0, last)

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

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        """As QAbstractTableModel's, but in one call and without making an index: hasIndex would
        call back rowCount and columnCount, and the sort proxy maps every cell of every paint (each
        of its roles) through here. An index is only (row, column, model), so one made once per
        cell is handed out again."""
        if 0 <= row < len(self.rows) and 0 <= column < len(self.COLUMNS) and not parent.isValid():
            made = self._made
            while row >= len(made):
                r = len(made)
                made.append(tuple(self.createIndex(r, c) for c in range(len(self.COLUMNS))))
            return made[row][column]
        return QModelIndex()

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or (
            role != Qt.ItemDataRole.DisplayRole and role != Qt.ItemDataRole.ToolTipRole
        ):
            return None
        cached = self._headers
        if cached is None or cached[0] != self._words:
            tip = self.tr(
                "Triage score: what the sensors agree on, readings, the household; Ctrl+R ranks by it"
            )
            cached = self._headers = (self._words, self.headers(), tip)
        if not 0 <= section < len(self.COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return cached[1][section]
        return cached[2] if self.COLUMNS[section] == "score" else None

    def _display(self, inc: Incident, t: Row, col: str) -> Any:
        if col == "lane":
            return self.lane_name(t.lane) + (" ⚲" if inc.id == self.pinned else "")
        if col == "score":
            return t.score
        if col == "code":
            return inc.household
        if col == "address":
            hh = self.register.households.get(inc.household)
            return (
                short_address(hh, self.register) if hh else self.tr("unregistered device %s") % inc.devices[0]
            )
        if col == "kind":
            return " + ".join(words.kind(k) for k in inc.kinds)
        if col == "state":
            return words.state(inc.state)
        if col == "countdown":
            return countdown(inc, self.now())[0]
        if col == "reasons":
            return reason_words(t.reasons, ui_locale())
        if col == "responder":
            return words.responder(inc.responder)
        if col == "flags":
            return self.flags_text(inc)
        return None

    def _cells_of(self, inc: Incident) -> _Cells | None:
        """Work out the row of ``inc`` as shown (all but the clock's part) and keep it."""
        t = self.triage.get(inc.id)
        if t is None:
            return None
        e = _Cells(inc, t)
        cd = self._countdown_col
        new, quiet = t.lane == "new", t.lane == "rest"
        display = [None if k == cd else self._display(inc, t, col) for k, col in enumerate(self.COLUMNS)]
        reasons = reason_words(t.reasons, ui_locale())
        e.display = tuple(display)
        hh = self.register.households.get(inc.household)
        e.tooltip = tuple(
            reasons
            if col in ("reasons", "lane")
            else hh.address
            if col == "address" and hh is not None
            else None
            for col in self.COLUMNS
        )
        e.fore = tuple(
            _QUIET_FG if quiet else _CLOCK if k == cd else _NEW_FG if col == "lane" and new else None
            for k, col in enumerate(self.COLUMNS)
        )
        # pink (``due``) goes over these; the rest lane is never pink nor new
        e.back = tuple(_NEW_BG if col == "lane" and new else None for col in self.COLUMNS)
        bold = _bold() if new else None
        e.font = tuple(bold if col in ("lane", "score", "reasons") else None for col in self.COLUMNS)
        e.sort = tuple(
            LANE_ORDER[t.lane]
            if col == "lane"
            else t.score
            if col == "score"
            else _CLOCK
            if k == cd
            else str(display[k] or "")
            for k, col in enumerate(self.COLUMNS)
        )
        self._cells[inc.id] = e
        return e

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """A lookup in the row's cached cells; the clock is read only for the countdown and pink."""
        slot = _SLOT.get(role)
        if slot is None:
            return None
        r = index.row()
        rows = self.rows
        if not 0 <= r < len(rows):  # an invalid index has row -1
            return None
        inc = rows[r]
        e = self._cells.get(inc.id)
        if e is None or e.inc is not inc or e.version != inc.version or e.row is not self.triage.get(inc.id):
            e = self._cells_of(inc)
            if e is None:
                return None
        if slot == _DISPLAY:
            c = index.column()
            return e.countdown(self.now()).cd_text if c == self._countdown_col else e.display[c]
        if slot == _BACKGROUND:
            due = e.due
            if due is not None and self.now() >= due:
                return _OVERDUE_BG
            return e.back[index.column()]
        if slot == _FOREGROUND:
            v = e.fore[index.column()]
            return e.countdown(self.now()).cd_brush if v is _CLOCK else v
        if slot == _FONT:
            return e.font[index.column()]
        if slot == _TOOLTIP:
            return e.tooltip[index.column()]
        if slot == _ID:
            return inc.id
        if slot == _LANE:
            return e.row.lane
        v = e.sort[index.column()]
        return (e.mark - self.now()) // NS if v is _CLOCK else v


def _runs(ks: list[int]) -> list[tuple[int, int]]:
    """Ascending row numbers as (first, last) of each contiguous run."""
    out: list[tuple[int, int]] = []
    for k in ks:
        if out and out[-1][1] + 1 == k:
            out[-1] = (out[-1][0], k)
        else:
            out.append((k, k))
    return out
