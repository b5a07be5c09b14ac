"""The engine: the single writer.

Everything that changes state enters through one queue and is handled in one thread, in order:
decode -> deduplicate -> journal (one transaction per batch) -> apply -> effects -> acknowledge.
A bus batch is acknowledged (its ``done`` callback) only once it is durably journaled, so a
console killed at any instant loses nothing the broker delivered. If the journal cannot be
written the engine keeps applying (the officer keeps seeing alarms from memory), holds the
unwritten events and their acknowledgements, says so in its status, and writes them once it can.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from typing import Any, TypeVar

import msgspec

from console.app.beats import BeatBuffer
from console.app.bridges import BridgeProblem
from console.app.changes import Changes
from console.app.delta import HeldNote, HeldNotes, Status, changed_since_last
from console.app.engine_state import Checkpointer
from console.app.intake import Intake
from console.app.mismatch import Unmatched, UnmatchedReport
from console.app.ports import Clock, Journal, JournalError, Message, Publisher, UiSink
from console.app.silence import Silence, SilentArea
from console.domain import closure, liveness
from console.domain import events as ev
from console.domain.codec import (
    encode_notify,
    notify_req_topic,
)
from console.domain.effects import Alert, CommandRefused, Effect, PublishRequest
from console.domain.notify_plan import ACCEPT_WITHIN_S
from console.domain.storm import StormState
from console.domain.world import World

log = logging.getLogger(__name__)
T = TypeVar("T")

FLUSH_INTERVAL_NS = 50_000_000  # deltas to the UI at most 20 times a second
IDLE_WAKE_S = 0.2
MAX_RESTARTS = 3  # the watchdog rebuilds the engine this many times within RESTART_WINDOW_NS, then gives up
RESTART_WINDOW_NS = 60_000_000_000
# the storm banner's facts and the held list: at most once a real second between clock seconds
STORM_EVERY_NS = 1_000_000_000
HOUSEKEEPING_NS = 50_000_000  # timers, journal retry and UI flush at least this often under load
POLL_OTHERS_NS = 300_000_000  # how often to look for records other workstations wrote


def _rows(events: Iterable[ev.AnyEvent]) -> list[tuple[int, str, str, str, bytes]]:
    """Journal rows: (at, source, type, key, canonical body)."""
    return [(e.at, ev.source_of(e), ev.type_of(e), ev.key_of(e), ev.encode(e)) for e in events]


def _all(callbacks: list[Callable[[], None]]) -> Callable[[], None]:
    def call() -> None:
        for cb in callbacks:
            cb()

    return call


class _BusBatch(msgspec.Struct):
    messages: Sequence[Any]
    done: Callable[[], None] | None


class _Cmd(msgspec.Struct):
    event: Any


class _Query(msgspec.Struct):
    fn: Callable[[World], Any]
    fut: Future[Any]


class _FlushBeats(msgspec.Struct):
    """Journal held heartbeats now (before a snapshot, a handover, a test's comparison)."""


class _Rules(msgspec.Struct):
    pass


class _Resend(msgspec.Struct):
    """After recovery: send what was journaled as requested but never acknowledged by the broker."""


class _Acked(msgspec.Struct):
    """The broker acknowledged a notification request (the bus thread's ``on_acked``)."""

    req: str


_STOP = object()
_WAKE = object()


class Engine:
    def __init__(
        self,
        world: World,
        journal: Journal,
        clock: Clock,
        console_id: str,
        publisher: Publisher | None = None,
        sink: UiSink | None = None,
        effects: bool = True,
        on_journaled: Callable[[list[ev.AnyEvent]], None] | None = None,
        on_unwritten: Callable[[list[ev.AnyEvent]], None] | None = None,
        checkpoints: Checkpointer | None = None,
        silence: Silence | None = None,
    ) -> None:
        self.world = world
        self.journal = journal
        self.clock = clock
        self.console_id = console_id
        self.publisher = publisher
        self.sink = sink
        self.effects = effects
        self.on_journaled = on_journaled
        self.on_unwritten = on_unwritten  # stopping while the journal still fails
        self.checkpoints = checkpoints  # engine state saved now and then: a fast start (engine_state.py)
        self._q: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self.intake = Intake()  # decodes, deduplicates and counts what the bus delivers
        # no window: the alerts (with their incident's township and kind) go here instead, in
        # words on headless's log (console/entry/headless.py)
        self.on_alerts: Callable[[list[tuple[Alert, dict[str, str]]]], None] | None = None
        # who an escalation to each service notifies (resources/escalation.toml; bootstrap)
        self.services: dict[str, tuple[ev.ServiceContact, ...]] = {}
        self._last_at = 0
        self._pending: list[ev.AnyEvent] = []  # applied, not yet journaled
        self._pending_done: list[Callable[[], None]] = []
        self._journal_error = ""
        self._last_flush = 0
        self._alerts: list[Alert] = []
        self._refusals: list[CommandRefused] = []
        self._last_seq = 0  # the last journal record applied to the world
        self._last_poll = 0
        self._others = 0  # records applied that other workstations wrote
        self._own_opened: set[int] = set()  # incidents opened by records this console wrote
        self.beats = BeatBuffer()  # heartbeats held for coalescing (console/app/beats.py)
        # device traffic per township against what the register's devices should send (the
        # silent-township banner); a township console passes one judging only its own township
        self.silence = silence if silence is not None else Silence(world.register)
        # the register the engine last saw in force: a RegisterChanged applied (an import, live or
        # by another workstation) puts another in the world; the silence judge, the "nothing
        # heard is registered" check and the window follow it (``_follow_register``)
        self._register = world.register
        self._register_news: Any = None  # a register the window has not been given yet
        self.unmatched = Unmatched()
        self._unmatched: UnmatchedReport | None = None
        # the console's district and township (settings), judged against each register in force
        self.district: str | None = None
        self.township: str | None = None
        self._scope_key: tuple[Any, ...] = ()
        self._scope_problems: tuple[tuple[str, str], ...] = ()
        self.config_problems: tuple[tuple[str, str], ...] = ()  # bootstrap.resolve_scope's
        self._unaccepted: tuple[tuple[int, str], ...] = ()  # World.unaccepted, once a second
        self._bridges: tuple[BridgeProblem, ...] = ()  # Intake.bridges' problems, once a second
        self._silent: tuple[SilentArea, ...] = ()
        self._silent_second = -1
        # notification requests: handed to the bus, not yet acknowledged by the broker (req ->
        # request); refused by a full bus outbox, offered again (their journal record says
        # "requested" until acknowledged, so a restart sends them again too); acknowledged, to be
        # journaled as published at the next housekeeping
        self._awaiting: dict[str, PublishRequest] = {}
        self._refused: deque[PublishRequest] = deque()
        self._acked: list[str] = []
        self._due_key: tuple[int, int, int] = (-1, -1, -1)
        self._due: int | None = None
        self.stopped = threading.Event()
        # bumped whenever the journal position, the counters or the held events change: what an
        # observer (a test, a tool) can wait on instead of polling ``status`` or ``query``
        self.changes = Changes()
        self._announced: tuple[int, int, int, int, int] = (0, 0, 0, 0, 0)
        self._storm_key: tuple[int, int, int] = (-1, -1, -1)
        self._storm_real = 0  # time.monotonic_ns() of the last world.storm() (a rate limit, not domain time)
        self._storm: StormState | None = None
        self._held_notes = HeldNotes()
        self._held: tuple[HeldNote, ...] = ()
        # the watchdog (``_run``): how often the loop failed and was rebuilt, the last reason,
        # when (console time), and whether it gave up
        self.restarts = 0
        self.failure = ""
        self.restarted_at = 0
        self.dead = False
        self._crashes: list[int] = []
        self._handling: Any = None  # the queue item being handled (taken again after a rebuild)

    # --- lifecycle ---------------------------------------------------------------------------

    def recover(self, progress: Callable[[int], None] | None = None) -> int:
        """Rebuild the world from the journal (before ``start``): from the newest usable
        checkpoint and the records after it, else from the first record. Returns records applied."""
        n = 0
        cp = self.checkpoints.restore(self.world) if self.checkpoints is not None else None
        if cp is not None:
            self._last_seq, self._last_at = cp.last_seq, cp.last_at
            self.intake.seen, self._own_opened = cp.seen, cp.own_opened
            log.info("engine state from the checkpoint at seq %d; folding the records after it", cp.last_seq)
        for rec in self.journal.read(self._last_seq + 1):
            e = ev.decode(rec.body)
            if isinstance(e, ev.DeviceEvent):
                self.intake.seen.add(e.key)
            before = self.world.next_incident
            self.world.apply(e)
            if rec.console == self.console_id and self.world.next_incident != before:
                self._own_opened.add(before)  # this console wrote the record that opened it
            self._last_at = max(self._last_at, rec.at)
            self._last_seq = rec.seq
            n += 1
            if progress is not None and n % 50_000 == 0:
                progress(n)
        self.world.take_dirty()
        return n

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="engine", daemon=True)
        self._thread.start()
        self.submit_system(ev.SystemNote(at=0, what="start", detail=self.console_id))
        self._q.put(_Rules())
        self._q.put(_Resend())

    def stop(self, timeout: float = 10.0) -> None:
        if self._thread is None:
            return
        self._q.put(_STOP)
        self._thread.join(timeout)
        self._thread = None

    # --- inputs (any thread) -----------------------------------------------------------------

    def submit_bus(self, messages: Sequence[Message], done: Callable[[], None] | None = None) -> None:
        self._q.put(_BusBatch(messages, done))

    def submit_command(self, event: ev.AnyEvent) -> None:
        """Operator commands and other journaled inputs; ``at`` is set by the engine."""
        self._q.put(_Cmd(event))

    submit_system = submit_command

    def flush_heartbeats(self) -> None:
        """Journal and apply the heartbeats held for coalescing, without waiting the window."""
        self._q.put(_FlushBeats())

    def poke(self) -> None:
        """Wake the engine (e.g. after a fake clock moved) so it checks what is due."""
        self._q.put(_WAKE)

    def query(self, fn: Callable[[World], T]) -> Future[T]:
        """Run ``fn(world)`` in the engine thread; the result should be a copy."""
        fut: Future[T] = Future()
        self._q.put(_Query(fn, fut))
        return fut

    # --- the loop ----------------------------------------------------------------------------

    def _now(self) -> int:
        now = self.clock.now_ns()
        if now <= self._last_at:
            now = self._last_at + 1
        self._last_at = now
        return now

    def _run(self) -> None:
        """The engine thread, under its own watchdog: an exception that escapes the loop is
        reported at once (a banner and a sound, a journal note), the world is rebuilt from the
        journal (plus the events still held in memory) and the loop goes on with what is queued.
        More than MAX_RESTARTS within RESTART_WINDOW_NS of real time and it stays down, loudly."""
        try:
            while True:
                try:
                    self._loop()
                    return
                except Exception as exc:
                    if not self._restart_after(exc):
                        return
        finally:
            self.stopped.set()
            self.changes.bump()

    def _restart_after(self, exc: Exception) -> bool:
        log.critical("engine thread failed; rebuilding the world from the journal", exc_info=exc)
        now = time.monotonic_ns()
        self._crashes = [t for t in self._crashes if now - t < RESTART_WINDOW_NS] + [now]
        self.failure = f"{type(exc).__name__}: {exc}"[:300]
        self.restarts += 1
        self.restarted_at = self.clock.now_ns()
        self._alerts.append(Alert("engine_failed", 0, self.failure))
        if len(self._crashes) > MAX_RESTARTS:
            self.dead = True
            log.critical("engine failed %d times within a minute: it stays stopped", len(self._crashes))
            with contextlib.suppress(Exception):
                self._flush(force=True)
            return False
        failed, self._handling = self._handling, None
        try:
            self._rebuild()
            self.submit_system(ev.SystemNote(at=0, what="engine_restarted", detail=self.failure))
            if isinstance(failed, _BusBatch):
                # its alarms were not acknowledged and the broker sends them again only after a
                # reconnect: taken again now (what was journaled of it is a duplicate); a batch
                # that fails every time ends in MAX_RESTARTS and a stopped engine, loudly
                self._q.put(failed)
            self._flush(force=True)
        except Exception:
            log.critical("engine could not be rebuilt from the journal: it stays stopped", exc_info=True)
            self.dead = True
            with contextlib.suppress(Exception):
                self._flush(force=True)
            return False
        return True

    def _rebuild(self) -> None:
        """A fresh world from the journal (checkpoint, then records), then the events applied but
        not yet journaled (they exist only here); what waits for the bus or the broker is kept."""
        held = self._pending
        self.world = self.world.empty_like()
        self.intake.seen = set()
        self._last_seq = 0
        self._own_opened = set()
        self._due_key = (-1, -1, -1)
        self._storm = None
        self._held_notes = HeldNotes()
        self.recover()
        for e in held:
            self.world.apply(e)
            if isinstance(e, ev.DeviceEvent):
                self.intake.seen.add(e.key)
        w = self.world  # the window gets everything again
        w.dirty_incidents.update(w.incidents)
        w.dirty_tickets.update(w.tickets)
        w.dirty_households.update(w.register.households)
        self._q.put(_Resend())

    def _loop(self) -> None:
        while True:
            if self.dead:
                return
            try:
                item = self._q.get(timeout=IDLE_WAKE_S)
            except queue.Empty:
                item = _WAKE
            if item is _STOP:
                self._drain_then_stop()
                return
            self._handling = item
            self._handle(item)
            # take whatever else is already waiting; under a sustained storm the queue may
            # never empty, so deadlines, retries and the UI are served every 50 ms regardless
            housekeeping = time.monotonic_ns() + HOUSEKEEPING_NS
            while True:
                try:
                    item = self._q.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    self._drain_then_stop()
                    return
                self._handling = item
                self._handle(item)
                if time.monotonic_ns() >= housekeeping or self._alerts:
                    self._housekeeping()
                    housekeeping = time.monotonic_ns() + HOUSEKEEPING_NS
            self._housekeeping()
            if self.checkpoints is not None and self._q.empty() and self.checkpoints.due(self._last_seq):
                self._checkpoint(wait=False)  # idle: little waits behind the ~0.3 s it takes

    def _announce(self) -> None:
        i = self.intake
        key = (self._last_seq, len(self._pending), i.received, i.duplicates, i.rejected)
        if key != self._announced:
            self._announced = key
            self.changes.bump()

    def _housekeeping(self) -> None:
        self._flush_beats(due_only=True)
        self._requests()
        self._timers()
        self._listen()
        self._retry_journal()
        self._poll_others()
        self._flush()
        self._announce()

    def _checkpoint(self, wait: bool) -> None:
        if self.checkpoints is None or self._pending:
            return
        self.checkpoints.save(
            self.world,
            last_seq=self._last_seq,
            last_at=self._last_at,
            seen=self.intake.seen,
            own_opened=self._own_opened,
            wait=wait,
        )

    def _drain_then_stop(self) -> None:
        self._flush_beats()
        self._requests()  # what the broker acknowledged before the bus stopped is journaled as published
        self._timers()
        self._retry_journal()
        self._flush(force=True)
        self._checkpoint(wait=True)  # the next start folds only what comes after this
        if self._pending:
            # Bus events were never acknowledged, so the broker sends them again; operator
            # commands exist nowhere else: hand everything to the caller to keep on record.
            log.critical("stopping with %d events the journal could not take", len(self._pending))
            if self.on_unwritten is not None:
                self.on_unwritten(list(self._pending))

    def _handle(self, item: Any) -> None:
        if isinstance(item, _BusBatch):
            self._bus_batch(item)
        elif isinstance(item, _Cmd):
            e = msgspec.structs.replace(item.event, at=self._now())
            if isinstance(e, ev.Escalate) and not e.recipients and e.target in self.services:
                # who the service is, in the record itself: a replay notifies the same numbers
                e = msgspec.structs.replace(e, recipients=self.services[e.target])
            self._commit([e], None)
        elif isinstance(item, _FlushBeats):
            self._flush_beats()
        elif isinstance(item, _Rules):
            # the rules this code checks commands by, once per journal (console/domain/closure.py):
            # from this record on; what came before folds by the rules it was written under
            if self.world.rules < closure.RULES:
                self._commit([ev.SystemNote(at=self._now(), what="rules", detail=str(closure.RULES))], None)
        elif isinstance(item, _Resend):
            # only this console's own: on a shared store the console that wrote the opening
            # record sends the notifications (and resends them after its own restart)
            unsent: list[Effect] = [
                fx
                for fx in self.world.unsent_requests()
                if isinstance(fx, PublishRequest) and fx.request.incident in self._own_opened
            ]
            if unsent:
                log.warning("sending %d notification request(s) left unsent by the last run", len(unsent))
                self._effects(unsent)
        elif isinstance(item, _Acked):
            if self._awaiting.pop(item.req, None) is not None:
                self._acked.append(item.req)
        elif isinstance(item, _Query):
            try:
                item.fut.set_result(item.fn(self.world))
            except Exception as exc:
                item.fut.set_exception(exc)

    def _bus_batch(self, b: _BusBatch) -> None:
        out, beats = self.intake.sort(b.messages, self._now)
        # the bus stamped these when it read them; what the engine stamps next comes after them
        self._last_at = max(self._last_at, self.intake.latest_at)
        heard = self.silence
        for township, bs in beats.items():
            heard.observe(township, self._last_at, len(bs))
            for beat in bs:
                if beat.hb:
                    heard.announce(beat.dev, beat.hb)
        for e in out:
            if isinstance(e, ev.DeviceEvent):
                heard.observe(e.township, e.at)
        if not self.unmatched.matched:
            known = self.world.register.device_index
            unknown = [e.dev for e in out if isinstance(e, ev.DeviceEvent) and e.dev not in known]
            unknown += [b.dev for bs in beats.values() for b in bs if b.dev not in known]
            total = sum(1 for e in out if isinstance(e, ev.DeviceEvent)) + sum(
                len(bs) for bs in beats.values()
            )
            self.unmatched.observe(self._last_at, total - len(unknown), unknown)
        if out:
            # Alarms and everything else are journaled and applied now, in their own transaction:
            # they never wait behind heartbeats.
            self._commit(out, None if beats else b.done)
        if beats:
            # Held and journaled together later; this batch's ack waits for them, no alarm does.
            health = self.world.supervisor.health
            if self.beats.add(beats, b.done) or any(
                liveness.urgent(health.get(x.dev), x) for bs in beats.values() for x in bs
            ):
                self._flush_beats()
        elif not out and b.done is not None:
            # nothing in it needed journaling (duplicates only); their originals may still be
            # held in memory while the journal fails: acknowledged only once those are durable
            self._commit([], b.done)

    def _flush_beats(self, due_only: bool = False) -> None:
        if not self.beats or (due_only and not self.beats.due()):
            return
        beats, dones = self.beats.take()
        w = self.world
        reg = w.register
        events = liveness.compact(beats, self._now(), w.supervisor.health, reg.place, reg.digest)
        self._commit(events, _all(dones))

    def _commit(self, events: list[ev.AnyEvent], done: Callable[[], None] | None) -> None:
        """Journal, then apply, then effects; acknowledge only what is durable."""
        if events:
            self._journal(events)  # applies first what other workstations wrote before these
            before = self.world.next_incident
            effects: list[Effect] = []
            for e in events:
                effects.extend(self.world.apply(e))
            if self.world.next_incident != before:  # opened by our records: ours to notify for
                self._own_opened.update(range(before, self.world.next_incident))
            self._effects(effects)
        if done is not None:
            if self._pending:
                self._pending_done.append(done)
            else:
                done()

    def _journal(self, events: Iterable[ev.AnyEvent]) -> bool:
        """Append; True when durable. Records other workstations wrote first are applied first."""
        events = list(events)
        if self._pending:
            # keep order: nothing new is written ahead of what is still held
            self._pending.extend(events)
            return False
        try:
            recs = self.journal.append(_rows(events), self.console_id)
        except JournalError as exc:  # the store failed: hold and shout
            self._failed(exc)
            if self.checkpoints is not None:
                self.checkpoints.turn_off("the journal failed: held events are applied ahead of it")
            log.error("journal write failed, holding %d events in memory: %s", len(events), exc)
            self._pending.extend(events)
            return False
        if recs:
            self._catch_up(recs[0].seq - 1)
            self._last_seq = recs[-1].seq
        if self.on_journaled is not None:
            self.on_journaled(events)
        return True

    def _failed(self, exc: Exception) -> None:
        self._journal_error = f"{type(exc).__name__}: {exc}"[:300]

    def _catch_up(self, upto: int | None = None) -> None:
        """Apply records other workstations sharing this store wrote since we last looked.

        The journal's order is the one truth: each console folds every record in seq order;
        effects (notifications) belong to the console that wrote the record.
        """
        if upto is not None and upto <= self._last_seq:
            return
        effects: list[Effect] = []
        for rec in self.journal.read(self._last_seq + 1, upto):
            fx = self.world.apply(ev.decode(rec.body))
            effects.extend(f for f in fx if isinstance(f, Alert))
            self._last_seq = rec.seq
            self._others += 1
        self._effects(effects)

    def _poll_others(self) -> None:
        now = time.monotonic_ns()
        if now - self._last_poll < POLL_OTHERS_NS or self._pending:
            return
        self._last_poll = now
        try:
            last = self.journal.last()
        except JournalError as exc:
            self._failed(exc)
            return
        if last is not None and last.seq > self._last_seq:
            self._catch_up(last.seq)

    def _retry_journal(self) -> None:
        if not self._pending:
            return
        held = self._pending
        try:
            recs = self.journal.append(_rows(held), self.console_id)
        except JournalError as exc:
            self._failed(exc)
            return
        if recs:
            # held events were applied when they arrived; what others wrote meanwhile follows
            self._last_seq = recs[-1].seq
        self._pending = []
        self._journal_error = ""
        if self.on_journaled is not None:
            self.on_journaled(held)
        note = ev.SystemNote(
            at=self._now(), what="journal_recovered", detail=f"{len(held)} held events written"
        )
        self._journal([note])
        for done in self._pending_done:
            done()
        self._pending_done = []

    def _effects(self, effects: list[Effect]) -> None:
        for fx in effects:
            if isinstance(fx, PublishRequest):
                if self.effects and self.publisher is not None and not self._offer(fx):
                    self._refused.append(fx)
            elif isinstance(fx, Alert):
                self._alerts.append(fx)
            elif isinstance(fx, CommandRefused):
                self._refusals.append(fx)

    def _offer(self, fx: PublishRequest) -> bool:
        """Hand a request to the bus; it is journaled as published once the broker acknowledges
        it (``_Acked``), not when it enters the bus client's memory. False: a full outbox refused
        it; the caller keeps it in ``_refused``, offered again at housekeeping."""
        assert self.publisher is not None
        req = fx.request.req
        if req in self._awaiting:
            return True  # already with the bus (a resend at start-up, a duplicate effect)
        q = self._q
        taken = self.publisher.publish(
            notify_req_topic(fx.district), encode_notify(fx.request), 1, on_acked=lambda: q.put(_Acked(req))
        )
        if taken is False:
            return False
        self._awaiting[req] = fx
        return True

    def _requests(self) -> None:
        """Housekeeping: offer again what a full outbox refused; journal what the broker acknowledged."""
        while self._refused and self.publisher is not None and self._offer(self._refused[0]):
            self._refused.popleft()  # in order: the first refused is offered first
        if self._acked:
            note = ev.NotifyPublished(at=self._now(), reqs=tuple(self._acked))
            self._acked = []
            self._commit([note], None)

    def _timers(self) -> None:
        # next_due walks every open incident and its notifications: recompute it only when the
        # world may have changed (something was applied) since the last time.
        key = (self._last_seq, len(self._pending), self.world.now)
        if key != self._due_key:
            self._due_key = key
            self._due = self.world.next_due()
        due = self._due
        if due is None:
            return
        now = self.clock.now_ns()
        if now >= due:
            self._flush_beats()  # a held heartbeat must count before a device is called offline
            self._commit([ev.Tick(at=self._now())], None)

    def scope_problems(self, register: Any) -> tuple[tuple[str, str], ...]:
        """("district", code) when no household of ``register`` is in the console's district,
        ("township", code) when none is in its township (an empty register: nothing to judge)."""
        key = (id(register), self.district, self.township)
        if key != self._scope_key:
            out: list[tuple[str, str]] = []
            if len(register):
                districts = {h.district for h in register.households.values()}
                townships = {h.township for h in register.households.values()}
                if self.district and self.district not in districts:
                    out.append(("district", self.district))
                if self.township and self.township not in townships:
                    out.append(("township", self.township))
            for (
                code,
                value,
            ) in out:  # logged before it is cached: any thread that sees the cache sees the line
                log.error(
                    "WRONG %s: no household of register %s is in %s %s",
                    code.upper(),
                    register.version or register.digest[:16],
                    code,
                    value,
                )
            self._scope_key, self._scope_problems = key, tuple(out)
        return self.config_problems + self._scope_problems

    def _follow_register(self) -> None:
        """Another register in force (a RegisterChanged applied): the judges start again with it
        and the window is given it with the next delta."""
        reg = self.world.register
        if reg is self._register:
            return
        self._register = reg
        self.silence = self.silence.for_register(reg, self.clock.now_ns())
        self.unmatched.reset()
        self._unmatched = None
        self._register_news = reg
        log.warning(
            "register %s in force: %d households, %d devices",
            reg.version or reg.digest[:16],
            len(reg.households),
            len(reg.device_index),
        )
        self.changes.bump()

    def _alert_facts(self, a: Alert) -> dict[str, str]:
        """What a line about an alert may say of its incident: its township and kinds (no
        household, address or person)."""
        inc = self.world.incidents.get(a.incident)
        if inc is None:
            return {}
        return {"township": inc.township, "kinds": ",".join(inc.kinds), "state": inc.state}

    def _bridge_problems(self) -> tuple[BridgeProblem, ...]:
        return self._bridges

    def _bridge_check(self, now: int) -> None:
        """The ingest bridges (console/app/bridges.py): a line and an alert (banner and sound)
        for each new problem, a line when they are all gone."""
        problems = self.intake.bridges.problems(now)
        if problems == self._bridges:
            return
        old = {(p.bridge, p.what, p.platform) for p in self._bridges}
        new = [p for p in problems if (p.bridge, p.what, p.platform) not in old]
        for p in new:
            log.error(
                "INGEST BRIDGE %s: %s%s: alarms from the IoT platforms may not reach this console",
                p.bridge,
                p.what,
                f" ({p.platform}, last push {p.last_push or 'never'})" if p.platform else "",
            )
        if new:
            self._alerts.append(Alert("bridge_problem", 0, f"{new[0].bridge}:{new[0].what}"))
        if self._bridges and not problems:
            log.warning("ingest bridges well again")
        self._bridges = problems
        self.changes.bump()

    def _notify_check(self, now: int) -> None:
        """Notifications no provider accepted within ACCEPT_WITHIN_S (a gateway that answers
        nothing, a provider failing every send, no gateway at all): said loudly, once when it
        starts (an alert: banner and sound), and listed for phoning by hand."""
        unaccepted = tuple(self.world.unaccepted(now, ACCEPT_WITHIN_S * 1_000_000_000)[:200])
        if unaccepted and not self._unaccepted:
            incidents = sorted({i for i, _r in unaccepted})
            log.error(
                "NOTIFICATIONS NOT OUT: %d notification(s) of %d incident(s) not accepted by any provider"
                " within %d s (gateway %s): phone by hand",
                len(unaccepted),
                len(incidents),
                ACCEPT_WITHIN_S,
                self.world.gateway_state,
            )
            self._alerts.append(Alert("notify_silent", incidents[0], str(len(incidents))))
        elif self._unaccepted and not unaccepted:
            log.warning("notifications accepted again")
        if unaccepted != self._unaccepted:
            self._unaccepted = unaccepted
            self.changes.bump()

    def _listen(self) -> None:
        """The silent townships, once a second of the console's clock (console/app/silence.py);
        and whether anything heard came from a registered device (console/app/mismatch.py)."""
        self._follow_register()
        now = self.clock.now_ns()
        if now // 1_000_000_000 != self._silent_second:
            self._silent_second = now // 1_000_000_000
            unmatched = self.unmatched.report(now, len(self.world.register.device_index))
            if (unmatched is None) != (self._unmatched is None):
                if unmatched is not None:
                    log.error(
                        "NOTHING HEARD IS REGISTERED: %d messages from %d devices in %d s, none of them"
                        " in the register (%d devices): this console's bus subscription or its"
                        " register is not this district's",
                        unmatched.messages,
                        unmatched.devices,
                        (now - unmatched.since) // 1_000_000_000,
                        unmatched.registered,
                    )
                else:
                    log.warning("a registered device was heard")
                self.changes.bump()
            self._unmatched = unmatched
            self._notify_check(now)
            self._bridge_check(now)
            silent = self.silence.report(now, self.world.bus_state == "connected")
            if silent != self._silent:
                areas = [a.area for a in silent]
                if areas != [a.area for a in self._silent]:  # a line when the set changes, not each count
                    if silent:
                        log.warning(
                            "silent: %s", ", ".join(f"{a.area} {a.seen}/{a.expected}" for a in silent)
                        )
                    else:
                        log.warning("silent townships heard again")
                self._silent = silent
                self.changes.bump()

    # --- out to the UI -----------------------------------------------------------------------

    def _refresh_storm(self) -> None:
        """On the engine thread, before a delta: the storm banner's facts and the held list. The
        facts walk the incidents of the storm's window (2,000 in bench ingest: ~5 ms) and the held
        list is remade whenever a new incident holds (4,000 notes), so both are recomputed when
        the clock's second moves (the window slides with time) and, for newly applied records, at
        most once every STORM_EVERY_NS of real time: at every delta (20 a second, and one per new
        incident) they made a storm's ingest fall behind (bench ingest p50 0.5-1.4 s against
        20 ms). The banner and the held count lag the records by at most that."""
        now = self.clock.now_ns()
        real = time.monotonic_ns()
        second, changed = now // 1_000_000_000, (self._last_seq, len(self._pending))
        if (
            self._storm is None
            or second != self._storm_key[2]
            or (changed != self._storm_key[:2] and real - self._storm_real >= STORM_EVERY_NS)
        ):
            self._storm_key, self._storm_real = (*changed, second), real
            self._storm = self.world.storm(max(now, self.world.now))
            self._held = self._held_notes(self.world)

    def status(self) -> Status:
        """Any thread; the storm facts are the engine thread's last (``_refresh_storm``)."""
        w = self.world
        now = self.clock.now_ns()
        storm, held = self._storm, self._held
        return Status(
            now=now,
            bus=w.bus_state,
            bus_since=w.bus_since,
            journal="failing" if self._pending or self._journal_error else "ok",
            journal_error=self._journal_error,
            pending=len(self._pending),
            received=self.intake.received,
            duplicates=self.intake.duplicates,
            rejected=self.intake.rejected,
            quarantine=dict(w.quarantine),
            unknown_heartbeats=w.counters.get("unknown_heartbeats", 0),
            clock_offset_s=self.intake.clock_offset_s(),
            open_incidents=len(w.open_by_household),
            open_tickets=len(w.open_ticket),
            last_seq=self._last_seq,
            storm=storm,
            storm_seq=max(0, self._storm_key[0]),
            held=held,
            silent=self._silent,
            engine_restarts=self.restarts,
            engine_failure=self.failure,
            engine_restarted_at=self.restarted_at,
            engine_dead=self.dead,
            register_version=self._register.version,
            register_households=len(self._register.households),
            unmatched=self._unmatched,
            scope_problems=self.scope_problems(self._register),
            unaccepted=self._unaccepted,
            gateway=w.gateway_state,
            gateway_failing=w.gateway_failing,
            bridges=self._bridge_problems(),
        )

    def _flush(self, force: bool = False) -> None:
        now = time.monotonic_ns()  # a UI rate limit, not domain time: real time even under a fake clock
        self._follow_register()
        if self.sink is None:
            self._register_news = None
            if force or now - self._last_flush >= FLUSH_INTERVAL_NS:
                self._last_flush = now
                self._refresh_storm()  # no window, but status() (headless's line) shows the storm and held
            self.world.take_dirty()
            if self._alerts and self.on_alerts is not None:
                self.on_alerts([(a, self._alert_facts(a)) for a in self._alerts])
            self._alerts.clear()
            self._refusals.clear()
            return
        urgent = bool(self._alerts or self._refusals)
        if not force and not urgent and now - self._last_flush < FLUSH_INTERVAL_NS:
            return
        self._last_flush = now
        self._refresh_storm()
        delta = changed_since_last(self.world, self._alerts, self._refusals, self.status())
        delta.register, self._register_news = self._register_news, None
        self._alerts, self._refusals = [], []
        self.sink.deliver(delta)
