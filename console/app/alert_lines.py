"""What headless says of an alert, in words (no window, no banner): one line per alert an
operator can read in the log, or one JSON object per alert for tools (``headless --json``).

Counts, codes, incident numbers and townships only: never a household, an address or a person
(the log leaves the officer's screen)."""

from __future__ import annotations

from typing import Any, Final

from console.domain.effects import Alert

QUARANTINE_MEANS: Final = {
    "bad_json": "not JSON",
    "bad_topic": "not a device topic",
    "missing_field": "a required field missing",
    "bad_type": "a field of the wrong type",
    "unknown_kind": "an unknown sensor kind",
    "unknown_evt": "an unknown event",
    "too_large": "over 4 KiB",
    "bad_ts": "an unreadable device time",
    "dev_mismatch": "the device differs from the topic's",
    "duplicate_key": "a field given twice",
    "bad_chars": "control or invisible characters",
}
MARKS: Final = {
    "1": "1-minute (alert out)",
    "5": "5-minute (dispatch)",
    "30": "30-minute (closed with feedback)",
}


def words(a: Alert, facts: dict[str, str]) -> str:
    """One line in words."""
    where = f" in township {facts['township']}" if facts.get("township") else ""
    kinds = f" ({facts['kinds']})" if facts.get("kinds") else ""
    inc = f"incident {a.incident}{kinds}{where}"
    k = a.kind
    if k == "new_incident":
        return f"NEW ALARM: {inc}"
    if k == "missed":
        return (
            f"MISSED the {MARKS.get(a.detail, a.detail + '-minute')} mark: {inc}; escalated to the district"
        )
    if k == "reignition":
        return f"RE-IGNITION: {inc} alarms again after its restore"
    if k == "bus_lost":
        return f"ALARM BUS LOST: this console may not hear alarms ({a.detail})"
    if k == "engine_failed":
        return f"ENGINE FAILED: {a.detail}"
    if k == "register_missing":
        return f"NO REGISTER: {a.detail}"
    if k == "seen_unreadable":
        return f"HEARTBEATS UNREADABLE: a journal record of heartbeats names register {a.detail}; those devices may be called offline"
    if k == "gateway_lost":
        return f"NOTIFICATIONS NOT SENT: the notification gateway {a.detail} is gone"
    if k == "notify_silent":
        return f"NOTIFICATIONS NOT SENT: {a.detail} incident(s) with notifications no provider accepted; phone by hand"
    if k == "field_reply":
        role, _, answer = a.detail.partition(":")
        said = {"going": "is going", "cannot": "cannot go"}.get(answer, f"answered {answer!r}")
        return f"REPLY from the field: the {role.replace('_', ' ')} {said} ({inc})"
    if k == "bridge_problem":
        bridge, _, what = a.detail.partition(":")
        return (
            f"INGEST BRIDGE {bridge}: {what.replace('_', ' ')}: alarms from the IoT platforms may not come in"
        )
    if k == "escalation_unconfigured":
        return f"ESCALATION TELLS NOBODY: no numbers configured for {a.detail}; phone it ({inc})"
    if k == "bulk":
        return f"BULK CLOSE: {a.detail}"
    return f"{k.upper()}: {inc} {a.detail}".strip()


def as_json(a: Alert, facts: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {"alert": a.kind, "incident": a.incident, "detail": a.detail}
    out.update(facts)
    return out
