"""The SQL projection tables kept a few seconds behind the journal (for IT's reports and tools)."""

from __future__ import annotations

import logging
import threading
from typing import Any, Protocol

import msgspec

from console.app.engine import Engine
from console.domain.world import World

log = logging.getLogger(__name__)


class ProjectionStore(Protocol):
    def write_projection(
        self,
        incidents: list[dict[str, Any]],
        tickets: list[dict[str, Any]],
        *,
        checklist: list[dict[str, Any]],
        notifications: list[dict[str, Any]],
    ) -> None: ...


class ProjectionWriter:
    """Keeps the SQL projection tables (incidents, tickets, checklist progress, notifications)
    a few seconds behind the journal, for IT's reports and other tools. Never the truth: the
    journal is; these tables are replaced wholesale and can be rebuilt at any time."""

    def __init__(self, engine: Engine, store: ProjectionStore, every_s: float = 15.0) -> None:
        self.engine = engine
        self.store = store
        self.every_s = every_s
        self.written_seq = -1
        self.failures = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="projection", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)
        self.write_now()

    BUSY_MSG_PER_S = 200  # above this the bus is in a storm: the alarm pipeline comes first
    MAX_DEFER_S = 300.0

    def _run(self) -> None:
        last_received = self.engine.status().received
        deferred = 0.0
        while not self._stop.wait(self.every_s):
            received = self.engine.status().received
            rate = (received - last_received) / self.every_s
            last_received = received
            if rate > self.BUSY_MSG_PER_S and deferred < self.MAX_DEFER_S:
                # A full rewrite holds the store's write lock and the GIL for a while; during a
                # storm that would delay journaling (and so acknowledging) alarms.
                deferred += self.every_s
                continue
            deferred = 0.0
            self.write_now()

    @staticmethod
    def capture(w: World) -> bytes:
        """In the engine thread: one C-speed encode, so the engine is held for milliseconds."""
        return msgspec.msgpack.encode((list(w.incidents.values()), list(w.tickets.values())))

    @staticmethod
    def snapshot(blob: bytes) -> dict[str, list[dict[str, Any]]]:
        """In the writer thread: rows for the projection tables."""
        raw_incidents, raw_tickets = msgspec.msgpack.decode(blob)
        incidents, checklist, notes = [], [], []
        for d in raw_incidents:
            d["opened_ns"] = d["opened"]
            incidents.append(d)
            for step, done in d["steps"].items():
                checklist.append(
                    {
                        "incident": d["id"],
                        "step": step,
                        "state": "done",
                        "at_ns": done["at"],
                        "operator": done["operator"],
                    }
                )
            for step in d["waived"]:
                checklist.append({"incident": d["id"], "step": step, "state": "waived", "at_ns": 0})
            for n in d["notifications"].values():
                notes.append({**n, "incident": d["id"], "at_ns": n["at"]})
        tickets = [
            {**t, "state": "closed" if t.get("closed") else "open", "opened_ns": t["opened"]}
            for t in raw_tickets
        ]
        return {"incidents": incidents, "tickets": tickets, "checklist": checklist, "notifications": notes}

    def write_now(self) -> bool:
        seq = self.engine.status().last_seq
        if seq == self.written_seq:
            return False
        try:
            snap = self.snapshot(self.engine.query(self.capture).result(30))
            self.store.write_projection(
                snap["incidents"],
                snap["tickets"],
                checklist=snap["checklist"],
                notifications=snap["notifications"],
            )
        except Exception:  # noqa: BLE001 - a projection is a convenience; the journal is safe
            self.failures += 1
            log.exception("projection tables not written")
            return False
        self.written_seq = seq
        return True
