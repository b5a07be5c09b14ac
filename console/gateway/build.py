"""The gateway's wiring, in one place: config + secrets -> providers, templates, limits, outbox."""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from console.gateway.config import REQUIRED_SECRETS, GatewayConfig, ProviderConfig
from console.gateway.limits import Limit, Limits
from console.gateway.outbox import Outbox
from console.gateway.provider import Provider
from console.gateway.providers.sim import SimProvider
from console.gateway.service import Gateway
from console.gateway.templates import Templates
from console.io.secrets import SecretError, SecretStore

ALIYUN_OPTIONS = (
    "sms_version",
    "vms_version",
    "connect_timeout_s",
    "tts_prod_id",
    "query_page_size",
    "query_max_pages",
)
TENCENT_OPTIONS = (
    "sms_sdk_app_id",
    "voice_sdk_app_id",
    "region",
    "connect_timeout_s",
    "play_times",
    "status_window_s",
)

# each provider kind's adapter: (module, its config class, its provider class, the options of
# the config file it takes); the two HTTP adapters are built alike from their keys and endpoints
ADAPTERS: Final = {
    "aliyun": ("console.gateway.providers.aliyun", "AliyunConfig", "AliyunProvider", ALIYUN_OPTIONS),
    "tencent": ("console.gateway.providers.tencent", "TencentConfig", "TencentProvider", TENCENT_OPTIONS),
}


def _secret(pc: ProviderConfig, secrets: SecretStore, key: str, required: bool) -> str:
    if key in pc.options and key in ("access_key_id", "secret_id"):  # an id, not a secret
        return str(pc.options[key])
    s = secrets.require(pc.name, key) if required else secrets.get(pc.name, key)
    return s.reveal() if s is not None else ""


def build_provider(pc: ProviderConfig, cfg: GatewayConfig, secrets: SecretStore) -> Provider:
    p: Any
    if pc.kind == "sim":
        p = SimProvider(pc.name, speed=cfg.sim_speed, seed=cfg.sim_seed, reply_after_s=cfg.sim_reply_after_s)
        return p  # type: ignore[no-any-return]
    need = REQUIRED_SECRETS[pc.kind]
    timeout = float(pc.options.get("timeout_s", cfg.send_timeout_s))
    adapter = ADAPTERS.get(pc.kind)
    if adapter is None:  # config.py refuses any other kind
        raise SecretError(f"unknown provider kind {pc.kind}")
    module, config_class, provider_class, options = adapter
    m = importlib.import_module(module)
    conf = getattr(m, config_class)(
        _secret(pc, secrets, need[0], True),
        _secret(pc, secrets, need[1], True),
        sms_endpoint=pc.endpoint("sms"),
        vms_endpoint=pc.endpoint("voice"),
        timeout_s=timeout,
        callback_token=_secret(pc, secrets, "callback_token", False),
        **{k: pc.options[k] for k in options if k in pc.options},
    )
    p = getattr(m, provider_class)(conf)
    p.name = pc.name  # the district's name for it: callbacks come to /callback/{name}/
    return p  # type: ignore[no-any-return]


def build_gateway(
    cfg: GatewayConfig,
    secrets: SecretStore,
    data_dir: Path,
    *,
    providers: list[Provider] | None = None,
    clock_ns: Callable[[], int] = time.time_ns,
    broker_password: str | None = None,
) -> Gateway:
    """``providers``: already built ones (tests, the bench), else built from ``cfg``."""
    built = providers if providers is not None else [build_provider(pc, cfg, secrets) for pc in cfg.providers]
    by_name = {pc.name: pc for pc in cfg.providers}
    limits: dict[tuple[str, str], Limit] = {}
    rps: dict[str, float] = {}
    channels: dict[str, frozenset[str]] = {}
    for p in built:
        pc = by_name.get(p.name)
        if pc is None:
            continue
        for ch, lim in pc.limits.items():
            limits[(p.name, ch)] = lim
        rps[p.name] = pc.rps
        channels[p.name] = frozenset(p.channels) & frozenset(pc.channels)
    templates = Templates(
        cfg.templates,
        lengths={pc.name: pc.lengths for pc in cfg.providers},
        kinds={pc.name: pc.kind for pc in cfg.providers},
    )
    outbox = Outbox(data_dir / "outbox.sqlite")
    return Gateway(
        cfg,
        built,
        templates,
        outbox,
        Limits(limits, rps),
        channels=channels,
        clock_ns=clock_ns,
        broker_password=broker_password,
    )
