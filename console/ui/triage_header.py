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
- the storm: ``storm_facts`` counts the incidents this header holds that opened in the last
  ``window_s`` and how many of them restored, a storm while more than ``more_than`` (the rule of
  resources/triage.toml [storm], which the window passes in); it is the one function to replace
  by the domain's ``world.storm()`` once that reaches the UI (same fields);
- a miss is (incident, mark) for every open incident's ``missed`` marks; acknowledging is local to
  this console (no journaled command exists for it) and covers the misses shown at that moment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from console.app.kpi_defs import MarkShare, cst_day_start, mark_shares
from console.domain.deadlines import NS
from console.domain.incident import Incident
from console.ui.queue_model import overdue, stage_of

STORM_WINDOW_S: Final = 180  # the domain's rule (resources/triage.toml [storm]) when the window has it
STORM_MORE_THAN: Final = 30  # a storm while more than this many incidents opened within the window
MISSES_LISTED: Final = 6  # misses named in the banner; the rest are counted


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
    """(incident, mark) of every missed mark of an open incident."""
    return {(i.id, m) for i in incidents if i.is_open for m in i.missed}


def _pct(share: float | None) -> str:
    return "—" if share is None else f"{round(share * 100)}%"


class TriageHeader(QWidget):
    missesAcknowledged = Signal()

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
        self.storm = StormFacts(False, None, 0, 0)
        self.shown = Counts(0, 0, 0, 0, 0, 0)

        captions = {
            "to_ack": self.tr("To acknowledge"),
            "over_1": self.tr("Over 1′"),
            "to_dispatch": self.tr("To dispatch"),
            "over_5": self.tr("Over 5′"),
            "to_close": self.tr("To close"),
            "over_30": self.tr("Over 30′"),
        }
        tiles = QGridLayout()
        tiles.setHorizontalSpacing(18)
        tiles.setVerticalSpacing(0)
        self.values: dict[str, QLabel] = {}
        for c, key in enumerate(self.TILES):
            value = QLabel("0")
            value.setObjectName(f"count_{key}")
            value.setAlignment(Qt.AlignmentFlag.AlignCenter)
            caption = QLabel(captions[key])
            caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
            caption.setStyleSheet("color:#455a64;")
            tiles.addWidget(value, 0, c)
            tiles.addWidget(caption, 1, c)
            self.values[key] = value
        self.compliance = QLabel("")
        self.compliance.setObjectName("compliance")
        self.compliance.setToolTip(
            self.tr("Share of today's incidents (since 00:00) that met each mark, of those already due")
        )
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

        self.miss_banner = QWidget()
        self.miss_banner.setObjectName("missBanner")
        self.miss_banner.setStyleSheet(
            "#missBanner{background:#b71c1c;} QLabel{color:white;font-weight:bold;}"
        )
        self.miss_text = QLabel("")
        self.miss_text.setObjectName("missText")
        self.miss_text.setWordWrap(True)
        self.miss_button = QPushButton(self.tr("Acknowledge miss (K)"))
        self.miss_button.setObjectName("btn_ack_miss")
        self.miss_button.setToolTip(
            self.tr(
                "Seen: stops the repeating alert for these misses on this console (K); a new miss sounds again"
            )
        )
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
        lay.addWidget(self.miss_banner)
        self.update_incidents(incidents)

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
        """Misses nobody acknowledged on this console yet, oldest incident first."""
        return sorted(misses(self.incidents.values()) - self.acknowledged)

    def acknowledge_misses(self) -> None:
        self.acknowledged |= misses(self.incidents.values())
        self.refresh()
        self.missesAcknowledged.emit()

    # --- showing -----------------------------------------------------------------------------

    def refresh(self) -> None:
        now = self.now()
        self._prune(now)
        incs = list(self.incidents.values())
        self.acknowledged &= misses(incs)  # closed incidents drop out
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
        self.storm = storm_facts(incs, now, self.storm_window_s, self.storm_more_than)
        if self.storm.active:
            self.storm_banner.setText(
                self.tr("Alarm storm: %1 in %2 min, %3 restored")
                .replace("%1", str(self.storm.new_in_window))
                .replace("%2", f"{self.storm_window_s / 60:g}")
                .replace("%3", str(self.storm.restored_in_window))
            )
        self.storm_banner.setVisible(self.storm.active)
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
