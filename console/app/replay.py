"""Offline replay: journal records through a fresh World on a simulated clock, with no effects.

The journal is the truth (ARCHITECTURE §7): replaying it in order through ``World.apply`` gives
the state the live console had, byte for byte. Effects returned by ``apply`` are dropped, so a
replay never publishes, never requests an SMS or a call, and never writes the journal it reads.

Seeking uses in-memory checkpoints: every ``interval`` records a serialized World snapshot is
kept; a seek restores the nearest one at or before the target and applies the few records after
it. The checkpoints are thinned (every other one dropped, interval doubled) whenever they would
exceed a memory budget, so a journal of any length fits.

Heartbeat batches are most of a journal. For the common case (a registered, tracked, online
device) replay calls ``Supervisor.seen`` directly instead of going through ``World.apply``;
anything else (unknown device, untracked, coming back online) goes through ``World.apply``.
"""

from __future__ import annotations

import copy
import gc
import sys
import zlib
from array import array
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Final

import msgspec

from console.domain import events as ev
from console.domain.chain import Record
from console.domain.deadlines import MARKS, NS, due_at
from console.domain.incident import Incident
from console.domain.supervision import Health, Ticket
from console.domain.world import Session, World

ReadRecords = Callable[[int, int | None], Iterable[Record]]
"""``read(from_seq, to_seq_or_None)``: records in seq order, both ends inclusive (Journal.read)."""

SPEEDS: Final[dict[str, float | None]] = {"1x": 1.0, "10x": 10.0, "60x": 60.0, "max": None}
DEFAULT_INTERVAL: Final = 2048
DEFAULT_BUDGET: Final = 512 * 1024 * 1024
COMPRESS_ABOVE: Final = 4 << 20  # a core state bigger than this is zlib'd: more checkpoints fit

_STATIC: Final = frozenset({"register", "templates", "weights"})
_DIRTY: Final = frozenset({"dirty_incidents", "dirty_tickets", "dirty_households"})
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
    }
)
_SUPERVISOR_FIELDS: Final = frozenset({"health", "_due", "_since"})


class ReplayClock:
    """The simulated clock: it reads the time of the last record replayed (or a scrubbed moment)."""

    def __init__(self, now_ns: int = 0) -> None:
        self._now = now_ns

    def now_ns(self) -> int:
        return self._now

    def set(self, now_ns: int) -> None:
        self._now = now_ns


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


_encoder = msgspec.msgpack.Encoder()
_state_decoder = msgspec.msgpack.Decoder(WorldState)
_incident_decoder = msgspec.msgpack.Decoder(Incident)


def unknown_fields(world: World) -> list[str]:
    """World / Supervisor attributes this module does not know how to snapshot (kept by deepcopy)."""
    out = [k for k in vars(world) if k not in _WORLD_FIELDS | _STATIC | _DIRTY]
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


def snapshot_core(world: World) -> bytes:
    """The world's dynamic state except incidents, as msgpack."""
    sup = world.supervisor
    if len(sup._due) > 2 * len(sup.health) + 1024:
        compact_heap(world)
    state = WorldState(
        open_by_household=world.open_by_household,
        history=world.history,
        last_restore=world.last_restore,
        health=sup.health,
        due=sup._due,
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
    world.dirty_incidents, world.dirty_tickets, world.dirty_households = set(), set(), set()
    return world


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


# --- applying records ------------------------------------------------------------------------

_hb_decoder = msgspec.json.Decoder(ev.Heartbeats)


class Problem(msgspec.Struct, frozen=True):
    """A record replay could not use: it is counted and skipped, never a crash."""

    seq: int
    reason: str  # bad_body | apply_failed | snapshot_fields
    detail: str


def apply_heartbeats(world: World, e: ev.Heartbeats) -> None:
    """``world.apply(e)`` for a heartbeat batch, with the common case done directly."""
    sup = world.supervisor
    health = sup.health
    index = world.register.device_index
    seen = sup.seen
    at = e.at
    if at > world.now:
        world.now = at
    rest: list[ev.Beat] = []
    for b in e.beats:
        st = health.get(b.dev)
        if st is None or not st.online or b.dev not in index:
            # unknown, not yet tracked, or coming back online: the World's own rules
            rest.append(b)
            continue
        seen(st, at, b.hb, b.bat, b.rssi)
    handled = len(e.beats) - len(rest)
    if handled:
        world.counters["heartbeats"] += handled
    if rest:
        world.apply(ev.Heartbeats(at=at, township=e.township, beats=tuple(rest)))


class Marker(msgspec.Struct, frozen=True):
    """Where an incident starts on the timeline."""

    incident: int
    pos: int  # replay position (records applied) at which the incident exists
    at: int
    kind: str
    household: str
    township: str


class Checkpoint(msgspec.Struct):
    pos: int
    core: bytes
    incidents: dict[int, bytes]  # bytes shared with earlier checkpoints where unchanged
    size: int
    extra: dict[str, Any] | None = None  # fields this module does not know, deep-copied


# --- the replay ------------------------------------------------------------------------------


class Replay:
    """A journal replayed into a World, seekable by position (records applied) or time."""

    def __init__(
        self,
        make_world: Callable[[], World],
        read: ReadRecords,
        *,
        interval: int = DEFAULT_INTERVAL,
        budget_bytes: int = DEFAULT_BUDGET,
        fast_heartbeats: bool = True,
    ) -> None:
        self.make_world = make_world
        self.read = read
        self.interval = max(1, interval)
        self.budget_bytes = budget_bytes
        self.fast_heartbeats = fast_heartbeats
        self.world = make_world()
        self.clock = ReplayClock()
        self.pos = 0
        self.seqs = array("q")
        self.ats = array("q")  # running maximum of record times: monotonic even if the journal is not
        self.types: list[str] = []
        self.markers: list[Marker] = []
        self.checkpoints: list[Checkpoint] = []
        self.checkpoint_bytes = 0
        self.problems: list[Problem] = []
        self.problem_counts: Counter[str] = Counter()
        self.applied = 0  # records applied in total (indexing and seeks)
        self.indexed = False
        self._incident_bytes: dict[int, bytes] = {}

    # --- facts -------------------------------------------------------------------------------

    @property
    def length(self) -> int:
        return len(self.seqs)

    @property
    def start_ns(self) -> int:
        return self.ats[0] if self.ats else 0

    @property
    def end_ns(self) -> int:
        return self.ats[-1] if self.ats else 0

    def time_at(self, pos: int) -> int:
        """The simulated time after ``pos`` records (the first record's time at 0)."""
        if not self.ats:
            return 0
        return self.ats[max(0, min(pos, len(self.ats)) - 1)]

    def pos_at_time(self, t_ns: int) -> int:
        """Records accepted at or before ``t_ns``."""
        return bisect_right(self.ats, t_ns)

    # --- building the index ------------------------------------------------------------------

    def index(self, progress: Callable[[int], None] | None = None, every: int = 50_000) -> int:
        """One pass over the whole journal: times, incident markers, checkpoints. Leaves the world
        at the end of the journal. Returns the number of records."""
        gc.freeze()  # the register and templates live as long as the replay: never scan them
        self.world = self.make_world()
        self.pos = 0
        self.seqs, self.ats, self.types = array("q"), array("q"), []
        self.markers, self.checkpoints, self.checkpoint_bytes = [], [], 0
        self._incident_bytes = {}
        self.world.take_dirty()
        self._checkpoint()
        last_at = 0
        with gc_paused():
            for rec in self.read(1, None):
                self.seqs.append(rec.seq)
                last_at = max(last_at, rec.at)
                self.ats.append(last_at)
                self.types.append(rec.type)
                before = self.world.next_incident
                self._apply(rec)
                self.pos += 1
                if self.world.next_incident != before:
                    self._mark(before, self.world.next_incident, rec.at)
                if self.pos % self.interval == 0:
                    self._checkpoint()
                if progress is not None and self.pos % every == 0:
                    progress(self.pos)
        self.clock.set(self.time_at(self.pos))
        self.indexed = True
        return self.pos

    def straight(self) -> int:
        """Replay everything from a fresh world at full speed, without index or checkpoints."""
        self.world, self.pos = self.make_world(), 0
        with gc_paused():
            for rec in self.read(1, None):
                self._apply(rec)
                self.pos += 1
        self.clock.set(self.time_at(self.pos))
        return self.pos

    def _mark(self, first: int, stop: int, at: int) -> None:
        for iid in range(first, stop):
            inc = self.world.incidents.get(iid)
            if inc is not None:
                self.markers.append(Marker(iid, self.pos, at, inc.kind, inc.household, inc.township))

    def _checkpoint(self) -> None:
        unknown = unknown_fields(self.world)
        extra: dict[str, Any] | None = None
        if unknown:
            extra = {k: copy.deepcopy(_get(self.world, k)) for k in unknown}
            if not any(p.reason == "snapshot_fields" for p in self.problems):
                self._problem(self.pos, "snapshot_fields", ", ".join(unknown))
        core = snapshot_core(self.world)
        changed = self.world.take_dirty()[0]  # nothing else reads a replay's dirty marks
        cache = self._incident_bytes
        size = len(core)
        for iid in changed:
            inc = self.world.incidents.get(iid)
            if inc is not None:
                cache[iid] = b = encode_incident(inc)
                size += len(b)
        shared = dict(cache)
        size += sys.getsizeof(shared)
        self.checkpoints.append(Checkpoint(self.pos, core, shared, size, extra))
        self.checkpoint_bytes += size
        while self.checkpoint_bytes > self.budget_bytes and len(self.checkpoints) > 2:
            self._thin()

    def _thin(self) -> None:
        """Keep every other checkpoint (the first always) and double the interval."""
        self.interval *= 2
        kept = [c for c in self.checkpoints if c.pos % self.interval == 0]
        self.checkpoints = kept
        self.checkpoint_bytes = sum(c.size for c in kept)

    # --- applying ----------------------------------------------------------------------------

    def _problem(self, seq: int, reason: str, detail: str) -> None:
        self.problem_counts[reason] += 1
        if len(self.problems) < 1000:
            self.problems.append(Problem(seq, reason, detail[:300]))

    def _apply(self, rec: Record) -> None:
        try:
            if rec.type == "hb" and self.fast_heartbeats:
                apply_heartbeats(self.world, _hb_decoder.decode(rec.body))
            else:
                self.world.apply(ev.decode(rec.body))  # effects dropped: nothing goes out
        except msgspec.MsgspecError as exc:
            self._problem(rec.seq, "bad_body", f"{rec.type}: {exc}")
        except Exception as exc:  # a domain bug must not stop an investigation
            self._problem(rec.seq, "apply_failed", f"{rec.type}: {type(exc).__name__}: {exc}")
        self.applied += 1

    def _forward(self, to_pos: int) -> int:
        """Apply records pos..to_pos-1 from the journal."""
        if to_pos <= self.pos:
            return 0
        n = 0
        with gc_paused():
            for rec in self.read(self.seqs[self.pos], self.seqs[to_pos - 1]):
                self._apply(rec)
                self.pos += 1
                n += 1
                if self.pos >= to_pos:
                    break
        return n

    # --- moving ------------------------------------------------------------------------------

    def seek(self, pos: int) -> World:
        """The world after ``pos`` records: forward from here, or from the nearest checkpoint."""
        pos = max(0, min(pos, self.length))
        i = bisect_right([c.pos for c in self.checkpoints], pos) - 1
        cp = self.checkpoints[i] if i >= 0 else None
        if pos < self.pos or (cp is not None and cp.pos > self.pos):
            if cp is None:
                self.world, self.pos = self.make_world(), 0
            else:
                self._restore(cp)
        self._forward(pos)
        self.clock.set(self.time_at(pos))
        return self.world

    def _restore(self, cp: Checkpoint) -> None:
        with gc_paused():
            w = restore(self.make_world(), cp.core, cp.incidents)
        for k, v in (cp.extra or {}).items():
            _set(w, k, copy.deepcopy(v))
        self.world, self.pos = w, cp.pos

    def seek_time(self, t_ns: int) -> World:
        """The world as it was at ``t_ns``: every record accepted at or before it applied."""
        self.seek(self.pos_at_time(t_ns))
        self.clock.set(max(t_ns, self.time_at(self.pos)) if self.pos else t_ns)
        return self.world

    def step(self) -> int:
        """Apply the next record; returns the new position."""
        self.seek(self.pos + 1)
        return self.pos

    def advance(self, real_s: float, speed: float | None, max_records: int = 20_000) -> int:
        """Playback: move the simulated clock ``real_s × speed`` forward (at most ``max_records``
        records; ``speed`` None = as fast as possible). Returns records applied."""
        before = self.pos
        if speed is None:
            self.seek(self.pos + max_records)
            return self.pos - before
        now = self.clock.now_ns() or self.start_ns
        target = now + int(real_s * speed * NS)
        limit = before + max_records
        pos = max(before, self.pos_at_time(target))
        self.seek(min(pos, limit))
        self.clock.set(target if pos <= limit else self.time_at(limit))
        return self.pos - before

    def next_incident_start(self, after_pos: int) -> Marker | None:
        return next((m for m in self.markers if m.pos > after_pos), None)

    def marker(self, incident: int) -> Marker | None:
        return next((m for m in self.markers if m.incident == incident), None)


def _get(world: World, name: str) -> Any:
    if name.startswith("supervisor."):
        return getattr(world.supervisor, name.split(".", 1)[1])
    return getattr(world, name)


def _set(world: World, name: str, value: Any) -> None:
    if name.startswith("supervisor."):
        setattr(world.supervisor, name.split(".", 1)[1], value)
    else:
        setattr(world, name, value)


def replay_all(
    make_world: Callable[[], World], records: Iterable[Record], fast_heartbeats: bool = True
) -> tuple[World, list[Problem]]:
    """Straight through, no index or checkpoints (tests, headless checks)."""
    r = Replay(make_world, lambda a, b: iter(records), fast_heartbeats=fast_heartbeats)
    r.straight()
    return r.world, r.problems


# --- reading the result ----------------------------------------------------------------------


class MarkResult(msgspec.Struct, frozen=True):
    minute: int
    due: int
    met_at: int | None
    status: str  # met | missed | pending


class IncidentTiming(msgspec.Struct, frozen=True, kw_only=True):
    """Seconds from T0 (first alarm received) to each milestone; None if it never happened."""

    incident: int
    household: str
    township: str
    kind: str
    state: str
    opened: int
    alert_out_s: float | None
    ack_s: float | None
    dispatch_s: float | None
    on_site_s: float | None
    resolved_s: float | None
    close_s: float | None
    cause: str
    escalations: list[str]
    missed: list[int]
    marks: list[MarkResult]


def _secs(t: int | None, t0: int) -> float | None:
    return None if t is None else (t - t0) / NS


def timing(inc: Incident, now: int) -> IncidentTiming:
    marks = []
    for m in MARKS:
        met = inc.met_at(m.minute)
        due = due_at(inc.opened, m)
        if m.minute in inc.missed or (met is not None and met > due):
            status = "missed"
        elif met is not None:
            status = "met"
        else:
            status = "missed" if now >= due and inc.is_open else "pending"
        marks.append(MarkResult(m.minute, due, met, status))
    return IncidentTiming(
        incident=inc.id,
        household=inc.household,
        township=inc.township,
        kind=inc.kind,
        state=inc.state,
        opened=inc.opened,
        alert_out_s=_secs(inc.alert_out_at, inc.opened),
        ack_s=_secs(inc.ack_at, inc.opened),
        dispatch_s=_secs(inc.dispatched_at, inc.opened),
        on_site_s=_secs(inc.on_site_at, inc.opened),
        resolved_s=_secs(inc.resolved_at, inc.opened),
        close_s=_secs(inc.closed_at, inc.opened),
        cause=inc.cause,
        escalations=list(inc.escalations),
        missed=list(inc.missed),
        marks=marks,
    )


def timings(world: World, from_ns: int | None = None, to_ns: int | None = None) -> list[IncidentTiming]:
    """Per-incident timings for incidents opened in [from_ns, to_ns)."""
    out = []
    for iid in sorted(world.incidents):
        inc = world.incidents[iid]
        if from_ns is not None and inc.opened < from_ns:
            continue
        if to_ns is not None and inc.opened >= to_ns:
            continue
        out.append(timing(inc, world.now))
    return out


def kpis(world: World, scope: str = "*") -> dict[str, float | int | None]:
    """The figures the console's KPI strip shows, as they are in ``world``."""
    incs = [i for i in world.incidents.values() if scope == "*" or i.township == scope]
    open_ = [i for i in incs if i.is_open]
    out: dict[str, float | int | None] = {
        "incidents": len(incs),
        "open": len(open_),
        "closed": len(incs) - len(open_),
        "escalated": sum(1 for i in incs if i.escalations),
        "open_tickets": sum(
            1 for t in world.tickets.values() if t.closed is None and (scope == "*" or t.township == scope)
        ),
        "offline_devices": sum(1 for h in world.supervisor.health.values() if not h.online),
    }
    for m in MARKS:
        due = [i for i in incs if world.now >= due_at(i.opened, m)]
        met = [
            i
            for i in due
            if m.minute not in i.missed and (i.met_at(m.minute) or 10**30) <= due_at(i.opened, m)
        ]
        out[f"met_{m.minute}"] = len(met)
        out[f"missed_{m.minute}"] = len(due) - len(met)
        out[f"met_{m.minute}_pct"] = round(100.0 * len(met) / len(due), 1) if due else None
    acks = sorted((i.ack_at - i.opened) / NS for i in incs if i.ack_at is not None)
    out["median_ack_s"] = acks[len(acks) // 2] if acks else None
    return out


__all__ = [
    "SPEEDS",
    "IncidentTiming",
    "Marker",
    "Problem",
    "Replay",
    "ReplayClock",
    "apply_heartbeats",
    "kpis",
    "replay_all",
    "restore",
    "snapshot",
    "timing",
    "timings",
]
