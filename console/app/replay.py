"""Offline replay: journal records through a fresh World on a simulated clock, with no effects.

The journal is the truth (ARCHITECTURE §7): replaying it in order through ``World.apply`` gives
the state the live console had, byte for byte. Effects returned by ``apply`` are dropped, so a
replay never publishes, never requests an SMS or a call, and never writes the journal it reads.

Seeking uses in-memory checkpoints: every ``interval`` records a serialized World snapshot is
kept; a seek restores the nearest one at or before the target and applies the few records after
it. The checkpoints are thinned (every other one dropped, interval doubled) whenever they would
exceed a memory budget, so a journal of any length fits.

Heartbeat records are most of a journal. For the common case (a registered, tracked, online
device) replay calls ``Supervisor.seen`` directly instead of going through ``World.apply``;
anything else (unknown device, untracked, coming back online) goes through ``World.apply``.
The same for ``Seen`` records (console/domain/liveness.py), all of a record or none of it.
"""

from __future__ import annotations

import copy
import gc
import sys
from array import array
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any, Final

import msgspec

from console.app.ports import ReplayRow
from console.app.world_snapshot import (
    SharedHealth,
    encode_incident,
    gc_paused,
    get_field,
    restore,
    set_field,
    snapshot_core,
    unknown_fields,
)
from console.domain import events as ev
from console.domain.chain import Record
from console.domain.deadlines import NS
from console.domain.world import World

ReadRecords = Callable[[int, int | None], Iterable[ReplayRow]]
"""``read(from_seq, to_seq_or_None)``: records in seq order, both ends inclusive (Journal.read,
or SqlJournal.read_rows, which leaves out what replay does not read)."""

SPEEDS: Final[dict[str, float | None]] = {"1x": 1.0, "10x": 10.0, "60x": 60.0, "max": None}
DEFAULT_INTERVAL: Final = 2048
# At a district's scale (100k devices) a checkpoint holds ~4-6 MB (references to the shared health
# plus what heartbeats copied since the previous one): a 1M-record journal keeps a checkpoint every
# 8,192 records (~500 MB), so a seek applies 4k records on average after a ~50-80 ms restore.
DEFAULT_BUDGET: Final = 768 * 1024 * 1024


class ReplayClock:
    """The simulated clock: it reads the time of the last record replayed (or a scrubbed moment)."""

    def __init__(self, now_ns: int = 0) -> None:
        self._now = now_ns

    def now_ns(self) -> int:
        return self._now

    def set(self, now_ns: int) -> None:
        self._now = now_ns


# --- applying records ------------------------------------------------------------------------

_hb_decoder = msgspec.json.Decoder(ev.Heartbeats)
_seen_decoder = msgspec.json.Decoder(ev.Seen)


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


def apply_seen(world: World, e: ev.Seen) -> None:
    """``world.apply(e)`` for a ``Seen`` record, with the common case done directly: every place a
    tracked, online device of the register in force (anything else: the World's own rules)."""
    if e.reg != world.register.digest or e.unknown:
        world.apply(e)
        return
    devices = world.seen_devices(e)
    if devices is None:
        world.apply(e)
        return
    sup = world.supervisor
    health = sup.health
    seen = sup.seen
    at = e.at
    for dev in devices:
        st = health.get(dev)
        if st is None or not st.online:
            world.apply(e)  # as a whole: its places fold in order, each by the World's rules
            return
    if at > world.now:
        world.now = at
    for dev in devices:
        seen(health[dev], at, None, None, None)
    world.counters["heartbeats"] += e.beats


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
    core: bytes  # without device health (see ``health``)
    health: SharedHealth  # by reference, copy on write
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
        # The checkpoints hold tens of millions of references and live as long as the replay:
        # a full collection walking them took ~0.5 s in the middle of a seek.
        gc.freeze()
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
            extra = {k: copy.deepcopy(get_field(self.world, k)) for k in unknown}
            if not any(p.reason == "snapshot_fields" for p in self.problems):
                self._problem(self.pos, "snapshot_fields", ", ".join(unknown))
        core = snapshot_core(self.world, health=False)
        prev = self.checkpoints[-1].health if self.checkpoints else None
        health = SharedHealth(self.world.supervisor, prev)
        changed = self.world.take_dirty()[0]  # nothing else reads a replay's dirty marks
        cache = self._incident_bytes
        size = len(core) + health.nbytes
        for iid in changed:
            inc = self.world.incidents.get(iid)
            if inc is not None:
                cache[iid] = b = encode_incident(inc)
                size += len(b)
        shared = dict(cache)
        size += sys.getsizeof(shared)
        self.checkpoints.append(Checkpoint(self.pos, core, health, shared, size, extra))
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

    def _apply(self, rec: ReplayRow) -> None:
        try:
            if rec.type == "seen" and self.fast_heartbeats:
                apply_seen(self.world, _seen_decoder.decode(rec.body))
            elif rec.type == "hb" and self.fast_heartbeats:
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
            w = self.world
            self.world = w = restore(w.empty_like(), cp.core, cp.incidents)
            cp.health.restore(w.supervisor)
            gc.freeze()  # the restored world's big dict and heap: not for every collection to walk
        for k, v in (cp.extra or {}).items():
            set_field(w, k, copy.deepcopy(v))
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


def replay_all(
    make_world: Callable[[], World], records: Iterable[Record], fast_heartbeats: bool = True
) -> tuple[World, list[Problem]]:
    """Straight through, no index or checkpoints (tests, headless checks)."""
    r = Replay(make_world, lambda a, b: iter(records), fast_heartbeats=fast_heartbeats)
    r.straight()
    return r.world, r.problems
