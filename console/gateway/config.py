"""gateway.toml -> GatewayConfig (the format: docs/gateway.md, resources/gateway/gateway.toml).

Nothing secret is read from this file: provider keys come from console/io/secrets.py (the
environment, the keyring, or the keys file named here). A mistake is a ConfigError whose
message names the key and the file.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from console.gateway.limits import DEFAULT_RPS, Limit, limit_for
from console.gateway.templates import Param, Template
from console.io.paho_bus import BrokerConfig, broker_config

PROVIDER_KINDS = ("aliyun", "tencent", "sim")
CHANNELS = ("sms", "voice")
# default endpoints per kind: (sms host, voice host)
DEFAULT_HOSTS = {
    "aliyun": ("dysmsapi.aliyuncs.com", "dyvmsapi.aliyuncs.com"),
    "tencent": ("sms.tencentcloudapi.com", "vms.tencentcloudapi.com"),
}
SECRET_KEYS = {
    "aliyun": ("access_key_id", "access_key_secret", "callback_token"),
    "tencent": ("secret_id", "secret_key", "callback_token"),
    "sim": (),
}
REQUIRED_SECRETS = {"aliyun": ("access_key_id", "access_key_secret"), "tencent": ("secret_id", "secret_key")}


class ConfigError(Exception):
    pass


@dataclass(frozen=True)
class ProviderConfig:
    name: str
    kind: str
    options: dict[str, Any]  # the table as written (endpoints, ids, timeouts ...)
    limits: dict[str, Limit]
    rps: float
    lengths: dict[str, int]
    channels: tuple[str, ...] = CHANNELS

    def endpoint(self, channel: str) -> str:
        """scheme://host[:port] of the channel's API (sms / voice)."""
        o = self.options
        explicit = o.get("sms_endpoint" if channel == "sms" else "vms_endpoint")
        if isinstance(explicit, str) and explicit:
            return explicit
        scheme = str(o.get("scheme", "https"))
        hosts = DEFAULT_HOSTS.get(self.kind, ("", ""))
        if channel == "sms":
            host, port = o.get("host", hosts[0]), o.get("port")
        else:  # voice: its own host, else the one host given (one proxy for both), else the default
            host, port = o.get("voice_host", o.get("host", hosts[1])), o.get("voice_port", o.get("port"))
        return f"{scheme}://{host}" + (f":{int(port)}" if port else "")


@dataclass(frozen=True)
class ServerConfig:
    enabled: bool = False  # a [server] table: the simulator alone needs none
    host: str = "127.0.0.1"
    port: int = 8080  # 0: any free port (tests)
    tls_cert: str = ""
    tls_key: str = ""


@dataclass(frozen=True)
class GatewayConfig:
    broker: BrokerConfig
    providers: tuple[ProviderConfig, ...]
    templates: tuple[Template, ...] = ()
    server: ServerConfig = ServerConfig()
    data_dir: Path | None = None
    keys_file: Path | None = None
    send_timeout_s: float = 5.0
    callback_late_s: float = 120.0
    query_every_s: float = 60.0
    query_give_up_s: float = 24 * 3600.0
    failing_after_s: float = 60.0
    pace_spill_s: float = 0.5
    reply_window_s: float = 24 * 3600.0
    sim_speed: float = 1.0
    sim_seed: int = 7
    sim_reply_after_s: float | None = None
    gateway_id: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _table(d: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    v = d.get(key, {})
    if not isinstance(v, dict):
        raise ConfigError(f"{where}: [{key}] must be a table")
    return v


def _num(d: dict[str, Any], key: str, default: float, where: str) -> float:
    v = d.get(key, default)
    if isinstance(v, bool) or not isinstance(v, int | float) or v < 0:
        raise ConfigError(f"{where}: {key} must be a non-negative number, not {v!r}")
    return float(v)


def _limit(d: dict[str, Any], base: Limit, where: str) -> Limit:
    return Limit(
        int(_num(d, "per_minute", base.per_minute, where)),
        int(_num(d, "per_hour", base.per_hour, where)),
        int(_num(d, "per_day", base.per_day, where)),
    )


def _provider(d: dict[str, Any], i: int, path: Path) -> ProviderConfig:
    where = f"{path}: [[providers]] #{i + 1}"
    name = d.get("name")
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{where}: name is required")
    kind = d.get("kind", name)
    if kind not in PROVIDER_KINDS:
        raise ConfigError(f"{where}: kind must be one of {', '.join(PROVIDER_KINDS)}, not {kind!r}")
    for k in SECRET_KEYS.get(kind, ()):
        if k != "access_key_id" and k != "secret_id" and k in d:
            raise ConfigError(
                f"{where}: {k} must not be in the config file: use the environment, the keyring or the"
                " keys file (docs/gateway.md, Secrets)"
            )
    lim = _table(d, "limits", where)
    limits = {c: _limit(_table(lim, c, where), limit_for(kind, c), f"{where} limits.{c}") for c in CHANNELS}
    rps = _num(lim, "rps", DEFAULT_RPS.get(kind, 0.0), f"{where} limits")
    lengths_t = _table(d, "lengths", where)
    lengths = {c: int(_num(lengths_t, c, 0, f"{where} lengths")) for c in CHANNELS if c in lengths_t}
    channels = d.get("channels", list(CHANNELS))
    if not isinstance(channels, list) or any(c not in CHANNELS for c in channels):
        raise ConfigError(f"{where}: channels must be a list of sms / voice")
    options = {k: v for k, v in d.items() if k not in ("limits", "lengths", "channels")}
    return ProviderConfig(name, kind, options, limits, rps, lengths, tuple(channels))


def _template(d: dict[str, Any], i: int, path: Path, providers: set[str]) -> Template:
    where = f"{path}: [[templates]] #{i + 1}"
    provider = d.get("provider")
    if provider not in providers:
        raise ConfigError(f"{where}: provider {provider!r} is not one of the [[providers]]")
    channel = d.get("channel")
    if channel not in CHANNELS:
        raise ConfigError(f"{where}: channel must be sms or voice")
    code = d.get("code")
    if not isinstance(code, str) or not code:
        raise ConfigError(f"{where}: code (the approved template code) is required")
    roles = d.get("roles", [])
    if isinstance(roles, str):
        roles = [roles]
    params: list[Param] = []
    for j, p in enumerate(d.get("params", [])):
        if not isinstance(p, dict) or not isinstance(p.get("name"), str):
            raise ConfigError(f"{where}: params #{j + 1} needs a name")
        params.append(Param(p["name"], str(p.get("from", p["name"])), int(p.get("max", 0))))
    return Template(
        msg=str(d.get("msg", "alarm")),
        roles=frozenset(str(r) for r in roles if r != "*"),
        channel=channel,
        provider=provider,
        code=code,
        params=tuple(params),
        sign=str(d.get("sign", "")),
        show_number=str(d.get("show_number", "")),
    )


def load(path: Path) -> GatewayConfig:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return parse(data, path)


def parse(data: dict[str, Any], path: Path = Path("gateway.toml")) -> GatewayConfig:
    try:
        broker = broker_config(_table(data, "broker", str(path)), str(path))
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    raw_providers = data.get("providers", [])
    if not isinstance(raw_providers, list) or not raw_providers:
        raise ConfigError(f"{path}: at least one [[providers]] is required (aliyun | tencent | sim)")
    providers = tuple(_provider(p, i, path) for i, p in enumerate(raw_providers))
    names = [p.name for p in providers]
    if len(set(names)) != len(names):
        raise ConfigError(f"{path}: two [[providers]] have the same name")
    templates = tuple(_template(t, i, path, set(names)) for i, t in enumerate(data.get("templates", [])))
    s = _table(data, "server", str(path))
    server = ServerConfig(
        enabled="server" in data,
        host=str(s.get("host", "127.0.0.1")),
        port=int(s.get("port", 8080)),
        tls_cert=str(s.get("tls_cert", "")),
        tls_key=str(s.get("tls_key", "")),
    )
    if bool(server.tls_cert) != bool(server.tls_key):
        raise ConfigError(f"{path}: [server] tls_cert and tls_key go together")
    g = _table(data, "gateway", str(path))
    where = f"{path}: [gateway]"
    base = path.parent
    data_dir = g.get("data_dir")
    keys_file = g.get("keys_file")
    sim = _table(data, "sim", str(path))
    reply_after = sim.get("reply_after_s")
    return GatewayConfig(
        broker=broker,
        providers=providers,
        templates=templates,
        server=server,
        data_dir=(base / data_dir) if isinstance(data_dir, str) else None,
        keys_file=(base / keys_file) if isinstance(keys_file, str) else None,
        send_timeout_s=_num(g, "send_timeout_s", 5.0, where),
        callback_late_s=_num(g, "callback_late_s", 120.0, where),
        query_every_s=_num(g, "query_every_s", 60.0, where),
        query_give_up_s=_num(g, "query_give_up_s", 24 * 3600.0, where),
        failing_after_s=_num(g, "failing_after_s", 60.0, where),
        pace_spill_s=_num(g, "pace_spill_s", 0.5, where),
        reply_window_s=_num(g, "reply_window_s", 24 * 3600.0, where),
        sim_speed=_num(sim, "speed", 1.0, f"{path}: [sim]") or 1.0,
        sim_seed=int(sim.get("seed", 7)),
        sim_reply_after_s=float(reply_after) if isinstance(reply_after, int | float) else None,
        gateway_id=str(g.get("id", "")),
    )
