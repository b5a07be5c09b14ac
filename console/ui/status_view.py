"""What the officer must know about the console itself: the red banner when it cannot hear the
bus, cannot write its journal or runs on a wrong clock, and the counters line of the status bar."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QLabel

from console.app.delta import Status
from console.ui import words

CLOCK_OFF_S = 5.0


class StatusView(QObject):
    """Owns the banner (put above the window's content) and the counters label (put in the
    status bar); ``show(status)`` refreshes both."""

    def __init__(self, mode: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.mode = mode
        self.banner = QLabel("")
        self.banner.setObjectName("banner")
        self.banner.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.banner.setStyleSheet(
            "background:#b71c1c;color:white;font-size:18px;font-weight:bold;padding:8px;"
        )
        self.banner.hide()
        self.counters = QLabel("")
        self.counters.setObjectName("counters")

    def reasons(self, s: Status | None) -> list[str]:
        """Why the console is blind or unreliable now (each one a line of the banner)."""
        if s is None:
            return []
        out: list[str] = []
        if s.bus in ("reconnecting", "blind", "unknown") and self.mode == "live":
            out.append(
                self.tr("ALARM BUS LOST — this console may not hear alarms (%s)") % words.bus_state(s.bus)
            )
        if s.journal != "ok":
            out.append(
                self.tr("JOURNAL NOT WRITABLE — %n event(s) held in memory", "", s.pending)
                + f" ({s.journal_error})"
            )
        if s.clock_offset_s is not None and abs(s.clock_offset_s) > CLOCK_OFF_S:
            out.append(self.tr("CLOCK OFF by %s s — check the time source") % f"{s.clock_offset_s:+.0f}")
        return out

    def show(self, s: Status | None) -> None:
        reasons = self.reasons(s)
        if reasons:
            self.banner.setText("\n".join(reasons))
            self.banner.show()
        else:
            self.banner.hide()
        if s is not None:
            q = ", ".join(f"{words.reason(k)} {v}" for k, v in sorted(s.quarantine.items())) or "0"
            self.counters.setText(
                self.tr(
                    "received %1 · duplicates %2 · rejected %3 [%4] · unknown heartbeats %5 · open %6 · tickets %7 · journal #%8"
                )
                .replace("%1", str(s.received))
                .replace("%2", str(s.duplicates))
                .replace("%3", str(s.rejected))
                .replace("%4", q)
                .replace("%5", str(s.unknown_heartbeats))
                .replace("%6", str(s.open_incidents))
                .replace("%7", str(s.open_tickets))
                .replace("%8", str(s.last_seq))
            )
