"""What the engine tells the UI: a status and the changes since the last delta.

Plain msgspec structs holding copies, so they cross from the engine thread to the UI thread
without sharing anything mutable."""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

from console.app.bridges import BridgeProblem
from console.app.mismatch import UnmatchedReport
from console.app.silence import SilentArea
from console.domain.effects import Alert, CommandRefused
from console.domain.incident import Incident
from console.domain.storm import Held, StormState
from console.domain.supervision import Ticket
from console.domain.world import World

T = TypeVar("T")


class HeldNote(msgspec.Struct, frozen=True, kw_only=True):
    """One role of an incident whose notifications a storm holds back, as the header lists it."""

    incident: int
    household: str
    role: str
    since: int  # console time it was held
    why: str  # storm


class Status(msgspec.Struct, kw_only=True):
    now: int
    bus: str
    bus_since: int
    journal: str  # ok | failing
    journal_error: str = ""
    pending: int = 0  # events applied but not yet journaled
    received: int = 0
    duplicates: int = 0
    rejected: int = 0
    quarantine: dict[str, int] = {}
    unknown_heartbeats: int = 0
    clock_offset_s: float | None = None  # console clock minus median device clock
    open_incidents: int = 0
    open_tickets: int = 0
    last_seq: int = 0
    storm: StormState | None = None  # world.storm() at the console's clock
    storm_seq: int = 0  # the journal position ``storm`` and ``held`` were computed at (they lag by <= 1 s)
    held: tuple[HeldNote, ...] = ()  # world.held_notifications(), with each incident's household (HeldNotes)
    silent: tuple[SilentArea, ...] = ()  # townships (and "*", the district) gone quiet: Silence.report
    engine_restarts: int = 0  # times the watchdog rebuilt the engine from the journal (console/app/engine.py)
    engine_failure: str = ""  # the last failure, for the banner and IT
    engine_restarted_at: int = 0  # console time of the last rebuild
    engine_dead: bool = False  # it failed too often and stays stopped: this console processes nothing
    register_version: str = ""  # the register in force
    register_households: int = 0
    unmatched: UnmatchedReport | None = None  # traffic heard, none from a registered device
    # the console's settings against its register: ("district", code) no household is in the
    # district it subscribes to; ("township", code) none in its township (bootstrap.scope_problems)
    scope_problems: tuple[tuple[str, str], ...] = ()
    # notifications handed to the bus that no provider accepted within ACCEPT_WITHIN_S:
    # (incident, role), the ones to phone by hand; the gateway's presence and failing providers
    unaccepted: tuple[tuple[int, str], ...] = ()
    gateway: str = "unknown"  # online | offline | unknown (never announced)
    gateway_failing: tuple[str, ...] = ()
    bridges: tuple[BridgeProblem, ...] = ()  # ingest bridges gone, stale, full or with a silent platform


class HeldNotes:
    """``world.held_notifications()`` with each incident's household, as the status carries them.

    Asked at every delta; in a storm of 2,000 incidents remaking the 4,000 notes each time cost
    ~4 ms, so each incident's notes are kept until its rows change and the whole tuple until any
    do (``World.held_by_incident``'s version)."""

    def __init__(self) -> None:
        self._version = -1
        self._notes: tuple[HeldNote, ...] = ()
        self._of: dict[int, tuple[tuple[Held, ...], tuple[HeldNote, ...]]] = {}

    def __call__(self, w: World) -> tuple[HeldNote, ...]:
        version, by_incident = w.held_by_incident()
        if version == self._version:
            return self._notes
        kept: dict[int, tuple[tuple[Held, ...], tuple[HeldNote, ...]]] = {}
        for iid, rows in by_incident.items():
            old = self._of.get(iid)
            if old is not None and old[0] == rows:
                kept[iid] = old
            else:
                household = w.incidents[iid].household
                notes = tuple(
                    HeldNote(incident=h.incident, household=household, role=h.role, since=h.since, why=h.why)
                    for h in rows
                )
                kept[iid] = (rows, notes)
        self._of, self._version = kept, version
        self._notes = tuple(n for iid in sorted(kept) for n in kept[iid][1])
        return self._notes


class Delta(msgspec.Struct, kw_only=True):
    """What changed since the last delta. Copies: safe to hand to another thread."""

    incidents: list[Incident] = []
    tickets: list[Ticket] = []
    bands: dict[str, str] = {}
    alerts: list[Alert] = []
    refusals: list[CommandRefused] = []
    status: Status | None = None
    # the register now in force when it changed since the last delta (a Register: never changed
    # once made, so shared with the UI thread rather than copied); None when it did not
    register: Any = None


def copy_struct(obj: T) -> T:
    """A deep copy through msgpack: safe to hand to another thread."""
    return msgspec.msgpack.decode(msgspec.msgpack.encode(obj), type=type(obj))


def changed_since_last(
    w: World, alerts: list[Alert], refusals: list[CommandRefused], status: Status
) -> Delta:
    """What changed in ``w`` since the last delta (its dirty sets, which this empties), as copies
    safe to hand to the UI thread."""
    incs, tickets, households = w.take_dirty()
    return Delta(
        incidents=[copy_struct(w.incidents[i]) for i in sorted(incs)],
        tickets=[copy_struct(w.tickets[t]) for t in sorted(tickets)],
        bands={code: w.band_of(code) for code in households if code in w.register.households},
        alerts=alerts,
        refusals=refusals,
        status=status,
    )
