"""Bus messages sorted into what the engine journals, in the order they came: device events
(deduplicated by (dev, id)), notification receipts and quarantined payloads, with heartbeats
set aside by township for coalescing (console/app/beats.py). Counts what it received,
dropped as duplicate and rejected, and how far device clocks are from the console's."""

from __future__ import annotations

import logging
import statistics
from collections import deque
from collections.abc import Callable, Sequence

from console.app.ports import Message
from console.domain import events as ev
from console.domain.codec import Rejected, beat_of, decode_device, decode_receipt
from console.domain.deadlines import NS

log = logging.getLogger(__name__)


class Intake:
    def __init__(self) -> None:
        self.seen: set[str] = set()  # (dev, id) keys of every device event journaled
        self.received = 0
        self.duplicates = 0
        self.rejected = 0
        self._offsets: deque[float] = deque(maxlen=101)
        self.latest_at = 0  # the latest time given to a message (the engine stamps nothing earlier after it)

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
                    out.append(ev.NotifyReceipt(at=at, req=r.req, status=r.status, detail=r.detail))
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
