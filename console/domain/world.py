"""The fold: everything the console believes, as a function of the events it has applied.

``World.apply(event) -> effects`` is deterministic: the same events in the same order give the
same state, whether live or replayed. The engine journals an event before applying it.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Final

import msgspec

from console.domain import alarms, bulk, closure, field, liveness, miss_ack, notify_plan, open_index, privacy
from console.domain import events as ev
from console.domain import storm as storm_policy
from console.domain.checklist import CAUSE_ESCALATION, Template
from console.domain.commands import Session, refusal_of
from console.domain.deadlines import NS, REIGNITION_WINDOW_S, TICKET_SLA_H
from console.domain.effects import Alert, CommandRefused, Effect, bulk_summary
from console.domain.incident import (
    Incident,
    Refusal,
    complete_step,
    evaluate_deadlines,
)
from console.domain.registry import Household, Register
from console.domain.risk import Risk, Weights, assess
from console.domain.storm import Storm
from console.domain.supervision import TROUBLE, Health, Supervisor, Ticket, TicketNote

DAY_NS: Final = 86_400 * NS

Scorer = Callable[[Incident, Household | None], int]
"""An incident's triage score (console/domain/triage_score.py: ``TriageScore(weights)``)."""


def _earliest(*times: int | None) -> int | None:
    present = [t for t in times if t is not None]
    return min(present) if present else None


class Projection(msgspec.Struct, kw_only=True):
    """What replay must reproduce byte for byte."""

    incidents: list[Incident]
    tickets: list[Ticket]
    health: list[Health]
    bands: dict[str, str]
    quarantine: dict[str, int]
    counters: dict[str, int]
    bus: str
    register: str = ""  # the digest of the register in force (RegisterChanged), "" if none named


Registers = Callable[[str], Register | None]
"""A register by its digest (the store's ``register_versions``): what ``RegisterChanged`` names."""


class World:
    storm_rules: Storm = storm_policy.DEFAULT  # resources/triage.toml [storm] (console/domain/storm.py)
    # the triage score with resources/triage.toml's weights (console/domain/triage_score.py), which
    # releases a storm's held notifications at ``release_score``; None: that rule is off
    triage_score: Scorer | None = None

    def __init__(
        self,
        register: Register,
        templates: dict[str, Template],
        weights: Weights,
        storm_rules: Storm | None = None,
        triage_score: Scorer | None = None,
        registers: Registers | None = None,
    ) -> None:
        # the register in force; ``initial_register`` the one the fold starts with (before the
        # journal's first RegisterChanged), ``registers`` finds the ones RegisterChanged names
        self.register = register
        self.initial_register = register
        self.registers = registers
        self.templates = templates
        self.weights = weights
        # static inputs like the three above (resources/triage.toml), set only when given
        if triage_score is not None:
            self.triage_score = triage_score
        if storm_rules is not None:
            self.storm_rules = storm_rules
        self.incidents: dict[int, Incident] = {}
        self.open_by_household: dict[str, int] = {}
        self.history: dict[str, list[int]] = {}  # household -> incident ids
        self.last_restore: dict[str, int] = {}
        self.supervisor = Supervisor()
        self.tickets: dict[int, Ticket] = {}
        self.open_ticket: dict[tuple[str, str], int] = {}
        self.sessions: dict[str, Session] = {}
        self.quarantine: Counter[str] = Counter()
        self.counters: Counter[str] = Counter()
        self.bus_state = "unknown"
        self.bus_since = 0
        # the notification gateway as it last announced itself (GatewayState): unknown until then
        self.gateway_state = "unknown"
        self.gateway_since = 0
        self.gateway_failing: tuple[str, ...] = ()
        self.now = 0
        self.next_incident = 1
        self.next_ticket = 1
        self.handovers: list[ev.Handover] = []
        self.reveals: list[ev.RevealContact] = []
        # the rules the journal was written under (a SystemNote "rules" raises it): 1 the first
        # ones, 2 closure on evidence (console/domain/closure.py); a replay folds by the same
        self.rules = 1
        self.dirty_incidents: set[int] = set()
        self.dirty_tickets: set[int] = set()
        self.dirty_households: set[str] = set()
        self._started = False
        self.seen_keys: set[str] = set()  # (dev, id) of every device event applied
        self.register_digest: str | None = None  # named by the last RegisterChanged applied
        self._index = open_index.OpenIndex()  # derived from the open incidents; never snapshotted

    def empty_like(self) -> World:
        """A new, empty World with this one's static inputs (register, templates, weights, storm
        rules, triage score): what replay and checkpoints restore a snapshot into."""
        return World(
            self.initial_register,
            self.templates,
            self.weights,
            storm_rules=self.storm_rules,
            triage_score=self.triage_score,
            registers=self.registers,
        )

    # --- dispatch ----------------------------------------------------------------------------

    def apply(self, e: ev.AnyEvent) -> list[Effect]:
        if e.at > self.now:
            self.now = e.at
        if isinstance(e, ev.Heartbeats):
            return self._heartbeats(e)
        if isinstance(e, ev.Seen):
            return self._seen(e)
        if isinstance(e, ev.DeviceEvent):
            return self._device(e)
        if isinstance(e, ev.Tick):
            return self._tick(e.at)
        if isinstance(e, ev.CompleteStep | ev.Escalate | ev.Reassign | ev.PlaceCall):
            return self._command(e)
        if isinstance(e, ev.BulkClose):
            return self._bulk(e)
        if isinstance(e, ev.AckMiss):
            return self._ack_miss(e)
        if isinstance(e, ev.NotifyReceipt):
            return self._receipt(e)
        if isinstance(e, ev.FieldReply):
            return self._reply(e)
        if isinstance(e, ev.GatewayState):
            changed = e.state != self.gateway_state
            self.gateway_state, self.gateway_since = e.state, e.at
            self.gateway_failing = e.failing
            if changed and e.state == "offline":
                return [Alert("gateway_lost", 0, e.gateway)]
            return []
        if isinstance(e, ev.NotifyPublished):
            return self._published(e)
        if isinstance(e, ev.Quarantined):
            self.quarantine[e.reason] += 1
            return []
        if isinstance(e, ev.Login):
            self.sessions[e.console] = Session(e.operator, e.role, e.scope)
            return []
        if isinstance(e, ev.Logout):
            self.sessions.pop(e.console, None)
            return []
        if isinstance(e, ev.TicketAction):
            return self._ticket_action(e)
        if isinstance(e, ev.Handover):
            self.handovers.append(e)
            return []
        if isinstance(e, ev.RevealContact):
            hh = self.register.households.get(e.household)
            r = privacy.reveal_refusal(e, self.sessions.get(e.console), hh)
            if r is not None:
                return [CommandRefused(e.console, e.operator, 0, r.code, r.detail)]
            self.reveals.append(e)
            return []
        if isinstance(e, ev.BusStatus):
            changed = e.state != self.bus_state
            self.bus_state, self.bus_since = e.state, e.at
            if changed and e.state == "blind":
                return [Alert("bus_lost", 0, e.detail)]
            return []
        if isinstance(e, ev.RegisterChanged):
            return self._register_changed(e)
        if isinstance(e, ev.SystemNote):
            if e.what == "start":
                self._start(e.at)
            elif e.what == "rules" and e.detail.isdigit():
                self.rules = max(self.rules, int(e.detail))
            return []
        return []

    # --- the register ------------------------------------------------------------------------

    def use_register(self, digest: str | None) -> None:
        """Put the register named ``digest`` in force without applying anything (a restored
        snapshot names the one that was in force when it was taken)."""
        self.register_digest = digest
        if digest is None or digest == self.register.digest:
            return
        found = self.registers(digest) if self.registers is not None else None
        if found is None:
            raise LookupError(f"register {digest[:16]} is not in the store")
        self.register = found

    def _register_changed(self, e: ev.RegisterChanged) -> list[Effect]:
        """Another register from now on. Open incidents keep their history; newly registered
        devices are watched from now (their first heartbeat grace starts here); a device no
        longer registered keeps its health until it is heard of again. A register the store
        does not have is counted and told (the console goes on with the one it has)."""
        self.register_digest = e.digest
        if e.digest == self.register.digest:
            return []
        found = self.registers(e.digest) if self.registers is not None else None
        if found is None:
            self.counters["register_missing"] += 1
            return [Alert("register_missing", 0, f"{e.version} ({e.digest[:16]})")]
        self.register = found
        self.counters["register_changes"] += 1
        sup = self.supervisor
        for h in found.households.values():
            for d in h.devices:
                st = sup.health.get(d.id)
                if st is None:
                    if self._started:
                        sup.watch(sup.track(d.id, d.kind, h.code), e.at)
                elif st.household != h.code:
                    # heard before it was registered (its health under "?dev"), or moved to
                    # another household: its tickets and the map follow the register now
                    sup.health[d.id] = msgspec.structs.replace(st, household=h.code, kind=d.kind)
        self.dirty_households.update(found.households)
        self.dirty_incidents.update(self.open_by_household.values())
        return []

    # --- device side -------------------------------------------------------------------------

    def _start(self, at: int) -> None:
        """Registered devices never heard from get a first heartbeat grace from console start."""
        if self._started:
            return
        self._started = True
        for h in self.register.households.values():
            for d in h.devices:
                if d.id not in self.supervisor.health:
                    st = self.supervisor.track(d.id, d.kind, h.code)
                    self.supervisor.watch(st, at)

    def _health_for(self, dev: str, kind: str) -> tuple[Health, Household | None]:
        hh = self.register.household_of_device(dev)
        return self.supervisor.track(dev, kind, hh.code if hh else f"?{dev}"), hh

    def _heartbeats(self, e: ev.Heartbeats) -> list[Effect]:
        for b in e.beats:
            self._beat(b.dev, e.at, b.hb, b.bat, b.rssi)
        self.counters["heartbeats"] += len(e.beats)
        return []

    def _beat(self, dev: str, at: int, hb: int | None, bat: int | None, rssi: int | None) -> None:
        hh = self.register.household_of_device(dev)
        if hh is None:
            self.counters["unknown_heartbeats"] += 1
            return
        st = self.supervisor.health.get(dev)
        if st is None:
            d = self.register.device(dev)
            st = self.supervisor.track(dev, d.kind if d else "smoke", hh.code)
        if self.supervisor.seen(st, at, hb, bat, rssi):
            self._close_ticket(dev, "offline", at, "back online")
            self.dirty_households.add(hh.code)

    def seen_devices(self, e: ev.Seen) -> list[str] | None:
        """The devices of a ``Seen`` record, in its register's order; None when that register is
        not known or the places cannot be read (counted: ``seen_unreadable``)."""
        reg = self.register
        if e.reg != reg.digest:
            found = self.registers(e.reg) if self.registers is not None else None
            if found is None:
                return None
            reg = found
        order = reg.device_order
        try:
            return [order[p] for p in liveness.decode_places(e.places, len(order))]
        except ValueError:
            return None

    def _seen(self, e: ev.Seen) -> list[Effect]:
        devices = self.seen_devices(e)
        self.counters["heartbeats"] += e.beats + e.unknown
        if e.unknown:  # a counter is in the projection once it exists: none made at zero
            self.counters["unknown_heartbeats"] += e.unknown
        if devices is None:
            self.counters["seen_unreadable"] += 1
            return [Alert("seen_unreadable", 0, f"{e.reg[:16]} ({e.beats} heartbeats)")]
        at = e.at
        for dev in devices:
            self._beat(dev, at, None, None, None)
        return []

    def _device(self, e: ev.DeviceEvent) -> list[Effect]:
        if e.key in self.seen_keys:
            # Workstations sharing one store each journal what they hear; the first record wins.
            self.counters["duplicates_in_journal"] += 1
            return []
        self.seen_keys.add(e.key)
        self.counters[f"evt:{e.evt}"] += 1
        st, hh = self._health_for(e.dev, e.kind)
        if e.evt == "offline":  # the platform's word: offline now, a ticket as a missed beat makes
            self.supervisor.went_offline(st, e.at)
            if hh is not None:
                self._open_ticket(e.dev, hh, "offline", e.at)
                self.dirty_households.add(hh.code)
            else:
                self.counters["unknown_device_events"] += 1
            return []
        if self.supervisor.seen(st, e.at, e.hb, e.bat, e.rssi):
            self._close_ticket(e.dev, "offline", e.at, "back online")
        if hh is not None:
            self.dirty_households.add(hh.code)
        elif e.evt != "alarm":
            self.counters["unknown_device_events"] += 1
        if e.evt == "alarm":
            return self._alarm(e, hh)
        if e.evt == "restore":
            return self._restore(e, hh)
        if e.evt in TROUBLE:
            kind, opens = TROUBLE[e.evt]
            self.supervisor.set_trouble(e.dev, kind, opens)
            if hh is not None:
                if opens:
                    self._open_ticket(e.dev, hh, kind, e.at)
                else:
                    self._close_ticket(e.dev, kind, e.at, e.evt)
            return []
        if e.evt == "mute":
            inc = self._open_incident_of(hh.code if hh else f"?{e.dev}")
            if inc is not None:
                inc.note(e.at, "mute", e.dev)
                self.dirty_incidents.add(inc.id)
        return []

    def _open_incident_of(self, household: str) -> Incident | None:
        iid = self.open_by_household.get(household)
        return self.incidents.get(iid) if iid is not None else None

    def _alarm(self, e: ev.DeviceEvent, hh: Household | None) -> list[Effect]:
        code = hh.code if hh else f"?{e.dev}"
        effects: list[Effect] = []
        inc = self._open_incident_of(code)
        restored = self.last_restore.get(code)
        reignition = restored is not None and e.at - restored <= REIGNITION_WINDOW_S * NS
        if inc is not None:
            effects.extend(alarms.merge_alarm(inc, e, reignition))
            effects.extend(storm_policy.after_alarm(self.incidents, self.storm_rules, inc, hh, e.at))
            if notify_plan.held(inc):
                score = self._score(inc, hh)
                if score is not None:
                    effects.extend(storm_policy.after_score(inc, hh, self.storm_rules, e.at, score))
            self.dirty_incidents.add(inc.id)
            return effects
        iid = self.next_incident
        self.next_incident += 1
        inc, alerts = alarms.open_incident(iid, code, e, hh, reignition)
        self.incidents[iid] = inc
        self.open_by_household[code] = iid
        self.history.setdefault(code, []).append(iid)
        self.dirty_incidents.add(iid)
        self.dirty_households.add(code)
        effects.extend(alerts)
        effects.extend(self._notify_all(inc, hh, e.at))
        return effects

    def _restore(self, e: ev.DeviceEvent, hh: Household | None) -> list[Effect]:
        code = hh.code if hh else f"?{e.dev}"
        self.last_restore[code] = e.at
        inc = self._open_incident_of(code)
        if inc is not None:
            alarms.restore(inc, e)
            storm_policy.after_restore(inc, e.at)
            self.dirty_incidents.add(inc.id)
        return []

    # --- notifications -----------------------------------------------------------------------

    def _notify_all(self, inc: Incident, hh: Household | None, at: int) -> list[Effect]:
        t = self.templates.get(inc.kind)
        out: list[Effect] = []
        if hh is not None and t is not None:
            hold = storm_policy.hold_for(
                self.incidents, self.storm_rules, hh, t, at, lambda: self._score(inc, hh)
            )
            out.extend(notify_plan.first_requests(inc, hh, t, at, hold))
        if not out:
            inc.needs_alert = False
        return out

    def _published(self, e: ev.NotifyPublished) -> list[Effect]:
        for req in e.reqs:
            inc = self._incident_of_req(req)
            if inc is None:
                continue
            notify_plan.published(inc, req, e.at, len(e.reqs))
            self.dirty_incidents.add(inc.id)
        return []

    def _incident_of_req(self, req: str) -> Incident | None:
        iid = notify_plan.incident_of_req(req)
        return None if iid is None else self.incidents.get(iid)

    def _receipt(self, e: ev.NotifyReceipt) -> list[Effect]:
        inc = self._incident_of_req(e.req)
        n = inc.notifications.get(e.req) if inc else None
        if inc is None or n is None:
            self.counters["unknown_receipts"] += 1
            return []
        notify_plan.receipt(inc, n, e.status, e.at, e.detail, e.provider, e.provider_at)
        self.dirty_incidents.add(inc.id)
        m = notify_plan.switched(inc, n, e.at)
        hh = self.register.households.get(inc.household)
        if m is None or hh is None:
            return []
        return [notify_plan.request_for(inc, hh, m)]

    def _reply(self, e: ev.FieldReply) -> list[Effect]:
        """An answer from the field (console/domain/field.py): a responder's "going" meets the
        5-minute mark, a "cannot" proposes the next nearest one and tells the officer."""
        key = f"reply:{e.id}"
        if key in self.seen_keys:
            self.counters["duplicate_replies"] += 1
            return []
        self.seen_keys.add(key)
        inc = self._incident_of_req(e.req)
        n = inc.notifications.get(e.req) if inc else None
        if inc is None or n is None:
            self.counters["unknown_replies"] += 1
            return []
        hh = self.register.households.get(inc.household)
        answer = field.take_reply(inc, hh, self.templates.get(inc.kind), n, at=e.at, text=e.text, key=e.key)
        self.dirty_incidents.add(inc.id)
        self.counters["replies"] += 1
        return [Alert("field_reply", inc.id, f"{n.role}:{answer}")]

    def _open_with_household(self) -> list[tuple[Incident, Household]]:
        out = []
        for iid in list(self.open_by_household.values()):
            inc = self.incidents[iid]
            hh = self.register.households.get(inc.household)
            if hh is not None:
                out.append((inc, hh))
        return out

    def unaccepted(self, now: int, within_ns: int) -> list[tuple[int, str]]:
        """(incident, role) of every notification of an open incident handed to the bus more
        than ``within_ns`` ago that no provider has accepted (nor failed or blocked: those the
        incident shows already): the ones the officer must phone by hand."""
        out: list[tuple[int, str]] = []
        for iid in self.open_by_household.values():
            inc = self.incidents[iid]
            for n in inc.notifications.values():
                if (
                    n.status == "published"
                    and n.accepted_at is None
                    and n.published_at is not None
                    and now - n.published_at >= within_ns
                ):
                    out.append((iid, n.role))
        return sorted(set(out))

    def unsent_requests(self) -> list[Effect]:
        """Requests of open incidents never handed to the bus (the console stopped between
        journaling an alarm and publishing): to be sent again after a restart. The gateway
        deduplicates on the request id, so at-least-once is safe."""
        out: list[Effect] = []
        for inc, hh in self._open_with_household():
            out.extend(notify_plan.unsent(inc, hh))
        return out

    def _retries_due(self, now: int) -> list[Effect]:
        out: list[Effect] = []
        for inc, hh in self._open_with_household():
            due: list[Effect] = list(notify_plan.retries_due(inc, hh, now))
            if storm_policy.hold_is_due(inc, now):
                due.extend(storm_policy.due(inc, hh, now))
                self.dirty_incidents.add(inc.id)
            if due:
                out.extend(due)
                self.dirty_incidents.add(inc.id)
        return out

    # --- timer -------------------------------------------------------------------------------

    def next_due(self) -> int | None:
        """The earliest time a Tick has something to do: an open incident's next 1-5-30 mark, a
        notification retry or hold, a device going offline. Kept by ``open_index`` (only changed
        incidents are looked at again); equal to ``next_due_walk``."""
        self._index.refresh(self.incidents, self.open_by_household, self.dirty_incidents)
        return _earliest(self._index.next_due(), self.supervisor.next_due())

    def next_due_walk(self) -> int | None:
        """``next_due`` by walking every open incident (what the index must always equal)."""
        times = [open_index.due_of(self.incidents[iid]) for iid in self.open_by_household.values()]
        return _earliest(*times, self.supervisor.next_due())

    def _deadlines(self, inc: Incident, now: int) -> list[Effect]:
        effects: list[Effect] = []
        for minute in evaluate_deadlines(inc, now):
            effects.append(Alert("missed", inc.id, str(minute)))
            if "district" not in inc.escalations:
                inc.escalations.append("district")
                inc.note(now, "escalate:district", f"missed {minute} min", "system")
            self.dirty_incidents.add(inc.id)
        return effects

    def _tick(self, now: int) -> list[Effect]:
        effects: list[Effect] = []
        for iid in list(self.open_by_household.values()):
            effects.extend(self._deadlines(self.incidents[iid], now))
        effects.extend(self._retries_due(now))
        for h in self.supervisor.expire(now):
            hh = self.register.households.get(h.household)
            if hh is not None:
                self._open_ticket(h.dev, hh, "offline", now)
                self.dirty_households.add(hh.code)
        return effects

    # --- tickets -----------------------------------------------------------------------------

    def _open_ticket(self, dev: str, hh: Household, kind: str, at: int) -> None:
        if (dev, kind) in self.open_ticket:
            return
        tid = self.next_ticket
        self.next_ticket += 1
        self.tickets[tid] = Ticket(
            id=tid,
            dev=dev,
            household=hh.code,
            township=hh.township,
            kind=kind,
            opened=at,
            due=at + TICKET_SLA_H.get(kind, 24) * 3600 * NS,
        )
        self.open_ticket[(dev, kind)] = tid
        self.dirty_tickets.add(tid)

    def _close_ticket(self, dev: str, kind: str, at: int, note: str) -> None:
        tid = self.open_ticket.pop((dev, kind), None)
        if tid is None:
            return
        t = self.tickets[tid]
        t.closed, t.note = at, note
        self.dirty_tickets.add(tid)
        self.dirty_households.add(t.household)

    def _ticket_action(self, e: ev.TicketAction) -> list[Effect]:
        """Working a maintenance ticket. Under rules 2 (closure.RULES) the officer's township
        scope holds, and a close needs what was done or why (an end-of-life or a tampered
        detector is closed only by an officer, with the reason)."""
        t = self.tickets.get(e.ticket)
        session = self.sessions.get(e.console)

        def refuse(code: str, detail: str = "") -> list[Effect]:
            return [CommandRefused(e.console, e.operator, 0, code, detail)]

        if session is None:
            return refuse("not_logged_in")
        if t is None:
            return refuse("unknown_ticket", str(e.ticket))
        if t.closed is not None:
            return refuse("ticket_closed", str(e.ticket))
        strict = self.rules >= closure.RULES
        if strict and session.scope != "*" and session.scope != t.township:
            return refuse("out_of_scope", t.township)
        if e.action == "ack":
            t.acked_by = e.operator
        elif e.action == "assign" and e.assignee.strip():
            t.assignee = e.assignee.strip()[:64]
            t.notes.append(TicketNote(e.at, e.operator, f"assign:{t.assignee}"))
        elif e.action == "note" and e.note.strip():
            t.notes.append(TicketNote(e.at, e.operator, e.note.strip()[:500]))
        elif e.action == "close":
            if strict and len(e.note.strip()) < closure.REASON_MIN:
                return refuse("ticket_needs_reason", t.kind)
            self.open_ticket.pop((t.dev, t.kind), None)
            t.closed, t.note, t.closed_by = e.at, e.note, e.operator
            self.dirty_households.add(t.household)
        elif e.action in ("assign", "note"):
            return refuse("missing_field", "assignee" if e.action == "assign" else "note")
        else:
            return refuse("bad_action", e.action)
        self.dirty_tickets.add(t.id)
        return []

    # --- operator commands -------------------------------------------------------------------

    def _command(self, c: ev.CompleteStep | ev.Escalate | ev.Reassign | ev.PlaceCall) -> list[Effect]:
        refusal = self._refuse(c)
        if refusal is not None:
            inc = self.incidents.get(c.incident)
            if inc is not None:
                inc.note(c.at, f"refused:{refusal.code}", refusal.detail, c.operator)
                self.dirty_incidents.add(inc.id)
            return [CommandRefused(c.console, c.operator, c.incident, refusal.code, refusal.detail)]
        inc = self.incidents[c.incident]
        # A mark already past due is missed before the step lands: a step that arrives a moment
        # after a deadline, before its Tick, must not hide the miss (or close the incident over it).
        effects = self._deadlines(inc, c.at)
        if isinstance(c, ev.CompleteStep):
            t = self.templates[inc.kind]
            was_open = inc.is_open
            complete_step(inc, t, c.step, c.values, c.at, c.operator, c.console)
            resolve = t.action_step("resolve")
            target = CAUSE_ESCALATION.get(inc.cause) if resolve is not None and c.step == resolve.id else None
            if target is not None and target not in inc.escalations:  # shown as proposed_escalation
                inc.note(c.at, f"propose_escalation:{target}", inc.cause, c.operator)
            step = t.step(c.step)
            if step is not None and step.action in storm_policy.OFFICER_ACTIONS:
                effects.extend(storm_policy.after_officer(inc, self._household(inc), c.at, step.action))
            if was_open and not inc.is_open:
                self.open_by_household.pop(inc.household, None)
                notify_plan.drop(inc, c.at, "closed")
        elif isinstance(c, ev.Escalate):
            if c.target not in inc.escalations:  # a miss just above may have raised it already
                inc.escalations.append(c.target)
            inc.note(c.at, f"escalate:{c.target}", "", c.operator)
            if c.target != "district":
                # a service told is a matter for the district too: on its attention list
                if "district" not in inc.escalations:
                    inc.escalations.append("district")
                if not c.recipients:
                    inc.note(c.at, f"escalate_unconfigured:{c.target}", "", c.operator)
                    effects.append(Alert("escalation_unconfigured", inc.id, c.target))
                effects.extend(
                    notify_plan.escalation_requests(inc, self._household(inc), c.target, c.recipients, c.at)
                )
            inc.version += 1
            effects.extend(storm_policy.after_officer(inc, self._household(inc), c.at, "escalate"))
        elif isinstance(c, ev.PlaceCall):
            hh = self._household(inc)
            call = notify_plan.officer_call(inc, hh, c.contact, c.at, c.operator)
            if call is None:
                return [
                    *effects,
                    CommandRefused(c.console, c.operator, c.incident, "unknown_contact", c.contact),
                ]
            effects.append(call)  # (no version step: a call placed changes nothing the officer decides)
        else:
            inc.assignee = c.assignee
            inc.note(c.at, "reassign", c.assignee, c.operator)
            inc.version += 1
        self.dirty_incidents.add(inc.id)
        self.dirty_households.add(inc.household)
        return effects

    def _bulk(self, c: ev.BulkClose) -> list[Effect]:
        done = bulk.apply(c, self.sessions.get(c.console), self.incidents, self.templates, self._deadlines)
        refusals = [fx for fx in done.effects if isinstance(fx, CommandRefused)]
        if not any(r.incident == 0 for r in refusals):  # applied, not refused as a whole: a summary
            refused = {r.incident for r in refusals if r.code != "duplicate"}
            closed = {inc.id for inc in done.touched if not inc.is_open} - refused
            done.effects.append(bulk_summary(c.console, len(closed), len(refusals)))
        for inc in done.touched:
            self.dirty_incidents.add(inc.id)
            if not inc.is_open and self.open_by_household.get(inc.household) == inc.id:
                del self.open_by_household[inc.household]
                self.dirty_households.add(inc.household)
        return done.effects

    def _ack_miss(self, c: ev.AckMiss) -> list[Effect]:
        inc = self.incidents.get(c.incident)
        r = miss_ack.refusal_of(c, self.sessions.get(c.console), inc)
        effects: list[Effect] = []
        if r is None and inc is not None:
            effects = self._deadlines(inc, c.at)  # a mark past due before its Tick is missed first
            r = miss_ack.mark_refusal(c, inc)
            if r is None:
                miss_ack.acknowledge(inc, c)
                self.dirty_incidents.add(inc.id)
                return effects
        r = r or Refusal("unknown_incident", str(c.incident))
        effects.append(CommandRefused(c.console, c.operator, c.incident, r.code, r.detail))
        if inc is not None:
            inc.note(c.at, f"refused:{r.code}", r.detail, c.operator)
            self.dirty_incidents.add(inc.id)
        return effects

    def _score(self, inc: Incident, hh: Household | None) -> int | None:
        """The incident's triage score (None without one)."""
        return None if self.triage_score is None else self.triage_score(inc, hh)

    def _refuse(self, c: ev.CompleteStep | ev.Escalate | ev.Reassign | ev.PlaceCall) -> Refusal | None:
        inc = self.incidents.get(c.incident)
        template = self.templates.get(inc.kind) if inc else None
        return refusal_of(c, self.sessions.get(c.console), inc, template, self.rules)

    def _household(self, inc: Incident) -> Household | None:
        return self.register.households.get(inc.household)

    # --- views -------------------------------------------------------------------------------

    def storm(self, at: int | None = None) -> storm_policy.StormState:
        """Whether the district is in an alarm storm at ``at`` (default: the last event's time)."""
        return storm_policy.state(self.incidents, self.storm_rules, self.now if at is None else at)

    def held_notifications(self) -> list[storm_policy.Held]:
        """(incident, role, since, why) of every role whose first notifications a storm holds back,
        by incident then rule order (kept by ``open_index``; equal to ``held_walk``)."""
        self._index.refresh(self.incidents, self.open_by_household, self.dirty_incidents)
        return self._index.held()

    def held_by_incident(self) -> tuple[int, Mapping[int, tuple[storm_policy.Held, ...]]]:
        """(version, incident -> its held rows): the version changes whenever any rows do, so a
        reader can keep what it made of them until it does (the engine's status does)."""
        self._index.refresh(self.incidents, self.open_by_household, self.dirty_incidents)
        return self._index.held_version, self._index.held_by_incident()

    def held_walk(self) -> list[storm_policy.Held]:
        """``held_notifications`` by walking every open incident."""
        return storm_policy.held_list(self.open_incidents())

    def risk_of(self, code: str) -> Risk | None:
        hh = self.register.households.get(code)
        if hh is None:
            return None
        past = [self.incidents[i] for i in self.history.get(code, ())]
        recent = sum(1 for i in past if self.now - i.opened <= 90 * DAY_NS)
        fires = sum(1 for i in past if i.cause == "real_fire" and self.now - i.opened <= 365 * DAY_NS)
        health = {d.id: self.supervisor.health[d.id] for d in hh.devices if d.id in self.supervisor.health}
        return assess(hh, self.weights, health, code in self.open_by_household, recent, fires)

    def band_of(self, code: str) -> str:
        r = self.risk_of(code)
        return r.band if r else "critical"

    def all_bands(self) -> dict[str, str]:
        return {code: self.band_of(code) for code in self.register.households}

    def take_dirty(self) -> tuple[set[int], set[int], set[str]]:
        out = (self.dirty_incidents, self.dirty_tickets, self.dirty_households)
        self._index.mark(self.dirty_incidents)  # the index looks at them again when next asked
        self.dirty_incidents, self.dirty_tickets, self.dirty_households = set(), set(), set()
        return out

    def open_incidents(self) -> list[Incident]:
        return [self.incidents[i] for i in self.open_by_household.values()]

    def projection(self) -> Projection:
        return Projection(
            incidents=[self.incidents[k] for k in sorted(self.incidents)],
            tickets=[self.tickets[k] for k in sorted(self.tickets)],
            health=[self.supervisor.health[k] for k in sorted(self.supervisor.health)],
            bands=self.all_bands(),
            quarantine=dict(sorted(self.quarantine.items())),
            counters=dict(sorted(self.counters.items())),
            bus=self.bus_state,
            register=self.register_digest or "",
        )

    def projection_bytes(self) -> bytes:
        return msgspec.json.encode(self.projection(), order="sorted")

    def projection_hash(self) -> str:
        return hashlib.sha256(self.projection_bytes()).hexdigest()
