"""The 1-5-30 policy as data, evaluated at an injected ``now``.

Counted from T0, the moment the console received the first alarm of the incident:
- mark 1 (60 s): an officer acknowledged AND the alert is out: a provider accepted the automatic
  SMS/calls to the elder or a guardian and to the grid worker (console/domain/notify_plan.py;
  on the bus alone is not out). An incident with nobody to notify, e.g. an unregistered device,
  needs only the acknowledgement;
- mark 5 (300 s): someone nearby was dispatched (by the officer, or on a responder's own reply:
  console/domain/field.py), or the incident was resolved without needing it (a phone-confirmed
  false alarm);
- mark 30 (1,800 s): the incident was closed with feedback.
A missed mark raises the incident to the district's attention list (escalation ``district``).
"""

from __future__ import annotations

from typing import Final

import msgspec

NS: Final = 1_000_000_000


class Mark(msgspec.Struct, frozen=True):
    minute: int
    seconds: int
    zh: str
    en: str


MARKS: Final = (
    Mark(1, 60, "1分钟：报警发出并确认", "1 min: alert out and acknowledged"),
    Mark(5, 300, "5分钟：就近派遣", "5 min: someone nearby dispatched"),
    Mark(30, 1800, "30分钟：闭环反馈", "30 min: loop closed with feedback"),
)

# Maintenance tickets (device troubles) have their own service levels, in hours.
TICKET_SLA_H: Final = {
    "offline": 24,
    "fault": 24,
    "tamper": 4,
    "low_battery": 72,
    "end_of_life": 168,
}

# Heartbeat period by device kind when the payload gives none, and the grace factor after
# which a silent device counts as offline.
DEFAULT_HB_S: Final = {"smoke": 4 * 3600, "co": 4 * 3600, "gas": 3600, "electric": 900}
OFFLINE_GRACE: Final = 2.5

REIGNITION_WINDOW_S: Final = 1800


def due_at(opened_ns: int, mark: Mark) -> int:
    return opened_ns + mark.seconds * NS


def mark_met_at(
    mark: Mark,
    *,
    ack_at: int | None,
    alert_out_at: int | None,
    needs_alert: bool,
    dispatched_at: int | None,
    resolved_at: int | None,
    closed_at: int | None,
) -> int | None:
    """The time the mark was satisfied, or None if it is not (yet)."""
    if mark.minute == 1:
        if ack_at is None:
            return None
        if not needs_alert:
            return ack_at
        return None if alert_out_at is None else max(ack_at, alert_out_at)
    if mark.minute == 5:
        times = [t for t in (dispatched_at, resolved_at) if t is not None]
        return min(times) if times else None
    return closed_at
