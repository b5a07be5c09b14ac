"""KPIs computed from the journal, never from the live screen, so a replay stopped at the same
moment shows the same numbers.

One pass: every non-heartbeat event goes through the same ``World`` fold the console runs
(incidents, tickets and their ids come out exactly as the officer saw them). Heartbeat batches,
the bulk of any journal, are not applied one by one: each beat only updates a few dicts, and a
device's deferred beats are handed to the World (coalesced, one ``seen``) only when something
could read them: a timer at which the World would think it due, a message from that device, an
action on its ticket, start-up, or the snapshot. tests/unit/test_kpi.py checks the fold's World
against a plain World fed every event. The beats also
feed a small per-device history (first sign of life, last sign, offline gaps) from which the
online rate at any past moment is counted without replaying timers.

Definitions (docs/kpi.md):
- an incident meets mark M when ``deadlines.mark_met_at`` is at or before T0 + M; a mark counts
  once it is decided (T0 + M <= now); incidents whose mark is not yet due are ``pending``;
- time to dispatch = dispatched_at - T0, time to closure = closed_at - T0; median and p90
  (nearest rank);
- a registered device is online at T when it gave a sign of life (heartbeat or any device
  message) within its offline grace before T, or, never heard from, the console's first start
  began its watch within that grace: what the console shows once its timer fired.
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from console.app.kpi_defs import (
    AGE_BUCKETS,
    AGE_OVER,
    DAY_NS,
    HOUR_NS,
    Kpis,
    TownshipKpi,
    alert_shares,
    cst_date,
    cst_day_start,
    durations,
    mark_shares,
    missed_marks,
    ratio,
)
from console.domain import events as ev
from console.domain.chain import Record
from console.domain.checklist import Template
from console.domain.deadlines import DEFAULT_HB_S, NS, OFFLINE_GRACE
from console.domain.effects import Effect
from console.domain.incident import Incident
from console.domain.registry import Register
from console.domain.risk import Weights
from console.domain.storm import Storm
from console.domain.supervision import Ticket
from console.domain.world import Registers, Scorer, World

# --- the fold ------------------------------------------------------------------------------


class KpiFold:
    """Feed journal records (or events) in journal order; ask ``snapshot`` for the KPIs."""

    def __init__(
        self,
        register: Register,
        templates: dict[str, Template],
        weights: Weights,
        *,
        storm_rules: Storm | None = None,
        triage_score: Scorer | None = None,
        registers: Registers | None = None,
    ) -> None:
        # the live world's static inputs: the storm rules and the triage score decide which
        # notifications were held and released, which the journal's receipts then follow;
        # ``registers`` finds the registers the journal's RegisterChanged put in force
        self.world = World(
            register,
            templates,
            weights,
            storm_rules=storm_rules,
            triage_score=triage_score,
            registers=registers,
        )
        self.register = register
        self.records = 0
        self.last_at = 0
        self.alarms: list[tuple[int, str, str]] = []  # (at, kind, township)
        self.decode_errors = 0
        # device history for the online rate
        self._kind = {d: register.device(d) for d in register.device_index}
        self._grace: dict[str, int] = {
            d: self._grace_for(dv.kind if dv else "smoke", None) for d, dv in self._kind.items()
        }
        self.first: dict[str, int] = {}
        self.last: dict[str, int] = {}
        self.gaps: list[tuple[str, int, int]] = []  # (dev, offline from, back at)
        self._started = False
        self._hb: dict[str, int] = {}
        # beats not yet handed to the World: dev -> [first_at, last_at, hb, bat, rssi, count]
        self._pending: dict[str, list[int | None]] = {}
        self._pending_at = 0
        self._offline: set[str] = set()  # devices the World holds offline

    def follow_register(self, at: int | None = None) -> None:
        """The World's register in force, here too: alarms are placed in its townships, its newly
        registered devices count for the online rate from ``at`` (a device no longer registered
        keeps its history)."""
        reg = self.world.register
        if reg is self.register:
            return
        self.register = reg
        for d in reg.device_index:
            if d not in self._kind:
                dv = reg.device(d)
                self._kind[d] = dv
                self._grace[d] = self._grace_for(dv.kind if dv else "smoke", self._hb.get(d))
                if at is not None and self._started and d not in self.last:
                    self.first[d] = self.last[d] = at

    @staticmethod
    def _grace_for(kind: str, hb: int | None) -> int:
        period = hb or DEFAULT_HB_S.get(kind, 3600)
        return int(period * OFFLINE_GRACE * NS)

    # --- input ---------------------------------------------------------------------------

    def feed_records(self, records: Iterable[Record]) -> int:
        n = 0
        for r in records:
            self.feed_body(r.body)
            n += 1
        return n

    def feed_body(self, body: bytes) -> None:
        try:
            e = ev.decode(body)
        except Exception:  # a record this build cannot read: counted, never fatal
            self.decode_errors += 1
            self.records += 1
            return
        self.feed(e)

    def feed(self, e: ev.AnyEvent) -> list[Effect]:
        """Apply one event; returns the World's effects (empty for heartbeats)."""
        self.records += 1
        if e.at > self.last_at:
            self.last_at = e.at
        if isinstance(e, ev.Heartbeats):
            self._beats(e.at, ((b.dev, b.hb, b.bat, b.rssi) for b in e.beats))
            return []
        if isinstance(e, ev.Seen):
            devices = self.world.seen_devices(e)
            if devices is None:  # the World counts and tells it
                self._flush_all()
                return self.world.apply(e)
            self._beats(e.at, ((d, None, None, None) for d in devices))
            # what the places do not stand for one by one: a device's second beat, unknown ones
            extra = e.beats - len(devices) + e.unknown
            if extra:
                self.world.counters["heartbeats"] += extra
            if e.unknown:
                self.world.counters["unknown_heartbeats"] += e.unknown
            return []
        if isinstance(e, ev.Tick):
            due = self._flush_due(e.at)
            fx = self.world.apply(e)
            health = self.world.supervisor.health
            self._offline.update(d for d in due if d in health and not health[d].online)
            return fx
        if isinstance(e, ev.DeviceEvent):
            self._flush_dev(e.dev)
            self._sign(e.dev, e.at, e.hb)
            if e.evt == "alarm":
                hh = self.register.household_of_device(e.dev)
                self.alarms.append((e.at, e.kind, hh.township if hh else e.township))
        elif isinstance(e, ev.TicketAction):
            t = self.world.tickets.get(e.ticket)
            if t is not None:
                self._flush_dev(t.dev)
        elif isinstance(e, ev.RegisterChanged):
            fx = self.world.apply(e)
            self.follow_register(e.at)
            return fx
        elif isinstance(e, ev.SystemNote) and e.what == "start" and not self._started:
            self._flush_all()
            self._started = True
            for d in self._kind:
                if d not in self.last:
                    self.first[d] = self.last[d] = e.at
        return self.world.apply(e)

    def _set_hb(self, dev: str, hb: int) -> None:
        if self._hb.get(dev) != hb and dev in self._kind:
            self._hb[dev] = hb
            dv = self._kind[dev]
            self._grace[dev] = self._grace_for(dv.kind if dv else "smoke", hb)

    def _sign(self, dev: str, at: int, hb: int | None) -> None:
        prev = self.last.get(dev)
        if prev is None:
            self.first[dev] = at
        else:
            grace = self._grace.get(dev)
            if grace is not None and at - prev >= grace:
                self.gaps.append((dev, prev + grace, at))
        self.last[dev] = at
        if hb:
            self._set_hb(dev, hb)

    def _beats(self, at: int, beats: Iterable[tuple[str, int | None, int | None, int | None]]) -> None:
        """The hot path: a few dict operations per beat (device, period, battery, signal),
        nothing handed to the World yet."""
        pending = self._pending
        last = self.last
        grace = self._grace
        hbs = self._hb
        offline = self._offline
        for dev, hb, bat, rssi in beats:
            prev = last.get(dev)
            if prev is None:
                self.first[dev] = at
            else:
                g = grace.get(dev)
                if g is not None and at - prev >= g:
                    self.gaps.append((dev, prev + g, at))
            last[dev] = at
            p = pending.get(dev)
            if p is None:
                pending[dev] = [at, at, hb, bat, rssi, 1]
            else:
                p[1] = at
                if hb:
                    p[2] = hb
                if bat is not None:
                    p[3] = bat
                if rssi is not None:
                    p[4] = rssi
                p[5] = (p[5] or 0) + 1
            if hb and hbs.get(dev) != hb:
                # A new period changes when the World would call it offline; hand the beats over
                # now so the World's due time is never later than the real one (see _flush_due).
                self._set_hb(dev, hb)
                self._flush_dev(dev)
            elif dev in offline:  # back online: the World closes its ticket now
                self._flush_dev(dev)
        if at > self._pending_at:
            self._pending_at = at

    def _flush_dev(self, dev: str) -> None:
        """Hand one device's deferred beats to the World as ``World._heartbeats`` would have,
        coalesced: the same final health, its offline ticket closed at the first beat."""
        p = self._pending.pop(dev, None)
        if p is None:
            return
        first_at, last_at, hb, bat, rssi, count = p
        assert first_at is not None and last_at is not None and count is not None
        w = self.world
        w.counters["heartbeats"] += count
        if last_at > w.now:
            w.now = last_at
        sup = w.supervisor
        st = sup.health.get(dev)
        if st is not None and st.online and dev in self._kind:  # the usual case, in short
            self._offline.discard(dev)
            sup.seen(st, last_at, hb, bat, rssi)
            return
        hh = w.register.household_of_device(dev)
        if hh is None:
            w.counters["unknown_heartbeats"] += count
            return
        if st is None:
            dv = w.register.device(dev)
            st = sup.track(dev, dv.kind if dv else "smoke", hh.code)
        if not st.online:
            sup.seen(st, first_at, None, None, None)
            w._close_ticket(dev, "offline", first_at, "back online")
            w.dirty_households.add(hh.code)
        self._offline.discard(dev)
        sup.seen(st, last_at, hb, bat, rssi)

    def _flush_due(self, now: int) -> list[str]:
        """Before a timer: hand over the beats of every device whose grace the World believes
        has run out by ``now`` (the entries <= now of the supervisor's due heap, found without
        popping). A deferred device's due time in the World is never later than its real one
        (its period is handed over as soon as it changes, and deferred beats only move the real
        one later), so devices not found here cannot expire at ``now`` and stay deferred.
        Returns the due devices."""
        heap = self.world.supervisor._due
        due: list[str] = []
        stack = [0]
        while stack:
            i = stack.pop()
            if i < len(heap) and heap[i][0] <= now:
                due.append(heap[i][1])
                stack.append(2 * i + 1)
                stack.append(2 * i + 2)
        for dev in due:
            self._flush_dev(dev)
        return due

    def _flush_all(self) -> None:
        for dev in list(self._pending):
            self._flush_dev(dev)
        if self._pending_at > self.world.now:
            self.world.now = self._pending_at

    # --- output --------------------------------------------------------------------------

    def online_counts(self, moments: Sequence[int], devices: Sequence[str]) -> list[int]:
        """Registered devices online at each moment (see the module docstring)."""
        firsts = sorted(self.first[d] for d in devices if d in self.first)
        ends = sorted(self.last[d] + self._grace[d] for d in devices if d in self.last)
        wanted = set(devices)
        gaps = [(a, b) for d, a, b in self.gaps if d in wanted]
        out = []
        for t in moments:
            up = bisect.bisect_right(firsts, t) - bisect.bisect_right(ends, t)
            up -= sum(1 for a, b in gaps if a <= t < b)
            out.append(up)
        return out

    def snapshot(self, now: int, start: int | None = None, end: int | None = None) -> Kpis:
        """KPIs as known at ``now`` over the period [start, end) (default: the 30 days to now)."""
        self._flush_all()
        w = self.world
        end = now if end is None else end
        start = cst_day_start(now) - 29 * DAY_NS if start is None else start
        kinds = list(ev.KINDS)

        period_alarms = [a for a in self.alarms if start <= a[0] < end and a[0] <= now]
        alarms_by_kind = Counter(k for _, k, _ in period_alarms)
        hourly_start = now - 24 * HOUR_NS
        hourly = {k: [0] * 24 for k in kinds}
        for at, k, _ in self.alarms:
            if hourly_start < at <= now:
                hourly.setdefault(k, [0] * 24)[min(23, (at - hourly_start - 1) // HOUR_NS)] += 1
        day_starts = []
        d = cst_day_start(start)
        while d < end and d <= now:
            day_starts.append(d)
            d += DAY_NS  # China time has no daylight saving
        daily = {k: [0] * len(day_starts) for k in kinds}
        for at, k, _ in period_alarms:
            i = bisect.bisect_right(day_starts, at) - 1
            if i >= 0:
                daily.setdefault(k, [0] * len(day_starts))[i] += 1

        incs = [i for i in w.incidents.values() if start <= i.opened < end and i.opened <= now]
        closed = [i for i in incs if i.closed_at is not None and i.closed_at <= now]
        dispatch = [(i.dispatched_at - i.opened) / NS for i in incs if i.dispatched_at is not None]
        closure = [(i.closed_at - i.opened) / NS for i in closed if i.closed_at is not None]

        devices = list(self._kind)
        moments = [min(ds + DAY_NS, now) for ds in day_starts]
        counts = self.online_counts([*moments, now], devices)
        online_now = counts[-1]

        open_t = [t for t in w.tickets.values() if t.closed is None and t.opened <= now]
        by_age: dict[str, int] = {name: 0 for name, _ in AGE_BUCKETS}
        by_age[AGE_OVER] = 0
        for t in open_t:
            age = now - t.opened
            for name, limit in AGE_BUCKETS:
                if age < limit:
                    by_age[name] += 1
                    break
            else:
                by_age[AGE_OVER] += 1

        return Kpis(
            now=now,
            start=start,
            end=end,
            records=self.records,
            alarms=len(period_alarms),
            alarms_by_kind={k: alarms_by_kind.get(k, 0) for k in kinds},
            hourly_start=hourly_start,
            hourly=hourly,
            days=[cst_date(ds) for ds in day_starts],
            daily=daily,
            incidents=len(incs),
            incidents_by_kind=dict(sorted(Counter(i.kind for i in incs).items())),
            incidents_by_township=dict(sorted(Counter(i.township for i in incs).items())),
            marks=mark_shares(incs, now),
            alert=alert_shares(incs, now),
            dispatch=durations(dispatch),
            closure=durations(closure),
            closed=len(closed),
            closure_rate=ratio(len(closed), len(incs)),
            causes=dict(sorted(Counter(i.cause for i in incs if i.cause).items())),
            missed=sorted(i.id for i in incs if missed_marks(i, now)),
            devices=len(devices),
            online=online_now,
            online_rate=ratio(online_now, len(devices)),
            online_daily=[ratio(c, len(devices)) for c in counts[:-1]],
            open_tickets=len(open_t),
            tickets_by_age=by_age,
            tickets_by_kind=dict(sorted(Counter(t.kind for t in open_t).items())),
            tickets_overdue=sum(1 for t in open_t if t.due < now),
            open_incidents=sorted(i.id for i in w.incidents.values() if i.opened <= now and _open_at(i, now)),
            townships=self._townships(incs, closed, period_alarms, open_t, now),
        )

    def _townships(
        self,
        incs: list[Incident],
        closed: list[Incident],
        alarms: list[tuple[int, str, str]],
        open_t: list[Ticket],
        now: int,
    ) -> list[TownshipKpi]:
        reg = self.register
        codes = {a.code for a in reg.townships()} | {i.township for i in incs}
        by_t: dict[str, list[Incident]] = defaultdict(list)
        for i in incs:
            by_t[i.township].append(i)
        closed_t = Counter(i.township for i in closed)
        alarms_t = Counter(t for _, _, t in alarms)
        tickets_t = Counter(t.township for t in open_t)
        devs_t: dict[str, list[str]] = defaultdict(list)
        for d, dv in self._kind.items():
            hh = reg.households.get(dv.household) if dv else None
            if hh is not None:
                devs_t[hh.township].append(d)
        out = []
        for code in sorted(codes):
            ti = by_t.get(code, [])
            devs = devs_t.get(code, [])
            up = self.online_counts([now], devs)[0] if devs else 0
            out.append(
                TownshipKpi(
                    code=code,
                    name=reg.area_name(code),
                    alarms=alarms_t.get(code, 0),
                    incidents=len(ti),
                    marks=mark_shares(ti, now),
                    closed=closed_t.get(code, 0),
                    closure_rate=ratio(closed_t.get(code, 0), len(ti)),
                    dispatch=durations(
                        [(i.dispatched_at - i.opened) / NS for i in ti if i.dispatched_at is not None]
                    ),
                    devices=len(devs),
                    online=up,
                    online_rate=ratio(up, len(devs)),
                    open_tickets=tickets_t.get(code, 0),
                )
            )
        return out


def _open_at(inc: Incident, now: int) -> bool:
    return inc.closed_at is None or inc.closed_at > now


def compute(
    records: Iterable[Record],
    register: Register,
    templates: dict[str, Template],
    weights: Weights,
    now: int,
    start: int | None = None,
    end: int | None = None,
    registers: Registers | None = None,
) -> tuple[Kpis, KpiFold]:
    """Fold the records accepted at or before ``now`` and take the KPIs."""
    fold = KpiFold(register, templates, weights, registers=registers)
    for r in records:
        if r.at > now:
            break
        fold.feed_body(r.body)
    return fold.snapshot(now, start, end), fold
