"""What applying an event asks the outside world to do: the effects ``World.apply`` returns.

The engine carries them out (publish on the bus, alert the officer, show a refusal); replay
drops them. Each name says what happens, so none can be taken for the incident's own records
(``NotificationRecord``, ``Refusal`` in console/domain/incident.py) or the bus message
(``NotifyRequest`` in console/domain/codec.py).
"""

from __future__ import annotations

from typing import Literal

import msgspec

from console.domain.codec import NotifyRequest

AlertKind = Literal[
    "new_incident",
    "missed",
    "reignition",
    "bus_lost",
    "bulk",
    "engine_failed",
    "register_missing",
    "seen_unreadable",  # a Seen record whose register or places cannot be read: devices unseen
    "gateway_lost",  # the notification gateway's last will: nothing goes out
    "field_reply",  # someone answered a notification (detail role:answer)
    "notify_silent",  # requests not accepted by any provider in time (engine)
    "bridge_problem",  # an ingest bridge gone, stale or full, or a platform silent (engine)
    "escalation_unconfigured",  # an escalation to a service with no numbers configured: phone it
]


class PublishRequest(msgspec.Struct, frozen=True):
    """Publish this notification request on the district's bus (the gateway sends it)."""

    district: str
    request: NotifyRequest


class Alert(msgspec.Struct, frozen=True):
    """Draw the officer's attention: sound, banner, red row."""

    kind: AlertKind
    incident: int = 0
    detail: str = ""


class CommandRefused(msgspec.Struct, frozen=True):
    """Tell the console that sent it that an operator command was refused, and why."""

    console: str
    operator: str
    incident: int
    code: str
    detail: str = ""


Effect = PublishRequest | Alert | CommandRefused


def bulk_summary(console: str, closed: int, refused: int) -> Alert:
    """What a bulk close did, for the console that sent it: ``Alert("bulk", 0, "<console>
    <closed> <refused>")``, in the same delta as its per-incident ``CommandRefused``s (which say
    why). Every console sees the alert (another workstation's records are folded here too);
    ``bulk_counts`` reads it back."""
    return Alert("bulk", 0, f"{console} {closed} {refused}")


def bulk_counts(alert: Alert) -> tuple[str, int, int] | None:
    """(console, closed, refused) of a ``bulk_summary`` alert, else None."""
    parts = alert.detail.rsplit(" ", 2)
    if alert.kind != "bulk" or len(parts) != 3 or not (parts[1].isdigit() and parts[2].isdigit()):
        return None
    return parts[0], int(parts[1]), int(parts[2])
