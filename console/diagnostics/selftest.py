"""``python -m console selftest``: prove this build (source tree or frozen bundle) has everything
it needs before an officer depends on it.

Each check loads a real part the way the console does (checklists, risk weights, translations,
the alert sound, the broker config, Alembic migrations, a journal on a temporary SQLite file,
the embedded broker, the map page in an offscreen QtWebEngine view) and reports PASS or FAIL
with a reason. Missing hidden imports or data files in a PyInstaller bundle show up here, not
at the first alarm. Exit code 0 when every selected check passed, 1 otherwise, 2 on bad usage.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from console import paths

REQUIRED_DIRS = ("checklists", "map", "sounds", "mosquitto", "scenarios", "register")
ALARM_KINDS = frozenset({"smoke", "co", "gas", "electric"})
MAP_ASSETS = ("leaflet/leaflet.js", "leaflet/leaflet.css", "map.js", "map.css", "boundaries.geojson")
BROKER_KEYS = ("max_queued_messages", "persistence", "persistent_client_expiration")
# Modules the console imports lazily (subcommands, adapters); a bundle missing one fails here.
LAZY_MODULES = (
    "console.bootstrap",
    "console.config",
    "console.io.bus",
    "console.io.broker",
    "console.io.store.store",
    "console.reports.build",
    "console.ui.main_window",
    "console.ui.map.widget",
    "console.ui.sound",
    "console.sim.district",
    "console.bridge.service",
    "console.gateway.service",
    "aiohttp",
    "keyring",
    "sqlalchemy.dialects.sqlite",
    "sqlalchemy.dialects.postgresql.psycopg2",
    "alembic.command",
    "aiomqtt",
    "paho.mqtt.client",
    "amqtt.broker",
    "amqtt.plugins.authentication",
    "argon2",
    "openpyxl",
    "folium",
    "qasync",
    "msgspec",
)
OPTIONAL_MODULES = ("psycopg2",)  # PostgreSQL option: reported, not required


class CheckFailed(Exception):
    """A check found something missing or wrong; the message says what."""


@dataclass
class Context:
    resources: Path
    migrations: Path
    workdir: Path
    timeout_s: float = 60.0
    notes: list[str] = field(default_factory=list)


@dataclass
class Result:
    name: str
    ok: bool
    detail: str
    seconds: float


# --- file checks (no Qt) -------------------------------------------------------------------


def check_resources(ctx: Context) -> str:
    if not ctx.resources.is_dir():
        raise CheckFailed(f"resources directory {ctx.resources} does not exist")
    missing = [d for d in REQUIRED_DIRS if not (ctx.resources / d).is_dir()]
    if missing:
        raise CheckFailed(f"missing under {ctx.resources}: {', '.join(missing)}")
    return str(ctx.resources)


def check_checklists(ctx: Context) -> str:
    from console.app.data import load_templates
    from console.domain.checklist import parse_template

    folder = ctx.resources / "checklists"
    files = sorted(folder.glob("*.toml"))
    if not files:
        raise CheckFailed(f"no checklist files in {folder}")
    errors = []
    for f in files:  # one by one first, so a broken file is named
        try:
            parse_template(f.read_text(encoding="utf-8"))
        except Exception as exc:  # noqa: BLE001 - report every broken file
            errors.append(f"{f.name}: {exc}")
    if errors:
        raise CheckFailed("; ".join(errors))
    kinds = set(load_templates(folder))
    if not ALARM_KINDS <= kinds:
        raise CheckFailed(f"no checklist for {', '.join(sorted(ALARM_KINDS - kinds))}")
    return f"{len(kinds)} templates ({', '.join(sorted(kinds))})"


def check_vendors(ctx: Context) -> str:
    """The ingest bridge's product tables (resources/vendors/*.toml): each one readable."""
    from console.bridge.product_table import ProductError
    from console.bridge.products import Products

    folder = ctx.resources / "vendors"
    if not sorted(folder.glob("*.toml")):
        raise CheckFailed(f"no product tables in {folder}")
    try:
        products = Products.load(folder)
    except ProductError as exc:
        raise CheckFailed(str(exc)) from None
    platforms = sorted({p.platform for p in products.products})
    return f"{len(products.products)} product tables ({', '.join(platforms)})"


def check_risk(ctx: Context) -> str:
    from console.app.data import load_weights

    path = ctx.resources / "risk.toml"
    if not path.is_file():
        raise CheckFailed(f"{path} missing")
    w = load_weights(path)
    return f"{len(w.vulnerability)} vulnerability, {len(w.protection)} protection weights"


def check_sounds(ctx: Context) -> str:
    path = ctx.resources / "sounds" / "alert.wav"
    if not path.is_file():
        raise CheckFailed(f"{path} missing")
    head = path.read_bytes()[:12]
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise CheckFailed(f"{path.name} is not a RIFF/WAVE file")
    try:
        importlib.import_module("PySide6.QtMultimedia")
        backend = "QtMultimedia"
    except ImportError as exc:  # the console falls back to the system beep ...
        if sys.platform == "win32":  # ... but the Windows build must ship the real alert
            raise CheckFailed(f"QtMultimedia missing from this Windows build: {exc}") from exc
        backend = f"system beep (QtMultimedia unavailable: {exc})"
    return f"alert.wav {path.stat().st_size:,} bytes; audio: {backend}"


def check_broker_config(ctx: Context) -> str:
    path = ctx.resources / "mosquitto" / "console.conf"
    if not path.is_file():
        raise CheckFailed(f"{path} missing")
    keys = {
        line.split()[0]
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    }
    missing = [k for k in BROKER_KEYS if k not in keys]
    if missing:
        raise CheckFailed(f"{path.name} does not set {', '.join(missing)}")
    return f"{path.name} sets {', '.join(BROKER_KEYS)}"


def check_scenarios(ctx: Context) -> str:
    files = sorted((ctx.resources / "scenarios").glob("*.jsonl"))
    if not files:
        raise CheckFailed("no training scenarios (*.jsonl)")
    lines = 0
    for f in files:
        for i, line in enumerate(f.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                json.loads(line)
            except ValueError as exc:
                raise CheckFailed(f"{f.name} line {i}: {exc}") from exc
            lines += 1
    return f"{len(files)} scenarios, {lines} lines"


def check_register_templates(ctx: Context) -> str:
    folder = ctx.resources / "register"
    missing = [n for n in ("template.csv", "sample.csv") if not (folder / n).is_file()]
    if missing:
        raise CheckFailed(f"missing {', '.join(missing)} in {folder}")
    header = (folder / "template.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    return f"template.csv: {len(header.split(','))} columns"


def check_map_assets(ctx: Context) -> str:
    folder = ctx.resources / "map"
    missing = [a for a in MAP_ASSETS if not (folder / a).is_file()]
    if missing:
        raise CheckFailed(f"missing in {folder}: {', '.join(missing)}")
    try:
        json.loads((folder / "boundaries.geojson").read_text(encoding="utf-8"))
    except ValueError as exc:
        raise CheckFailed(f"boundaries.geojson: {exc}") from exc
    return f"{len(MAP_ASSETS)} assets"


def check_migrations(ctx: Context) -> str:
    if not (ctx.migrations / "env.py").is_file():
        raise CheckFailed(f"{ctx.migrations / 'env.py'} missing")
    versions = sorted((ctx.migrations / "versions").glob("*.py"))
    if not versions:
        raise CheckFailed(f"no migration scripts in {ctx.migrations / 'versions'}")
    from console.io.store.migrate import head_revision

    return f"{len(versions)} scripts, head {head_revision()}"


def check_journal(ctx: Context) -> str:
    """Create a journal the way the console does, append, verify, then prove tampering is caught."""
    import sqlite3

    from console.domain.chain import verify
    from console.io.store.store import SqlStore
    from console.io.store.verify import verify_engine

    path = ctx.workdir / "selftest-journal.sqlite"
    items = [(1_000 + i, "system", "SystemNote", f"selftest-{i}", b'{"n":%d}' % i) for i in range(3)]
    store = SqlStore(path)
    try:
        store.journal.append(items, "selftest")
        result = verify_engine(store.engine)
        if not result.ok or result.records != len(items):
            raise CheckFailed(f"fresh journal does not verify: {result.broken} ({result.records} records)")
        if verify(store.journal.read()) is not None:
            raise CheckFailed("chain.verify reports a break in a fresh journal")
        revision = store.revision()
    finally:
        store.close()
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("UPDATE journal SET body = ? WHERE seq = 2", (b'{"n":99}',))
    store = SqlStore(path, readonly=True)
    try:
        tampered = verify_engine(store.engine)
    finally:
        store.close()
    if tampered.ok:
        raise CheckFailed("an edited record was NOT detected by verify")
    return (
        f"migrated to {revision}, {len(items)} records verified, edit detected at seq {tampered.broken.seq}"  # type: ignore[union-attr]
    )


def check_imports(ctx: Context) -> str:
    from console.cli import SUBCOMMANDS, module_of

    failed: list[str] = []
    absent: list[str] = []
    modules = sorted({module_of(name) for name in SUBCOMMANDS}) + list(LAZY_MODULES)
    for name in modules:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            # A subcommand module not written yet is reported (cli.py says so too); anything
            # else missing - a dependency - is a broken build.
            if exc.name and name.startswith(exc.name) and name.startswith("console."):
                absent.append(name)
            else:
                failed.append(f"{name}: {exc}")
        except Exception as exc:  # noqa: BLE001 - report and go on
            failed.append(f"{name}: {type(exc).__name__}: {exc}")
    for name in OPTIONAL_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            ctx.notes.append(f"optional {name} not available (PostgreSQL store disabled)")
    if failed:
        raise CheckFailed("; ".join(failed))
    text = f"{len(modules) - len(absent)} modules"
    if absent:
        text += f"; not in this build yet: {', '.join(absent)}"
    return text


def check_broker(ctx: Context) -> str:
    """Start the embedded (demo/training) broker and log in to it with paho."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    from console.io.broker import DEMO_PASSWORD, DEMO_USERNAME, EmbeddedBroker

    with EmbeddedBroker(0, ctx.workdir / "broker") as broker:
        connected = threading.Event()
        codes: list[Any] = []

        def on_connect(client: Any, userdata: Any, flags: Any, reason: Any, props: Any = None) -> None:
            codes.append(reason)
            connected.set()

        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="selftest")
        client.username_pw_set(DEMO_USERNAME, DEMO_PASSWORD)
        client.on_connect = on_connect
        client.connect(broker.host, broker.port, keepalive=10)
        client.loop_start()
        try:
            if not connected.wait(ctx.timeout_s):
                raise CheckFailed(f"no CONNACK from the embedded broker within {ctx.timeout_s:.0f} s")
        finally:
            client.disconnect()
            client.loop_stop()
        if codes[0].is_failure:
            raise CheckFailed(f"embedded broker refused the demo login: {codes[0]}")
        return f"amqtt on {broker.host}:{broker.port}, demo login accepted"


# --- Qt checks -----------------------------------------------------------------------------


def _app() -> Any:
    from console.ui.app import create_app

    return create_app("zh_CN")


def check_translations(ctx: Context) -> str:
    from PySide6.QtCore import QLibraryInfo, QTranslator

    _app()
    ours = sorted((ctx.resources / "i18n").glob("*.qm"))
    bad = [f.name for f in ours if not QTranslator().load(str(f))]
    if bad:
        raise CheckFailed(f"cannot load {', '.join(bad)}")
    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if not QTranslator().load("qtbase_zh_CN", qt_dir):
        raise CheckFailed(f"Qt's own Chinese translations (qtbase_zh_CN.qm) not found in {qt_dir}")
    shipped = ", ".join(f.name for f in ours) if ours else "none shipped yet (UI in source language)"
    return f"ours: {shipped}; Qt: qtbase_zh_CN"


def check_map(ctx: Context) -> str:
    """The risk map page built from a small synthetic register, loaded offscreen until painted."""
    from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QTimer

    from console.sim.district import generate
    from console.ui.map.widget import MapView

    _app()
    register = generate(seed=7, households=200)
    view = MapView(out_dir=ctx.workdir / "map")
    try:
        view.resize(800, 600)
        view.show()
        loop = QEventLoop()
        timer = QTimer()
        timer.setSingleShot(True)
        timer.timeout.connect(loop.quit)
        view.rendered.connect(loop.quit)
        started = time.monotonic()
        view.load(register, {})
        timer.start(int(ctx.timeout_s * 1000))
        if not view.grab_ready():
            loop.exec()
        took = time.monotonic() - started
        if not view.is_ready:
            raise CheckFailed(
                f"map page did not report ready within {ctx.timeout_s:.0f} s "
                f"(loads: {view.load_count}, js errors: {view.js_errors[:3]})"
            )
        if not view.grab_ready():
            raise CheckFailed(f"map page ready but not painted within {ctx.timeout_s:.0f} s")
        if view.js_errors:
            raise CheckFailed(f"map page errors: {view.js_errors[:3]}")
        if view.guard.blocked_urls:
            raise CheckFailed(f"map page tried to reach the network: {view.guard.blocked_urls[:3]}")
        total = view.last_counts.get("total")
        if total not in (None, len(register)):
            raise CheckFailed(f"map shows {total} households, register has {len(register)}")
        return f"{len(register)} households painted in {took:.1f} s, no errors, nothing remote"
    finally:
        view.close()
        view.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


CHECKS: dict[str, Callable[[Context], str]] = {
    "resources": check_resources,
    "checklists": check_checklists,
    "vendors": check_vendors,
    "risk": check_risk,
    "sounds": check_sounds,
    "broker-config": check_broker_config,
    "scenarios": check_scenarios,
    "register": check_register_templates,
    "map-assets": check_map_assets,
    "migrations": check_migrations,
    "journal": check_journal,
    "imports": check_imports,
    "broker": check_broker,
    "translations": check_translations,
    "map": check_map,
}


def run_check(name: str, ctx: Context) -> Result:
    started = time.monotonic()
    try:
        detail, ok = CHECKS[name](ctx), True
    except CheckFailed as exc:
        detail, ok = str(exc), False
    except Exception as exc:  # noqa: BLE001 - a crash in a check is a failed check, not a crash
        detail, ok = f"{type(exc).__name__}: {exc}", False
    return Result(name, ok, detail, time.monotonic() - started)


def use_resources(root: Path) -> None:
    """Point the whole process (including the map page builder) at another resources dir.

    console.paths has no override of its own; ``resource()`` looks ``resources_dir`` up at call
    time, so replacing it here reaches every caller that goes through ``resource()``."""
    paths.resources_dir = lambda: root
