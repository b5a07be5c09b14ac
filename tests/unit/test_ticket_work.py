"""Maintenance tickets worked by an officer (#20): acknowledge, assign, note, close with a reason
under the journal's rules 2; the township scope holds; overdue past the service level."""

from __future__ import annotations

from console.domain import events as ev
from console.domain.deadlines import TICKET_SLA_H
from console.domain.effects import CommandRefused
from console.domain.world import World
from tests.unit.helpers import NS, T0, alarm, login, world


def strict() -> World:
    w = world()
    w.apply(ev.SystemNote(at=T0 - 2 * NS, what="rules", detail="2"))
    return w


def act(w: World, tid: int, action: str, at: int, **kw: str) -> list[str]:
    fx = w.apply(ev.TicketAction(at=at, operator="op1", console="c1", ticket=tid, action=action, **kw))
    return [f.code for f in fx if isinstance(f, CommandRefused)]


def test_an_end_of_life_ticket_is_worked_and_closed_with_what_was_done() -> None:
    w = strict()
    login(w, T0, role="township_officer", scope="T1")
    w.apply(alarm("H1-co", T0, id_="eol", kind="co", evt="end_of_life"))
    tid = w.open_ticket[("H1-co", "end_of_life")]
    t = w.tickets[tid]
    assert act(w, tid, "ack", T0 + NS) == [] and t.acked_by == "op1"
    assert act(w, tid, "assign", T0 + 2 * NS) == ["missing_field"]
    assert act(w, tid, "assign", T0 + 2 * NS, assignee="维修员老王") == [] and t.assignee == "维修员老王"
    assert act(w, tid, "note", T0 + 3 * NS, note="已约明早上门") == []
    assert [n.text for n in t.notes] == ["assign:维修员老王", "已约明早上门"]
    assert act(w, tid, "close", T0 + 4 * NS) == ["ticket_needs_reason"] and t.closed is None
    assert act(w, tid, "close", T0 + 5 * NS, note="已更换新探测器") == []
    assert (t.closed, t.closed_by, t.note) == (T0 + 5 * NS, "op1", "已更换新探测器")
    assert act(w, tid, "note", T0 + 6 * NS, note="late") == ["ticket_closed"]


def test_scope_and_service_level() -> None:
    w = strict()
    login(w, T0, role="township_officer", scope="T1")
    w.apply(alarm("H2-smoke", T0, id_="t2", evt="tamper", township="T2"))  # H2 is in township T2
    tid = w.open_ticket[("H2-smoke", "tamper")]
    assert act(w, tid, "ack", T0 + NS) == ["out_of_scope"]
    t = w.tickets[tid]
    due = T0 + TICKET_SLA_H["tamper"] * 3600 * NS
    assert t.due == due and not t.overdue(due) and t.overdue(due + NS)


def test_a_journal_without_the_rules_note_closes_as_before() -> None:
    w = world()
    login(w, T0, role="township_officer", scope="T1")
    w.apply(alarm("H2-smoke", T0, id_="t2", evt="tamper", township="T2"))
    tid = w.open_ticket[("H2-smoke", "tamper")]
    assert act(w, tid, "close", T0 + NS) == [] and w.tickets[tid].closed == T0 + NS
