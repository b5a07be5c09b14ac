"""The officer's main window: banner, 1-5-30 header, alarm queue, maintenance tickets, incident
view, map.

One selection: the highlighted queue row is the incident the panel shows and every action key
and button applies to (the panel follows the table's selection, ↑/↓ included). The queue is
ranked by triage (console/ui/queue_model.py) and updated in place, so the selection and the
scroll position survive deltas and the 1 s tick. The incident being worked is pinned to its row:
pinned from the moment an action on it starts (an action key or button, a checklist step, the
escalation menu, the household file), released when another incident is selected, when it
leaves the queue, or by Ctrl+R. Header clicks sort for browsing; Ctrl+R (or the "Ranked" button)
goes back to the ranked order. N takes the next incident (the top of the new lane); K
acknowledges the missed deadlines shown in the header's banner (one journaled AckMiss each, so the
banner and the sound follow the incidents on every console and after a restart). Rows may be
selected together (Shift/Ctrl+click) for a bulk close (Ctrl+B, console/ui/bulk_dialog.py); single
actions still apply to the current row only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QActionGroup, QKeySequence, QPainter, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QPushButton,
    QSplitter,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from console.app.delta import Delta, Status, copy_struct
from console.app.engine import Engine
from console.app.kpi_defs import cst_day_start
from console.domain import events as ev
from console.domain.checklist import Template
from console.domain.incident import Incident
from console.domain.supervision import Ticket
from console.domain.triage import TriageWeights, take_next
from console.domain.world import World
from console.ui import words
from console.ui.household_view import HouseholdFile
from console.ui.incident_panel import IncidentPanel
from console.ui.operator import Operator
from console.ui.personal import RevealLog
from console.ui.qtsink import QtSink
from console.ui.queue_model import SORT_ROLE, QueueModel
from console.ui.sound import AlertSound
from console.ui.status_view import StatusView
from console.ui.ticket_table import TicketTable
from console.ui.triage_header import STORM_MORE_THAN, STORM_WINDOW_S, TriageHeader


class ElideLeft(QStyledItemDelegate):
    """Cut a long text at its start (…3栋2单元7-5), not at its end."""

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.textElideMode = Qt.TextElideMode.ElideLeft
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)


class _Results(QObject):
    """Engine query results back on the UI thread."""

    ready = Signal(object, object)


class MainWindow(QMainWindow):
    def __init__(
        self,
        engine: Engine,
        sink: QtSink,
        templates: dict[str, Template],
        operator: Operator,
        console_id: str,
        mode: str = "live",  # live | training | replay
        map_view: QWidget | None = None,
        check_login: Callable[[str, str], Any] | None = None,
        save_locale: Callable[[str], None] | None = None,
        kpi_compute: Callable[[], Any] | None = None,
        run_import: Callable[..., Any] | None = None,
        run_boundaries: Callable[..., Any] | None = None,
        triage: TriageWeights | None = None,
        backup_status: Callable[[], tuple[Any, bool]] | None = None,
        manage_operators: Callable[[Any], Any] | None = None,  # opens the operators screen (admins)
        make_report: Callable[..., Any] | None = None,  # console/ui/report_menu.py MakeReport
        open_file: Callable[[Any], Any] | None = None,  # opens a written report (QDesktopServices)
        make_replay: Callable[[], Any] | None = None,  # a Replay of this console's journal
    ) -> None:
        super().__init__()
        self.engine = engine
        self.register = engine.world.register
        self.templates = templates
        self.op = operator
        self.console_id = console_id
        self.mode = mode
        self.clock = engine.clock
        self.status: Status | None = None
        self.refusals_shown = 0
        self.shift_start = self.clock.now_ns()  # this officer took the console (the shift report's start)
        self.make_report = make_report
        self.open_file = open_file
        self.make_replay = make_replay
        self.replay_window: Any = None
        self.incident_search: Any = None
        self.house_file: HouseholdFile | None = None
        self._results = _Results()
        self._results.ready.connect(lambda cb, value: cb(value))

        self.status_view = StatusView(mode, self, backup_status=backup_status)
        self.banner = self.status_view.banner
        self.mode_mark = QLabel()
        self.mode_mark.setObjectName("modeMark")
        self.mode_mark.setStyleSheet("background:#1565c0;color:white;font-weight:bold;padding:4px;")
        self.mode_mark.setVisible(mode != "live")

        self.queue = QueueModel(self.register, self.clock.now_ns, operator.scope, triage)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.queue)
        self.proxy.setSortRole(SORT_ROLE)
        self.proxy.setDynamicSortFilter(True)
        self.table = QTableView()
        self.table.setObjectName("queue")
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        # several rows for a bulk close (Ctrl+B); single actions apply to the current row only
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        # fixed starting widths: resize-to-contents would read every row on each update of a storm
        widths = {"lane": 80, "score": 50, "countdown": 80, "kind": 70, "state": 70, "code": 150}
        widths |= {"address": 240, "reasons": 240, "responder": 150}
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for col, width in widths.items():
            header.resizeSection(QueueModel.COLUMNS.index(col), width)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # unsorted: the ranked order
        self.table.setSortingEnabled(True)
        header.sortIndicatorChanged.connect(lambda *_: self._sorted_changed())
        self.table.verticalHeader().hide()
        # an address cut to fit keeps its end (building, unit, room), the part that tells homes apart
        self.address_delegate = ElideLeft(self.table)
        self.table.setItemDelegateForColumn(QueueModel.COLUMNS.index("address"), self.address_delegate)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._follow_selection())
        self.selected: int | None = None

        self.take_next_button = QPushButton()
        self.take_next_button.setObjectName("btn_take_next")
        self.take_next_button.clicked.connect(self.take_next)
        self.ranked_button = QPushButton()
        self.ranked_button.setObjectName("btn_ranked")
        self.ranked_button.clicked.connect(self.show_ranked)
        self.ranked_button.setEnabled(False)
        queue_bar = QHBoxLayout()
        queue_bar.setContentsMargins(0, 0, 0, 0)
        queue_bar.addWidget(self.take_next_button)
        queue_bar.addWidget(self.ranked_button)
        self.bulk_button = QPushButton()
        self.bulk_button.setObjectName("btn_bulk")
        self.bulk_button.clicked.connect(self.open_bulk)
        self.bulk_button.setVisible(mode != "replay")
        self.bulk_dialog: Any = None
        queue_bar.addWidget(self.bulk_button)
        queue_bar.addStretch(1)
        queue_page = QWidget()
        queue_lay = QVBoxLayout(queue_page)
        queue_lay.setContentsMargins(0, 0, 0, 0)
        queue_lay.addLayout(queue_bar)
        self.queue_empty = QLabel()  # what will appear in the queue, while it is empty
        self.queue_empty.setObjectName("queueEmpty")
        self.queue_empty.setWordWrap(True)
        self.queue_empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.queue_empty.setStyleSheet("color:#607d8b;padding:12px")
        queue_lay.addWidget(self.queue_empty)
        queue_lay.addWidget(self.table, 1)

        rules = getattr(self.queue.weights, "storm", None)
        self.header = TriageHeader(
            self.clock.now_ns,
            storm_rules=(rules.window_s, rules.more_than)
            if rules is not None
            else (STORM_WINDOW_S, STORM_MORE_THAN),
        )
        self.header.missesAcknowledged.connect(self._misses_acknowledged)
        if mode != "replay":
            self.header.send_ack = self.send_ack_misses  # journaled: the incidents hold the acknowledgement

        self.ticket_table = TicketTable(
            operator.scope,
            send=self.send,
            who=lambda: (self.op.id, self.console_id),
            now=self.clock.now_ns,
            read_only=(mode == "replay"),
        )
        self.ticket_table.refused.connect(lambda text: self.statusBar().showMessage(text, 8000))

        left = QTabWidget()
        left.setObjectName("leftTabs")
        left.addTab(queue_page, "")
        left.addTab(self.ticket_table.page(), "")
        self.left_tabs = left
        self.kpi_compute = kpi_compute
        self.kpi_panel: Any = None
        if kpi_compute is not None:
            from console.ui.kpi_panel import KpiPanel

            self.kpi_panel = KpiPanel()
            left.addTab(self.kpi_panel, "")
            left.currentChanged.connect(lambda i: i == 2 and self.refresh_kpis())
        self.run_import = run_import
        self.run_boundaries = run_boundaries
        self.manage_operators = manage_operators
        self.operators_screen: Any = None
        self.idle_lock: Any = None  # console/ui/idle_lock.py, installed by the wiring

        self.panel = IncidentPanel(
            self.register,
            templates,
            self.send,
            lambda: (self.op.id, self.console_id),
            read_only=(mode == "replay"),
            now=self.clock.now_ns,
        )
        # the reveals this console sent that the World took (console/ui/personal.py)
        self.reveals = RevealLog(
            self.send, self.query, lambda: (self.op.id, self.console_id), self.clock.now_ns, self
        )
        self.panel.reveals = self.reveals
        self.reveals.changed.connect(lambda: self.panel.show_incident(self.panel.incident))
        self.panel.householdRequested.connect(self.open_household)
        self.panel.actionStarted.connect(self._working)

        left_split = QSplitter(Qt.Orientation.Vertical)
        left_split.addWidget(left)
        self.map_view = map_view
        if map_view is not None:
            left_split.addWidget(map_view)
            map_view.setMinimumHeight(220)
            left_split.setStretchFactor(0, 2)
            left_split.setStretchFactor(1, 3)
            left_split.setSizes([300, 420])
            clicked = getattr(map_view, "householdClicked", None)
            if clicked is not None:
                clicked.connect(self.open_household)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left_split)
        split.addWidget(self.panel)
        split.setStretchFactor(0, 5)
        split.setStretchFactor(1, 4)
        split.setSizes([760, 600])

        central = QWidget()
        lay = QVBoxLayout(central)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.mode_mark)
        lay.addWidget(self.banner)
        lay.addWidget(self.status_view.backup_banner)
        lay.addWidget(self.header)
        lay.addWidget(split, 1)
        self.setCentralWidget(central)
        self.counters = self.status_view.counters
        self.statusBar().addPermanentWidget(self.counters)

        self.sound = AlertSound(self)
        self._shortcuts()
        self.sink = sink  # the wall screen follows the same deltas
        self.wall: Any = None  # the wall screen while it is open (console/ui/wall.py)
        sink.delta.connect(self.on_delta)
        self.timer = QTimer(self)
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self.on_second)
        self.timer.start()
        self.check_login = check_login
        self.save_locale = save_locale
        self.no_register = QLabel()
        self.no_register.setObjectName("noRegister")
        self.no_register.setStyleSheet("color:#e65100;font-weight:bold")
        self.statusBar().addWidget(self.no_register)
        self.no_register.setVisible(len(self.register) == 0)
        self._menus()
        self.retranslate()
        self.resize(1366, 768)
        self._load_open()

    # --- keyboard ----------------------------------------------------------------------------

    def _menus(self) -> None:
        bar = self.menuBar()
        self.duty_menu = duty = bar.addMenu("")
        self.handover_action = act = duty.addAction("", self.handover)
        act.setEnabled(self.mode != "replay" and self.check_login is not None)
        self.reassign_action = duty.addAction("", self.reassign)
        self.escalated_only = duty.addAction("")
        self.escalated_only.setCheckable(True)
        self.escalated_only.toggled.connect(self.set_escalated_only)
        self.register_menu = reg = bar.addMenu("")
        self.import_action = imp = reg.addAction("", self.open_import)
        imp.setEnabled(self.run_import is not None and self.mode == "live")
        self.operators_action = reg.addAction("", self.open_operators)
        self.operators_action.setObjectName("act_operators")
        self.operators_action.setVisible(self.manage_operators is not None and self.op.role == "admin")
        from console.ui.report_menu import ReportMenu

        self.reports = ReportMenu(
            self,
            self.make_report if self.mode != "replay" else None,
            lambda: self.shift_start,
            self.clock.now_ns,
            opener=self.open_file,
        )
        bar.addMenu(self.reports.menu)
        self.find_action = duty.addAction("", self.find_incident)
        self.find_action.setObjectName("act_find_incident")
        self.find_action.setShortcut(QKeySequence("Ctrl+F"))
        self.find_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.find_action.setEnabled(self.make_replay is not None)
        self.replay_action = duty.addAction("", self.replay_highlighted)
        self.replay_action.setObjectName("act_replay_incident")
        self.replay_action.setShortcut(QKeySequence("P"))
        self.replay_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.replay_action.setEnabled(self.make_replay is not None)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._queue_menu)
        self.view_menu = view = bar.addMenu("")
        self.wall_action = view.addAction("", self.toggle_wall)
        self.wall_action.setObjectName("act_wall")
        self.wall_action.setShortcut(QKeySequence("F11"))
        self.wall_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.language_menu = lang = bar.addMenu("")
        group = QActionGroup(self)
        group.setExclusive(True)
        self.language_actions: dict[str, QAction] = {}
        for code, name in (("zh_CN", "中文"), ("en", "English")):  # each in its own language
            a = lang.addAction(name, lambda c=code: self.choose_locale(c))
            a.setCheckable(True)
            a.setObjectName(f"act_lang_{code}")
            group.addAction(a)
            self.language_actions[code] = a
        self._check_language()

    def _check_language(self) -> None:
        """The language menu marks the language the window shows."""
        current = "zh_CN" if words.is_chinese() else "en"
        for code, a in self.language_actions.items():
            a.setChecked(code == current)

    def retranslate(self) -> None:
        """Every text the window set itself, in the current language (at start and at a switch)."""
        title = self.tr("Guardian Console")
        if self.mode == "training":
            title += " — " + self.tr("TRAINING")
        elif self.mode == "replay":
            title += " — " + self.tr("REPLAY")
        self.setWindowTitle(f"{title} — {self.op.name or self.op.id}")
        self.mode_mark.setText(
            self.tr("TRAINING — no real SMS or calls")
            if self.mode == "training"
            else self.tr("REPLAY — read only")
            if self.mode == "replay"
            else ""
        )
        self.table.setToolTip(
            self.tr(
                "Ranked: new alarms on top, then in progress, then the rest; by triage score. "
                "↑/↓ select, N takes the next new alarm, Ctrl+R back to ranked after sorting by a column."
            )
        )
        self.take_next_button.setText(self.tr("Take next (N)"))
        self.take_next_button.setToolTip(
            self.tr("Select the top of the new lane: the incident to take next (N)")
        )
        self.ranked_button.setText(self.tr("Ranked (Ctrl+R)"))
        self.ranked_button.setToolTip(self.tr("Back to the ranked order after sorting by a column (Ctrl+R)"))
        self.bulk_button.setText(self.tr("Close restored… (Ctrl+B)"))
        self.bulk_button.setToolTip(
            self.tr("Close restored false alarms together: the selected rows, or all of a kind in a township")
        )
        self.left_tabs.setTabText(0, self.tr("Alarm queue"))
        self.queue_empty.setText(
            self.tr(
                "No open alarm. New alarms appear here as they come in, the one to take next on top (N selects it)."
            )
        )
        self._ticket_tab_text()
        if self.kpi_panel is not None:
            self.left_tabs.setTabText(2, self.tr("KPIs"))
        self.no_register.setText(
            self.tr(
                "No household register yet: alarms still become incidents (unregistered device). Import it: Register → Import."
            )
        )
        self.duty_menu.setTitle(self.tr("&Duty"))
        self.handover_action.setText(self.tr("Shift handover…"))
        self.reassign_action.setText(self.tr("Reassign incident…"))
        self.escalated_only.setText(self.tr("Escalation list only"))
        self.register_menu.setTitle(self.tr("&Register"))
        self.import_action.setText(self.tr("Import household register…"))
        self.operators_action.setText(self.tr("Operators…"))
        self.view_menu.setTitle(self.tr("&View"))
        self.wall_action.setText(self.tr("Wall mode"))
        self.wall_action.setToolTip(
            self.tr(
                "The wall screen: counters, top of the queue, map and townships, full screen on the second monitor (F11; Esc closes it)"
            )
        )
        self.language_menu.setTitle(self.tr("&Language"))
        self.reports.retranslate()
        self.find_action.setText(self.tr("Find an incident to replay… (Ctrl+F)"))
        self.replay_action.setText(self.tr("Replay the selected incident (P)"))
        self._check_language()

    def changeEvent(self, e: QEvent) -> None:
        if e.type() == QEvent.Type.LanguageChange and hasattr(self, "language_actions"):
            self.retranslate()
            self.queue.words_changed()
            self.update_banner()
        super().changeEvent(e)

    def toggle_wall(self) -> None:
        """F11: open the wall screen (console/ui/wall.py) on the second monitor if there is one, or
        close it. It reads this window's queue and header and never touches the selection."""
        from console.ui.wall import open_wall

        if self.wall is not None:
            self.wall.close()
            return
        self.wall = open_wall(self)
        self.wall.closed.connect(self._wall_closed)

    def _wall_closed(self) -> None:
        self.wall = None

    def refresh_kpis(self) -> None:
        if self.kpi_panel is not None and self.kpi_compute is not None:
            self.kpi_panel.refresh(self.kpi_compute)

    def open_operators(self) -> None:
        """The operators screen, for an administrator only (the role is checked again here: a
        shift handover may have seated someone else)."""
        if self.manage_operators is None or self.op.role != "admin":
            return
        self.operators_screen = self.manage_operators(self)

    def open_import(self) -> None:
        from console.ui.import_wizard import ImportWizard

        if self.run_import is None:
            return
        self.import_wizard = ImportWizard(self.run_import, self, run_boundaries=self.run_boundaries)
        self.import_wizard.finishedBoundaries.connect(self._new_boundaries)
        self.import_wizard.show()

    def _new_boundaries(self, result: Any) -> None:
        """The township outlines just imported in the wizard: the map is drawn again with them
        (with the register in force then: an import that also changed the register redraws the
        map when the engine puts it in force, with these outlines kept)."""
        view = self.map_view
        geojson = getattr(result, "geojson", None)
        if view is None or geojson is None or not hasattr(view, "load"):
            return
        view.boundaries = geojson
        self.query(
            lambda w: w.all_bands(),
            lambda bands: view.load(self.register, bands, self.op.scope, boundaries=geojson),
        )

    def choose_locale(self, locale: str) -> None:

        from console.ui.app import install_translations

        app = QApplication.instance()
        if isinstance(app, QApplication):
            install_translations(app, locale)
        if self.save_locale is not None:
            self.save_locale(locale)
        self.statusBar().showMessage(self.tr("Language changed and saved."), 8000)

    def set_escalated_only(self, on: bool) -> None:
        self.queue.set_escalated_only(on)
        self._follow_selection()

    def handover(self) -> None:
        from console.ui.handover import HandoverDialog

        if self.check_login is None:
            return
        dlg = HandoverDialog(list(self.queue.rows), self.check_login, self, now=self.clock.now_ns)
        self.handover_dialog = dlg
        dlg.finished.connect(lambda _r: setattr(self, "handover_open", None))
        self.handover_open: Any = dlg

        def accepted() -> None:
            new = dlg.incoming
            open_ids = tuple(i.id for i in self.queue.rows)
            self.send(
                ev.Handover(
                    at=0,
                    console=self.console_id,
                    from_operator=self.op.id,
                    to_operator=new.id,
                    open_incidents=open_ids,
                    note=dlg.note.text(),
                )
            )
            self.send(ev.Logout(at=0, operator=self.op.id, console=self.console_id))
            self.send(
                ev.Login(at=0, operator=new.id, console=self.console_id, role=new.role, scope=new.scope)
            )
            self.op = Operator(new.id, new.role, new.scope, getattr(new, "name", ""))
            self.shift_start = self.clock.now_ns()  # the new officer's shift starts now
            self.operators_action.setVisible(self.manage_operators is not None and new.role == "admin")
            self.queue.scope = new.scope
            self.queue.incidents = {k: v for k, v in self.queue.incidents.items() if self.queue.visible(v)}
            self.queue.resort()
            self.header.incidents = {
                k: v for k, v in self.header.incidents.items() if new.scope == "*" or v.township == new.scope
            }
            self._follow_selection()
            self.setWindowTitle(self.windowTitle().rsplit(" — ", 1)[0] + f" — {self.op.name or self.op.id}")
            self.handover_done = self.tr(
                "Shift handed over to %1: %n open incident(s), recorded in the journal.", "", len(open_ids)
            ).replace("%1", new.name or new.id)
            self.statusBar().showMessage(self.handover_done, 30000)

        dlg.accepted.connect(accepted)
        dlg.open()

    def reassign(self) -> None:
        from PySide6.QtWidgets import QInputDialog

        inc = self.panel.incident
        if inc is None:
            return
        who, ok = QInputDialog.getText(self, self.tr("Reassign incident"), self.tr("Operator id"))
        if ok and who.strip():
            self.send(
                ev.Reassign(
                    at=0,
                    operator=self.op.id,
                    console=self.console_id,
                    incident=inc.id,
                    assignee=who.strip(),
                    expect_version=inc.version,
                )
            )

    def _shortcuts(self) -> None:
        def key(seq: str, fn: Callable[[], Any]) -> None:
            s = QShortcut(QKeySequence(seq), self)
            s.setContext(Qt.ShortcutContext.WindowShortcut)
            s.activated.connect(fn)

        key("N", self.take_next)
        key("Ctrl+R", self.show_ranked)
        key("K", self.header.acknowledge_misses)
        key("Ctrl+B", self.open_bulk)
        key("A", lambda: self._act(lambda: self.panel.do_action("acknowledge")))
        key("D", lambda: self._act(lambda: self.panel.do_action("dispatch")))
        key("O", lambda: self._act(lambda: self.panel.do_action("on_site")))
        key("R", lambda: self._act(lambda: self.panel.do_action("resolve")))
        key("C", lambda: self._act(lambda: self.panel.do_action("close")))
        key("I", lambda: self._act(lambda: self.panel.do_key("I")))
        key("V", lambda: self._act(lambda: self.panel.do_key("V")))
        key("1", lambda: self._act(lambda: self.panel.do_key("1")))
        key("E", lambda: self._act(self.panel.escalate_menu))
        key("H", lambda: self._act(self.panel.open_household))
        key("M", lambda: self.left_tabs.setCurrentIndex(1 - self.left_tabs.currentIndex()))

    # --- commands ----------------------------------------------------------------------------

    def send(self, event: ev.AnyEvent) -> None:
        if self.mode == "replay":
            return
        self.engine.submit_command(event)

    def send_ack_misses(self, misses: list[tuple[int, int]]) -> None:
        """K: one AckMiss per (incident, mark) shown in the header's banner."""
        for incident, mark in misses:
            self.send(
                ev.AckMiss(at=0, operator=self.op.id, console=self.console_id, incident=incident, mark=mark)
            )

    def selected_ids(self) -> list[int]:
        """The incidents of every selected row (a bulk close's list), in view order."""
        rows = sorted(self.table.selectionModel().selectedRows(), key=lambda i: i.row())
        return [r.data(Qt.ItemDataRole.UserRole) for r in rows]

    def open_bulk(self) -> None:
        """Ctrl+B: the bulk close dialog, pre-filled with the selected rows (two or more) or the
        restored alarms of the highlighted row's kind and township."""
        from console.ui.bulk_dialog import BulkCloseDialog

        if self.mode == "replay":
            return
        if self.bulk_dialog is not None:
            self.bulk_dialog.close()
        dlg = BulkCloseDialog(
            self.register,
            self.templates,
            self.queue.incidents,
            self.selected_ids(),
            self.send,
            lambda: (self.op.id, self.console_id),
            scope=self.op.scope,
            parent=self,
        )
        cur = self.queue.incidents.get(self.highlighted() or -1)
        if cur is not None and len(self.selected_ids()) < 2:
            dlg.choose(township=cur.township, kind=cur.kind)
            dlg.refresh()
        self.bulk_dialog = dlg
        dlg.show()

    # --- replay from the window ----------------------------------------------------------------

    def _queue_menu(self, pos: Any) -> None:
        """The queue's context menu: replay the incident under the mouse from its start."""
        from PySide6.QtWidgets import QMenu

        idx = self.table.indexAt(pos)
        if not idx.isValid() or self.make_replay is None:
            return
        iid = idx.siblingAtColumn(0).data(Qt.ItemDataRole.UserRole)
        menu = QMenu(self.table)
        menu.setObjectName("queueMenu")
        menu.addAction(self.tr("Replay from its start"), lambda: self.open_replay(iid))
        menu.addAction(self.tr("Find an incident to replay…"), self.find_incident)
        self.queue_menu = menu
        menu.popup(self.table.viewport().mapToGlobal(pos))

    def replay_highlighted(self) -> None:
        """P: the highlighted incident in the replay window, at its opening."""
        iid = self.highlighted()
        if iid is None:
            self.statusBar().showMessage(self.tr("Select an incident first, or find one (Ctrl+F)"), 5000)
            return
        self.open_replay(iid)

    def find_incident(self) -> None:
        """Ctrl+F: find a past incident (the queue shows open ones only) and replay it."""
        from datetime import datetime, timedelta, timezone

        from PySide6.QtCore import QDate

        from console.ui.incident_search import IncidentSearch

        if self.make_replay is None:
            return
        if self.incident_search is not None:
            self.incident_search.raise_()
            self.incident_search.activateWindow()
            return
        d = datetime.fromtimestamp(self.clock.now_ns() / 1e9, tz=timezone(timedelta(hours=8)))
        dlg = IncidentSearch(self.query, self.register, self.op.scope, QDate(d.year, d.month, d.day), self)
        dlg.replayRequested.connect(self.open_replay)
        dlg.finished.connect(lambda _r: setattr(self, "incident_search", None))
        self.incident_search = dlg
        dlg.show()

    def open_replay(self, incident: int) -> None:
        """The replay window (read only) over this console's journal, at ``incident``'s opening
        with it selected; the window is reused while open when it knows the incident."""
        from console.ui.replay_window import ReplayWindow

        if self.make_replay is None:
            return
        win = self.replay_window
        if win is not None and win.isVisible() and win.ready and win.replay.marker(incident) is not None:
            win.jump_to(incident)
            win.raise_()
            win.activateWindow()
            return
        if win is not None:
            win.close()
        try:
            replay = self.make_replay()
        except Exception as exc:  # noqa: BLE001 - said to the officer, never a crash
            self.statusBar().showMessage(
                self.tr("The replay cannot be opened: %1").replace("%1", str(exc)), 15000
            )
            return
        win = ReplayWindow(
            replay,
            self.register,
            self.templates,
            self.tr("incident #%1").replace("%1", str(incident)),
            scope=self.op.scope,
        )
        win.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)

        def at_incident(_length: int) -> None:
            if win.replay.marker(incident) is None:
                win.statusBar().showMessage(
                    self.tr("Incident #%1 is not in the journal.").replace("%1", str(incident)), 15000
                )
                return
            win.jump_to(incident)

        win.indexed.connect(at_incident)
        self.replay_window = win
        win.show()
        win.start()

    # --- the one selection ---------------------------------------------------------------------

    def view_index(self, incident_id: int) -> QModelIndex:
        """The table's index (column 0) of an incident's row, invalid when it is not shown."""
        r = self.queue.row_of(incident_id)
        if r < 0:
            return QModelIndex()
        return self.proxy.mapFromSource(self.queue.index(r, 0))

    def highlighted(self) -> int | None:
        """The incident of the highlighted row (the one actions apply to), or None."""
        sm = self.table.selectionModel()
        cur = sm.currentIndex()
        if cur.isValid() and sm.isRowSelected(cur.row(), cur.parent()):
            return cur.data(Qt.ItemDataRole.UserRole)  # of several selected rows, the current one
        rows = sm.selectedRows()
        return rows[0].data(Qt.ItemDataRole.UserRole) if rows else None

    def select(self, incident_id: int | None) -> None:
        """Highlight ``incident_id``'s row (the panel follows); None clears the selection."""
        sm = self.table.selectionModel()
        idx = self.view_index(incident_id) if incident_id is not None else QModelIndex()
        if not idx.isValid():
            sm.clearSelection()
            sm.clearCurrentIndex()
            self._show(incident_id)
            return
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        sm.setCurrentIndex(idx, flags)
        self.table.scrollTo(idx)
        self._follow_selection()

    def _follow_selection(self) -> None:
        """Make the panel show what is highlighted (after a click, ↑/↓, a row leaving ...)."""
        iid = self.highlighted()
        if iid is None and self.table.selectionModel().currentIndex().isValid():
            self.table.selectionModel().clearCurrentIndex()  # no focus mark on an unselected row
        if iid != self.selected or (iid is not None and self.panel.incident is None):
            self._show(iid)

    def _show(self, incident_id: int | None) -> None:
        if self.queue.pinned is not None and self.queue.pinned != incident_id:
            self.queue.unpin()
        self.selected = incident_id
        inc = self.queue.incidents.get(incident_id) if incident_id is not None else None
        self.panel.show_incident(inc)
        if inc is not None and self.map_view is not None and hasattr(self.map_view, "center_on"):
            self.map_view.center_on(inc.household)
            hh = self.register.households.get(inc.household)
            if hh is not None and hasattr(self.map_view, "show_responders"):
                from console.domain.field import responders
                from console.domain.geo import to_wgs84

                def wgs(c: Any) -> tuple[float, float]:
                    return to_wgs84(c.lat, c.lon, hh.crs)

                self.map_view.show_responders(
                    hh.code,
                    [
                        {
                            "name": c.name,
                            "role": words.role(c.role),
                            "phone": self.reveals.phone(hh.code, c.id, c.phone),
                            "lat": wgs(c)[0],
                            "lon": wgs(c)[1],
                            "distance_m": round(d) if d is not None else None,
                        }
                        for c, d in responders(hh)
                        if c.lat is not None and c.lon is not None
                    ],
                )

    def _act(self, action: Callable[[], Any]) -> None:
        """An action key: on the highlighted incident only, which it pins."""
        iid = self.highlighted()
        if iid is None:
            self.statusBar().showMessage(self.tr("Select an incident first (N takes the next one)"), 5000)
            return
        if self.panel.incident is None or self.panel.incident.id != iid:
            self._show(iid)
        action()

    def _working(self, incident_id: int) -> None:
        """The panel started an action on ``incident_id``: pin it while the officer works it."""
        if incident_id == self.highlighted() and self.queue.pinned != incident_id:
            self.queue.pin(incident_id)

    def take_next(self) -> None:
        """N: select the incident to take next, the top of the new lane."""
        row = take_next(self.queue.ranked())
        if row is None:
            self.statusBar().showMessage(self.tr("No new alarm waiting"), 5000)
            return
        self.select(row.incident)

    def show_ranked(self) -> None:
        """Ctrl+R: back to the ranked order (no column sort, no pin), the selection kept in view."""
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        self.queue.unpin()
        self._sorted_changed()
        if self.selected is not None:
            idx = self.view_index(self.selected)
            if idx.isValid():
                self.table.scrollTo(idx)

    def _sorted_changed(self) -> None:
        self.ranked_button.setEnabled(self.proxy.sortColumn() >= 0)

    def query(self, fn: Callable[[World], Any], then: Callable[[Any], None]) -> None:
        fut = self.engine.query(fn)
        fut.add_done_callback(lambda f: self._results.ready.emit(then, f.result()))

    def open_household(self, code: str) -> None:
        hh = self.register.households.get(code)
        if hh is None:
            self.statusBar().showMessage(self.tr("No safety file: unregistered device"), 5000)
            return

        def facts(w: World) -> dict[str, Any]:
            return {
                "risk": w.risk_of(code),
                "health": {
                    d.id: copy_struct(w.supervisor.health[d.id])
                    for d in hh.devices
                    if d.id in w.supervisor.health
                },
                "incidents": [copy_struct(w.incidents[i]) for i in w.history.get(code, [])],
            }

        def show(f: dict[str, Any]) -> None:
            self.house_file = HouseholdFile(
                hh, f, self.send, lambda: (self.op.id, self.console_id), self, reveals=self.reveals
            )
            self.house_file.show()

        self.query(facts, show)

    # --- deltas ------------------------------------------------------------------------------

    def _load_open(self) -> None:
        """At start: the open incidents and today's (for the compliance figures); after that the
        deltas carry every change."""

        def now_and_today(w: World) -> list[Incident]:
            start = cst_day_start(max(w.now, self.clock.now_ns()))
            return [copy_struct(i) for i in w.incidents.values() if i.is_open or i.opened >= start]

        self.query(now_and_today, self._show_incidents)
        # the open maintenance tickets (after this the deltas carry every change)
        self.query(
            lambda w: [copy_struct(t) for t in w.tickets.values() if t.closed is None],
            lambda tickets: tickets and self.update_tickets(tickets),
        )

    def _show_incidents(self, incidents: list[Incident]) -> None:
        if not incidents:
            return
        was_empty = not self.queue.rows
        pinned_at = self.view_index(self.queue.pinned).row() if self.queue.pinned is not None else -1
        self.queue.update(incidents)
        self.queue_empty.setVisible(not self.queue.rows)
        if getattr(self, "handover_open", None) is not None:
            self.handover_open.refresh(list(self.queue.rows))  # an alarm during the handover
        scope = self.queue.scope
        self.header.update_incidents(i for i in incidents if scope == "*" or i.township == scope)
        self._follow_selection()
        if self.selected is not None and self.selected == self.highlighted():
            cur = next((i for i in incidents if i.id == self.selected), None)
            if cur is not None:
                self.panel.show_incident(cur)
        if self.selected is None and was_empty and self.queue.rows:
            top = take_next(self.queue.ranked())
            self.select(top.incident if top is not None else self.queue.rows[0].id)
        if self.queue.pinned is not None:  # keep the incident being worked in view
            idx = self.view_index(self.queue.pinned)
            if idx.isValid() and idx.row() != pinned_at:
                self.table.scrollTo(idx)
        self.header.refresh()

    def use_register(self, register: Any) -> None:
        """Another register in force (an import, here or elsewhere, taken by the engine): the
        queue's addresses and risk, the incident panel, the map and the wall follow it; the
        open incidents keep their history (the engine sends them again with this delta)."""
        self.register = register
        self.queue.register = register
        self.queue.resort()
        self.panel.register = register
        if self.wall is not None:
            self.wall.register = register
        self.no_register.setVisible(len(register) == 0)
        if self.map_view is not None and hasattr(self.map_view, "load"):
            view = self.map_view

            def reload(bands: Any) -> None:
                view.load(register, bands, self.op.scope, boundaries=getattr(view, "boundaries", None))

            self.query(lambda w: w.all_bands(), reload)
        self.statusBar().showMessage(
            self.tr("Register {version} in force: {n} households").format(
                version=register.version or register.digest[:12], n=len(register)
            ),
            15000,
        )

    def on_delta(self, d: Delta) -> None:
        if d.register is not None:
            self.use_register(d.register)
        if d.incidents:
            self._show_incidents(d.incidents)
        if d.tickets:
            self.update_tickets(d.tickets)
        if d.bands and self.map_view is not None and hasattr(self.map_view, "set_bands"):
            self.map_view.set_bands(d.bands)
        bulk = self.bulk_dialog
        taken = bulk is not None and bulk.on_delta(d)  # its command's answer: the dialog lists it
        for r in d.refusals:
            if (
                taken
                and r.console == self.console_id
                and (r.incident == 0 or r.incident in bulk.sent.incidents)
            ):
                continue
            if r.console == self.console_id and r.incident == 0 and self.ticket_table.takes(r.code):
                self.refusals_shown += 1
                self.ticket_table.on_refusal(r.code, r.detail)  # shown on the tab and in the status bar
                continue
            if r.console == self.console_id:
                self.refusals_shown += 1
                text = words.refusal(r.code, r.detail, self.panel.step_title)
                if r.incident == 0 and self.reveals.on_refusal(r.code, text):
                    self.statusBar().showMessage(text, 8000)  # the reveal's dialog shows it too
                    continue
                self.panel.show_refusal(text)
                self.statusBar().showMessage(text, 8000)
        for a in d.alerts:
            inc = self.queue.incidents.get(a.incident)
            if a.kind in ("new_incident", "missed", "reignition") and inc is not None:
                self.sound.trigger(a.kind)
                self.notify_desktop(inc, a.kind)
            elif a.kind in ("bus_lost", "engine_failed"):
                self.sound.trigger(a.kind)
            elif a.kind in ("notify_silent", "gateway_lost"):
                self.sound.trigger("bus_lost")  # as loud as a lost bus: nobody is being told
            elif a.kind == "bridge_problem":
                self.sound.trigger("bus_lost")  # as loud as a lost bus: alarms may not come in
            elif a.kind == "seen_unreadable":
                self.sound.trigger("bus_lost")  # devices heard may be taken for offline ones
                self.statusBar().showMessage(
                    self.tr(
                        "Heartbeats in the journal could not be read (register %1): devices may be shown offline wrongly"
                    ).replace("%1", a.detail),
                    30000,
                )
            elif a.kind == "escalation_unconfigured":
                self.sound.trigger("missed")  # the service was told nothing: the officer phones it
                self.statusBar().showMessage(
                    self.tr("Incident %1: no numbers configured for %2 — phone it yourself")
                    .replace("%1", str(a.incident))
                    .replace("%2", words.target(a.detail)),
                    20000,
                )
            elif a.kind == "field_reply":
                role, _, answer = a.detail.partition(":")
                self.statusBar().showMessage(words.field_reply(a.incident, role, answer), 15000)
                if answer == "cannot":
                    self.sound.trigger("missed")
        if d.status is not None:
            self.status = d.status
            self.header.set_storm(d.status.storm, d.status.held)
            self.update_banner()

    def update_tickets(self, tickets: list[Ticket]) -> None:
        self.ticket_table.update_tickets(tickets)
        self._ticket_tab_text()

    def _ticket_tab_text(self) -> None:
        """The tab says how many tickets are open, and how many of them are overdue."""
        shown, late = len(self.ticket_table.tickets), len(self.ticket_table.overdue())
        text = self.tr("Maintenance (%n)", "", shown)
        if late:
            text = self.tr("Maintenance (%n, %1 overdue)", "", shown).replace("%1", str(late))
        self.left_tabs.setTabText(1, text)

    def blind_reasons(self) -> list[str]:
        return self.status_view.reasons(self.status)

    def update_banner(self) -> None:
        self.status_view.show(self.status)

    def on_second(self) -> None:
        self.queue.tick()
        self.queue_empty.setVisible(not self.queue.rows)
        self.panel.tick()
        self.reveals.tick()
        self.ticket_table.tick()
        self._ticket_tab_text()
        self.header.refresh()
        self._seconds = getattr(self, "_seconds", 0) + 1
        if self._seconds % 300 == 0 and self.left_tabs.currentIndex() == 2:
            self.refresh_kpis()
        self.sound.repeat_if(self.needs_sound())

    def needs_sound(self) -> bool:
        """The alert repeats while a new alarm waits (restored lone sensors are quiet), while a
        missed deadline is not acknowledged, and while the console is blind."""
        waiting = any(t.lane == "new" for t in self.queue.triage.values())
        return waiting or bool(self.header.pending_misses()) or bool(self.blind_reasons())

    def _misses_acknowledged(self) -> None:
        self.statusBar().showMessage(self.tr("Missed deadlines acknowledged (recorded in the journal)"), 5000)

    def notify_desktop(self, inc: Incident, kind: str) -> None:
        if self.isActiveWindow():
            return
        from PySide6.QtWidgets import QSystemTrayIcon

        if QSystemTrayIcon.isSystemTrayAvailable():
            tray = getattr(self, "_tray", None)
            if tray is None:
                tray = QSystemTrayIcon(self.windowIcon(), self)
                tray.show()
                self._tray = tray
            tray.showMessage(self.tr("New alarm"), f"{inc.household} {words.kind(inc.kind)}")
        else:
            QApplication.alert(self)
