"""Wall mode (大屏): the center's wall display or a second monitor, readable from three metres.

Full screen, dark and high-contrast, no scroll bars and no controls: the 1-5-30 counters (a
TriageHeader in large type), the storm and missed-mark banners, the top of the ranked queue (eight
rows: countdown, kind, household, why), the risk map and the townships ranked by what is overdue.

It shows what the officer's window shows and holds no state of its own to drift from it:
- the rows are the officer's QueueModel (shared, read only) in its ranked order: the wall never
  touches the table's selection, and the officer's pin does not move the wall's rows;
- the counters and banners are a TriageHeader that copies the officer's header's incidents and
  acknowledged misses at each refresh, so its figures are the officer's header's figures;
- the map is a second MapView on the same page, recoloured by the same deltas.
The wall repaints when the queue model changes (coalesced to one refresh per event-loop turn) and
once a second. Esc (or F11 again in the officer's window) closes it; it opens on a screen other
than the officer's when there is one, without taking the keyboard from the officer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal, SignalInstance
from PySide6.QtGui import QCloseEvent, QFont, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import Shiboken

from console.domain.incident import Incident
from console.domain.registry import Register
from console.domain.triage_words import words as reason_words
from console.ui import words
from console.ui.queue_model import AMBER, GREEN, RED, QueueModel, countdown, overdue, ui_locale
from console.ui.triage_header import TriageHeader

TOP_ROWS: Final = 8
TOWNSHIPS: Final = 8
ROW_GAP: Final = 6
ROW_PX: Final = 34  # the rows' first line; every text on the wall is at least MIN_PX
MIN_PX: Final = 28
COUNT_PX: Final = 72
BG: Final = "#0b1220"
PANEL: Final = "#141d2e"
TEXT: Final = "#ffffff"
DIM: Final = "#b0bec5"
LATE: Final = "#ff5252"
# the table's colours are for a white background; on the wall's dark one, their bright kin
BRIGHT: Final = {RED.name(): "#ff5252", AMBER.name(): "#ffd740", GREEN.name(): "#69f0ae"}


# The wall's map is for looking at: no zoom buttons, search box or legend check boxes, and the
# whole district fitted to the pane whenever the pane changes size (Leaflet keeps its zoom).
WALL_MAP_JS: Final = """(function () {
  var m = Object.keys(window).map(function (k) { return window[k]; })
    .find(function (v) { return v instanceof L.Map; });
  if (!m) return false;
  if (!document.getElementById('gc-wall-style')) {
    var s = document.createElement('style');
    s.id = 'gc-wall-style';
    s.textContent = '.leaflet-control-zoom, .gc-search, #gc-legend input { display: none !important; }';
    document.head.appendChild(s);
  }
  m.options.zoomSnap = 0.1;  // a vector base layer: fill the pane, not the nearest whole zoom
  m.invalidateSize(false);
  var rows = (window.GC_DATA || { rows: [] }).rows;
  if (rows.length) {
    m.fitBounds(L.latLngBounds(rows.map(function (r) { return [r[1], r[2]]; })),
      { padding: [16, 16], animate: false });
  }
  return true;
})()"""


def _font(px: int, bold: bool = False) -> QFont:
    f = QFont()
    f.setPixelSize(px)
    f.setBold(bold)
    return f


class Elided(QLabel):
    """A one-line label that ends in "…" when its text is wider than it is (never clipped mid-glyph)."""

    def __init__(self, px: int, bold: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.full = ""
        self.setFont(_font(px, bold))
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(1)

    def set_full(self, text: str) -> None:
        if text != self.full:
            self.full = text
            self._elide()

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        shown = self.fontMetrics().elidedText(self.full, Qt.TextElideMode.ElideRight, max(1, self.width()))
        if shown != self.text():
            self.setText(shown)


class _Box(QWidget):
    """A column that takes the height it is given and says when that changes."""

    resized = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored)

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self.resized.emit()


class WallHeader:
    """The officer's header in wall type: a TriageHeader of its own (composed, not subclassed:
    PySide looks a subclass's plural strings up under the subclass's name) that shows ``source``'s
    incidents and acknowledged misses."""

    def __init__(self, source: TriageHeader, parent: QWidget | None = None) -> None:
        self.source = source
        w = self.widget = TriageHeader(
            source.now, parent=parent, storm_rules=(source.storm_window_s, source.storm_more_than)
        )
        w.setObjectName("wallHeader")
        w.miss_button.hide()  # acknowledging is the officer's (K), not the wall's
        for label in w.findChildren(QLabel):  # the captions, the compliance line, the banners
            if label not in w.values.values():
                label.setFont(_font(MIN_PX))
        for label in w.values.values():
            label.setMinimumWidth(120)
        # long lines wrap rather than widen the window past a 1280 px screen
        w.compliance.setWordWrap(True)
        w.compliance.setStyleSheet(f"color:{TEXT};")
        w.storm_banner.setWordWrap(True)
        w.storm_banner.setFont(_font(40, bold=True))
        w.storm_banner.setStyleSheet("background:#ff8f00;color:black;padding:6px;")
        w.miss_text.setFont(_font(32, bold=True))
        self.values = w.values
        self.storm_banner = w.storm_banner
        self.miss_banner = w.miss_banner
        self.miss_text = w.miss_text
        self.compliance = w.compliance

    def refresh(self) -> None:
        w = self.widget
        src = self.source
        w.incidents = dict(src.incidents)
        w.acknowledged = set(src.acknowledged)
        # the engine's storm and held notifications and the AckMiss rule, where the header has them
        for name in ("storm_state", "held", "send_ack"):
            if hasattr(src, name):
                setattr(w, name, getattr(src, name))
        w.refresh()
        held = getattr(w, "held_button", None)
        if held is not None:
            held.hide()  # a button: the officer's, not the wall's
        for key, label in w.values.items():  # after the header styled them for a white window
            late = key.startswith("over") and label.text() != "0"
            label.setStyleSheet(f"font-size:{COUNT_PX}px;font-weight:bold;color:{LATE if late else TEXT};")


class _Row(QFrame):
    """One incident of the top of the queue: rank, countdown, kind, household; why, below."""

    def __init__(self, rank: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("wallRow")
        self.incident: int | None = None
        self.rank = QLabel(str(rank))
        self.rank.setFont(_font(ROW_PX, bold=True))
        self.rank.setFixedWidth(44)
        self.rank.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.countdown = QLabel("")
        self.countdown.setFont(_font(ROW_PX, bold=True))
        self.countdown.setMinimumWidth(190)
        self.kind = QLabel("")
        self.kind.setFont(_font(ROW_PX, bold=True))
        self.place = Elided(ROW_PX, bold=True)
        self.why = Elided(MIN_PX)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.setSpacing(18)
        top.addWidget(self.rank)
        top.addWidget(self.countdown)
        top.addWidget(self.kind)
        top.addWidget(self.place, 1)
        below = QHBoxLayout()
        below.setContentsMargins(62, 0, 0, 0)
        below.addWidget(self.why, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 4, 12, 4)
        lay.setSpacing(0)
        lay.addLayout(top)
        lay.addLayout(below)

    def show_row(self, inc: Incident | None, lane: str, reasons: str, place: str, now: int) -> None:
        self.incident = inc.id if inc is not None else None
        self.setVisible(inc is not None)
        if inc is None:
            return
        text, colour = countdown(inc, now)
        quiet = lane == "rest"
        late = not quiet and overdue(inc, now)
        fg = DIM if quiet else TEXT
        bg = "#7f1010" if late else "#0d2f57" if lane == "new" else PANEL
        self.setStyleSheet(f"#wallRow{{background:{bg};border-radius:6px;}} QLabel{{color:{fg};}}")
        self.countdown.setText(text)
        self.countdown.setStyleSheet(f"color:{DIM if quiet else BRIGHT.get(colour.name(), TEXT)};")
        self.kind.setText(" + ".join(words.kind(k) for k in inc.kinds))
        self.place.set_full(place)
        self.why.set_full(reasons)


class WallWindow(QWidget):
    """The wall screen over the officer's queue model and header (see the module docstring)."""

    closed = Signal()

    def __init__(
        self,
        queue: QueueModel,
        header: TriageHeader,
        register: Register,
        now: Callable[[], int],
        deltas: SignalInstance | None = None,
        map_view: QWidget | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("wall")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(self.tr("Guardian Console — wall"))
        self.setStyleSheet(f"#wall{{background:{BG};}} QLabel{{color:{TEXT};}}")
        self.setAutoFillBackground(True)
        self.queue = queue
        self.register = register
        self.now = now
        self.map_view = map_view
        self.refreshes = 0
        self._due = False

        self.header = WallHeader(header, self)

        self.queue_title = QLabel("")
        self.queue_title.setFont(_font(MIN_PX, bold=True))
        self.queue_title.setStyleSheet(f"color:{DIM};")
        self.rows = [_Row(i + 1) for i in range(TOP_ROWS)]
        self.empty = QLabel(self.tr("No open incidents"))
        self.empty.setFont(_font(ROW_PX, bold=True))
        self.empty.setStyleSheet(f"color:{DIM};")
        # The two lists take the height they are given (not the height all their lines ask for),
        # and show as many lines as fit: eight rows on a 1080-line screen, fewer on a 720 one.
        self.left_box = _Box()
        left = QVBoxLayout(self.left_box)
        left.setContentsMargins(0, 0, 0, 0)
        left.setSpacing(ROW_GAP)
        left.addWidget(self.queue_title)
        for row in self.rows:
            left.addWidget(row)
        left.addWidget(self.empty)
        left.addStretch(1)
        self.left_box.resized.connect(self._fit)
        self.row_capacity = TOP_ROWS
        self.town_capacity = TOWNSHIPS

        self.town_title = QLabel(self.tr("Townships, most overdue first"))
        self.town_title.setFont(_font(MIN_PX, bold=True))
        self.town_title.setStyleSheet(f"color:{DIM};")
        self.town_grid = QGridLayout()
        self.town_grid.setHorizontalSpacing(24)
        self.town_grid.setVerticalSpacing(2)
        heads = ("", self.tr("Open"), self.tr("Overdue"))
        self.heads: list[QLabel] = []
        for c, text in enumerate(heads):
            h = QLabel(text)
            self.heads.append(h)
            h.setFont(_font(MIN_PX))
            h.setStyleSheet(f"color:{DIM};")
            h.setAlignment(Qt.AlignmentFlag.AlignRight if c else Qt.AlignmentFlag.AlignLeft)
            self.town_grid.addWidget(h, 0, c)
        self.town_cells: list[tuple[Elided, QLabel, QLabel]] = []
        for r in range(TOWNSHIPS):
            name = Elided(MIN_PX, bold=True)
            n_open, n_late = QLabel(""), QLabel("")
            for lab in (n_open, n_late):
                lab.setFont(_font(MIN_PX, bold=True))
                lab.setAlignment(Qt.AlignmentFlag.AlignRight)
                lab.setMinimumWidth(110)
            self.town_grid.addWidget(name, r + 1, 0)
            self.town_grid.addWidget(n_open, r + 1, 1)
            self.town_grid.addWidget(n_late, r + 1, 2)
            self.town_cells.append((name, n_open, n_late))
        self.town_grid.setColumnStretch(0, 1)
        self.shown_townships: list[tuple[str, int, int]] = []

        self.town_box = _Box()
        towns = QVBoxLayout(self.town_box)
        towns.setContentsMargins(0, 0, 0, 0)
        towns.addWidget(self.town_title)
        towns.addLayout(self.town_grid)
        towns.addStretch(1)
        self.town_box.resized.connect(self._fit)

        right = QVBoxLayout()
        right.setSpacing(8)
        if map_view is not None:
            map_view.setParent(self)
            ready = getattr(map_view, "ready", None)
            if ready is not None:
                ready.connect(self.fit_map)
            map_view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
            right.addWidget(map_view, 3)
        right.addWidget(self.town_box, 2 if map_view is not None else 1)

        body = QHBoxLayout()
        body.setSpacing(20)
        body.addWidget(self.left_box, 11)
        body.addLayout(right, 9)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(24, 16, 24, 16)
        lay.setSpacing(12)
        lay.addWidget(self.header.widget)
        lay.addLayout(body, 1)
        # The wall takes the screen it is given, whatever its contents ask for: a header grown by
        # a "held back" button or a long compliance line made the window's minimum wider than an
        # 800 px screen, and Qt then refused full screen. What does not fit is clipped.
        lay.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        self.setMinimumSize(0, 0)

        for sig in (
            queue.rowsInserted,
            queue.rowsRemoved,
            queue.rowsMoved,
            queue.dataChanged,
            queue.modelReset,
            queue.layoutChanged,
        ):
            sig.connect(self.schedule)
        self._deltas = deltas
        if deltas is not None:
            deltas.connect(self.on_delta)
        for seq in ("Esc", "F11"):
            key = QShortcut(QKeySequence(seq), self)
            key.setContext(Qt.ShortcutContext.WindowShortcut)
            key.activated.connect(self.close)
        self.timer = QTimer(self)
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        self.refresh()

    # --- following the officer's window ------------------------------------------------------

    def schedule(self, *_: Any) -> None:
        """The queue changed: refresh once, when this turn of the event loop is done."""
        if not self._due:
            self._due = True
            QTimer.singleShot(0, self._refresh_due)

    def _refresh_due(self) -> None:
        if self._due:
            self.refresh()

    def _fit(self) -> None:
        """How many queue rows and township lines fit the columns' heights."""
        title = self.queue_title.sizeHint().height() + ROW_GAP
        row = self.rows[0].sizeHint().height() + ROW_GAP
        rows = max(1, min(TOP_ROWS, (self.left_box.height() - title) // row))
        line = self.town_cells[0][1].sizeHint().height() + self.town_grid.verticalSpacing()
        head = self.town_title.sizeHint().height() + line + 8
        towns = max(0, min(TOWNSHIPS, (self.town_box.height() - head) // line))
        if (rows, towns) != (self.row_capacity, self.town_capacity):
            self.row_capacity, self.town_capacity = rows, towns
            self.schedule()

    def fit_map(self) -> None:
        """The whole district in the map pane, without its controls (WALL_MAP_JS)."""
        if self.map_view is not None and getattr(self.map_view, "is_ready", False):
            self.map_view.evaluate(WALL_MAP_JS)  # type: ignore[attr-defined]

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self.fit_map()

    def on_delta(self, d: Any) -> None:
        bands = getattr(d, "bands", None)
        if bands and self.map_view is not None and hasattr(self.map_view, "set_bands"):
            self.map_view.set_bands(bands)

    # --- what is shown -----------------------------------------------------------------------

    def top(self) -> list[int]:
        """The incidents of the rows shown, top first."""
        return [r.incident for r in self.rows if r.incident is not None]

    def townships(self) -> list[tuple[str, int, int]]:
        """(township, open, overdue) of the open incidents in the queue, the worst first: the most
        overdue, then the most open, then by code."""
        now = self.now()
        tally: dict[str, list[int]] = {}
        for inc in self.queue.incidents.values():
            t = tally.setdefault(inc.township, [0, 0])
            t[0] += 1
            t[1] += overdue(inc, now)
        ranked = sorted(tally.items(), key=lambda kv: (-kv[1][1], -kv[1][0], kv[0]))
        return [(code, n, late) for code, (n, late) in ranked]

    def township_name(self, code: str) -> str:
        area = self.register.areas.get(code)
        return area.name if area is not None and area.name else code

    def place_of(self, inc: Incident) -> str:
        hh = self.register.households.get(inc.household)
        if hh is None:
            return self.tr("Unregistered device %1").replace("%1", inc.devices[0] if inc.devices else "?")
        town = self.township_name(inc.township)
        _, sep, rest = hh.address.partition(town)  # the address without its district and township
        return f"{town} · {rest if sep and rest else hh.address}"

    def changeEvent(self, e: QEvent) -> None:
        """A language switch on the officer's window: the wall's own texts follow (the header is
        a TriageHeader and rewords itself)."""
        if e.type() == QEvent.Type.LanguageChange:
            self.setWindowTitle(self.tr("Guardian Console — wall"))
            self.empty.setText(self.tr("No open incidents"))
            self.town_title.setText(self.tr("Townships, most overdue first"))
            for h, text in zip(self.heads, ("", self.tr("Open"), self.tr("Overdue")), strict=True):
                h.setText(text)
            self.refresh()
        super().changeEvent(e)

    def refresh(self) -> None:
        self._due = False
        self.refreshes += 1
        now = self.now()
        self.header.refresh()
        ranked = self.queue.ranked()
        locale = ui_locale()
        for i, row in enumerate(self.rows):
            if i < min(len(ranked), self.row_capacity):
                t = ranked[i]
                inc = self.queue.incidents[t.incident]
                reasons = f"{inc.household} · {reason_words(t.reasons, locale)}"
                row.show_row(inc, t.lane, reasons, self.place_of(inc), now)
            else:
                row.show_row(None, "", "", "", now)
        self.empty.setVisible(not ranked)
        self.queue_title.setText(
            self.tr("Queue, top %1 of %2")
            .replace("%1", str(min(len(ranked), self.row_capacity)))
            .replace("%2", str(len(ranked)))
        )
        towns = self.townships()
        self.shown_townships = towns[: self.town_capacity]
        for r, (name, n_open, n_late) in enumerate(self.town_cells):
            if r < len(self.shown_townships):
                code, n, late = self.shown_townships[r]
                name.set_full(self.township_name(code))
                n_open.setText(str(n))
                n_late.setText(str(late))
                n_late.setStyleSheet(f"color:{LATE if late else TEXT};")
            for w in (name, n_open, n_late):
                w.setVisible(r < len(self.shown_townships))

    # --- opening and closing -----------------------------------------------------------------

    def show_beside(self, officer: QWidget, full_screen: bool = True) -> None:
        """Show on a screen other than ``officer``'s if there is one (without taking the keyboard
        from the officer), else on the officer's screen; full screen unless told otherwise."""
        here = officer.screen()
        other = next((s for s in QGuiApplication.screens() if s is not here), None)
        screen = other or here
        if other is not None:
            self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.setGeometry(screen.geometry())
        if full_screen:
            self.showFullScreen()
        else:
            self.show()
        if other is not None:
            officer.activateWindow()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.timer.stop()
        self._due = False
        if self._deltas is not None:
            self._deltas.disconnect(self.on_delta)
            self._deltas = None
        for sig in (
            self.queue.rowsInserted,
            self.queue.rowsRemoved,
            self.queue.rowsMoved,
            self.queue.dataChanged,
            self.queue.modelReset,
            self.queue.layoutChanged,
        ):
            sig.disconnect(self.schedule)
        self.closed.emit()
        super().closeEvent(event)


class _CloseWith(QObject):
    """Closes the wall when the officer's window closes."""

    def __init__(self, wall: WallWindow, officer: QWidget) -> None:
        super().__init__(wall)
        self.wall = wall
        officer.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Close:
            self.wall.close()
        return False


def twin_map(view: QWidget | None) -> QWidget | None:
    """A second map on the same page as ``view`` (the officer's), or None without one."""
    from console.ui.map.widget import MapView

    if not isinstance(view, MapView):
        return None
    page = view.page_path
    # MapView keeps its page options to itself; read them to build the same page (same directory)
    return MapView(
        out_dir=page.parent.parent if page is not None else None,
        base=view._base,
        xyz_url=view._xyz_url,
        mbtiles=view._mbtiles,
        display_crs=view._display_crs,
        default_band=view._default_band,
    )


def open_wall(window: Any, full_screen: bool = True) -> WallWindow:
    """The wall over a MainWindow's queue, header, deltas and map (a twin), shown beside it."""
    twin = twin_map(getattr(window, "map_view", None))
    wall = WallWindow(
        window.queue,
        window.header,
        window.register,
        window.clock.now_ns,
        deltas=window.sink.delta,
        map_view=twin,
        parent=window,
    )
    _CloseWith(wall, window)
    if twin is not None:
        scope = window.op.scope
        register = window.register
        outlines = getattr(window.map_view, "boundaries", None)  # the window's map's, imported ones

        def load(bands: dict[str, str]) -> None:
            if Shiboken.isValid(twin):  # the wall may have closed before the bands came
                twin.load(register, bands, scope, boundaries=outlines)  # type: ignore[attr-defined]

        window.query(lambda w: w.all_bands(), load)
    wall.show_beside(window, full_screen)
    return wall
