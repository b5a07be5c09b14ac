"""The one place that builds and wires clock, store, bus, engine and UI, for every driver.

Drivers (console/entry/) parse their flags and call in here; nothing else opens a store,
starts an engine or a bus, or puts a window on screen. Qt is imported only by the functions
that build a window, so the headless drivers never load it.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any, Final

from console.app.clock import SystemClock
from console.app.data import load_templates, load_triage, load_weights
from console.app.engine import Engine
from console.app.ports import Clock
from console.app.projection_writer import ProjectionWriter
from console.app.silence import Silence
from console.config import LIVE_ROOT, Settings, check_training_broker
from console.domain import events as ev
from console.domain.checklist import Template
from console.domain.registry import Register
from console.domain.triage import TriageWeights
from console.domain.world import World
from console.paths import data_dir, resource

log = logging.getLogger(__name__)


def templates() -> dict[str, Template]:
    return load_templates(resource("checklists"))


def services() -> dict[str, tuple[Any, ...]]:
    """Who an escalation to each service notifies: the district's escalation.toml in the
    settings folder when there is one, else the shipped example (resources/escalation.toml)."""
    from console.app.data import load_services
    from console.config import config_path

    own = config_path().parent / "escalation.toml"
    path = own if own.exists() else resource("escalation.toml")
    try:
        return load_services(path)
    except (OSError, ValueError) as exc:
        log.error("ESCALATIONS NOTIFY NOBODY: %s cannot be read: %s", path, exc)
        return {}


def triage() -> TriageWeights:
    """resources/triage.toml: the queue's weights and, as ``.storm``, the storm rules."""
    return load_triage(resource("triage.toml"))


def make_world(register: Register, registers: Any = None) -> World:
    """A World with the shipped data files: checklists, risk weights, triage weights and the storm
    rules of triage.toml [storm] (which notifications a storm holds back, and when they go).
    ``registers`` finds the registers the journal's RegisterChanged name (a store's)."""
    from console.domain.triage_score import TriageScore

    tw = triage()
    return World(
        register,
        templates(),
        load_weights(resource("risk.toml")),
        storm_rules=tw.storm,
        triage_score=TriageScore(tw),
        registers=registers,
    )


LOG_FORMAT: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LOG_MAX_BYTES: Final = 5 * 1024 * 1024  # a file is rotated past this size ...
LOG_MAX_AGE_S: Final = 24 * 3600.0  # ... or once it is a day old
LOG_KEEP: Final = 14  # rotated files kept (console.log.1 .. .14); older ones are deleted


class SizeAndAgeRotatingHandler(RotatingFileHandler):
    """The console's log file, rotated when it passes ``max_bytes`` or when it is older than
    ``max_age_s`` (a quiet console still gets a file per day), keeping ``backup_count`` files.
    ``now`` is the wall clock (seconds); tests pass a fake one."""

    def __init__(
        self,
        path: Path,
        max_bytes: int = LOG_MAX_BYTES,
        max_age_s: float = LOG_MAX_AGE_S,
        backup_count: int = LOG_KEEP,
        now: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(path, maxBytes=max_bytes, backupCount=backup_count, encoding="utf-8", delay=True)
        self.max_age_s = max_age_s
        self._now = now
        self.opened_at = path.stat().st_mtime if path.exists() else now()

    def shouldRollover(self, record: logging.LogRecord) -> int:  # noqa: N802 - logging's name
        if self._now() - self.opened_at >= self.max_age_s and Path(self.baseFilename).exists():
            return 1
        return super().shouldRollover(record)

    def doRollover(self) -> None:  # noqa: N802 - logging's name
        super().doRollover()
        self.opened_at = self._now()


def setup_logging(level: int = logging.INFO, log_file: Path | None = None) -> None:
    """stderr, and the console's own log (``console.log`` in the per-user data dir, as
    docs/install.md says), rotated by size and age so it never grows without bound."""
    logging.basicConfig(level=level, format=LOG_FORMAT)
    for noisy in ("alembic", "amqtt", "transitions"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    root = logging.getLogger()
    if any(isinstance(h, SizeAndAgeRotatingHandler) for h in root.handlers):
        return  # once per process
    try:
        path = log_file or data_dir() / "console.log"
        handler = SizeAndAgeRotatingHandler(path)
    except OSError as exc:  # a log that cannot be written must not stop the console
        log.warning("no log file: %s", exc)
        return
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.setLevel(level)
    root.addHandler(handler)


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
    anchors: Any = None  # console.io.anchors.AnchorWriter
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
        if self.anchors is not None:
            self.anchors.stop()  # the final head, signed, before the store closes
        self.store.close()


@dataclass(frozen=True)
class _Local:
    """A message the console gives itself as if from the bus (a TRAINING console's receipts)."""

    topic: str
    payload: bytes
    received_at: int = 0


class TrainingPublisher:
    """The bus as a TRAINING console's engine sees it: nothing goes out on the live
    ``guard/v1/notify/`` topics. Such a publish goes to the same path under the training root
    ``guard-training/v1/`` instead (logged once per topic): the drill's requests reach the
    training broker and are acknowledged (the 1-minute mark works as in a real shift), and no
    live gateway, which listens on ``guard/v1/notify/``, can ever take one, even through a
    loopback address that tunnels somewhere. Anything else passes through."""

    LIVE: Final = "guard/v1/notify/"
    TRAINING_ROOT: Final = "guard-training/v1/"

    def __init__(
        self, inner: Any, root: str | None = None, answer: Callable[[str, bytes], None] | None = None
    ) -> None:
        self.inner = inner
        self.root = root or self.TRAINING_ROOT  # the confirmed training root, when there is one
        # no SMS or call goes out in a drill, and no gateway answers on the training root: once
        # the broker took a request, ``answer`` is handed (its receipt topic, an ``accepted``
        # receipt from the provider "training"), so the drill's 1-minute mark works as in a shift
        self.answer = answer
        self.rerouted = 0
        self.rerouted_event = threading.Event()  # set at the first one (tests wait on it)
        self._told: set[str] = set()

    def publish(
        self, topic: str, payload: bytes, qos: int = 1, on_acked: Callable[[], None] | None = None
    ) -> bool:
        if topic.startswith(self.LIVE):
            training = self.root + topic[len(LIVE_ROOT) :]
            if topic not in self._told:
                self._told.add(topic)
                log.warning("TRAINING console: %s goes to %s, never to the live topic", topic, training)
            self.rerouted += 1
            self.rerouted_event.set()
            if self.answer is not None and topic.endswith("/req"):
                on_acked = self._answered(topic, payload, on_acked)
            topic = training
        return bool(self.inner.publish(topic, payload, qos, on_acked=on_acked))

    def _answered(self, topic: str, payload: bytes, then: Callable[[], None] | None) -> Callable[[], None]:
        from console.domain.codec import NotifyRequest, Receipt, decode_notify, encode_receipt

        req = decode_notify(payload)
        receipt_topic = topic[: -len("/req")] + "/receipt"
        answer = self.answer

        def acked() -> None:
            if then is not None:
                then()
            if isinstance(req, NotifyRequest) and answer is not None:
                answer(receipt_topic, encode_receipt(Receipt(req.req, "accepted", provider="training")))

        return acked


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

    if connect_bus and settings.training:
        check_training_broker(settings)  # before anything opens: every driver is held to it
    clock = clock or SystemClock()
    store = (
        store if store is not None else open_store(settings.journal_url(), new_journal=settings.new_journal)
    )
    if register is None:
        register = store.load_register() or Register([], [], version="empty")
    elif store.register_version() is None:
        store.save_register(register)
    elif not getattr(store, "readonly", False):
        store.keep_register_version(register)  # a register of its own: replay must find it too
    source, problems = resolve_scope(settings, register)
    log_start(settings, register, str(getattr(store, "url", "") or settings.journal_url()), source, problems)
    # The fold starts with the register the journal first named (each RegisterChanged after it
    # puts another in force); a journal that names none starts with the one in use now.
    initial = store.first_register() or register
    world = make_world(initial, registers=store.registers)
    from console.io.anchors import writer_for

    anchors = writer_for(store, settings.console_id, clock.now_ns)

    def on_journaled(events: list[ev.AnyEvent]) -> None:
        if anchors is not None:
            anchors.noted(len(events))
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
    engine.district, engine.township = settings.district, settings.township
    engine.services = services()
    engine.config_problems = tuple(problems)
    engine.recover(progress)
    store.registers.add(register)
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
            topic_root=(settings.training_topic_root or LIVE_ROOT) if settings.training else LIVE_ROOT,
        )

        def on_status(state: str, detail: str) -> None:
            engine.submit_system(ev.BusStatus(at=0, state=state, detail=detail[:200]))

        bus = BusClient(
            cfg, on_batch=lambda batch, done: engine.submit_bus(batch, done), on_status=on_status, clock=clock
        )
        # a TRAINING console's requests stop here: never on the live notification topic
        engine.publisher = (
            TrainingPublisher(
                bus,
                settings.training_topic_root,
                answer=lambda topic, body: engine.submit_bus([_Local(topic, body)]),
            )
            if settings.training
            else bus
        )
        if anchors is not None:
            from console.io.anchors import anchor_topic

            topic = anchor_topic(settings.district, settings.console_id)
            anchors.publish = lambda line: bus.publish(topic, line, 1, retain=True)  # the bus keeps a copy
        core.bus = bus
    engine.start()
    if engine.world.register_digest != register.digest and not getattr(store, "readonly", False):
        # the store holds another register than the journal last named (an import while this
        # console was down; a first start): in force from now, on the record before any alarm
        engine.submit_system(register_changed(register, "start"))
    if anchors is not None:
        anchors.start()
        core.anchors = anchors
    core.projection = ProjectionWriter(engine, store)
    core.projection.start()
    from console.io.backup import start_backups

    start_backups(core)  # daily, when settings.backup_dir is set; stopped by core.stop()
    if core.bus is not None:
        core.bus.start()
    return core


def resolve_scope(settings: Settings, register: Register) -> tuple[str, list[tuple[str, str]]]:
    """The console's district from the register when the settings name none (a register of one
    district: that one): where it came from (settings | register | none), and what is wrong
    with the scope: ("no_district", "") when neither says (the synthetic district's "SIM" is
    then listened to, loudly), ("districts", "A,B")
    when the register holds several and the settings name none (the largest is taken). Whether
    the district and township hold any household is judged by the engine for every register
    in force (Engine.scope_problems)."""
    problems: list[tuple[str, str]] = []
    if settings.district:
        return "settings", problems
    sizes: dict[str, int] = {}
    for h in register.households.values():
        sizes[h.district] = sizes.get(h.district, 0) + 1
    if not sizes:
        settings.district = "SIM"
        return "none", [("no_district", "")]
    settings.district = max(sorted(sizes), key=lambda d: sizes[d])
    if len(sizes) > 1:
        problems.append(("districts", ",".join(sorted(sizes))))
    return "register", problems


def _masked_url(url: str) -> str:
    """A store URL for the log: any password replaced."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a plain path
        return url


def log_start(
    settings: Settings, register: Register, store_url: str, source: str, problems: list[tuple[str, str]]
) -> None:
    """One line saying what this console uses (settings files, district, broker, store), and a
    loud one for each scope problem: what IT checks first when a console hears nothing."""
    log.warning(
        "console %s: district %s%s, township %s, broker %s:%d%s, store %s, register %s (%d households);"
        " settings from %s",
        settings.console_id,
        settings.district,
        {"settings": " (the settings')", "register": " (the register's)"}.get(source, ""),
        settings.township or "* (the whole district)",
        settings.broker_host,
        settings.broker_port,
        " TLS" if settings.broker_ca_file else "",
        _masked_url(store_url),
        register.version or "-",
        len(register),
        ", ".join(str(p) for p in getattr(settings, "loaded_from", ())) or "no settings file",
    )
    for code, value in problems:
        if code == "no_district":
            log.error(
                "NO DISTRICT: the settings name none and there is no register; listening to the"
                " synthetic district SIM. Import the register or set district in console.toml"
            )
        elif code == "districts":
            log.error(
                "the register holds several districts (%s) and the settings name none; listening"
                " to %s. Set district in console.toml",
                value,
                settings.district,
            )


def register_changed(register: Register, source: str) -> ev.RegisterChanged:
    """The journal record that puts ``register`` in force (``at`` is set by the engine)."""
    return ev.RegisterChanged(
        at=0,
        version=register.version,
        digest=register.digest,
        households=len(register.households),
        devices=len(register.device_index),
        source=source,
    )


def backup_status_of(folder: str | None) -> Callable[[], tuple[Any, bool]] | None:
    """For the window: (last backup, overdue) of the backup folder; None when backups are off."""
    if not folder:
        return None
    from datetime import UTC, datetime

    from console.io.backup import backup_overdue, last_backup_at

    return lambda: (last_backup_at(folder), backup_overdue(folder, datetime.now(UTC)))


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


def accounts_for(store: Any, settings: Settings, now_ns: Callable[[], int] | None = None) -> Any:
    """The operator accounts (console/io/accounts.py): counted sign-ins and journaled changes, at
    the times ``now_ns`` gives (the engine's clock once there is one)."""
    from console.io.accounts import Accounts

    return Accounts(
        store,
        now_ns or SystemClock().now_ns,
        max_failures=settings.login_max_failures,
        lock_min=settings.login_lock_min,
    )


def operators_screen_for(accounts: Any) -> Callable[[Any], Any]:
    """``open(window)``: the operators screen over ``accounts``, as the window's operator (an admin)."""
    from console.io.store.operators import MIN_PASSWORD
    from console.ui.operators_screen import OperatorsScreen

    def open_screen(window: Any) -> Any:
        screen = OperatorsScreen(accounts, window.op.id, MIN_PASSWORD, window)
        screen.open()
        return screen

    return open_screen


def install_idle_lock(window: Any, engine: Engine, accounts: Any, idle_min: float) -> Any:
    """Lock ``window`` after ``idle_min`` minutes without input (console/ui/idle_lock.py); the
    lock and the unlock are journaled by the engine, the sign-ins by ``accounts``."""
    from console.ui.idle_lock import IdleLock

    def journal(what: str, operator_id: str) -> None:
        engine.submit_system(ev.SystemNote(at=0, what=what, detail=operator_id))

    # the officer's own password unlocks; wrong ones never lock the account (Accounts.unlock_session)
    return IdleLock(
        window, engine.clock.now_ns, idle_min, accounts.unlock_session, lambda: window.op.id, journal
    )


# --- what the window is handed ----------------------------------------------------------------


def kpi_for(core: Core, save_every: int | None = None) -> Any:
    """KPIs for the panel: folded from the journal (not the screen), so replay agrees. One fold
    lives as long as the console; each refresh (on the panel's worker thread) feeds it only the
    records journaled since the last, starting from the newest KPI checkpoint, and checkpoints it
    every ``save_every`` records (console/io/kpi_store.py)."""
    from console.io.kpi_store import SAVE_EVERY, KpiCursor

    cursor = KpiCursor(
        core.store,
        core.world.initial_register,  # and each register the journal puts in force after it
        templates(),
        load_weights(resource("risk.toml")),
        save_every=save_every or SAVE_EVERY,
        pause_gc=False,  # the engine and bus threads run meanwhile
        registers=core.store.registers,
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


def boundaries_importer_for(core: Core) -> Any:
    """The township-boundaries import the wizard runs after the register (same worker thread)."""
    from console.io.boundaries import import_boundaries

    def run(path: Path) -> Any:
        return import_boundaries(path, core.store)

    return run


def report_maker_for(core: Core) -> Any:
    """The window's Reports menu (console/ui/report_menu.py): a report from this console's store,
    made on the menu's worker thread."""
    from console.reports.build import build_report

    def make(kind: str, spec: str, out: Path, shift: str, progress: Any) -> Path:
        return build_report(core.store, kind, spec, out, shift, progress)

    return make


def replay_of(core: Core) -> Any:
    """A Replay of this console's journal, for the window's "replay this incident" (each call a
    new one: the journal has grown since the last)."""
    return lambda: build_replay(core.store, core.world.initial_register)


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
        map_view.load(core.world.register, bands, operator.scope, boundaries=core.store.load_boundaries())
    except ImportError:
        log.warning("map pane not available in this build")
    accounts = accounts_for(core.store, core.settings, core.engine.clock.now_ns)
    window = MainWindow(
        core.engine,
        sink,
        templates(),
        operator,
        core.settings.console_id,
        mode=mode,
        map_view=map_view,
        check_login=accounts.sign_in,
        manage_operators=operators_screen_for(accounts),  # the window offers it to admins only
        save_locale=lambda loc: remember("locale", loc),
        kpi_compute=kpi_for(core),
        run_import=importer_for(core),
        run_boundaries=boundaries_importer_for(core),
        triage=triage(),  # the file's weights (the world's too), not the queue's own default load
        backup_status=backup_status_of(core.settings.backup_dir),
        make_report=report_maker_for(core),
        make_replay=replay_of(core),
    )
    if size is not None:
        window.resize(*size)
    window.idle_lock = install_idle_lock(window, core.engine, accounts, core.settings.idle_lock_min)
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


def replay_boundaries(store: Any) -> dict[str, Any] | None:
    """The township boundaries a replayed journal's store holds; None when it has none (or is
    older than the boundaries table: a read-only store is not migrated)."""
    from console.app.ports import JournalError

    try:
        return store.load_boundaries()  # type: ignore[no-any-return]
    except JournalError as exc:
        log.info("replay: no township boundaries (%s)", exc)
        return None


def build_replay(store: Any, register: Register) -> Any:
    """A replay of the store's journal. It folds as the console did: from the register the
    journal first named (else ``register``), and each RegisterChanged puts the register it names
    (the store's ``register_versions``) in force from that record on: a replay after a re-import
    shows what the officer saw then."""
    from console.app.replay import Replay

    initial = store.first_register() or register
    registers = store.registers
    return Replay(lambda: make_world(initial, registers=registers), store.journal.read_rows)


def run_replay_window(
    replay: Any,
    register: Register,
    total: int,
    journal: str,
    with_map: bool,
    boundaries: dict[str, Any] | None = None,
) -> int:
    """The REPLAY window over an opened journal (the store stays open while it runs)."""
    from console.ui.replay_window import ReplayWindow

    app = gui_app("zh_CN")
    map_view = None
    if with_map:
        from console.ui.map.widget import MapView

        map_view = MapView()
        map_view.load(register, {}, "*", boundaries=boundaries)
    win = ReplayWindow(replay, register, templates(), Path(journal).name, map_view=map_view, total=total)
    win.show()
    win.start()
    return int(app.exec())
