"""Notification planning: who is told of an incident, on which channel, and when a failed
attempt is tried again. Pure: it reads the incident, its household and its checklist template,
records the planned notifications on the incident, and returns the requests to publish.

In an alarm storm some roles' requests are *held* (recorded, not sent: console/domain/storm.py
decides when); a held request is later *released* (sent as if new) or *dropped* (never sent,
with the reason), and a dropped one can be held or released again if the home alarms again.
Every such change is a timeline entry; no request disappears.
"""

from __future__ import annotations

from typing import Final

import msgspec

from console.domain.checklist import Template
from console.domain.codec import NotifyRequest
from console.domain.deadlines import NS
from console.domain.effects import PublishRequest
from console.domain.incident import Incident, NotificationRecord
from console.domain.registry import Household

KIND_ZH: Final = {"smoke": "烟感", "co": "一氧化碳", "gas": "燃气泄漏", "electric": "电气隐患"}
"""The alarm kinds as the SMS / call text names them."""


class Hold(msgspec.Struct, frozen=True):
    """Hold the first requests of ``roles`` until ``until`` (console time), because of ``why``."""

    roles: tuple[str, ...]
    until: int
    why: str


def planned_roles(hh: Household, template: Template) -> list[str]:
    """The roles the first round names that the household has a contact for, in rule order."""
    out: list[str] = []
    for rule in template.notify:
        for role in rule.roles:
            if role not in out and hh.contacts_by_role(role):
                out.append(role)
    return out


def first_requests(
    inc: Incident, hh: Household, template: Template, at: int, hold: Hold | None = None
) -> list[PublishRequest]:
    """The first round: every contact the template's rules name, on each of its channels; those
    of a role ``hold`` names are recorded as held, not returned."""
    out: list[PublishRequest] = []
    held: list[str] = []
    for rule in template.notify:
        for role in rule.roles:
            for c in hh.contacts_by_role(role):
                for channel in rule.channels:
                    req = f"I{inc.id}-{c.id}-{channel}"
                    n = NotificationRecord(
                        req=f"{req}-1",
                        role=role,
                        channel=channel,
                        to=c.phone,
                        contact=c.id,
                        at=at,
                        retries_left=rule.retries,
                        retry_after_s=rule.retry_after_s,
                    )
                    inc.notifications[n.req] = n
                    if hold is not None and role in hold.roles:
                        n.status, n.hold_until, n.reason = "held", hold.until, hold.why
                        if role not in held:
                            held.append(role)
                    else:
                        out.append(request_for(inc, hh, n))
    if hold is not None and held:
        inc.note(at, "notify_held", f"{','.join(held)}: {hold.why}")
    return out


def _roles(records: list[NotificationRecord]) -> str:
    return ",".join(dict.fromkeys(n.role for n in records))


def held(inc: Incident) -> list[NotificationRecord]:
    return [n for n in inc.notifications.values() if n.status == "held"]


def dropped(inc: Incident) -> list[NotificationRecord]:
    return [n for n in inc.notifications.values() if n.status == "dropped"]


def release(
    inc: Incident, hh: Household, at: int, why: str, *, also_dropped: bool = False
) -> list[PublishRequest]:
    """Send the held requests (and the dropped ones too, if ``also_dropped``) now, because of ``why``."""
    todo = held(inc) + (dropped(inc) if also_dropped else [])
    for n in todo:
        n.status, n.at, n.hold_until, n.reason = "requested", at, None, why
    if todo:
        inc.note(at, "notify_released", f"{_roles(todo)}: {why}")
    return [request_for(inc, hh, n) for n in todo]


def drop(inc: Incident, at: int, why: str) -> None:
    """Never send the held requests, because of ``why`` (the record stays, as dropped)."""
    todo = held(inc)
    for n in todo:
        n.status, n.at, n.hold_until, n.reason = "dropped", at, None, why
    if todo:
        inc.note(at, "notify_dropped", f"{_roles(todo)}: {why}")


def hold_again(inc: Incident, at: int, until: int, why: str) -> None:
    """Hold the dropped requests again (the home alarms again, the storm goes on)."""
    todo = dropped(inc)
    for n in todo:
        n.status, n.at, n.hold_until, n.reason = "held", at, until, why
    if todo:
        inc.note(at, "notify_held", f"{_roles(todo)}: {why}")


def hold_due(inc: Incident) -> int | None:
    """The earliest time a held request of ``inc`` is due for release."""
    times = [n.hold_until for n in inc.notifications.values() if n.hold_until is not None]
    return min(times) if times else None


def request_for(inc: Incident, hh: Household, n: NotificationRecord) -> PublishRequest:
    kinds = "、".join(KIND_ZH.get(k, k) for k in inc.kinds)
    text = f"【守护台】{hh.address}发生{kinds}报警，请立即确认老人安全。事件号{inc.id}"
    return PublishRequest(
        inc.district,
        NotifyRequest(
            req=n.req,
            incident=inc.id,
            household=hh.code,
            channel=n.channel,
            role=n.role,
            to=n.to,
            text=text,
            attempt=n.attempt,
        ),
    )


def incident_of_req(req: str) -> int | None:
    """The incident id a request id names (``I<incident>-<contact>-<channel>-<attempt>``)."""
    if not req.startswith("I"):
        return None
    head = req[1:].split("-", 1)[0]
    return int(head) if head.isdigit() else None


def published(inc: Incident, req: str, at: int, count: int) -> None:
    """``req`` was handed to the bus at ``at`` (one of ``count`` in that batch)."""
    n = inc.notifications.get(req)
    if n is not None and n.status == "requested":
        n.status, n.at = "published", at
    if inc.alert_out_at is None:
        inc.alert_out_at = at
        inc.note(at, "alert_out", str(count))


def receipt(inc: Incident, n: NotificationRecord, status: str, at: int) -> None:
    """A gateway receipt for ``n``; a failure with retries left schedules one retry."""
    n.status, n.at = status, at
    inc.note(at, f"notify:{n.role}:{n.channel}", status, n.to)
    retried = f"{n.req.rsplit('-', 1)[0]}-{n.attempt + 1}" in inc.notifications
    if status in ("failed", "no_answer") and n.retries_left > 0 and inc.resolved_at is None:
        # QoS 1 may deliver a receipt twice: one failure buys one retry, not one per copy.
        if not retried:
            n.retry_at = at + n.retry_after_s * NS


def unsent(inc: Incident, hh: Household) -> list[PublishRequest]:
    """Requests recorded but never handed to the bus."""
    return [request_for(inc, hh, n) for n in inc.notifications.values() if n.status == "requested"]


def retries_due(inc: Incident, hh: Household, now: int) -> list[PublishRequest]:
    """The next attempt of every notification whose retry time has come."""
    out: list[PublishRequest] = []
    for n in list(inc.notifications.values()):
        if n.retry_at is not None and n.retry_at <= now:
            n.retry_at = None
            base = n.req.rsplit("-", 1)[0]
            m = NotificationRecord(
                req=f"{base}-{n.attempt + 1}",
                role=n.role,
                channel=n.channel,
                to=n.to,
                contact=n.contact,
                attempt=n.attempt + 1,
                at=now,
                retries_left=n.retries_left - 1,
                retry_after_s=n.retry_after_s,
            )
            inc.notifications[m.req] = m
            inc.note(now, f"retry:{m.role}:{m.channel}", str(m.attempt))
            out.append(request_for(inc, hh, m))
    return out
