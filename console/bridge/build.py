"""The bridge's wiring, in one place: config + secrets -> platforms, products, register, outbox."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from console.bridge.config import BridgeConfig, PlatformConfig
from console.bridge.outbox import BridgeOutbox
from console.bridge.platforms.ctwing import CTWing
from console.bridge.platforms.iotda import IoTDA
from console.bridge.platforms.mqtt_json import MqttJson
from console.bridge.platforms.onenet import OneNET
from console.bridge.products import Products
from console.bridge.push import Platform
from console.bridge.service import Bridge
from console.io.secrets import SecretStore
from console.paths import resource

log = logging.getLogger("console.bridge")
KEYRING_SERVICE = "guardian-bridge"


def platform(p: PlatformConfig, secrets: SecretStore) -> Platform:
    """One platform's adapter with its token (none configured: the platform's pushes are not
    checked, and the start-up line says so)."""
    token = secrets.get(p.name, "token")
    value = token.reveal() if token is not None else ""
    if not value:
        log.warning("bridge: platform %s has no token: its pushes are NOT verified", p.name)
    if p.kind == "ctwing":
        return CTWing(token=value)
    if p.kind == "onenet":
        return OneNET(token=value, max_age_ms=p.max_age_s * 1000)
    return IoTDA(token=value)


class RegisterIndex:
    """dev -> township of the register in the store, looked at again every ``every_s`` (in a
    thread: the store is SQL). No store or no register: every device is unregistered, loudly."""

    def __init__(self, url: str | None, every_s: float) -> None:
        self.url = url
        self.every_s = every_s
        self.index: dict[str, str] = {}
        self.digest: str | None = None
        self._store: Any = None

    def __call__(self) -> Mapping[str, str]:
        return self.index

    def refresh(self) -> None:
        from console.io.store import JournalError, SqlStore

        if self.url is None:
            return
        try:
            if self._store is None:
                self._store = SqlStore(self.url, readonly=True)
            digest = self._store.register_digest()
            if digest == self.digest:
                return
            reg = self._store.load_register()
        except JournalError as exc:
            log.error("bridge: cannot read the register from the store: %s", exc)
            return
        if reg is None:
            log.error("bridge: NO REGISTER in the store: every device is published as unregistered")
            return
        self.index = {d.id: h.township for h in reg.households.values() for d in h.devices}
        self.digest = digest
        log.warning("bridge: register %s: %d devices", reg.version or str(digest)[:16], len(self.index))

    async def follow(self) -> None:
        while True:
            await asyncio.sleep(self.every_s)
            await asyncio.to_thread(self.refresh)


def load_products(cfg: BridgeConfig) -> Products:
    return Products.load(cfg.products_dir or resource("vendors"))


def build_bridge(
    cfg: BridgeConfig,
    secrets: SecretStore,
    data_dir: Path,
    register: Mapping[str, str] | RegisterIndex,
    products: Products | None = None,
    broker_password: str | None = None,
) -> Bridge:
    platforms = {p.name: platform(p, secrets) for p in cfg.platforms}
    vendors = {
        v.name: MqttJson(v.name, v.product, v.id_fields, time_field=v.time_field, seq_field=v.seq_field)
        for v in cfg.vendors
    }
    vendor_passwords = {}
    for v in cfg.vendors:
        s = secrets.get(f"mqtt_{v.name}", "password")
        vendor_passwords[v.name] = s.reveal() if s is not None else None
    outbox = BridgeOutbox(data_dir / "bridge-outbox.sqlite")
    townships = register if isinstance(register, RegisterIndex) else (lambda: register)
    return Bridge(
        cfg,
        platforms,
        products or load_products(cfg),
        outbox,
        townships,
        vendors=vendors,
        broker_password=broker_password,
        vendor_passwords=vendor_passwords,
    )
