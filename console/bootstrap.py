"""The one place that wires clock, store, bus, engine and UI together."""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from console.app.clock import SystemClock
from console.app.data import load_templates, load_weights
from console.app.engine import Engine
from console.app.ports import Clock
from console.config import Settings
from console.domain import events as ev
from console.domain.checklist import Template
from console.domain.registry import Register
from console.domain.world import World
from console.paths import data_dir, resource

log = logging.getLogger(__name__)


def templates() -> dict[str, Template]:
    return load_templates(resource("checklists"))


def make_world(register: Register) -> World:
    return World(register, templates(), load_weights(resource("risk.toml")))


class ProjectionWriter:
    """Keeps the SQL projection tables (incidents, tickets, checklist progress, notifications)
    a few seconds behind the journal, for IT's reports and other tools. Never the truth: the
    journal is; these tables are replaced wholesale and can be rebuilt at any time."""

    def __init__(self, engine: Engine, store: Any, every_s: float = 15.0) -> None:
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


@dataclass
class Core:
    """Everything below the UI: store, world, engine, bus."""

    settings: Settings
    store: Any
    world: World
    engine: Engine
    bus: Any = None
    projection: ProjectionWriter | None = None
    extra_stops: list[Callable[[], None]] = field(default_factory=list)

    def stop(self) -> None:
        for fn in reversed(self.extra_stops):
            try:
                fn()
            except Exception:  # noqa: BLE001
                log.exception("stopping")
        if self.bus is not None:
            self.bus.stop()
        self.engine.submit_system(ev.SystemNote(at=0, what="stop", detail=self.settings.console_id))
        if self.projection is not None:
            self.projection.stop()
        self.engine.stop()
        self.store.close()


def save_unwritten(events: list[ev.AnyEvent], console_id: str) -> Path | None:
    """Last resort when stopping with a journal that still fails: the held events, one canonical
    encoding per line, in the first place that takes them (data dir, then the temp dir)."""
    import tempfile
    import time

    name = f"unwritten-{console_id}-{time.strftime('%Y%m%d-%H%M%S')}.jsonl"
    for folder in (data_dir(), Path(tempfile.gettempdir())):
        try:
            path = folder / name
            path.write_bytes(b"".join(ev.encode(e) + b"\n" for e in events))
        except OSError:
            continue
        log.critical("%d unjournaled events saved to %s", len(events), path)
        return path
    log.critical("%d unjournaled events could not be saved anywhere", len(events))
    return None


def open_store(settings: Settings) -> Any:
    from console.io.store.store import SqlStore

    return SqlStore(settings.journal_url())


def build_core(
    settings: Settings,
    register: Register | None = None,
    clock: Clock | None = None,
    sink: Any = None,
    connect_bus: bool = True,
    store: Any = None,
    progress: Callable[[int], None] | None = None,
) -> Core:
    """Open the store, rebuild the world from the journal, start the engine and the bus."""
    from console.io.bus import BusClient, BusConfig

    clock = clock or SystemClock()
    store = store if store is not None else open_store(settings)
    if register is None:
        register = store.load_register() or Register([], [], version="empty")
    elif store.register_version() is None:
        store.save_register(register)
    world = make_world(register)

    def on_journaled(events: list[ev.AnyEvent]) -> None:
        rows = [(e.at, e.topic, e.reason, e.detail, e.head) for e in events if isinstance(e, ev.Quarantined)]
        if rows:
            try:
                store.add_quarantine(rows)
            except Exception:  # noqa: BLE001 - the journal already holds them
                log.exception("quarantine table write failed")

    def on_unwritten(events: list[ev.AnyEvent]) -> None:
        save_unwritten(events, settings.console_id)

    checkpoints = None
    if not getattr(store, "readonly", False):
        from console.app.engine_state import Checkpointer
        from console.io.engine_checkpoints import EngineCheckpoints

        checkpoints = Checkpointer(EngineCheckpoints(store, settings.console_id))
    engine = Engine(
        world,
        store.journal,
        clock,
        settings.console_id,
        sink=sink,
        on_journaled=on_journaled,
        on_unwritten=on_unwritten,
        checkpoints=checkpoints,
    )
    engine.recover(progress)
    # The register and the recovered world live as long as the process: keep the cyclic GC
    # from walking them again and again (pauses of 100+ ms with a district's 100k devices).
    gc.collect()
    gc.freeze()
    core = Core(settings, store, world, engine)
    if connect_bus:
        cfg = BusConfig(
            host=settings.broker_host,
            port=settings.broker_port,
            district=settings.district,
            township=settings.township,
            console_id=settings.console_id,
            username=settings.broker_username,
            password=settings.broker_password,
            ca_file=settings.broker_ca_file,
            cert_file=settings.broker_cert_file,
            key_file=settings.broker_key_file,
            protocol="v5" if settings.mqtt_protocol == "v5" else "v311",
            blind_after_s=settings.blind_after_s,
        )

        def on_status(state: str, detail: str) -> None:
            engine.submit_system(ev.BusStatus(at=0, state=state, detail=detail[:200]))

        bus = BusClient(
            cfg, on_batch=lambda batch, done: engine.submit_bus(batch, done), on_status=on_status, clock=clock
        )
        engine.publisher = bus
        core.bus = bus
    engine.start()
    core.projection = ProjectionWriter(engine, store)
    core.projection.start()
    if core.bus is not None:
        core.bus.start()
    return core
