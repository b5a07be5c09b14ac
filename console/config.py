"""Settings: defaults < TOML file < environment (GUARDIAN_*) < command-line flags."""

from __future__ import annotations

import argparse
import dataclasses
import os
import socket
import sys
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Final

from console.paths import data_dir


@dataclass
class Settings:
    broker_host: str = "127.0.0.1"
    broker_port: int = 1883
    broker_username: str | None = None
    broker_password: str | None = None
    broker_ca_file: str | None = None
    broker_cert_file: str | None = None
    broker_key_file: str | None = None
    mqtt_protocol: str = "v311"
    district: str = ""  # empty: the district of the stored register (bootstrap.resolve_scope)
    township: str | None = None  # None: the whole district (a district console)
    console_id: str = field(default_factory=lambda: socket.gethostname().split(".")[0] or "console")
    db_url: str = ""  # empty: SQLite journal in the per-user data dir
    locale: str = "zh_CN"
    ntp_server: str | None = None
    training: bool = False
    map_base: str = "vector"  # vector | xyz | mbtiles
    map_xyz_url: str | None = None
    map_mbtiles: str | None = None
    register_file: str | None = None
    blind_after_s: float = 10.0
    # the officer confirmed that a zero-length journal file starts a new journal: a flag only
    # (--new-journal), never read from a settings file or the environment (FLAG_ONLY)
    new_journal: bool = False
    # a TRAINING console on a broker that is not on loopback: the operator confirms a topic root
    # of its own (e.g. guard-training/v1/) for everything it hears and sends (a flag only)
    training_topic_root: str | None = None
    # scheduled daily backups of a SQLite journal (console/io/backup.py): None switches them off
    backup_dir: str | None = None
    backup_keep_days: int = 14
    # sign-in lockout (console/io/store/operators.py): this many wrong passwords in a row lock
    # the account for login_lock_min minutes; the console locks after idle_lock_min minutes
    # without keyboard or mouse input (0 = never)
    login_max_failures: int = 5
    login_lock_min: float = 15.0
    idle_lock_min: float = 10.0

    def journal_url(self) -> str:
        if self.db_url:
            return self.db_url
        name = "training.sqlite" if self.training else "journal.sqlite"
        return f"sqlite:///{data_dir() / name}"


FLAG_ONLY: Final = frozenset(
    {"new_journal", "training_topic_root"}
)  # one start's confirmations: never kept in a file


def _coerce(name: str, value: Any) -> Any:
    f = {f.name: f for f in fields(Settings)}[name]
    t = str(f.type)
    if value is None:
        return None
    if "int" in t and "str" not in t:
        return int(value)
    if "float" in t:
        return float(value)
    if "bool" in t:
        return str(value).lower() in ("1", "true", "yes", "on")
    return str(value)


def config_path() -> Path:
    env = os.environ.get("GUARDIAN_CONFIG")
    return Path(env) if env else data_dir() / "console.toml"


class ConfigError(ValueError):
    """A settings file that cannot be read: said plainly, never a traceback."""


LOADED_FROM: list[Path] = []  # the settings files the last ``load`` read, in order (for the start-up log)


def beside_executable() -> Path:
    """``console.toml`` beside the executable: what the installer writes (machine defaults)."""
    return Path(sys.executable).resolve().parent / "console.toml"


def _apply_file(s: Settings, p: Path, names: set[str]) -> None:
    if p.exists():
        LOADED_FROM.append(p)
        try:
            raw = tomllib.loads(p.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"settings file {p} is not valid TOML: {exc}") from exc
        flat: dict[str, Any] = {}
        for k, v in raw.items():
            if isinstance(v, dict):  # [broker] host = ... -> broker_host
                flat.update({f"{k}_{kk}": vv for kk, vv in v.items()})
            else:
                flat[k] = v
        for k, v in flat.items():
            if k in names:
                try:
                    setattr(s, k, _coerce(k, v))
                except ValueError as exc:
                    raise ConfigError(f"settings file {p}: {k} = {v!r} is not valid ({exc})") from exc


def load(path: Path | None = None, overrides: dict[str, Any] | None = None) -> Settings:
    """The installer writes machine defaults beside the executable; the user's file and the
    environment and flags come on top of them."""
    s = Settings()
    names = {f.name for f in fields(Settings)}
    kept = names - FLAG_ONLY
    LOADED_FROM.clear()
    if getattr(sys, "frozen", False):
        _apply_file(s, beside_executable(), kept)
    _apply_file(s, path or config_path(), kept)
    for name in kept:
        env = os.environ.get(f"GUARDIAN_{name.upper()}")
        if env is not None:
            setattr(s, name, _coerce(name, env))
    for k, v in (overrides or {}).items():
        if v is not None and k in names:
            setattr(s, k, _coerce(k, v))
    s.loaded_from = tuple(LOADED_FROM)  # type: ignore[attr-defined]  # for the start-up log line
    return s


def add_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", type=Path, help="settings file (TOML)")
    p.add_argument("--broker-host", dest="broker_host")
    p.add_argument("--broker-port", dest="broker_port", type=int)
    p.add_argument("--broker-username", dest="broker_username")
    p.add_argument("--broker-password", dest="broker_password")
    p.add_argument("--district")
    p.add_argument("--township", help="township code; omit for a district console")
    p.add_argument("--console-id", dest="console_id")
    p.add_argument("--db", dest="db_url", help="database URL (default: SQLite in the user data dir)")
    p.add_argument("--locale", choices=["zh_CN", "en"])
    p.add_argument("--training", action="store_true", default=None)
    p.add_argument(
        "--new-journal",
        dest="new_journal",
        action="store_true",
        default=None,
        help="the journal file is empty (0 bytes) and a new journal is meant to start in it",
    )
    p.add_argument(
        "--training-topic-root",
        dest="training_topic_root",
        help="TRAINING on a broker not on loopback: the topic root of its own, e.g. guard-training/v1/",
    )


def store_url(explicit: str | Path | None = None) -> str:
    """The store a tool opens: ``explicit`` (--db), else the settings' (``db_url`` in
    console.toml or GUARDIAN_DB_URL: a shared PostgreSQL store), else the per-user journal.
    What import-register, import-boundaries, operators, audit and replay open by default, so a
    register or an account never lands in a per-user file beside the shared store."""
    if explicit:
        return str(explicit)
    return load().journal_url()


def open_tool_store(explicit: str | Path | None, prog: str) -> tuple[Any, int]:
    """(the store a tool opens, 0), or (None, exit code) once stderr says why: 2 for settings
    that cannot be read, 1 for a store that cannot be opened."""
    from console.io.store import JournalError, SqlStore

    try:
        url = store_url(explicit)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return None, 2
    try:
        return SqlStore(url), 0
    except JournalError as exc:
        print(f"{prog}: cannot open {url}: {exc}", file=sys.stderr)
        return None, 1


def from_args(ns: argparse.Namespace) -> Settings:
    keys = [f.name for f in fields(Settings)]
    return load(getattr(ns, "config", None), {k: getattr(ns, k, None) for k in keys})


def remember(name: str, value: str, path: Path | None = None) -> None:
    """Persist one top-level setting (e.g. the officer's language) in the settings file."""
    p = path or config_path()
    lines = p.read_text(encoding="utf-8").splitlines() if p.exists() else []
    line = f'{name} = "{value}"'
    for i, old in enumerate(lines):
        if old.split("=", 1)[0].strip() == name and not old.lstrip().startswith("["):
            lines[i] = line
            break
    else:
        # top-level keys must come before any [table]
        first_table = next((i for i, ln in enumerate(lines) if ln.lstrip().startswith("[")), len(lines))
        lines.insert(first_table, line)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")


LOOPBACK: Final = ("127.0.0.1", "localhost", "::1")


class TrainingError(ValueError):
    """A training set-up that could reach real people or the live journal."""


LIVE_ROOT: Final = "guard/v1/"  # the district's topic root (console/domain/codec.py, ARCHITECTURE §3)


def check_training_broker(s: Settings) -> None:
    """A TRAINING console talks to a loopback broker, or to another one only under a topic root
    of its own that the operator confirmed (``--training-topic-root``): never the live root."""
    root = s.training_topic_root
    if root is not None:
        if (
            not root.endswith("/")
            or root.startswith(LIVE_ROOT)
            or LIVE_ROOT.startswith(root)
            or "#" in root
            or "+" in root
        ):
            raise TrainingError(
                f"training topic root {root!r}: must end with '/', contain no wildcard and stay apart"
                f" from the live root {LIVE_ROOT} (e.g. guard-training/v1/)"
            )
        return
    if s.broker_host not in LOOPBACK:
        raise TrainingError(
            f"training publishes through a local broker only, not {s.broker_host}: the topic root"
            f" is the live one ({LIVE_ROOT}), so a TRAINING console on a shared broker would hear live"
            " alarms and could send real notification requests; confirm a training root of its own"
            " with --training-topic-root (e.g. guard-training/v1/)"
        )


def training_settings(base: Settings) -> Settings:
    """``base`` made safe for a drill: TRAINING mode, the per-user ``training.sqlite`` journal
    (a configured database URL is ignored: it may be the center's live store) and a loopback
    broker (a drill must never reach the district's alarm bus or its SMS gateway)."""
    check_training_broker(base)
    s = dataclasses.replace(base, training=True, db_url="")
    if s.journal_url() == dataclasses.replace(base, training=False, db_url="").journal_url():
        raise TrainingError("the training journal would be the live journal")
    return s
