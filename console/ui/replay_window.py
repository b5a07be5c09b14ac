"""The REPLAY window: a past journal, read only, on a simulated clock.

Play / pause at 1×, 10×, 60× or max; a timeline scrubber with a tick per incident start; jump to
an incident's start; step to the next record. It shows the queue, the selected incident's
checklist and timeline, the KPIs and (when given) the map as they were at the scrubbed moment.
Nothing here can send a command: the incident panel is read only and there is no engine.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Final

from PySide6.QtCore import QObject, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.app.replay import SPEEDS, Replay
from console.app.timings import kpis
from console.domain import events as ev
from console.domain.checklist import Template
from console.domain.registry import Register
from console.ui import words
from console.ui.incident_panel import IncidentPanel
from console.ui.queue_model import QueueModel

CST: Final = timezone(timedelta(hours=8))
TICK_MS: Final = 50
MAX_CHUNK: Final = 5_000  # records per tick at max speed: the window stays responsive
MAP_EVERY_S: Final = 1.0
KIND_COLOUR: Final = {"smoke": "#d32f2f", "co": "#6a1b9a", "gas": "#ef6c00", "electric": "#1565c0"}


def clock_text(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, tz=CST).strftime("%Y-%m-%d %H:%M:%S") if ns else "—"


class Timeline(QWidget):
    """A scrubber over record positions with a coloured tick at each incident start."""

    scrubbed = Signal(int)

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("timeline")
        self.setMinimumHeight(34)
        self.setMouseTracking(False)
        self.length = 0
        self.pos_ = 0
        self.markers: list[tuple[int, str]] = []

    def set_data(self, length: int, markers: list[tuple[int, str]]) -> None:
        self.length, self.markers = length, markers
        self.update()

    def set_position(self, pos: int) -> None:
        self.pos_ = pos
        self.update()

    def x_of(self, pos: int) -> float:
        w = max(1, self.width() - 8)
        return 4 + w * (pos / self.length if self.length else 0.0)

    def pos_of(self, x: float) -> int:
        w = max(1, self.width() - 8)
        return max(0, min(self.length, round((x - 4) / w * self.length)))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        p = QPainter(self)
        h = self.height()
        p.fillRect(QRectF(4, h / 2 - 3, max(1, self.width() - 8), 6), QColor("#cfd8dc"))
        for pos, kind in self.markers:
            p.setPen(QPen(QColor(KIND_COLOUR.get(kind, "#455a64")), 1))
            x = self.x_of(pos)
            p.drawLine(QPointF(x, 4), QPointF(x, h - 4))
        p.setPen(QPen(QColor("#000000"), 3))
        x = self.x_of(self.pos_)
        p.drawLine(QPointF(x, 0), QPointF(x, h))
        p.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        self.scrubbed.emit(self.pos_of(event.position().x()))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        if event.buttons() & Qt.MouseButton.LeftButton:
            self.scrubbed.emit(self.pos_of(event.position().x()))


class _Indexer(QObject):
    """Runs the first pass over the journal off the UI thread."""

    progress = Signal(int)
    done = Signal(object)  # None or the error text

    def start(self, replay: Replay) -> None:
        def work() -> None:
            try:
                replay.index(self.progress.emit, every=20_000)
            except Exception as exc:  # noqa: BLE001 - shown to the officer, not swallowed
                self.done.emit(f"{type(exc).__name__}: {exc}")
                return
            self.done.emit(None)

        threading.Thread(target=work, name="replay-index", daemon=True).start()


class ReplayWindow(QMainWindow):
    positionChanged = Signal(int)
    indexed = Signal(int)
    finished = Signal()

    def __init__(
        self,
        replay: Replay,
        register: Register,
        templates: dict[str, Template],
        title: str = "",
        scope: str = "*",
        map_view: Any = None,
        total: int | None = None,
    ) -> None:
        super().__init__()
        self.replay = replay
        self.register = register
        self.scope = scope
        self.map_view = map_view
        self.total = total
        self.speed: float | None = 60.0
        self.playing = False
        self.selected: int | None = None
        self.ready = False
        self._last_real = 0.0
        self._last_map = 0.0
        self.setWindowTitle(
            self.tr("Guardian Console 守护台") + " — " + self.tr("REPLAY") + (f" — {title}" if title else "")
        )

        self.mode_mark = QLabel(self.tr("REPLAY — read only: nothing is sent, nothing is written"))
        self.mode_mark.setObjectName("modeMark")
        self.mode_mark.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.mode_mark.setStyleSheet("background:#1565c0;color:white;font-weight:bold;padding:4px;")

        self.play_btn = QPushButton(self.tr("Play"))
        self.play_btn.setObjectName("play")
        self.play_btn.clicked.connect(self.toggle)
        self.step_btn = QPushButton(self.tr("Next event"))
        self.step_btn.setObjectName("step")
        self.step_btn.clicked.connect(self.step)
        self.speed_box = QComboBox()
        self.speed_box.setObjectName("speed")
        for name in SPEEDS:
            self.speed_box.addItem(name.replace("x", "×"), name)
        self.speed_box.setCurrentIndex(list(SPEEDS).index("60x"))
        self.speed_box.currentIndexChanged.connect(self._speed_changed)
        self.jump_box = QComboBox()
        self.jump_box.setObjectName("jump")
        self.jump_box.setMinimumWidth(260)
        self.jump_box.activated.connect(lambda i: self.jump_to(int(self.jump_box.itemData(i) or 0)))
        self.clock_label = QLabel("—")
        self.clock_label.setObjectName("replayClock")
        self.clock_label.setStyleSheet("font-size:16px;font-weight:bold;")
        self.progress = QProgressBar()
        self.progress.setObjectName("indexProgress")
        self.progress.setFormat(self.tr("reading the journal… %v records"))
        self.progress.setRange(0, total or 0)

        bar = QHBoxLayout()
        for w in (self.play_btn, self.speed_box, self.step_btn, self.jump_box):
            bar.addWidget(w)
        bar.addStretch(1)
        bar.addWidget(self.clock_label)

        self.timeline = Timeline()
        self.timeline.scrubbed.connect(self.seek)

        self.queue = QueueModel(register, replay.clock.now_ns, scope)
        self.table = QTableView()
        self.table.setObjectName("queue")
        self.table.setModel(self.queue)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().hide()
        self.table.clicked.connect(lambda idx: self.select(self.queue.rows[idx.row()].id))

        self.panel = IncidentPanel(register, templates, self._refuse, lambda: ("", ""), read_only=True)
        self.kpi = QLabel("")
        self.kpi.setObjectName("kpis")
        self.kpi.setWordWrap(True)

        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(self.table)
        if map_view is not None:
            left.addWidget(map_view)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(self.panel)
        split.setSizes([760, 600])

        central = QWidget()
        lay = QVBoxLayout(central)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.mode_mark)
        lay.addLayout(bar)
        lay.addWidget(self.timeline)
        lay.addWidget(self.progress)
        lay.addWidget(self.kpi)
        lay.addWidget(split, 1)
        self.setCentralWidget(central)
        self._set_enabled(False)

        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self.resize(1366, 768)

    # --- loading -----------------------------------------------------------------------------

    def start(self) -> None:
        """Read the journal (in a worker thread); the window is usable once ``indexed`` fires."""
        if self.replay.indexed:
            self._indexed(None)
            return
        self._indexer = _Indexer()
        self._indexer.progress.connect(self.progress.setValue)
        self._indexer.done.connect(self._indexed)
        self._indexer.start(self.replay)

    def _indexed(self, error: object) -> None:
        if error is not None:
            self.progress.setFormat(self.tr("cannot read the journal: %1").replace("%1", str(error)))
            return
        r = self.replay
        self.progress.hide()
        self.timeline.set_data(r.length, [(m.pos, m.kind) for m in r.markers])
        self.jump_box.clear()
        for m in r.markers:
            self.jump_box.addItem(
                f"#{m.incident} {clock_text(m.at)[11:]} {words.kind(m.kind)} {m.household}", m.incident
            )
        problems = sum(r.problem_counts.values())
        if problems:
            self.statusBar().showMessage(
                self.tr("%n journal record(s) could not be replayed and were skipped", "", problems)
            )
        self.ready = True
        self._set_enabled(True)
        self.seek(0)
        self.indexed.emit(r.length)

    def _set_enabled(self, on: bool) -> None:
        for w in (self.play_btn, self.step_btn, self.speed_box, self.jump_box, self.timeline):
            w.setEnabled(on)

    # --- transport ---------------------------------------------------------------------------

    def _speed_changed(self, i: int) -> None:
        self.speed = SPEEDS[str(self.speed_box.itemData(i))]

    def set_speed(self, name: str) -> None:
        self.speed_box.setCurrentIndex(list(SPEEDS).index(name))

    def toggle(self) -> None:
        if self.playing:
            self.pause()
        else:
            self.play()

    def play(self) -> None:
        if not self.ready or self.replay.pos >= self.replay.length:
            return
        self.playing = True
        self.play_btn.setText(self.tr("Pause"))
        self._last_real = time.monotonic()
        self.timer.start()

    def pause(self) -> None:
        self.playing = False
        self.play_btn.setText(self.tr("Play"))
        self.timer.stop()
        self.refresh(full=True)

    def _tick(self) -> None:
        now = time.monotonic()
        real, self._last_real = now - self._last_real, now
        self.replay.advance(real, self.speed, MAX_CHUNK)
        self.refresh()
        if self.replay.pos >= self.replay.length:
            self.pause()
            self.finished.emit()

    def seek(self, pos: int) -> None:
        if not self.ready:
            return
        self.replay.seek(pos)
        self.refresh(full=True)

    def seek_time(self, t_ns: int) -> None:
        if self.ready:
            self.replay.seek_time(t_ns)
            self.refresh(full=True)

    def step(self) -> None:
        if self.ready and self.replay.pos < self.replay.length:
            self.replay.step()
            self.refresh(full=True)

    def jump_to(self, incident: int) -> None:
        """To the moment the incident's first alarm was received, with it selected."""
        m = self.replay.marker(incident)
        if m is None:
            return
        self.selected = incident
        self.seek(m.pos)

    # --- showing -----------------------------------------------------------------------------

    def _refuse(self, event: ev.AnyEvent) -> None:
        self.statusBar().showMessage(self.tr("REPLAY — read only: nothing is sent"), 4000)

    def select(self, incident: int | None) -> None:
        self.selected = incident
        w = self.replay.world
        self.panel.show_incident(w.incidents.get(incident) if incident is not None else None)
        row = self.queue.row_of(incident) if incident is not None else -1
        if row >= 0:
            self.table.selectRow(row)

    def refresh(self, full: bool = False) -> None:
        """Show the world as it is at the replay position."""
        r = self.replay
        w = r.world
        if w.register is not self.register:
            # the register in force at this position (a RegisterChanged before or after it)
            self.register = self.queue.register = self.panel.register = w.register
            if self.map_view is not None and hasattr(self.map_view, "load"):
                self.map_view.load(
                    w.register,
                    w.all_bands(),
                    self.scope,
                    boundaries=getattr(self.map_view, "boundaries", None),
                )
        self.queue.incidents = {i.id: i for i in w.open_incidents() if self.queue.visible(i)}
        self.queue.resort()
        self.select(self.selected)
        self.timeline.set_position(r.pos)
        self.clock_label.setText(f"{clock_text(r.clock.now_ns())}  ·  {r.pos}/{r.length}")
        k = kpis(w, self.scope)
        self.kpi.setText(
            self.tr(
                "open %1 · incidents %2 · 1′ met %3% · 5′ met %4% · 30′ met %5% · tickets %6 · offline %7"
            )
            .replace("%1", str(k["open"]))
            .replace("%2", str(k["incidents"]))
            .replace("%3", str(k["met_1_pct"] if k["met_1_pct"] is not None else "—"))
            .replace("%4", str(k["met_5_pct"] if k["met_5_pct"] is not None else "—"))
            .replace("%5", str(k["met_30_pct"] if k["met_30_pct"] is not None else "—"))
            .replace("%6", str(k["open_tickets"]))
            .replace("%7", str(k["offline_devices"]))
        )
        now = time.monotonic()
        if self.map_view is not None and hasattr(self.map_view, "set_bands"):
            if full or now - self._last_map >= MAP_EVERY_S:
                self._last_map = now
                self.map_view.set_bands(w.all_bands())
        self.positionChanged.emit(r.pos)

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt API
        self.timer.stop()
        super().closeEvent(event)
