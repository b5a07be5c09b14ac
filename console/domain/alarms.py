"""An alarm becomes an incident: a new one for the household, or merged into the one it has
open (more kinds, more devices, a higher severity, a re-ignition flag). Pure: the world keeps
the books (which incident is open for whom, what changed)."""

from __future__ import annotations

from console.domain import events as ev
from console.domain.effects import Alert
from console.domain.evidence import record_alarm, record_restore
from console.domain.incident import Incident, severity_of
from console.domain.registry import Household


def reading(e: ev.DeviceEvent) -> str:
    """What the device measured, for the timeline: ``35ppm lvl2 code201``."""
    parts = []
    if e.val is not None:
        parts.append(f"{e.val:g}{e.unit or ''}")
    if e.lvl is not None:
        parts.append(f"lvl{e.lvl}")
    if e.code is not None:
        parts.append(f"code{e.code}")
    return " ".join(parts)


def merge_alarm(inc: Incident, e: ev.DeviceEvent, reignition: bool) -> list[Alert]:
    """Another alarm of the household while ``inc`` is open."""
    inc.alarms.append(e.key)
    record_alarm(inc.sensors, e)
    sev = severity_of(e.kind, e.lvl)
    if e.kind not in inc.kinds:
        inc.kinds.append(e.kind)
        inc.severity = max(inc.severity, sev) + 1
    else:
        inc.severity = max(inc.severity, sev)  # e.g. gas level 1 -> level 2
    if e.dev not in inc.devices:
        inc.devices.append(e.dev)
    inc.note(e.at, "alarm", f"{e.kind} {e.dev} {reading(e)}".strip())
    if inc.resolved_at is not None:
        # The cause was recorded, yet the sensors still alarm: never let that pass quietly.
        reignition = True
    out: list[Alert] = []
    if reignition and not inc.reignition:
        inc.reignition = True
        inc.note(e.at, "reignition", e.dev)
        out.append(Alert("reignition", inc.id))
    inc.version += 1
    return out


def open_incident(
    iid: int, code: str, e: ev.DeviceEvent, hh: Household | None, reignition: bool
) -> tuple[Incident, list[Alert]]:
    """A new incident ``iid`` for household ``code`` (``?<device>`` when unregistered)."""
    inc = Incident(
        id=iid,
        household=code,
        district=e.district,
        township=hh.township if hh else e.township,
        kind=e.kind,
        opened=e.at,
        state="alerting",
        severity=severity_of(e.kind, e.lvl),
        unregistered=hh is None,
        kinds=[e.kind],
        devices=[e.dev],
        alarms=[e.key],
        reignition=reignition,
    )
    record_alarm(inc.sensors, e)
    inc.note(e.at, "alarm", f"{e.kind} {e.dev} {reading(e)}".strip())
    if hh is None:
        inc.note(e.at, "unregistered_device", e.dev)
    out = [Alert("new_incident", iid)]
    if reignition:
        inc.note(e.at, "reignition", e.dev)
        out.append(Alert("reignition", iid))
    return inc, out


def restore(inc: Incident, e: ev.DeviceEvent) -> None:
    """A device of the household restored while ``inc`` is open: recorded, never a closure."""
    inc.last_restore = e.at
    inc.note(e.at, "restore", f"{e.kind} {e.dev}")
    record_restore(inc.sensors, e)
    inc.version += 1
