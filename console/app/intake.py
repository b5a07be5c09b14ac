"""Bus messages sorted into what the engine journals, in the order they came: device events
(deduplicated by (dev, id)), notification receipts and quarantined payloads, with heartbeats
set aside by township for coalescing (console/app/beats.py). Counts what it received,
dropped as duplicate and rejected, and how far device clocks are from the console's."""

from __future__ import annotations

import logging
import statistics
from collections import deque
from collections.abc import Callable, Sequence

from console.app.bridges import Bridges
from console.app.ports import Message
from console.domain import events as ev
from console.domain.codec import (
    Rejected,
    beat_of,
    decode_bridge_status,
    decode_device,
    decode_gateway_status,
    decode_receipt,
    decode_reply,
    parse_ts,
)
from console.domain.deadlines import NS

log = logging.getLogger(__name__)


def _time(rfc3339: str) -> int:
    """A provider's RFC 3339 time in ns, 0 when absent or unreadable (then the console's counts)."""
    if not rfc3339:
        return 0
    t = parse_ts(rfc3339)
    return t if t is not None else 0


def _is_bridge_status(topic: str) -> bool:
    """``…v1/bridge/{district}/{bridge}`` (under any topic root)."""
    parts = topic.split("/")
    return len(parts) >= 4 and parts[-3] == "bridge" and parts[-4] == "v1"


class Intake:
    def __init__(self) -> None:
        self.seen: set[str] = set()  # (dev, id) keys of every device event journaled
        self.replies: set[str] = set()  # ids of the field's replies taken (the World deduplicates too)
        self.received = 0
        self.duplicates = 0
        self.rejected = 0
        self._offsets: deque[float] = deque(maxlen=101)
        self.latest_at = 0  # the latest time given to a message (the engine stamps nothing earlier after it)
        self.bridges = Bridges()  # the ingest bridges' health: not journaled (console/app/bridges.py)

    def sort(
        self, messages: Sequence[Message], now: Callable[[], int]
    ) -> tuple[list[ev.AnyEvent], dict[str, list[ev.Beat]]]:
        """(events to journal now, heartbeats by township). Each event's time is the moment the
        bus client read the message (its ``received_at``: T0 of an alarm, however long the
        message then waited for the engine); ``now()`` stamps a message that has none (the
        simulators' and tests' messages handed straight to the engine)."""
        out: list[ev.AnyEvent] = []
        beats: dict[str, list[ev.Beat]] = {}
        for m in messages:
            self.received += 1
            at = getattr(m, "received_at", 0) or now()
            if at > self.latest_at:
                self.latest_at = at
            topic = m.topic
            if topic.endswith("/receipt"):
                r = decode_receipt(m.payload)
                if isinstance(r, Rejected):
                    out.append(self._quarantine(at, topic, r, m.payload))
                else:
                    out.append(
                        ev.NotifyReceipt(
                            at=at,
                            req=r.req,
                            status=r.status,
                            detail=r.detail,
                            provider=r.provider[:32],
                            provider_at=_time(r.at),
                        )
                    )
                continue
            if topic.endswith("/reply"):
                p = decode_reply(m.payload)
                if isinstance(p, Rejected):
                    out.append(self._quarantine(at, topic, p, m.payload))
                elif p.id in self.replies:
                    self.duplicates += 1
                else:
                    self.replies.add(p.id)
                    out.append(
                        ev.FieldReply(
                            at=at,
                            id=p.id,
                            req=p.req,
                            sender=p.sender[:32],
                            text=p.text,
                            key=p.key,
                            provider=p.provider[:32],
                            provider_at=_time(p.at),
                        )
                    )
                continue
            if _is_bridge_status(topic):
                b = decode_bridge_status(m.payload)
                if isinstance(b, Rejected):
                    out.append(self._quarantine(at, topic, b, m.payload))
                else:
                    self.bridges.heard(b, at)
                continue
            if topic.endswith("/gateway"):
                g = decode_gateway_status(m.payload)
                if isinstance(g, Rejected):
                    out.append(self._quarantine(at, topic, g, m.payload))
                else:
                    failing = tuple(sorted(k for k, v in g.providers.items() if v != "ok"))[:16]
                    out.append(ev.GatewayState(at=at, gateway=g.gateway[:64], state=g.state, failing=failing))
                continue
            d = decode_device(topic, m.payload, at)
            if isinstance(d, Rejected):
                out.append(self._quarantine(at, topic, d, m.payload))
                continue
            self._offsets.append((d.at - d.ts) / NS)
            if d.evt == "heartbeat":
                beats.setdefault(d.township, []).append(beat_of(d))
                continue
            if d.key in self.seen:
                self.duplicates += 1
                continue
            self.seen.add(d.key)
            out.append(d)
        return out, beats

    def clock_offset_s(self) -> float | None:
        """Median of the latest device clock offsets (console time minus device time), seconds."""
        return statistics.median(self._offsets) if len(self._offsets) >= 5 else None

    def _quarantine(self, at: int, topic: str, r: Rejected, payload: bytes) -> ev.Quarantined:
        self.rejected += 1
        log.debug("rejected payload on %s: %s %s", topic, r.reason, r.detail)
        return ev.Quarantined(
            at=at, topic=topic[:256], reason=r.reason, detail=r.detail[:256], head=payload[:512]
        )
