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
from console.domain.events import ServiceContact
from console.domain.incident import Incident, NotificationRecord
from console.domain.registry import Household

ACCEPT_WITHIN_S: Final = 15
"""A request no provider accepted in this long: the console's banner, and phone by hand."""
DELIVER_WITHIN_S: Final = 120
"""An accepted SMS or call with no delivery or call receipt in this long is shown as late (the
gateway asks the provider itself once a callback is this late, docs/gateway.md)."""
OTHER_CHANNEL: Final = {"sms": "voice", "voice": "sms"}
SERVICE_ROLE: Final = "service:"  # a notification's role when an escalation told a service (service:fire_119)
SERVICE_ZH: Final = {"fire_119": "消防", "ambulance_120": "急救", "power": "供电抢修", "gas": "燃气抢修"}
"""The services as an escalation's SMS / call text names them."""

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
    msg = "alarm"
    if n.role.startswith(SERVICE_ROLE):
        service = SERVICE_ZH.get(n.role[len(SERVICE_ROLE) :], n.role)
        text = f"【守护台】{hh.address}独居老人家中发生{kinds}警情，请求{service}处置。事件号{inc.id}"
        msg = "escalation"
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
            msg=msg,
            # the approved template's variables (console/gateway/templates.py); the gateway adds
            # the center's callback number from its own configuration
            vars={"address": hh.address, "kinds": kinds, "incident": str(inc.id)},
        ),
    )


def incident_of_req(req: str) -> int | None:
    """The incident id a request id names (``I<incident>-<contact>-<channel>-<attempt>``)."""
    if not req.startswith("I"):
        return None
    head = req[1:].split("-", 1)[0]
    return int(head) if head.isdigit() else None


# The 1-minute mark's "alert out": the notifications to the elder or a guardian AND to the grid
# worker were ACCEPTED by a provider (a request on the bus is not a message to anyone). Each group
# counts when the incident notifies someone of it (held and dropped ones aside: a storm holds
# them on purpose); an incident notifying neither group counts its first acceptance.
ALERT_GROUPS: Final = (("elder", "guardian"), ("grid_worker",))
# receipts that mean a provider took the send (a delivered SMS or a call that rang was accepted)
ACCEPTED: Final = frozenset({"accepted", "sent", "delivered", "answered", "no_answer"})
DELIVERED: Final = frozenset({"delivered", "answered"})


def _group_time(inc: Incident, field: str) -> int | None:
    """When every group the incident notifies had a notification reach ``field``."""
    live = [
        n
        for n in inc.notifications.values()
        if n.status not in ("held", "dropped") and not n.role.startswith(SERVICE_ROLE)
    ]
    if not live:
        return None
    times: list[int] = []
    for roles in ALERT_GROUPS:
        group = [n for n in live if n.role in roles]
        if not group:
            continue
        reached = [t for n in group if (t := getattr(n, field)) is not None]
        if not reached:
            return None
        times.append(min(reached))
    if not times:  # notifies only other roles (a cadre): its first
        reached = [t for n in live if (t := getattr(n, field)) is not None]
        return min(reached) if reached else None
    return max(times)


def _follow_alert(inc: Incident, at: int) -> None:
    """The incident's alert-out and alert-delivered times, once reached (never moved back)."""
    if inc.alert_out_at is None and (t := _group_time(inc, "accepted_at")) is not None:
        inc.alert_out_at = t
        inc.note(at, "alert_out", "accepted")
    if inc.alert_delivered_at is None and (t := _group_time(inc, "delivered_at")) is not None:
        inc.alert_delivered_at = t
        inc.note(at, "alert_delivered", "")


def published(inc: Incident, req: str, at: int, count: int) -> None:
    """``req`` was handed to the bus at ``at`` (one of ``count`` in that batch): on its way to
    the gateway, not yet out (``alert_published_at``)."""
    n = inc.notifications.get(req)
    if n is not None:
        if n.status == "requested":
            n.status, n.at = "published", at
        if n.published_at is None:
            n.published_at = at
    if inc.alert_published_at is None:
        inc.alert_published_at = at
        inc.note(at, "alert_published", str(count))


def receipt(
    inc: Incident,
    n: NotificationRecord,
    status: str,
    at: int,
    detail: str = "",
    provider: str = "",
    provider_at: int = 0,
) -> None:
    """A gateway receipt for ``n``; a failure with retries left schedules one retry. The time a
    provider accepted or delivered is the provider's own when it gave one no later than the
    console heard of it (else the console's). A block (a sending limit) of an open incident's
    notification also sends it at once on the other channel when the contact has nothing on that
    channel yet (``switched``): an alarm must not wait a limit's minute."""
    when = provider_at if 0 < provider_at <= at else at
    n.status, n.at = status, at
    n.detail, n.provider = detail[:200], provider or n.provider
    if status in ACCEPTED and n.accepted_at is None:
        n.accepted_at = when
    if status in DELIVERED and n.delivered_at is None:
        n.delivered_at = when
    inc.note(at, f"notify:{n.role}:{n.channel}", f"{status} {detail}".strip() if detail else status, n.to)
    _follow_alert(inc, at)
    retried = f"{n.req.rsplit('-', 1)[0]}-{n.attempt + 1}" in inc.notifications
    if status in ("failed", "no_answer", "blocked") and n.retries_left > 0 and inc.resolved_at is None:
        # QoS 1 may deliver a receipt twice: one failure buys one retry, not one per copy.
        if not retried:
            n.retry_at = at + n.retry_after_s * NS


def switched(inc: Incident, n: NotificationRecord, at: int) -> NotificationRecord | None:
    """After ``n`` was blocked: the same contact on the other channel, recorded as requested
    (to publish now), or None when the incident is resolved or the contact already has a
    notification on that channel (one switch per contact and channel, however many copies of
    the receipt come)."""
    other = OTHER_CHANNEL.get(n.channel)
    if n.status != "blocked" or other is None or inc.resolved_at is not None:
        return None
    if any(m.contact == n.contact and m.channel == other for m in inc.notifications.values()):
        return None
    m = NotificationRecord(
        req=f"I{inc.id}-{n.contact}-{other}-1",
        role=n.role,
        channel=other,
        to=n.to,
        contact=n.contact,
        attempt=1,
        at=at,
        retries_left=n.retries_left,
        retry_after_s=n.retry_after_s,
    )
    inc.notifications[m.req] = m
    inc.note(at, f"switch:{m.role}:{other}", n.detail or n.channel, n.to)
    return m


def escalation_requests(
    inc: Incident, hh: Household | None, target: str, recipients: tuple[ServiceContact, ...], at: int
) -> list[PublishRequest]:
    """An escalation to a service: each of its configured recipients on each of their channels,
    recorded on the incident like any notification (role ``service:<target>``: delivery shown
    the same way, a failure retried like a call), and the requests to publish."""
    out: list[PublishRequest] = []
    for i, r in enumerate(recipients, 1):
        contact = f"S{target}{i}"
        for channel in r.channels:
            if channel not in ("sms", "voice"):
                continue
            n = NotificationRecord(
                req=f"I{inc.id}-{contact}-{channel}-1",
                role=f"{SERVICE_ROLE}{target}",
                channel=channel,
                to=r.phone,
                contact=contact,
                at=at,
                retries_left=2,
                retry_after_s=60,
            )
            if n.req in inc.notifications:
                continue
            inc.notifications[n.req] = n
            inc.note(at, f"notify_service:{target}:{channel}", r.name, r.phone)
            if hh is not None:
                out.append(request_for(inc, hh, n))
    return out


def officer_call(
    inc: Incident, hh: Household | None, contact_id: str, at: int, operator: str
) -> PublishRequest | None:
    """The officer has the gateway call ``contact_id`` now: one more voice call to them (its own
    attempt number, no retry), shown like any notification. None when the household has no such
    contact (or none at all)."""
    c = next((x for x in hh.contacts if x.id == contact_id), None) if hh is not None else None
    if c is None or hh is None:
        return None
    attempt = 1 + max(
        (n.attempt for n in inc.notifications.values() if n.contact == c.id and n.channel == "voice"),
        default=0,
    )
    n = NotificationRecord(
        req=f"I{inc.id}-{c.id}-voice-{attempt}",
        role=c.role,
        channel="voice",
        to=c.phone,
        contact=c.id,
        attempt=attempt,
        at=at,
    )
    inc.notifications[n.req] = n
    inc.note(at, f"call_placed:{c.role}", str(attempt), operator)
    return request_for(inc, hh, n)


def waiting(n: NotificationRecord, now: int) -> tuple[str, int] | None:
    """What the gateway has not said about ``n`` that it should have by ``now``: ("no_receipt",
    seconds since it was handed to the bus) past ACCEPT_WITHIN_S with no acceptance, or
    ("no_delivery", seconds since it was accepted) past DELIVER_WITHIN_S with no delivery or call
    receipt. None when nothing is late."""
    if n.status == "published" and n.accepted_at is None and n.published_at is not None:
        waited = (now - n.published_at) // NS
        return ("no_receipt", waited) if waited >= ACCEPT_WITHIN_S else None
    if n.status == "accepted" and n.accepted_at is not None:
        waited = (now - n.accepted_at) // NS
        return ("no_delivery", waited) if waited >= DELIVER_WITHIN_S else None
    return None


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


# --- replies from the field --------------------------------------------------------------------

GOING: Final = ("1", "１", "是", "好", "去", "到")  # what a "yes, I'm going" starts with
CANNOT: Final = ("2", "２", "否", "不")


def answer_of(text: str, key: str) -> str:
    """going | cannot | other, from an SMS reply's first character or a keypress."""
    said = (key or text).strip()
    if not said:
        return "other"
    if said.startswith(GOING):
        return "going"
    if said.startswith(CANNOT):
        return "cannot"
    return "other"
