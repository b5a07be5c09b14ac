"""What each sensor of an incident has said so far, kept as data for triage (console/domain/triage.py).

The timeline keeps the same facts as words for people; triage needs them as numbers: how many
alarms, whether the device restored after its last alarm, and its readings per unit (first, peak,
last) so a rising CO or gas concentration can be seen. Pure: alarms.py calls these as it merges
alarms and restores into an incident, so the evidence is part of the fold and of every checkpoint.
"""

from __future__ import annotations

from typing import Final

import msgspec

from console.domain import events as ev

DEFAULT_UNIT: Final = {"co": "ppm", "gas": "%LEL"}
"""A reading without a unit, by kind: the only unit the contract names for CO and gas."""


class Reading(msgspec.Struct, kw_only=True, array_like=True):
    first: float
    peak: float
    last: float


class Sensor(msgspec.Struct, kw_only=True):
    """One device of the incident's household that alarmed while the incident was open."""

    kind: str
    alarms: int = 0
    first_alarm: int = 0
    last_alarm: int = 0
    restored_at: int | None = None  # a restore after its last alarm; None while it alarms
    restores: int = 0
    codes: list[int] = []  # vendor sub-codes in the order first seen (electric 201, 202, 603 ...)
    lvl: int | None = None  # highest gas level reported
    readings: dict[str, Reading] = {}  # unit -> readings in that unit

    @property
    def live(self) -> bool:
        return self.restored_at is None


def record_alarm(sensors: dict[str, Sensor], e: ev.DeviceEvent) -> None:
    s = sensors.get(e.dev)
    if s is None:
        s = sensors[e.dev] = Sensor(kind=e.kind, first_alarm=e.at)
    s.alarms += 1
    s.last_alarm = e.at
    s.restored_at = None
    if e.code is not None and e.code not in s.codes:
        s.codes.append(e.code)
    if e.lvl is not None:
        s.lvl = e.lvl if s.lvl is None else max(s.lvl, e.lvl)
    if e.val is not None:
        unit = e.unit or DEFAULT_UNIT.get(e.kind, "")
        r = s.readings.get(unit)
        if r is None:
            s.readings[unit] = Reading(first=e.val, peak=e.val, last=e.val)
        else:
            r.peak, r.last = max(r.peak, e.val), e.val


def record_restore(sensors: dict[str, Sensor], e: ev.DeviceEvent) -> None:
    """A restore of a device that never alarmed in this incident says nothing about it."""
    s = sensors.get(e.dev)
    if s is not None:
        s.restored_at = e.at
        s.restores += 1
