"""An incident: one household's emergency from first alarm to closure.

States: new -> alerting -> acknowledged -> dispatched -> on_site -> resolved -> closed.
Alarms from the same household merge while it is open; a ``restore`` is recorded but never
closes it; an alarm within 30 minutes of a restore raises the re-ignition flag.
"""

from __future__ import annotations

from typing import Final

import msgspec

from console.domain.checklist import FALSE_ALARM_CAUSES, Template
from console.domain.deadlines import MARKS, NS, due_at, mark_met_at
from console.domain.evidence import Sensor

STATES: Final = ("new", "alerting", "acknowledged", "dispatched", "on_site", "resolved", "closed")
ORDER: Final = {s: i for i, s in enumerate(STATES)}
ESCALATION_TARGETS: Final = ("district", "fire_119", "ambulance_120", "power", "gas")
ACTION_STATE: Final = {
    "acknowledge": "acknowledged",
    "dispatch": "dispatched",
    "on_site": "on_site",
    "resolve": "resolved",
    "close": "closed",
}


class Entry(msgspec.Struct, frozen=True, array_like=True):
    at: int
    what: str  # code: alarm, restore, step:<id>, escalate:<target>, missed:<mark>, miss_ack:<mark>, notify:<req>:<status> ...
    detail: str = ""
    who: str = ""


class StepDone(msgspec.Struct, frozen=True, kw_only=True):
    at: int
    operator: str
    console: str
    values: dict[str, str] = {}


class NotificationRecord(msgspec.Struct, kw_only=True):
    """One notification of an incident to one contact on one channel, and how it went."""

    req: str
    role: str
    channel: str
    to: str
    contact: str
    attempt: int = 1
    # held | dropped | requested | published | sent | delivered | answered | no_answer | failed
    status: str = "requested"
    at: int = 0
    retry_at: int | None = None
    retries_left: int = 0
    retry_after_s: int = 60
    hold_until: int | None = None  # while held in a storm: released then if still alarming
    reason: str = ""  # held: why (storm); dropped: why (restored, closed); released: what released it
    published_at: int | None = None  # the broker acknowledged the request
    accepted_at: int | None = None  # a provider took it (accepted, or any later receipt that implies it)
    delivered_at: int | None = None  # delivered (SMS) or answered (call)
    detail: str = ""  # the last receipt's detail (why it failed, which limit blocked it)
    provider: str = ""


class Answer(msgspec.Struct, frozen=True, kw_only=True):
    """A reply from the field to one of the incident's notifications."""

    at: int
    contact: str  # contact id
    role: str
    how: str  # sms | key
    answer: str  # going | cannot | other
    said: str = ""  # what was sent (the SMS text, or the key), cut to 40 characters


class Incident(msgspec.Struct, kw_only=True):
    id: int
    household: str  # household code, or "?<device>" for an unregistered device
    district: str
    township: str
    kind: str
    opened: int  # T0: console time of the first alarm
    state: str = "new"
    version: int = 1
    severity: int = 2
    unregistered: bool = False
    kinds: list[str] = []
    devices: list[str] = []
    alarms: list[str] = []  # dedupe keys of the alarms merged here
    last_restore: int | None = None
    reignition: bool = False
    sensors: dict[str, Sensor] = {}  # device -> what it said (evidence.py), for triage
    steps: dict[str, StepDone] = {}
    waived: list[str] = []
    ack_at: int | None = None
    # "alert out" of the 1-minute mark: a provider ACCEPTED the notifications to the elder or a
    # guardian and to the grid worker (notify_plan.alert_out); the broker's acknowledgement
    # alone is ``alert_published_at``, delivery to the same ``alert_delivered_at``
    alert_out_at: int | None = None
    alert_published_at: int | None = None
    alert_delivered_at: int | None = None
    needs_alert: bool = True
    dispatched_at: int | None = None
    on_site_at: int | None = None
    resolved_at: int | None = None
    closed_at: int | None = None
    responder: str = ""
    cause: str = ""
    feedback: str = ""
    assignee: str = ""
    escalations: list[str] = []
    missed: list[int] = []  # 1, 5, 30
    missed_acked: list[int] = []  # the missed marks an officer acknowledged (AckMiss), in order
    notifications: dict[str, NotificationRecord] = {}
    answers: list[Answer] = []  # replies from the field, in order
    proposed: str = ""  # the contact id proposed next after a responder could not go
    timeline: list[Entry] = []

    @property
    def is_open(self) -> bool:
        return self.state != "closed"

    def met_at(self, minute: int) -> int | None:
        for m in MARKS:
            if m.minute == minute:
                return mark_met_at(
                    m,
                    ack_at=self.ack_at,
                    alert_out_at=self.alert_out_at,
                    needs_alert=self.needs_alert,
                    dispatched_at=self.dispatched_at,
                    resolved_at=self.resolved_at,
                    closed_at=self.closed_at,
                )
        return None

    def next_deadline(self) -> tuple[int, int] | None:
        """(mark minute, due time) of the next mark neither met nor already missed."""
        if not self.is_open:
            return None
        for m in MARKS:
            if m.minute in self.missed or self.met_at(m.minute) is not None:
                continue
            return m.minute, due_at(self.opened, m)
        return None

    def note(self, at: int, what: str, detail: str = "", who: str = "") -> None:
        self.timeline.append(Entry(at, what, detail, who))


def severity_of(kind: str, lvl: int | None) -> int:
    if kind in ("smoke", "co"):
        return 3
    if kind == "gas":
        return 3 if (lvl or 1) >= 2 else 2
    return 2


class Refusal(msgspec.Struct, frozen=True):
    """Why a step or command cannot be taken (a code the UI turns into words); the world
    reports it to the console as a ``CommandRefused`` effect."""

    code: str
    detail: str = ""


def done_or_waived(inc: Incident, step_id: str) -> bool:
    return step_id in inc.steps or step_id in inc.waived


def check_step(inc: Incident, t: Template, step_id: str, values: dict[str, str]) -> Refusal | None:
    """Why completing ``step_id`` now is refused, or None when it may be done."""
    if not inc.is_open:
        return Refusal("incident_closed", str(inc.id))
    step = t.step(step_id)
    if step is None:
        return Refusal("unknown_step", step_id)
    if done_or_waived(inc, step_id):
        return Refusal("already_done", step_id)
    missing_before = [a for a in step.after if not done_or_waived(inc, a)]
    if missing_before:
        return Refusal("out_of_order", ",".join(missing_before))
    for name in step.records:
        if not values.get(name, "").strip():
            return Refusal("missing_field", name)
    if step.action == "resolve":
        from console.domain.checklist import CAUSES

        if values.get("cause") not in CAUSES:
            return Refusal("bad_cause", values.get("cause", ""))
    if step.action == "close":
        open_required = [
            s.id for s in t.steps if s.required and s.id != step_id and not done_or_waived(inc, s.id)
        ]
        if open_required:
            return Refusal("required_steps_open", ",".join(open_required))
    return None


def complete_step(
    inc: Incident, t: Template, step_id: str, values: dict[str, str], at: int, who: str, console: str
) -> None:
    """Apply a step already checked by ``check_step``."""
    step = t.step(step_id)
    assert step is not None
    inc.steps[step_id] = StepDone(at=at, operator=who, console=console, values=dict(values))
    inc.note(at, f"step:{step_id}", "; ".join(f"{k}={v}" for k, v in sorted(values.items())), who)
    if step.action == "acknowledge":
        inc.ack_at = at
        if inc.assignee == "":
            inc.assignee = who
    elif step.action == "dispatch":
        inc.dispatched_at = at
        inc.responder = values.get("responder", "")
    elif step.action == "on_site":
        inc.on_site_at = at
    elif step.action == "resolve":
        inc.resolved_at = at
        inc.cause = values.get("cause", "")
        if inc.cause in FALSE_ALARM_CAUSES:
            for s in t.steps:
                if inc.cause in s.waived_by_causes and not done_or_waived(inc, s.id):
                    inc.waived.append(s.id)
    elif step.action == "close":
        inc.closed_at = at
        inc.feedback = values.get("feedback", "")
        for n in inc.notifications.values():
            n.retry_at = None
    if step.action:
        new_state = ACTION_STATE[step.action]
        if ORDER[new_state] > ORDER[inc.state]:
            inc.state = new_state
    inc.version += 1


def evaluate_deadlines(inc: Incident, now: int) -> list[int]:
    """Marks that became missed at ``now`` (each reported once)."""
    newly: list[int] = []
    if not inc.is_open:
        return newly
    for m in MARKS:
        if m.minute in inc.missed:
            continue
        met = inc.met_at(m.minute)
        due = due_at(inc.opened, m)
        if now >= due and (met is None or met > due):
            inc.missed.append(m.minute)
            inc.note(now, f"missed:{m.minute}", str((now - inc.opened) // NS))
            newly.append(m.minute)
    if newly:
        inc.version += 1
    return newly
