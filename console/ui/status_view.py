"""What the officer must know about the console itself: the red banner when it cannot hear the
bus, cannot write its journal, runs on a wrong clock, hears far too little from a township or
the whole district (console.app.silence) or had its engine fail (rebuilt from the journal by the
engine's watchdog, or stopped for good), and the counters line of the status bar."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QLabel

from console.app.delta import Status
from console.app.silence import DISTRICT, SilentArea
from console.ui import words

CLOCK_OFF_S = 5.0
SILENT_LINES = 5  # township lines shown; the rest are counted on one more line
BACKUP_EVERY_S = 60.0  # how often the backup folder is looked at
ENGINE_NOTICE_S = 120  # after the watchdog rebuilt the engine, the banner (and its sound) this long


class StatusView(QObject):
    """Owns the banner (put above the window's content) and the counters label (put in the
    status bar); ``show(status)`` refreshes both."""

    def __init__(
        self,
        mode: str,
        parent: QObject | None = None,
        backup_status: Callable[[], tuple[datetime | None, bool]] | None = None,
    ) -> None:
        super().__init__(parent)
        self.mode = mode
        # (last backup, overdue) of the configured backup folder (console/io/backup.py), asked at
        # most once a minute (it lists a folder, maybe on a network drive); None: backups are off
        self.backup_status = backup_status
        self._backup: tuple[datetime | None, bool] | None = None
        self._backup_asked = -BACKUP_EVERY_S
        self.backup_banner = QLabel("")
        self.backup_banner.setObjectName("backupBanner")
        self.backup_banner.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.backup_banner.setStyleSheet("background:#ff8f00;color:black;font-weight:bold;padding:4px;")
        self.backup_banner.hide()
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
        out.extend(self.silent_lines(s.silent))
        for code, value in s.scope_problems:
            if code == "district":
                out.append(
                    self.tr(
                        "WRONG DISTRICT — no household of the register is in district %1: this console"
                        " listens to that district's topics and hears nothing of the register's"
                    ).replace("%1", value)
                )
            elif code == "no_district":
                out.append(
                    self.tr(
                        "NO DISTRICT — no register and no district in the settings: this console"
                        " listens to the synthetic district SIM only. Import the register."
                    )
                )
            elif code == "districts":
                out.append(
                    self.tr("SEVERAL DISTRICTS in the register (%1) — set this console's district").replace(
                        "%1", value
                    )
                )
            elif code == "township":
                out.append(
                    self.tr(
                        "WRONG TOWNSHIP — no household of the register is in township %1: check the"
                        " console's township and the operator's scope"
                    ).replace("%1", value)
                )
        out.extend(self.notify_lines(s))
        out.extend(self.bridge_lines(s))
        if s.unmatched is not None:
            u = s.unmatched
            out.append(
                self.tr(
                    "NOTHING HEARD IS REGISTERED — %n message(s) from %1 device(s) since %2, none in the"
                    " register: the bus subscription or the register is not this district's",
                    "",
                    u.messages,
                )
                .replace("%2", _hhmm(u.since))
                .replace("%1", str(u.devices))
            )
        if s.engine_dead:
            out.append(
                self.tr(
                    "ENGINE STOPPED — this console no longer processes alarms: restart it and call IT (%s)"
                )
                % s.engine_failure
            )
        elif s.engine_restarts and s.now - s.engine_restarted_at < ENGINE_NOTICE_S * 1_000_000_000:
            out.append(
                self.tr(
                    "ENGINE FAILED and was rebuilt from the journal (%n time(s)) — tell IT: %1",
                    "",
                    s.engine_restarts,
                ).replace("%1", s.engine_failure)
            )
        return out

    def notify_lines(self, s: Status) -> list[str]:
        """通知未发出: the gateway gone (its last will), providers failing, and the notifications
        no provider accepted in time, with the incidents to phone by hand."""
        if self.mode == "replay":
            return []
        out: list[str] = []
        if s.gateway == "offline":
            out.append(
                self.tr("NOTIFICATIONS NOT SENT — the notification gateway is gone: no SMS or call goes out")
            )
        elif s.gateway_failing:
            out.append(
                self.tr("NOTIFICATIONS AT RISK — provider(s) failing: %1").replace(
                    "%1", ", ".join(s.gateway_failing)
                )
            )
        if s.unaccepted:
            incidents = sorted({i for i, _r in s.unaccepted})
            shown = ", ".join(str(i) for i in incidents[:12]) + (" …" if len(incidents) > 12 else "")
            out.append(
                self.tr(
                    "NOTIFICATIONS NOT SENT — %n notification(s) not accepted by any provider: phone by hand,"
                    " incident(s) %1",
                    "",
                    len(s.unaccepted),
                ).replace("%1", shown)
            )
        return out

    def bridge_lines(self, s: Status) -> list[str]:
        """The ingest bridges (console/app/bridges.py): gone, stale, full, a platform silent."""
        if self.mode == "replay":
            return []
        out: list[str] = []
        for p in s.bridges:
            if p.what == "offline":
                text = self.tr(
                    "INGEST BRIDGE DOWN — bridge %1 is gone since %2: alarms from the IoT platforms do not come in"
                )
            elif p.what == "stale":
                text = self.tr(
                    "INGEST BRIDGE NOT HEARD — nothing from bridge %1 since %2: it may have stopped taking alarms"
                )
            elif p.what == "outbox_full":
                text = self.tr(
                    "INGEST BRIDGE FULL — bridge %1 cannot store more pushes (since %2): the broker is not"
                    " taking them"
                )
            else:
                text = (
                    self.tr(
                        "PLATFORM SILENT — %3 has pushed nothing to bridge %1 for longer than its devices'"
                        " heartbeat (last push %4, noticed %2)"
                    )
                    .replace("%3", words.platform(p.platform))
                    .replace("%4", p.last_push or self.tr("never"))
                )
            out.append(text.replace("%1", p.bridge).replace("%2", _hhmm(p.since)))
        return out

    def silent_lines(self, silent: tuple[SilentArea, ...]) -> list[str]:
        """The district's line, then one line per silent township (at most SILENT_LINES)."""
        out: list[str] = []
        townships = [a for a in silent if a.area != DISTRICT]
        for a in silent:
            if a.area == DISTRICT:
                out.append(
                    self.tr(
                        "DISTRICT SILENT — %n device message(s) from the whole district in %1 min, about %2 expected",
                        "",
                        a.seen,
                    )
                    .replace("%2", str(a.expected))
                    .replace("%1", _minutes(a.window_s))
                )
        for a in townships[:SILENT_LINES]:
            label = (
                a.area
                if a.name in ("", a.area)
                else self.tr("%1 (%2)").replace("%2", a.area).replace("%1", a.name)
            )
            out.append(
                self.tr("SILENT — township %1: %n device message(s) in %2 min, about %3 expected", "", a.seen)
                .replace("%3", str(a.expected))
                .replace("%2", _minutes(a.window_s))
                .replace("%1", label)
            )
        if len(townships) > SILENT_LINES:
            out.append(self.tr("… and %n more silent township(s)", "", len(townships) - SILENT_LINES))
        return out

    def backup(self) -> tuple[datetime | None, bool] | None:
        """(last backup, overdue), refreshed at most every BACKUP_EVERY_S; None: backups are off."""
        if self.backup_status is None:
            return None
        now = time.monotonic()
        if self._backup is None or now - self._backup_asked >= BACKUP_EVERY_S:
            self._backup_asked = now
            try:
                self._backup = self.backup_status()
            except OSError:
                self._backup = (None, True)  # the folder cannot be read: as good as no backup
        return self._backup

    def backup_text(self) -> str:
        b = self.backup()
        if b is None:
            return self.tr("automatic backups off")
        last, _ = b
        if last is None:
            return self.tr("no backup yet")
        return self.tr("last backup %1").replace("%1", last.astimezone().strftime("%Y-%m-%d %H:%M"))

    def show_backup(self) -> None:
        """The amber line when the newest backup is more than two days old (or there is none). It
        does not sound: the console still hears and records; IT must look at it."""
        b = self.backup()
        if b is not None and b[1]:
            last = b[0]
            self.backup_banner.setText(
                self.tr("BACKUP OVERDUE — the last backup of the journal is from %1; tell IT").replace(
                    "%1", last.astimezone().strftime("%Y-%m-%d %H:%M")
                )
                if last is not None
                else self.tr("NO BACKUP of the journal yet in the backup folder — tell IT")
            )
            self.backup_banner.show()
        else:
            self.backup_banner.hide()

    def show(self, s: Status | None) -> None:
        self.show_backup()
        reasons = self.reasons(s)
        if reasons:
            self.banner.setText("\n".join(reasons))
            self.banner.show()
        else:
            self.banner.hide()
        if s is not None:
            self.counters.setText(self.plain(s))
            self.counters.setToolTip(self.details(s))

    def plain(self, s: Status) -> str:
        """The status bar in plain words: is the console hearing, is it recording, what is open."""
        hearing = (
            self.tr("Hearing alarms")
            if s.bus == "connected" or self.mode != "live"
            else self.tr("Alarm bus: %1").replace("%1", words.bus_state(s.bus))
        )
        journal = self.tr("everything recorded") if s.journal == "ok" else self.tr("journal NOT writable")
        return " · ".join(
            [
                hearing,
                journal,
                self.tr("%n open incident(s)", "", s.open_incidents),
                self.tr("%n open ticket(s)", "", s.open_tickets),
                self.backup_text(),
            ]
        )

    def details(self, s: Status) -> str:
        """The counters, for IT and the curious: in the status bar's tooltip."""
        q = words.list_of(f"{words.reason(k)} {v}" for k, v in sorted(s.quarantine.items()))
        lines = [
            self.tr("Device messages received: %1").replace("%1", str(s.received)),
            self.tr("Duplicates ignored: %1").replace("%1", str(s.duplicates)),
            self.tr("Messages rejected: %1").replace("%1", str(s.rejected)) + (f" ({q})" if q else ""),
            self.tr("Heartbeats from devices not in the register: %1").replace(
                "%1", str(s.unknown_heartbeats)
            ),
            self.tr("Journal entries: %1").replace("%1", str(s.last_seq)),
        ]
        if s.register_version:
            lines.append(
                self.tr("Register %1: %2 households")
                .replace("%1", s.register_version)
                .replace("%2", str(s.register_households))
            )
        return "\n".join(lines)


def _hhmm(at_ns: int) -> str:
    """Console time as the officer's wall clock (China Standard Time) hours and minutes."""
    from datetime import UTC, datetime, timedelta, timezone

    cst = timezone(timedelta(hours=8))
    return datetime.fromtimestamp(at_ns / 1e9, UTC).astimezone(cst).strftime("%H:%M")


def _minutes(seconds: int) -> str:
    return f"{seconds / 60:g}"
