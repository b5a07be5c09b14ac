"""1-5-30 at a glance: large counts per stage, today's compliance, the storm banner and the
missed-deadline banner that keeps the alert sounding until someone acknowledges the miss.

A widget of its own, built from incidents and a clock (``TriageHeader(now)`` then
``update_incidents(...)`` and ``refresh()`` once a second), so the main window, a wall screen or
a dialog can each show one. The figures are pure functions of the incidents and ``now`` (below),
testable without Qt:

- the stages are exclusive, each open incident is in one: waiting for the acknowledgement
  (待确认, until an officer acknowledged), for dispatch (待派遣, until someone was dispatched or it
  was resolved without), for closure (待闭环); "over" counts the ones of that stage past its mark;
- today's compliance is console.app.kpi_defs.mark_shares over the incidents opened since 00:00
  China time that this window holds (the window loads them at start, then follows the deltas);
- the storm is the domain's ``world.storm()`` and the held-back notifications its
  ``world.held_notifications()``, as the engine's status carries them (``set_storm``, about once a
  second: console/app/delta.py ``Status.storm`` / ``Status.held``): the banner "3 分钟内 200 起，已恢复
  180 起" and a "held back: N notifications" button listing each (household, role, since, why). A
  header never given a status (a wall copying the officer's header's incidents, a test) falls back
  to ``storm_facts`` over its own incidents, with the same rule;
- a miss is (incident, mark) for every open incident's ``missed`` marks that its ``missed_acked``
  does not hold. With ``send_ack`` set (the officer's window: it journals one ``AckMiss`` per miss)
  the banner and the repeating sound follow the incidents, so an acknowledgement survives a restart
  and every console sees it; ``acknowledged`` then only keeps a miss from being sent twice while
  its AckMiss is on its way. Without ``send_ack`` acknowledging is local to this header.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from console.app.delta import HeldNote
from console.app.kpi_defs import MarkShare, cst_day_start, mark_shares
from console.domain.deadlines import NS
from console.domain.incident import Incident
from console.domain.storm import StormState
from console.ui import words
from console.ui.queue_model import overdue, stage_of

STORM_WINDOW_S: Final = 180  # the domain's rule (resources/triage.toml [storm]) when the window has it
STORM_MORE_THAN: Final = 30  # a storm while more than this many incidents opened within the window
MISSES_LISTED: Final = 6  # misses named in the banner; the rest are counted
HELD_LISTED: Final = 15  # held notifications named in the tooltip; the dialog lists them all


@dataclass(frozen=True)
class StormFacts:
    """The fields of the domain's ``world.storm()``."""

    active: bool
    started_at: int | None
    new_in_window: int
    restored_in_window: int


@dataclass(frozen=True)
class Counts:
    to_ack: int
    over_1: int
    to_dispatch: int
    over_5: int
    to_close: int
    over_30: int


def restored(inc: Incident) -> bool:
    """Every sensor that alarmed has restored since its last alarm."""
    if inc.sensors:
        return not any(s.live for s in inc.sensors.values())
    return inc.last_restore is not None


def storm_facts(
    incidents: Iterable[Incident],
    now: int,
    window_s: int = STORM_WINDOW_S,
    more_than: int = STORM_MORE_THAN,
) -> StormFacts:
    """Incidents opened in ``(now - window_s, now]`` and how many restored; a storm while more
    than ``more_than``. (The one function to replace by ``world.storm()``.)"""
    since = now - window_s * NS
    recent = [i for i in incidents if since < i.opened <= now]
    n = len(recent)
    on = n > more_than
    return StormFacts(
        active=on,
        started_at=min(i.opened for i in recent) if on else None,
        new_in_window=n,
        restored_in_window=sum(1 for i in recent if restored(i)),
    )


def counts(incidents: Iterable[Incident], now: int) -> Counts:
    n = {1: 0, 5: 0, 30: 0}
    late = {1: 0, 5: 0, 30: 0}
    for inc in incidents:
        if not inc.is_open:
            continue
        s = stage_of(inc)
        n[s] += 1
        if overdue(inc, now):
            late[s] += 1
    return Counts(n[1], late[1], n[5], late[5], n[30], late[30])


def today_shares(incidents: Iterable[Incident], now: int) -> list[MarkShare]:
    start = cst_day_start(now)
    return mark_shares((i for i in incidents if start <= i.opened <= now), now)


def misses(incidents: Iterable[Incident]) -> set[tuple[int, int]]:
    """(incident, mark) of every missed mark of an open incident that no AckMiss acknowledged."""
    return {(i.id, m) for i in incidents if i.is_open for m in i.missed if m not in i.missed_acked}


def held_rows(held: Iterable[HeldNote]) -> list[tuple[str, str, str, str]]:
    """(household, role, since, why) in words, one per held role, oldest first."""
    from console.ui.incident_panel import hhmmss

    return [
        (h.household, words.role(h.role), hhmmss(h.since), words.hold_reason(h.why))
        for h in sorted(held, key=lambda h: (h.since, h.incident, h.role))
    ]


def _pct(share: float | None) -> str:
    return "—" if share is None else f"{round(share * 100)}%"


class TriageHeader(QWidget):
    missesAcknowledged = Signal()
    heldListRequested = Signal()

    TILES: Final = ("to_ack", "over_1", "to_dispatch", "over_5", "to_close", "over_30")

    def __init__(
        self,
        now: Callable[[], int],
        incidents: Iterable[Incident] = (),
        parent: QWidget | None = None,
        storm_rules: tuple[int, int] = (STORM_WINDOW_S, STORM_MORE_THAN),
    ) -> None:
        super().__init__(parent)
        self.setObjectName("triageHeader")
        self.now = now
        self.storm_window_s, self.storm_more_than = storm_rules
        self.incidents: dict[int, Incident] = {}
        self.acknowledged: set[tuple[int, int]] = set()
        self.send_ack: Callable[[list[tuple[int, int]]], None] | None = None  # journals AckMiss
        self.storm = StormFacts(False, None, 0, 0)
        self.storm_state: StormState | None = None  # the engine's (set_storm); None: never given
        self.held: list[HeldNote] = []
        self.shown = Counts(0, 0, 0, 0, 0, 0)

        tiles = QGridLayout()
        tiles.setHorizontalSpacing(18)
        tiles.setVerticalSpacing(0)
        self.values: dict[str, QLabel] = {}
        self.captions: dict[str, QLabel] = {}
        for c, key in enumerate(self.TILES):
            value = QLabel("0")
            value.setObjectName(f"count_{key}")
            value.setAlignment(Qt.AlignmentFlag.AlignCenter)
            caption = QLabel()
            self.captions[key] = caption
            caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
            caption.setStyleSheet("color:#455a64;")
            tiles.addWidget(value, 0, c)
            tiles.addWidget(caption, 1, c)
            self.values[key] = value
        self.compliance = QLabel("")
        self.compliance.setObjectName("compliance")
        row = QHBoxLayout()
        row.addLayout(tiles)
        row.addStretch(1)
        row.addWidget(self.compliance)

        self.storm_banner = QLabel("")
        self.storm_banner.setObjectName("stormBanner")
        self.storm_banner.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.storm_banner.setStyleSheet(
            "background:#ff8f00;color:black;font-size:16px;font-weight:bold;padding:4px;"
        )
        self.storm_banner.hide()

        self.held_button = QPushButton("")
        self.held_button.setObjectName("btn_held")
        self.held_button.setFlat(True)
        self.held_button.setStyleSheet("color:#e65100;font-weight:bold;text-align:left;padding:2px;")
        self.held_button.clicked.connect(self.show_held)
        self.held_button.hide()
        self.held_dialog: QWidget | None = None

        self.miss_banner = QWidget()
        self.miss_banner.setObjectName("missBanner")
        self.miss_banner.setStyleSheet(
            "#missBanner{background:#b71c1c;} QLabel{color:white;font-weight:bold;}"
        )
        self.miss_text = QLabel("")
        self.miss_text.setObjectName("missText")
        self.miss_text.setWordWrap(True)
        self.miss_button = QPushButton()
        self.miss_button.setObjectName("btn_ack_miss")
        self.miss_button.clicked.connect(self.acknowledge_misses)
        miss_row = QHBoxLayout(self.miss_banner)
        miss_row.setContentsMargins(6, 3, 6, 3)
        miss_row.addWidget(self.miss_text, 1)
        miss_row.addWidget(self.miss_button)
        self.miss_banner.hide()

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addLayout(row)
        lay.addWidget(self.storm_banner)
        lay.addWidget(self.held_button)
        lay.addWidget(self.miss_banner)
        self.retranslate()
        self.update_incidents(incidents)

    def retranslate(self) -> None:
        captions = {
            "to_ack": self.tr("To acknowledge"),
            "over_1": self.tr("Over 1′"),
            "to_dispatch": self.tr("To dispatch"),
            "over_5": self.tr("Over 5′"),
            "to_close": self.tr("To close"),
            "over_30": self.tr("Over 30′"),
        }
        for key, label in self.captions.items():
            label.setText(captions[key])
        self.compliance.setToolTip(
            self.tr("Share of today's incidents (since 00:00) that met each mark, of those already due")
        )
        self.miss_button.setText(self.tr("Acknowledge miss (K)"))
        self.miss_button.setToolTip(
            self.tr(
                "Seen: records that these misses were seen and stops their repeating alert, on every console (K); a new miss sounds again"
            )
        )

    def changeEvent(self, e: QEvent) -> None:
        if e.type() == QEvent.Type.LanguageChange:
            self.retranslate()
            if hasattr(self, "shown"):
                self.refresh()
        super().changeEvent(e)

    # --- input -------------------------------------------------------------------------------

    def update_incidents(self, incidents: Iterable[Incident]) -> None:
        """Take new copies (open or closed); ``refresh()`` shows them."""
        for inc in incidents:
            self.incidents[inc.id] = inc

    def _prune(self, now: int) -> None:
        start = cst_day_start(now)
        gone = [k for k, i in self.incidents.items() if not i.is_open and i.opened < start]
        for k in gone:
            del self.incidents[k]

    # --- misses ------------------------------------------------------------------------------

    def pending_misses(self) -> list[tuple[int, int]]:
        """Misses nobody acknowledged yet (by AckMiss; without ``send_ack``, on this header),
        oldest incident first."""
        shown = misses(self.incidents.values())
        return sorted(shown if self.send_ack is not None else shown - self.acknowledged)

    def acknowledge_misses(self) -> None:
        """K / the banner's button: every miss shown now. With ``send_ack`` one AckMiss each
        (the banner goes when the incidents say so); else only on this header."""
        shown = misses(self.incidents.values())
        if self.send_ack is not None:
            todo = sorted(shown - self.acknowledged)
            self.acknowledged |= set(todo)
            if todo:
                self.send_ack(todo)
        else:
            self.acknowledged |= shown
        self.refresh()
        self.missesAcknowledged.emit()

    # --- the storm ---------------------------------------------------------------------------

    def set_storm(self, state: StormState | None, held: Iterable[HeldNote]) -> None:
        """The engine's storm and held-back notifications (from its status); ``refresh()`` shows them."""
        self.storm_state = state
        self.held = list(held)

    def held_tooltip(self) -> str:
        rows = held_rows(self.held)
        lines = [
            f"{hh}  {role}  {self.tr('since')} {since}  {why}" for hh, role, since, why in rows[:HELD_LISTED]
        ]
        if len(rows) > HELD_LISTED:
            lines.append(self.tr("and %n more", "", len(rows) - HELD_LISTED))
        return "\n".join(lines)

    def show_held(self) -> None:
        """The whole list, in a small window of its own (not modal: the queue keeps moving)."""
        from PySide6.QtWidgets import QDialog, QTableWidget, QTableWidgetItem

        dlg = QDialog(self)
        dlg.setObjectName("heldDialog")
        dlg.setWindowTitle(self.tr("Notifications held back"))
        rows = held_rows(self.held)
        table = QTableWidget(len(rows), 4, dlg)
        table.setObjectName("heldTable")
        table.setHorizontalHeaderLabels(
            [self.tr("Household"), self.tr("Role"), self.tr("Since"), self.tr("Why")]
        )
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        table.horizontalHeader().setStretchLastSection(True)
        for r, cells in enumerate(rows):
            for c, text in enumerate(cells):
                table.setItem(r, c, QTableWidgetItem(text))
        note = QLabel(
            self.tr(
                "In an alarm storm the elder and the guardian are told at once; these are told when the "
                "incident is corroborated, scores high, still alarms after the hold, or an officer takes it up."
            )
        )
        note.setWordWrap(True)
        lay = QVBoxLayout(dlg)
        lay.addWidget(note)
        lay.addWidget(table)
        dlg.resize(640, 420)
        if self.held_dialog is not None:
            self.held_dialog.close()
        self.held_dialog = dlg
        dlg.show()
        self.heldListRequested.emit()

    # --- showing -----------------------------------------------------------------------------

    def refresh(self) -> None:
        now = self.now()
        self._prune(now)
        incs = list(self.incidents.values())
        self.acknowledged &= misses(incs)  # closed or (with send_ack) recorded: nothing to hold back
        c = self.shown = counts(incs, now)
        for key in self.TILES:
            v = getattr(c, key)
            late = key.startswith("over") and v > 0
            self.values[key].setText(str(v))
            self.values[key].setStyleSheet(
                f"font-size:28px;font-weight:bold;color:{'#c62828' if late else '#263238'};"
            )
        shares = today_shares(incs, now)
        self.compliance.setText(
            self.tr("Today met: 1′ %1 · 5′ %2 · 30′ %3")
            .replace("%1", _pct(shares[0].share))
            .replace("%2", _pct(shares[1].share))
            .replace("%3", _pct(shares[2].share))
        )
        st = self.storm_state
        if st is not None:
            self.storm = StormFacts(st.active, st.started_at, st.new_in_window, st.restored_in_window)
            window_s = st.window_s
        else:
            self.storm = storm_facts(incs, now, self.storm_window_s, self.storm_more_than)
            window_s = self.storm_window_s
        if self.storm.active:
            self.storm_banner.setText(
                self.tr("Alarm storm: %1 in %2 min, %3 restored")
                .replace("%1", str(self.storm.new_in_window))
                .replace("%2", f"{window_s / 60:g}")
                .replace("%3", str(self.storm.restored_in_window))
            )
        self.storm_banner.setVisible(self.storm.active)
        if self.held:
            self.held_button.setText(
                self.tr(
                    "Held back: %n notification(s) to grid workers and cadres — list…", "", len(self.held)
                )
            )
            self.held_button.setToolTip(self.held_tooltip())
        self.held_button.setVisible(bool(self.held))
        pending = self.pending_misses()
        if pending:
            by_id = self.incidents
            named = [f"#{i} {by_id[i].household} {m}′" for i, m in pending[:MISSES_LISTED]]
            more = len(pending) - len(named)
            text = "、".join(named) if self.locale_is_chinese() else ", ".join(named)
            if more > 0:
                text += " " + self.tr("and %n more", "", more)
            self.miss_text.setText(self.tr("Deadline missed: %1").replace("%1", text))
        self.miss_banner.setVisible(bool(pending))

    @staticmethod
    def locale_is_chinese() -> bool:
        from console.ui import words

        return words.is_chinese()
