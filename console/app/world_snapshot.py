"""Snapshots of a World: what replay checkpoints hold, and how a world is rebuilt from one.

The snapshot covers every field of World and its Supervisor except the static inputs (register,
templates, weights, storm rules, triage score: ``World.empty_like`` carries them), the dirty sets
and the derived open-incident index (console/domain/open_index.py, rebuilt after a restore);
``unknown_fields`` names any field added to World later so a checkpoint never silently misses it
(replay deep-copies those as a fallback).

Two forms. ``snapshot``/``restore``: bytes only (msgpack), for anything stored or sent. Replay's
in-memory checkpoints use ``snapshot_core(world, health=False)`` plus ``SharedHealth``: a
district's device health (100k devices) and offline heap held by reference, copy on write,
restored in a few milliseconds where decoding 100k structs from msgpack takes ~150 ms.
"""

from __future__ import annotations

import gc
import hashlib
import zlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

import msgspec

from console.domain import events as ev
from console.domain.commands import Session
from console.domain.incident import Incident
from console.domain.open_index import OpenIndex
from console.domain.registry import Register, dumps
from console.domain.supervision import Health, Supervisor, Ticket
from console.domain.world import World

COMPRESS_ABOVE: Final = 4 << 20  # a core state bigger than this is zlib'd: more checkpoints fit

# ``register`` is in force by ``register_digest`` (kept); the register itself is looked up again
_STATIC: Final = frozenset(
    {"register", "initial_register", "registers", "templates", "weights", "storm_rules", "triage_score"}
)
_DIRTY: Final = frozenset({"dirty_incidents", "dirty_tickets", "dirty_households"})
_DERIVED: Final = frozenset({"_index"})  # World's open_index: rebuilt from the incidents, never kept
_WORLD_FIELDS: Final = frozenset(
    {
        "incidents",
        "open_by_household",
        "history",
        "last_restore",
        "supervisor",
        "tickets",
        "open_ticket",
        "sessions",
        "quarantine",
        "counters",
        "bus_state",
        "bus_since",
        "now",
        "next_incident",
        "next_ticket",
        "handovers",
        "reveals",
        "_started",
        "seen_keys",
        "register_digest",
        "gateway_state",
        "gateway_since",
        "gateway_failing",
        "rules",
    }
)
_SUPERVISOR_FIELDS: Final = frozenset({"health", "_due", "_since", "_own", "copies"})


# --- snapshots -------------------------------------------------------------------------------


class WorldState(msgspec.Struct, array_like=True):
    """Everything in a World that events change, but the incidents (encoded one by one, so a
    checkpoint shares the bytes of every incident that did not change since the last one).
    Register, templates and weights are not here: one replay, one register."""

    open_by_household: dict[str, int]
    history: dict[str, list[int]]
    last_restore: dict[str, int]
    health: dict[str, Health]
    due: list[tuple[int, str]]  # the offline heap as it is (a list in heap order)
    since: dict[str, int]
    tickets: dict[int, Ticket]
    open_ticket: list[tuple[str, str, int]]
    sessions: dict[str, Session]
    quarantine: dict[str, int]
    counters: dict[str, int]
    bus_state: str
    bus_since: int
    now: int
    next_incident: int
    next_ticket: int
    handovers: list[ev.Handover]
    reveals: list[ev.RevealContact]
    started: bool
    seen_keys: set[str] | None = None  # World.seen_keys, where the World has it
    register_digest: str | None = None  # World.register_digest: the register in force
    gateway: tuple[str, int, tuple[str, ...]] = ("unknown", 0, ())  # World.gateway_state/since/failing
    rules: int = 1  # World.rules: the journal's rules version (console/domain/closure.py)


_encoder = msgspec.msgpack.Encoder()
_state_decoder = msgspec.msgpack.Decoder(WorldState)
_incident_decoder = msgspec.msgpack.Decoder(Incident)


def unknown_fields(world: World) -> list[str]:
    """World / Supervisor attributes this module does not know how to snapshot (kept by deepcopy)."""
    out = [k for k in vars(world) if k not in _WORLD_FIELDS | _STATIC | _DIRTY | _DERIVED]
    out += [f"supervisor.{k}" for k in vars(world.supervisor) if k not in _SUPERVISOR_FIELDS]
    return sorted(out)


def compact_heap(world: World) -> None:
    """Drop the offline heap's stale entries (it keeps one per heartbeat ever seen). A sorted list
    is a heap, and next_due / expire skip stale entries anyway, so behaviour is unchanged."""
    sup = world.supervisor
    since = sup._since
    grace = sup._grace_end
    live = [
        (grace(h, h.last_seen or since[d]), d)
        for d, h in sup.health.items()
        if h.online and (h.last_seen or d in since)
    ]
    live.sort()
    sup._due = live


def snapshot_core(world: World, health: bool = True) -> bytes:
    """The world's dynamic state except incidents, as msgpack; with ``health=False`` also
    without device health and the offline heap (``SharedHealth`` carries those)."""
    sup = world.supervisor
    if health and len(sup._due) > 2 * len(sup.health) + 1024:
        compact_heap(world)
    state = WorldState(
        open_by_household=world.open_by_household,
        history=world.history,
        last_restore=world.last_restore,
        health=sup.health if health else {},
        due=sup._due if health else [],
        since=sup._since,
        tickets=world.tickets,
        open_ticket=[(d, k, t) for (d, k), t in world.open_ticket.items()],
        sessions=world.sessions,
        quarantine=dict(world.quarantine),
        counters=dict(world.counters),
        bus_state=world.bus_state,
        bus_since=world.bus_since,
        now=world.now,
        next_incident=world.next_incident,
        next_ticket=world.next_ticket,
        handovers=world.handovers,
        reveals=world.reveals,
        started=world._started,
        seen_keys=getattr(world, "seen_keys", None),
        register_digest=world.register_digest,
        gateway=(world.gateway_state, world.gateway_since, world.gateway_failing),
        rules=world.rules,
    )
    raw = _encoder.encode(state)
    return b"z" + zlib.compress(raw, 1) if len(raw) > COMPRESS_ABOVE else b"m" + raw


def encode_incident(inc: Incident) -> bytes:
    return _encoder.encode(inc)


def snapshot(world: World) -> tuple[bytes, dict[int, bytes]]:
    """A full snapshot: (core, incidents encoded one by one)."""
    return snapshot_core(world), {i: encode_incident(inc) for i, inc in world.incidents.items()}


def restore(world: World, core: bytes, incidents: dict[int, bytes]) -> World:
    """Load a snapshot into a fresh ``world`` (made for the same register); returns it."""
    s = _state_decoder.decode(zlib.decompress(core[1:]) if core[:1] == b"z" else core[1:])
    dec = _incident_decoder.decode
    world.incidents = {i: dec(b) for i, b in incidents.items()}
    world.open_by_household = s.open_by_household
    world.history = s.history
    world.last_restore = s.last_restore
    sup = world.supervisor
    sup.health = s.health
    sup._due = s.due
    sup._since = s.since
    world.tickets = s.tickets
    world.open_ticket = {(d, k): t for d, k, t in s.open_ticket}
    world.sessions = s.sessions
    world.quarantine = Counter(s.quarantine)
    world.counters = Counter(s.counters)
    world.bus_state = s.bus_state
    world.bus_since = s.bus_since
    world.now = s.now
    world.next_incident = s.next_incident
    world.next_ticket = s.next_ticket
    world.handovers = s.handovers
    world.reveals = s.reveals
    world._started = s.started
    if s.seen_keys is not None:
        world.seen_keys = s.seen_keys
    world.gateway_state, world.gateway_since, world.gateway_failing = s.gateway
    world.rules = s.rules
    world.use_register(s.register_digest)
    world.dirty_incidents, world.dirty_tickets, world.dirty_households = set(), set(), set()
    world._index = OpenIndex()  # indexed again from the restored incidents when next asked
    return world


# --- device health by reference (replay checkpoints) -------------------------------------------


class SharedHealth:
    """``Supervisor.health`` and its offline heap, held by reference: a tuple of the Health
    objects and one of the heap entries (immutable tuples). ``Supervisor.share()`` makes the
    world copy a Health before changing it, so these never change; consecutive checkpoints share
    every Health that did not change between them. Costs ~8 bytes a device and heap entry plus
    the copies; restores in a dict rebuild. Device names are a tuple shared with the previous
    checkpoint while no device was added (almost always)."""

    __slots__ = ("devs", "due", "health", "nbytes")
    devs: tuple[str, ...]
    health: tuple[Health, ...]
    due: tuple[tuple[int, str], ...]
    nbytes: int

    def __init__(self, sup: Supervisor, prev: SharedHealth | None = None) -> None:
        devs = tuple(sup.health)
        if prev is not None and prev.devs == devs:
            devs = prev.devs
            names = 0
        else:
            names = 8 * len(devs)
        self.devs = devs
        self.health = tuple(sup.health.values())
        self.due = tuple(sup._due)
        # references, plus what was copied on write since the last checkpoint (a Health and its
        # ints, the heap entries it moved): within 5% of tracemalloc at 100k devices
        self.nbytes = 8 * (len(devs) + len(self.due)) + names + 300 * sup.copies
        sup.share()

    def restore(self, sup: Supervisor) -> None:
        """Give ``sup`` this checkpoint's health and heap (shared: copy on write)."""
        sup.health = dict(zip(self.devs, self.health, strict=True))
        sup._due = list(self.due)
        sup.share()


def register_key(register: Register) -> str:
    """What a state is bound to: the register's version and size; an unversioned register (tests,
    hand-built ones) by a digest of its content."""
    size = f"{len(register.households)}h{len(register.device_index)}d"
    if register.version:
        return f"{register.version}/{size}"
    return f"sha256:{hashlib.sha256(dumps(register)).hexdigest()[:32]}/{size}"


@contextmanager
def gc_paused() -> Iterator[None]:
    """Replay allocates millions of short-lived, acyclic objects; full collections scanning a
    large register would cost more than the replay itself."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def get_field(world: World, name: str) -> Any:
    if name.startswith("supervisor."):
        return getattr(world.supervisor, name.split(".", 1)[1])
    return getattr(world, name)


def set_field(world: World, name: str, value: Any) -> None:
    if name.startswith("supervisor."):
        setattr(world.supervisor, name.split(".", 1)[1], value)
    else:
        setattr(world, name, value)
