"""bridge.toml -> BridgeConfig (the format: docs/bridge.md, resources/bridge/bridge.toml).

Nothing secret is read from this file: platform tokens and the broker's password come from
console/io/secrets.py (the environment, the OS keyring under ``guardian-bridge``, or the keys
file named here). A mistake is a ConfigError whose message names the key and the file.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from console.io.paho_bus import BrokerConfig, broker_config

PLATFORM_KINDS = ("ctwing", "onenet", "iotda")
# keys of a platform that are secrets (looked up as {name}.{key} in the key store)
PLATFORM_SECRETS = {"ctwing": ("token",), "onenet": ("token",), "iotda": ("token",)}


class ConfigError(Exception):
    pass


@dataclass(frozen=True)
class PlatformConfig:
    name: str  # the push URL is /push/{name}
    kind: str  # ctwing | onenet | iotda
    product: str = ""  # the product id of pushes that carry none (OneNET's old-style pushes)
    silent_after_s: int = 0  # 0: the longest heartbeat among its product tables
    max_age_s: int = 0  # OneNET: refuse a signed push older than this (0: no check)


@dataclass(frozen=True)
class VendorMqttConfig:
    """A vendor that runs its own broker: the bridge subscribes and maps its JSON."""

    name: str  # the platform is "mqtt:{name}"
    broker: BrokerConfig
    topic: str
    product: str
    id_fields: dict[str, str]  # Push.ids key -> dotted path in the JSON, or "{n}" for topic level n
    time_field: str | None = None
    seq_field: str | None = None
    silent_after_s: int = 0


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8090  # 0: any free port (tests)
    tls_cert: str = ""
    tls_key: str = ""


@dataclass(frozen=True)
class BridgeConfig:
    broker: BrokerConfig
    platforms: tuple[PlatformConfig, ...]
    vendors: tuple[VendorMqttConfig, ...] = ()
    server: ServerConfig = ServerConfig()
    bridge_id: str = "bridge-1"
    data_dir: Path | None = None
    keys_file: Path | None = None
    products_dir: Path | None = None  # None: the shipped resources/vendors
    db_url: str | None = None  # the store holding the register; None: the console's settings
    register_every_s: float = 60.0  # how often the register in the store is looked at again
    status_every_s: float = 10.0
    outbox_soft: int = 200_000  # events waiting for the broker above which heartbeats are shed
    outbox_hard: int = 1_000_000  # ... above which pushes are refused (503: the platform retries)
    keep_published_s: float = 7 * 24 * 3600.0  # how long a published event's key is kept for dedupe
    window: int = 1000  # events published and not yet acknowledged by the broker, at most
    extra: dict[str, Any] = field(default_factory=dict)


def _table(d: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    t = d.get(key, {})
    if not isinstance(t, dict):
        raise ConfigError(f"{where}: [{key}] must be a table")
    return t


def _int(d: dict[str, Any], key: str, default: int, where: str, minimum: int = 0) -> int:
    v = d.get(key, default)
    if not isinstance(v, int) or isinstance(v, bool) or v < minimum:
        raise ConfigError(f"{where}: {key} must be a whole number >= {minimum}")
    return v


def _num(d: dict[str, Any], key: str, default: float, where: str) -> float:
    v = d.get(key, default)
    if not isinstance(v, int | float) or isinstance(v, bool) or v <= 0:
        raise ConfigError(f"{where}: {key} must be a positive number")
    return float(v)


def _broker(b: dict[str, Any], where: str) -> BrokerConfig:
    try:
        return broker_config(b, where)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def _platform(d: Any, i: int, path: Path) -> PlatformConfig:
    where = f"{path}: [[platforms]] #{i + 1}"
    if not isinstance(d, dict):
        raise ConfigError(f"{where} must be a table")
    kind = d.get("kind", d.get("name"))
    if kind not in PLATFORM_KINDS:
        raise ConfigError(f"{where}: kind must be one of {', '.join(PLATFORM_KINDS)}")
    for secret in PLATFORM_SECRETS[kind]:
        if secret in d:
            raise ConfigError(
                f"{where}: {secret} must not be in the config file: set GUARDIAN_{str(d.get('name', kind)).upper()}_"
                f"{secret.upper()}, the keyring entry guardian-bridge/{d.get('name', kind)}.{secret} or the keys file"
            )
    name = str(d.get("name", kind))
    if not name.replace("-", "").replace("_", "").isalnum():
        raise ConfigError(
            f"{where}: name must be letters, digits, - or _ (it is the push URL /push/{{name}})"
        )
    return PlatformConfig(
        name=name,
        kind=kind,
        product=str(d.get("product", "")),
        silent_after_s=_int(d, "silent_after_s", 0, where),
        max_age_s=_int(d, "max_age_s", 0, where),
    )


def _vendor(d: Any, i: int, path: Path) -> VendorMqttConfig:
    where = f"{path}: [[mqtt]] #{i + 1}"
    if not isinstance(d, dict):
        raise ConfigError(f"{where} must be a table")
    for key in ("name", "topic", "product"):
        if not isinstance(d.get(key), str) or not d[key]:
            raise ConfigError(f"{where}: {key} is required")
    ids = d.get("ids", {})
    if not isinstance(ids, dict) or not ids or not all(isinstance(v, str) for v in ids.values()):
        raise ConfigError(f'{where}: ids must name at least one device id (e.g. ids = {{ imei = "imei" }})')
    broker = _broker(_table(d, "broker", where), where)
    return VendorMqttConfig(
        name=d["name"],
        broker=broker,
        topic=d["topic"],
        product=d["product"],
        id_fields=dict(ids),
        time_field=d.get("time"),
        seq_field=d.get("seq"),
        silent_after_s=_int(d, "silent_after_s", 0, where),
    )


def load(path: Path) -> BridgeConfig:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return parse(data, path)


def parse(data: dict[str, Any], path: Path = Path("bridge.toml")) -> BridgeConfig:
    broker = _broker(_table(data, "broker", str(path)), str(path))
    raw = data.get("platforms", [])
    if not isinstance(raw, list):
        raise ConfigError(f"{path}: [[platforms]] must be an array of tables")
    platforms = tuple(_platform(p, i, path) for i, p in enumerate(raw))
    vendors = tuple(_vendor(v, i, path) for i, v in enumerate(data.get("mqtt", [])))
    if not platforms and not vendors:
        raise ConfigError(
            f"{path}: nothing to take alarms from: add [[platforms]] (ctwing | onenet | iotda) or [[mqtt]]"
        )
    names = [p.name for p in platforms] + [f"mqtt:{v.name}" for v in vendors]
    if len(set(names)) != len(names):
        raise ConfigError(f"{path}: two platforms have the same name")
    s = _table(data, "server", str(path))
    server = ServerConfig(
        host=str(s.get("host", "127.0.0.1")),
        port=_int(s, "port", 8090, f"{path}: [server]"),
        tls_cert=str(s.get("tls_cert", "")),
        tls_key=str(s.get("tls_key", "")),
    )
    if bool(server.tls_cert) != bool(server.tls_key):
        raise ConfigError(f"{path}: [server] tls_cert and tls_key go together")
    b = _table(data, "bridge", str(path))
    where = f"{path}: [bridge]"
    base = path.parent

    def rel(key: str) -> Path | None:
        v = b.get(key)
        return (base / v) if isinstance(v, str) and v else None

    soft = _int(b, "outbox_soft", 200_000, where, 1)
    hard = _int(b, "outbox_hard", max(1_000_000, soft), where, 1)
    if hard < soft:
        raise ConfigError(f"{where}: outbox_hard must be at least outbox_soft")
    bridge_id = str(b.get("id", "bridge-1"))
    if not bridge_id or "/" in bridge_id or "+" in bridge_id or "#" in bridge_id or len(bridge_id) > 64:
        raise ConfigError(f"{where}: id must be 1-64 characters without / + #")
    return BridgeConfig(
        broker=broker,
        platforms=platforms,
        vendors=vendors,
        server=server,
        bridge_id=bridge_id,
        data_dir=rel("data_dir"),
        keys_file=rel("keys_file"),
        products_dir=rel("products"),
        db_url=str(b["db_url"]) if isinstance(b.get("db_url"), str) and b["db_url"] else None,
        register_every_s=_num(b, "register_every_s", 60.0, where),
        status_every_s=_num(b, "status_every_s", 10.0, where),
        outbox_soft=soft,
        outbox_hard=hard,
        keep_published_s=_num(b, "keep_published_s", 7 * 24 * 3600.0, where),
        window=_int(b, "window", 1000, where, 1),
    )
