"""The one place that builds and wires clock, store, bus, engine and UI, for every driver.

Drivers (console/entry/) parse their flags and call in here; nothing else opens a store,
starts an engine or a bus, or puts a window on screen. Qt is imported only by the functions
that build a window, so the headless drivers never load it.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from console.app.clock import SystemClock
from console.app.data import load_templates, load_triage, load_weights
from console.app.engine import Engine
from console.app.ports import Clock
from console.app.projection_writer import ProjectionWriter
from console.app.silence import Silence
from console.config import Settings
from console.domain import events as ev
from console.domain.checklist import Template
from console.domain.registry import Register
from console.domain.triage import TriageWeights
from console.domain.world import World
from console.paths import resource

log = logging.getLogger(__name__)


def templates() -> dict[str, Template]:
    return load_templates(resource("checklists"))


def triage() -> TriageWeights:
    """resources/triage.toml: the queue's weights and, as ``.storm``, the storm rules."""
    return load_triage(resource("triage.toml"))


def make_world(register: Register) -> World:
    """A World with the shipped data files: checklists, risk weights, triage weights and the storm
    rules of triage.toml [storm] (which notifications a storm holds back, and when they go)."""
    from console.domain.triage_score import TriageScore

    tw = triage()
    return World(
        register,
        templates(),
        load_weights(resource("risk.toml")),
        storm_rules=tw.storm,
        triage_score=TriageScore(tw),
    )


def setup_logging(level: int = logging.INFO) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("alembic", "amqtt", "transitions"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


# --- the core: store, world, engine, bus ------------------------------------------------------


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


def open_store(url: str | None = None, readonly: bool = False, new_journal: bool = False) -> Any:
    """The SQL store at ``url`` (a database URL or a SQLite path; None: the per-user journal).
    ``new_journal``: the officer confirmed that a zero-length journal file starts a new journal
    (else it is refused: console/io/store/errors.py EmptyJournal)."""
    from console.io.store.store import SqlStore

    return SqlStore(url, readonly=readonly, new_journal=new_journal)


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
    from console.io.bus import BusClient
    from console.io.bus_config import BusConfig
    from console.io.unwritten import journal_tag, read_back, save_unwritten

    clock = clock or SystemClock()
    store = (
        store if store is not None else open_store(settings.journal_url(), new_journal=settings.new_journal)
    )
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

    tag = journal_tag(str(getattr(store, "url", "") or settings.journal_url()))

    def on_unwritten(events: list[ev.AnyEvent]) -> None:
        save_unwritten(events, settings.console_id, tag)

    if not getattr(store, "readonly", False):
        # what the last run held when it stopped with its journal failing: journaled now, before
        # the fold below and before the bus, so the world applies it and nothing goes ahead of it
        read_back(store.journal, settings.console_id, tag, clock.now_ns)

    checkpoints = None
    if not getattr(store, "readonly", False):
        from console.app.engine_state import Checkpointer
        from console.io.engine_state_store import EngineStateStore

        checkpoints = Checkpointer(EngineStateStore(store, settings.console_id))
    engine = Engine(
        world,
        store.journal,
        clock,
        settings.console_id,
        sink=sink,
        on_journaled=on_journaled,
        on_unwritten=on_unwritten,
        checkpoints=checkpoints,
        # a township console hears only its own township: it judges only that one for silence
        silence=Silence(register, township=settings.township),
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


def local_settings(host: str, port: int, console_id: str, **kw: Any) -> Settings:
    """Settings for a console on the embedded (demo / training) broker, with its credentials."""
    from console.io.broker import DEMO_PASSWORD, DEMO_USERNAME

    return Settings(
        broker_host=host,
        broker_port=port,
        broker_username=DEMO_USERNAME,
        broker_password=DEMO_PASSWORD,
        district="SIM",
        console_id=console_id,
        **kw,
    )


@dataclass
class LocalRun:
    """A console on its own loopback broker (demo, training) and the child processes it started;
    ``local_run`` stops them all, and the core, however the run ends."""

    workdir: Path
    host: str
    port: int
    children: list[Any] = field(default_factory=list)
    core: Core | None = None

    def child(self, args: list[str], log_name: str) -> None:
        """Start ``python -m console *args`` (log in the work dir) for the length of the run."""
        from console.io.processes import start_child

        self.children.append(start_child(args, self.workdir / log_name))


@contextmanager
def local_run(workdir: Path) -> Iterator[LocalRun]:
    """The embedded broker in its own process. On exit, however the run ends: the other children
    (traffic, gateway, drills: nothing new comes in), then the core (its journal written, its bus
    disconnected while the broker is still there), then the broker. Enter it from the main
    thread (on Linux a child dies with the thread that started it: console.io.processes) and
    after the QApplication exists (a Qt platform that cannot start aborts the process: let it do
    so before any child is started)."""
    from console.io.processes import start_broker, stop_children

    workdir.mkdir(parents=True, exist_ok=True)
    broker, host, port = start_broker(workdir)
    run = LocalRun(workdir, host, port, [broker])
    try:
        yield run
    finally:
        try:
            stop_children(run.children[1:])
            if run.core is not None:
                run.core.stop()
        finally:
            stop_children([broker])


# --- operators --------------------------------------------------------------------------------


def journal_login(core: Core, op: Any, console_id: str) -> None:
    """Journal an operator's login on this console."""
    core.engine.submit_command(
        ev.Login(at=0, operator=op.id, console=console_id, role=op.role, scope=op.scope)
    )


def sign_in(core: Core, console_id: str, op_id: str, name: str, role: str, scope: str, password: str) -> Any:
    """Make sure the (demo / trainee) account exists and journal its login on this console."""
    from console.ui.operator import Operator

    if core.store.check_login(op_id, password) is None:
        core.store.add_operator(op_id, name, role, scope, password)
    op = Operator(op_id, role, scope, name)
    journal_login(core, op, console_id)
    return op


# --- what the window is handed ----------------------------------------------------------------


def kpi_for(core: Core, save_every: int | None = None) -> Any:
    """KPIs for the panel: folded from the journal (not the screen), so replay agrees. One fold
    lives as long as the console; each refresh (on the panel's worker thread) feeds it only the
    records journaled since the last, starting from the newest KPI checkpoint, and checkpoints it
    every ``save_every`` records (console/io/kpi_store.py)."""
    from console.io.kpi_store import SAVE_EVERY, KpiCursor

    cursor = KpiCursor(
        core.store,
        core.world.register,
        templates(),
        load_weights(resource("risk.toml")),
        save_every=save_every or SAVE_EVERY,
        pause_gc=False,  # the engine and bus threads run meanwhile
    )
    lock = threading.Lock()  # the panel runs one refresh at a time; this makes sure of it

    def run() -> Any:
        with lock:
            return cursor.live(core.engine.clock.now_ns())

    run.cursor = cursor  # type: ignore[attr-defined]
    return run


def importer_for(core: Core) -> Any:
    """The register import the window's wizard runs: into this console's store."""
    from console.io.registry_import import import_file

    def run(path: Path, replace: bool, progress: Any) -> Any:
        return import_file(path, core.store, replace=replace, progress=progress)

    return run


def gui_app(locale: str) -> Any:
    """The QApplication (translations, fonts, map URL schemes), made once per process."""
    from console.ui.app import create_app

    return create_app(locale)


def ui_sink() -> Any:
    """The engine's deltas delivered on the UI thread."""
    from console.ui.qtsink import QtSink

    return QtSink()


def run_console(
    core: Core,
    sink: Any,
    operator: Any,
    mode: str,
    duration: float | None = None,
    screenshot: Path | None = None,
    size: tuple[int, int] | None = None,
) -> int:
    """The officer's window over ``core``: map, KPIs and register import wired in; runs until
    the officer quits (or ``duration`` seconds)."""
    from console.config import remember
    from console.ui.main_window import MainWindow
    from console.ui.shell import run_event_loop

    map_view = None
    try:
        from console.ui.map.widget import MapView

        map_view = MapView()
        bands = core.engine.query(lambda w: w.all_bands()).result(30)
        map_view.load(core.world.register, bands, operator.scope)
    except ImportError:
        log.warning("map pane not available in this build")
    window = MainWindow(
        core.engine,
        sink,
        templates(),
        operator,
        core.settings.console_id,
        mode=mode,
        map_view=map_view,
        check_login=core.store.check_login,
        save_locale=lambda loc: remember("locale", loc),
        kpi_compute=kpi_for(core),
        run_import=importer_for(core),
        triage=triage(),  # the file's weights (the world's too), not the queue's own default load
    )
    if size is not None:
        window.resize(*size)
    return run_event_loop(window, duration, screenshot)


# --- replay -----------------------------------------------------------------------------------


class OpenFailed(Exception):
    """A journal or register a replay cannot open; the message says why."""


def open_replay_store(journal: str) -> Any:
    """A read-only store over a journal file path or URL."""
    from console.app.ports import JournalError

    if "://" not in journal and not Path(journal).exists():
        raise OpenFailed(f"no journal at {journal}")
    try:
        return open_store(journal, readonly=True)
    except JournalError as exc:
        raise OpenFailed(f"cannot open {journal}: {exc}") from exc


def replay_register(store: Any, register_file: str | None) -> Register:
    """The register a replay folds with: the given export, else the one the journal holds."""
    import msgspec

    from console.domain.registry import loads

    if register_file:
        try:
            return loads(Path(register_file).read_bytes())
        except (OSError, msgspec.MsgspecError) as exc:
            raise OpenFailed(f"cannot read register {register_file}: {exc}") from exc
    register = store.load_register()
    if register is None:
        raise OpenFailed("this journal holds no register; pass --register FILE (a register JSON export)")
    return register  # type: ignore[no-any-return]


def build_replay(store: Any, register: Register) -> Any:
    from console.app.replay import Replay

    return Replay(lambda: make_world(register), store.journal.read_rows)


def run_replay_window(replay: Any, register: Register, total: int, journal: str, with_map: bool) -> int:
    """The REPLAY window over an opened journal (the store stays open while it runs)."""
    from console.ui.replay_window import ReplayWindow

    app = gui_app("zh_CN")
    map_view = None
    if with_map:
        from console.ui.map.widget import MapView

        map_view = MapView()
        map_view.load(register, {}, "*")
    win = ReplayWindow(replay, register, templates(), Path(journal).name, map_view=map_view, total=total)
    win.show()
    win.start()
    return int(app.exec())
