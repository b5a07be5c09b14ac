"""Acknowledging a missed 1-5-30 mark: a journaled command, so the repeating alert follows the
incident (every console sharing the store, and a restarted one, sees the same) instead of a set
kept by one window.

``AckMiss(incident, mark)`` records ``mark`` in ``Incident.missed_acked`` and ``miss_ack:<mark>``
on the timeline. A miss is pending (banner, sound) while the incident is open and the mark is in
``missed`` but not in ``missed_acked``.
"""

from __future__ import annotations

from console.domain import events as ev
from console.domain.commands import Session, who_and_what
from console.domain.deadlines import MARKS
from console.domain.incident import Incident, Refusal

MARK_MINUTES = frozenset(m.minute for m in MARKS)


def refusal_of(c: ev.AckMiss, session: Session | None, inc: Incident | None) -> Refusal | None:
    """Why ``c`` cannot be applied at all (who sends it, about what), or None; then ``mark_refusal``."""
    return who_and_what(c, session, inc)


def mark_refusal(c: ev.AckMiss, inc: Incident) -> Refusal | None:
    """Why the mark cannot be acknowledged (after the world recorded any mark already past due)."""
    if c.mark not in MARK_MINUTES:
        return Refusal("bad_mark", str(c.mark))
    if c.mark not in inc.missed:
        return Refusal("not_missed", str(c.mark))
    if c.mark in inc.missed_acked:
        return Refusal("miss_already_acked", str(c.mark))
    return None


def acknowledge(inc: Incident, c: ev.AckMiss) -> None:
    """Apply an AckMiss already checked by ``refusal_of``."""
    inc.missed_acked.append(c.mark)
    inc.note(c.at, f"miss_ack:{c.mark}", "", c.operator)
    inc.version += 1


def pending(inc: Incident) -> list[int]:
    """The missed marks of an open incident nobody acknowledged yet."""
    if not inc.is_open:
        return []
    return [m for m in inc.missed if m not in inc.missed_acked]
