"""Codes from the domain -> words for the officer, through Qt's translation system.

Source strings are English; resources/i18n/guardian_zh_CN.qm gives the Chinese (the default).
The one source of these words for the window and for the printed reports (console/reports):
the window translates through the application's translator (console.ui.app.install_translations);
a report wraps its writing in ``in_locale(REPORT_LOCALE)``, which needs no QApplication and leaves
the window's language alone. Where a report words a code differently from the screen, the
report's word is a message of its own in the ``report`` context (``report_state`` …).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from PySide6.QtCore import QCoreApplication, QTranslator

from console.paths import resource

_language: ContextVar[QTranslator | None] = ContextVar("words_language", default=None)


def _t(text: str) -> str:
    own = _language.get()
    if own is not None:
        return own.translate("words", text) or text
    return QCoreApplication.translate("words", text)


def _r(text: str) -> str:
    own = _language.get()
    if own is not None:
        return own.translate("report", text) or text
    return QCoreApplication.translate("report", text)


def translator(locale: str) -> QTranslator:
    """The console's translation for ``locale`` (empty for English, the source language), loaded
    from the same resources/i18n/guardian_<locale>.qm as the window's."""
    t = QTranslator()
    if locale.startswith("en"):
        return t
    path = resource("i18n", f"guardian_{locale}.qm")
    if not t.load(str(path)):
        raise FileNotFoundError(f"no translation for {locale}: cannot load {path}")
    return t


@contextmanager
def in_locale(locale: str) -> Iterator[None]:
    """Words from this module in ``locale`` inside the block (this thread / task only), whatever
    language the application has installed; used by the reports, which are zh_CN by default."""
    token = _language.set(translator(locale))
    try:
        yield
    finally:
        _language.reset(token)


def state(code: str) -> str:
    return {
        "new": _t("New"),
        "alerting": _t("Alerting"),
        "acknowledged": _t("Acknowledged"),
        "dispatched": _t("Dispatched"),
        "on_site": _t("On site"),
        "resolved": _t("Resolved"),
        "closed": _t("Closed"),
    }.get(code, code)


def kind(code: str) -> str:
    return {
        "smoke": _t("Smoke"),
        "co": _t("CO"),
        "gas": _t("Gas"),
        "electric": _t("Electrical"),
        "device": _t("Device"),
    }.get(code, code)


def role(code: str) -> str:
    return {
        "elder": _t("Elder"),
        "guardian": _t("Guardian"),
        "grid_worker": _t("Grid worker"),
        "cadre": _t("Community cadre"),
        "courtyard_head": _t("Courtyard head"),
        "neighbour": _t("Neighbour"),
        "officer": _t("Officer"),
        "responder": _t("Responder"),
        "system": _t("System"),
    }.get(code, code)


def cause(code: str) -> str:
    return {
        "real_fire": _t("Real fire"),
        "cooking_smoke": _t("Cooking smoke"),
        "gas_leak": _t("Gas leak"),
        "co_poisoning": _t("CO poisoning"),
        "electrical_fault": _t("Electrical fault"),
        "false_alarm": _t("False alarm"),
        "device_fault": _t("Device fault"),
        "test": _t("Test"),
    }.get(code, code)


def target(code: str) -> str:
    return {
        "district": _t("District center"),
        "fire_119": _t("Fire 119"),
        "ambulance_120": _t("Ambulance 120"),
        "power": _t("Power company"),
        "gas": _t("Gas company"),
    }.get(code, code)


def field_reply(incident: int, role_code: str, answer: str) -> str:
    """What the status bar says when someone answers a notification."""
    who = role(role_code)
    if answer == "going":
        return (
            _t("Incident %1: %2 replied they are going (dispatch confirmed)")
            .replace("%1", str(incident))
            .replace("%2", who)
        )
    if answer == "cannot":
        return (
            _t("Incident %1: %2 replied they cannot go: send the next nearest")
            .replace("%1", str(incident))
            .replace("%2", who)
        )
    return _t("Incident %1: %2 replied").replace("%1", str(incident)).replace("%2", who)


def refusal(code: str, detail: str = "", step_title: Callable[[str], str] | None = None) -> str:
    """A refusal in words, its detail worded too (step titles through ``step_title``, causes,
    roles, targets); details that only a developer reads (versions, operator ids) are left out."""
    if code == "incident_closed":
        return (
            _t("Incident %1 is already closed: nothing more to do on it.").replace("%1", detail)
            if detail
            else _t("The incident is already closed.")
        )
    text = {
        "conflict": _t(
            "Another workstation changed this incident first; the view is refreshed, check and try again."
        ),
        "not_logged_in": _t("You are not logged in on this console."),
        "out_of_scope": _t("This incident belongs to another township."),
        "unknown_incident": _t("Unknown incident."),
        "unknown_contact": _t("The household has no such contact to call."),
        "no_answer_from_field": _t(
            "No answer from the responder came through the gateway: say how the arrival was confirmed (by phone, in person)."
        ),
        "unknown_step": _t("This checklist has no such step."),
        "already_done": _t("This step is already done."),
        "out_of_order": _t("Do these steps first:"),
        "missing_field": _t("A required field is empty:"),
        "bad_cause": _t("Choose a cause from the list."),
        "required_steps_open": _t("Required steps are still open:"),
        "forbidden_role": _t("Your role may not do this."),
        "bad_target": _t("Unknown escalation target."),
        "already_escalated": _t("Already escalated to that target."),
        "not_escalatable": _t("A resolved incident cannot be escalated."),
        "no_checklist": _t("No checklist for this kind of incident."),
        # bulk close (console/domain/bulk.py), per incident or for the whole command
        "not_restored": _t("Still alarming, not restored:"),
        "corroborated": _t("More than one sensor alarmed: handle it one by one."),
        "unregistered": _t("Unregistered device: a person must look at it."),
        "already_resolved": _t("Already resolved: close it from its checklist."),
        "dispatched": _t("Someone was dispatched: close it from its checklist."),
        "duplicate": _t("Listed twice in the same bulk close."),
        "elder_not_reached": _t("The elder was not reached: no answered call on record."),
        "no_incidents": _t("No incidents to close."),
        "bad_command": _t("This command is not valid:"),
        # acknowledging a missed mark (console/domain/miss_ack.py)
        "bad_mark": _t("Not a 1-5-30 mark:"),
        "not_missed": _t("That mark was not missed:"),
        "miss_already_acked": _t("That miss is already acknowledged:"),
        # showing a masked number (console/domain/privacy.py)
        "reveal_needs_reason": _t("Give a reason to show the number."),
        "unknown_household": _t("This household is not in the register."),
        "unknown_field": _t("This number is not in the household's file."),
        # maintenance tickets
        "unknown_ticket": _t("Unknown maintenance ticket."),
        "ticket_closed": _t("This maintenance ticket is already closed."),
        "bad_action": _t("This action does not apply to a maintenance ticket."),
        # closure on evidence (console/domain/closure.py)
        "not_delivered": _t("No delivered SMS on record to:"),
        "bad_value": _t("Choose a value from the list:"),
        "escalation_needed": _t("This cause calls for an escalation; escalate, or give the reason not to:"),
        "ticket_needs_reason": _t("Write what was done, or why it is closed without a repair:"),
    }.get(code)
    if text is None:
        return _t("Refused (%1).").replace("%1", code)
    return f"{text} {_refusal_detail(code, detail, step_title)}".strip()


def _refusal_detail(code: str, detail: str, step_title: Callable[[str], str] | None) -> str:
    if not detail or code in ("conflict", "not_logged_in", "out_of_scope", "bad_command", "forbidden_role"):
        return ""
    parts = [p for p in detail.split(",") if p]
    if code in ("unknown_step", "already_done", "out_of_order", "required_steps_open"):
        return _join(step_title(p) if step_title else p for p in parts)
    if code == "missing_field":
        return _join(field_name(p) for p in parts)
    if code in ("bad_cause", "already_resolved"):
        return cause(detail)
    if code in ("bad_target", "already_escalated"):
        return target(detail)
    if code == "not_escalatable":
        return state(detail)
    if code in ("no_checklist", "corroborated"):
        return _join(kind(p) for p in parts)
    if code == "dispatched":
        return responder(detail)
    if code == "not_delivered":
        return value("who", detail)
    if code == "bad_value":
        return field_name(detail.partition("=")[0])
    if code == "escalation_needed":
        return target(detail)
    if code in ("bad_mark", "not_missed", "miss_already_acked"):
        return f"{detail}′"
    if code in (
        "reveal_needs_reason",
        "unknown_field",
        "unknown_household",
        "ticket_closed",
        "unknown_ticket",
    ):
        return ""
    if code == "ticket_needs_reason":
        return ticket(detail)
    return detail


def _join(parts: Iterable[str]) -> str:
    return ("、" if is_chinese() else ", ").join(parts)


def field_name(code: str) -> str:
    """A value a checklist step records (and a template's variable)."""
    return {
        "address": _t("address"),
        "kinds": _t("alarm kinds"),
        "incident": _t("incident number"),
        "cause": _t("Cause"),
        "feedback": _t("Feedback"),
        "outcome": _t("Outcome"),
        "responder": _t("Responder"),
        "finding": _t("Finding"),
        "confirmed_by": _t("Confirmed by"),
        "who": _t("Who"),
        "how": _t("How"),
        "skip_escalation": _t("Why not escalated"),
    }.get(code, code)


def value(name: str, code: str) -> str:
    """A value a step recorded from a fixed list (console/domain/closure.py ``CHOICES``)."""
    if name == "cause":
        return cause(code)
    if name == "responder":
        return responder(code)
    if name == "who" and code in ("elder", "guardian"):
        return role(code)
    words_of = {
        "safe": _t("reached, safe"),
        "needs_help": _t("reached, needs help"),
        "no_answer": _t("not reached"),
        "gateway_call": _t("called through the gateway"),
        "by_hand": _t("dialled by hand"),
        "call": _t("by phone"),
        "sms": _t("by SMS"),
        "key": _t("by key in the call"),
        "phone": _t("by phone"),
        "in_person": _t("in person"),
        "both": _t("elder and guardian"),
    }
    return words_of.get(code, code) if name in ("outcome", "how", "confirmed_by", "who") else code


def responder(text: str) -> str:
    """The incident's responder as recorded (``name phone (role)``): the role in words, the
    number masked."""
    from console.ui.personal import mask_text

    m = re.fullmatch(r"(.*)\(([a-z_]+)\)\s*", text)
    if m is not None:
        text = f"{m.group(1).strip()} ({role(m.group(2))})"
    return mask_text(text)


def operator_role(code: str) -> str:
    return {
        "township_officer": _t("Township officer"),
        "district_officer": _t("District officer"),
        "admin": _t("Administrator"),
    }.get(code, code)


def reason(code: str) -> str:
    return {
        "too_large": _t("payload too large"),
        "bad_topic": _t("bad topic"),
        "bad_json": _t("malformed JSON"),
        "not_object": _t("not a JSON object"),
        "missing_field": _t("missing field"),
        "bad_type": _t("wrong field type"),
        "bad_version": _t("unknown schema version"),
        "unknown_kind": _t("unknown sensor kind"),
        "unknown_evt": _t("unknown event"),
        "bad_ts": _t("bad timestamp"),
        "id_too_long": _t("event id too long"),
        "dev_too_long": _t("device id too long"),
        "dev_mismatch": _t("device id differs from topic"),
        "duplicate_key": _t("a field given twice"),
        "bad_chars": _t("control or direction characters"),
        "bad_id": _t("blank or padded id"),
    }.get(code, code)


def ticket(code: str) -> str:
    return {
        "offline": _t("Offline"),
        "fault": _t("Fault"),
        "low_battery": _t("Low battery"),
        "tamper": _t("Tamper"),
        "end_of_life": _t("End of life"),
    }.get(code, code)


def group(code: str) -> str:
    return {
        "severely_disabled": _t("Severely disabled"),
        "disabled_dementia": _t("Disabled / dementia"),
        "state_supported": _t("State-supported"),
        "living_alone": _t("Living alone / empty nest"),
    }.get(code, code)


def band(code: str) -> str:
    return {
        "critical": _t("Critical"),
        "unprotected": _t("Unprotected"),
        "high": _t("High"),
        "medium": _t("Medium"),
        "low": _t("Low"),
    }.get(code, code)


def channel(code: str) -> str:
    return {"sms": _t("SMS"), "voice": _t("Voice call")}.get(code, code)


def delivery(code: str) -> str:
    return {
        "requested": _t("Requested"),
        "published": _t("Handed to gateway"),
        "accepted": _t("Accepted by the provider"),
        "blocked": _t("Blocked by a sending limit"),
        "sent": _t("Sent"),
        "delivered": _t("Delivered"),
        "answered": _t("Answered"),
        "no_answer": _t("No answer"),
        "failed": _t("Failed"),
        "held": _t("Held back (storm)"),
        "dropped": _t("Not sent (restored)"),
    }.get(code, code)


def platform(code: str) -> str:
    """An IoT platform the ingest bridge takes pushes from (``mqtt:<vendor>``: a vendor's broker)."""
    if code.startswith("mqtt:"):
        return _t("the vendor broker %1").replace("%1", code[5:])
    return {
        "ctwing": _t("CTWing (China Telecom)"),
        "onenet": _t("OneNET (China Mobile)"),
        "iotda": _t("IoTDA (Huawei Cloud)"),
    }.get(code, code)


def delivery_detail(detail: str) -> str:
    """Why the gateway says a notification failed or was blocked (docs/gateway.md receipts), in
    words; the provider's own code kept in brackets for IT."""
    parts = []
    for one in detail.split(","):
        head, _, rest = one.partition(":")
        if head == "provider":
            provider, _, code = rest.partition(":")
            parts.append(_t("refused by %1 (%2)").replace("%1", provider).replace("%2", code))
        elif head == "limit":
            provider, _, window = rest.partition(":")
            per = {"minute": _t("a minute"), "hour": _t("an hour"), "day": _t("a day")}.get(
                window.rsplit("_", 1)[-1], window
            )
            parts.append(_t("sending limit of %1 per number (%2)").replace("%1", provider).replace("%2", per))
        elif head == "template":
            var, _, why = rest.partition(":")
            if var == "missing":
                parts.append(_t("no approved template for it"))
            elif why == "too_long":
                parts.append(_t("the %1 does not fit the approved template").replace("%1", field_name(var)))
            else:
                parts.append(_t("the template lacks the %1").replace("%1", field_name(var)))
        else:
            parts.append(
                {
                    "invalid_number": _t("not a valid phone number"),
                    "unknown_channel": _t("a channel the gateway does not send"),
                    "no_provider": _t("no provider configured for it"),
                }.get(one, one)
            )
    return list_of(parts)


def delivery_late(what: str, seconds: int) -> str:
    """A notification the gateway has said nothing of for too long (notify_plan.waiting)."""
    if what == "no_receipt":
        return _t("No receipt after %1 s").replace("%1", str(seconds))
    return _t("Accepted, no delivery receipt after %1 s").replace("%1", str(seconds))


def hold_reason(code: str) -> str:
    """Why a storm holds a notification back, why it was sent after all, or why it was dropped
    (``NotificationRecord.reason``; ``score:<points>``, ``officer:<action>``)."""
    head, _, arg = code.partition(":")
    if head == "score":
        return _t("triage score %1").replace("%1", arg)
    if head == "officer":
        return _t("an officer took it up (%1)").replace("%1", arg)
    return {
        "storm": _t("alarm storm"),
        "corroborated": _t("a second sensor alarmed"),
        "hold_expired": _t("still alarming after the hold"),
        "storm_over": _t("the storm is over"),
        "restored": _t("every sensor restored"),
        "closed": _t("incident closed"),
    }.get(code, code)


def timeline(what: str) -> str:
    """A timeline code in words (its detail and who: ``timeline_entry``)."""
    return timeline_entry(what, "")[0]


def how(code: str) -> str:
    """How a reply came: by SMS or a key pressed in the call."""
    return {"sms": _t("by SMS"), "key": _t("by key in the call")}.get(code, code)


def answer(code: str) -> str:
    return {
        "going": _t("going"),
        "cannot": _t("cannot go"),
        "other": _t("other answer"),
    }.get(code, code)


def _roles(text: str) -> str:
    return _join(role(r.strip()) for r in text.split(",") if r.strip())


def _values(detail: str) -> str:
    """A step's recorded values (``k=v; k=v``) as ``Cause: Cooking smoke; …``."""
    out = []
    for part in detail.split("; "):
        k, sep, v = part.partition("=")
        if not sep:
            out.append(part)
            continue
        v = value(k, v)
        out.append(_t("%1: %2").replace("%1", field_name(k)).replace("%2", v))
    return "; ".join(out)


def timeline_entry(what: str, detail: str, step_title: Callable[[str], str] | None = None) -> tuple[str, str]:
    """(what happened, its detail) of one timeline entry in words; numbers in the detail masked.
    Every code the domain notes (``inc.note``) has words here; an unknown one is shown as it is."""
    from console.ui.personal import mask_text

    head, _, arg = what.partition(":")
    sub, _, sub2 = arg.partition(":")
    d = detail
    if head == "step":
        title = step_title(arg) if step_title else arg
        w, d = _t("Step done: %1").replace("%1", title), _values(detail)
    elif head == "missed":
        w = _t("The %1′ mark was missed").replace("%1", arg)
        d = _t("%1 s after T0").replace("%1", detail) if detail.isdigit() else detail
    elif head == "miss_ack":
        w, d = _t("Miss of the %1′ mark acknowledged").replace("%1", arg), detail
    elif head == "refused":
        w, d = _t("Refused: %1").replace("%1", refusal(arg, detail, step_title)), ""
    elif head == "escalate":
        w = _t("Escalated to %1").replace("%1", target(arg))
        m = re.fullmatch(r"missed (\d+) min", detail)
        d = _t("automatically: the %1′ mark was missed").replace("%1", m.group(1)) if m else detail
    elif head == "reply":
        w = _t("Reply from %1").replace("%1", role(arg))
        m = re.fullmatch(r"(\w+) \((\w+)\)", detail)
        d = f"{answer(m.group(1))}, {how(m.group(2))}" if m else detail
    elif head == "notify":
        w = _t("%1 by %2").replace("%1", role(sub)).replace("%2", channel(sub2))
        status, _, rest = detail.partition(" ")
        d = delivery(status) + (f" ({rest})" if rest else "")
    elif head == "switch":
        w = _t("%1: switched to %2").replace("%1", role(sub)).replace("%2", channel(sub2))
        d = _t("because: %1").replace("%1", channel(detail)) if detail in ("sms", "voice") else detail
    elif head == "notify_service":
        w = _t("%1 told by %2").replace("%1", target(sub)).replace("%2", channel(sub2))
    elif head == "escalate_unconfigured":
        w, d = _t("No numbers configured for %1: phone it").replace("%1", target(arg)), ""
    elif head == "propose_escalation":
        w = _t("The cause calls for %1").replace("%1", target(arg))
        d = cause(detail) if detail else ""
    elif head == "call_placed":
        w = _t("The officer had the gateway call the %1").replace("%1", role(arg))
        d = _t("call %1").replace("%1", detail) if detail.isdigit() else detail
    elif head == "retry":
        w = _t("%1: %2 tried again").replace("%1", role(sub)).replace("%2", channel(sub2))
        d = _t("attempt %1").replace("%1", detail) if detail.isdigit() else detail
    elif what in ("notify_held", "notify_released", "notify_dropped"):
        w = {
            "notify_held": _t("Notifications held back (storm)"),
            "notify_released": _t("Held notifications sent"),
            "notify_dropped": _t("Held notifications dropped"),
        }[what]
        roles, sep, why = detail.partition(": ")
        d = f"{_roles(roles)}: {hold_reason(why)}" if sep else detail
    elif what == "dispatch_confirmed":
        w = _t("Dispatch confirmed by the responder")
        m = re.fullmatch(r"(\w+) \((\w+)\)", detail)
        d = f"{role(m.group(1))}, {how(m.group(2))}" if m else detail
    elif what == "responder_cannot":
        w = _t("The responder cannot go")
        m = re.fullmatch(r"(\w+); next (\S+)", detail)
        d = (
            _t("%1 cannot go; proposed next: %2")
            .replace("%1", role(m.group(1)))
            .replace("%2", role(m.group(2)) if m.group(2) != "-" else _t("nobody left"))
            if m
            else detail
        )
    elif what in ("alarm", "restore"):
        w = _t("Alarm") if what == "alarm" else _t("Sensor restored")
        k, _, rest = detail.partition(" ")
        d = f"{kind(k)} {rest}".strip() if k else detail
    elif what == "reignition":
        w, d = _t("Alarm again after restore: possible re-ignition"), detail
    elif what == "unregistered_device":
        w, d = _t("The device is not in the register"), detail
    elif what == "mute":
        w, d = _t("Alarm silenced at the device"), detail
    elif what == "reassign":
        w, d = _t("Reassigned to %1").replace("%1", detail), ""
    elif what == "bulk_close":
        w = _t("Closed in a bulk close")
        m = re.fullmatch(r"\S+ (\w+) x(\d+)", detail)
        d = (
            _t("%1, %2 incidents together").replace("%1", cause(m.group(1))).replace("%2", m.group(2))
            if m
            else detail
        )
    elif what == "alert_out":
        w, d = _t("First notification accepted by a provider"), ""
    elif what == "alert_delivered":
        w, d = _t("First notification delivered"), ""
    elif what == "alert_published":
        w = _t("Notifications handed to the gateway")
        d = _t("%1 in the batch").replace("%1", detail) if detail.isdigit() else detail
    else:
        w = what
    return w, mask_text(d)


def is_chinese() -> bool:
    from PySide6.QtCore import QLocale

    return QLocale().language() == QLocale.Language.Chinese


def bus_state(code: str) -> str:
    return {
        "connected": _t("connected"),
        "reconnecting": _t("reconnecting"),
        "blind": _t("blind for too long"),
        "unknown": _t("not connected yet"),
    }.get(code, code)


# --- the printed reports (console/reports) ---------------------------------------------------


def report_title(kind: str, label: str) -> str:
    """``守护台日报 2026-11-03``: a report's title, ``label`` being its period."""
    title = {
        "daily": _r("Guardian daily report %1"),
        "monthly": _r("Guardian monthly report %1"),
        "handover": _r("Guardian shift handover report %1"),
    }[kind]
    return title.replace("%1", label)


def report_state(code: str) -> str:
    """Incident states as the reports print them; two are worded apart from the screen's."""
    return {"alerting": _r("Alerting"), "closed": _r("Closed")}.get(code) or state(code)


def report_ticket(code: str) -> str:
    """Maintenance ticket kinds as the reports print them; two are worded apart from the screen's."""
    return {"low_battery": _r("Low battery"), "tamper": _r("Tamper")}.get(code) or ticket(code)


def risk_reason(code: str, name_of: Callable[[str], str] | None = None) -> str:
    """One reason of a household's risk (console/domain/risk.py) in words; ``name_of`` names a
    resident or a device from its id."""
    head, _, arg = code.partition(":")
    who = name_of(arg) if name_of is not None and arg else arg
    if head == "group":
        return group(arg)
    if head == "age80":
        return _t("%1 is 80 or older").replace("%1", who)
    if head == "missing":
        return _t("no %1 detector").replace("%1", kind(arg))
    if head == "offline":
        return _t("device %1 offline").replace("%1", who)
    if head in ("low_battery", "fault", "tamper"):
        return _t("%1: %2").replace("%1", ticket(head)).replace("%2", who)
    if head == "no_co_with_gas":
        return _t("cooks with gas, no CO detector")
    if head == "incidents_90d":
        return _t("%1 incident(s) in 90 days").replace("%1", arg)
    if head == "real_fires_365d":
        return _t("%1 real fire(s) in a year").replace("%1", arg)
    return code


def device_trouble(code: str) -> str:
    """A device's trouble as the household file and the maintenance tab show it."""
    return ticket(code)


def list_of(items: Iterable[str]) -> str:
    """Items one after the other in the window's language (、 in Chinese, a comma in English)."""
    return _join(items)


def ticket_refusal(code: str, detail: str = "") -> str:
    """A refused maintenance-ticket action in words: the codes it shares with incidents say
    "ticket" here (console/domain/world.py ``_ticket_action``)."""
    if code == "out_of_scope":
        return _t("This maintenance ticket belongs to another township.")
    if code == "missing_field":
        if detail == "assignee":
            return _t("Write who is sent to the ticket.")
        return _t("Write the note first.")
    return refusal(code, detail)
