"""Codes from the domain -> words for the officer, through Qt's translation system.

Source strings are English; resources/i18n/guardian_zh_CN.qm gives the Chinese (the default).
The one source of these words for the window and for the printed reports (console/reports):
the window translates through the application's translator (console.ui.app.install_translations);
a report wraps its writing in ``in_locale(REPORT_LOCALE)``, which needs no QApplication and leaves
the window's language alone. Where a report words a code differently from the screen, the
report's word is a message of its own in the ``report`` context (``report_state`` …).
"""

from __future__ import annotations

from collections.abc import Iterator
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


def refusal(code: str, detail: str = "") -> str:
    text = {
        "conflict": _t(
            "Another workstation changed this incident first; the view is refreshed, check and try again."
        ),
        "not_logged_in": _t("You are not logged in on this console."),
        "out_of_scope": _t("This incident belongs to another township."),
        "unknown_incident": _t("Unknown incident."),
        "incident_closed": _t("The incident is already closed."),
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
    }.get(code, code)
    return f"{text} {detail}".strip()


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
    """A timeline code in words, for the codes a storm and bulk handling add (others as they are):
    notify_held, notify_released, notify_dropped, bulk_close, miss_ack:<mark>, refused:<code>."""
    head, _, arg = what.partition(":")
    if head == "miss_ack":
        return _t("Miss of the %1′ mark acknowledged").replace("%1", arg)
    if head == "refused" and arg:
        return _t("Refused: %1").replace("%1", refusal(arg))
    return {
        "notify_held": _t("Notifications held back (storm)"),
        "notify_released": _t("Held notifications sent"),
        "notify_dropped": _t("Held notifications dropped"),
        "bulk_close": _t("Closed in a bulk close"),
    }.get(what, what)


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
