"""Running the ingest bridge in a test: its config on the test's Mosquitto and district, the
bridge on the tests' asyncio loop thread, a real aiohttp client posting to it, and a watcher of
the district's device topics."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
import msgspec

from console.bridge import config as bconfig
from console.bridge.build import KEYRING_SERVICE, build_bridge
from console.bridge.products import Products
from console.bridge.service import Bridge
from console.io.secrets import SecretStore
from console.paths import resource
from tests.fixtures.brokers import Watcher
from tests.gateway.gw_support import Loop

HERE = Path(__file__).parent
IMEI = "860000000000001"
TOWNSHIP = "500106001"


def products() -> Products:
    """The shipped tables and the tests' own (the documented IoTDA example's product)."""
    shipped = Products.load(resource("vendors")).products
    extra = Products.load(HERE / "products").products
    return Products.of([*shipped, *extra])


def bridge_config(broker: Any, district: str, **bridge: Any) -> bconfig.BridgeConfig:
    data: dict[str, Any] = {
        "broker": {"host": broker.host, "port": broker.port, "district": district},
        "server": {"host": "127.0.0.1", "port": 0},
        "bridge": {"id": "b1", "status_every_s": 1, **bridge},
        "platforms": [
            {"kind": "ctwing", "name": "ctwing"},
            {"kind": "onenet", "name": "onenet"},
            {"kind": "iotda", "name": "iotda"},
        ],
    }
    if broker.username:
        data["broker"]["username"] = broker.username
    return bconfig.parse(data)


def secrets(**tokens: str) -> SecretStore:
    env = {f"GUARDIAN_{name.upper()}_TOKEN": value for name, value in tokens.items()}
    return SecretStore(None, env=env, use_keyring=False, service=KEYRING_SERVICE)


class Running:
    """A started bridge on ``loop``; ``post`` is a real HTTP client's request."""

    def __init__(
        self,
        loop: Loop,
        cfg: bconfig.BridgeConfig,
        data_dir: Path,
        register: dict[str, str] | None = None,
        tokens: dict[str, str] | None = None,
        password: str | None = None,
    ) -> None:
        self.loop = loop
        self.cfg = cfg
        self.bridge: Bridge = build_bridge(
            cfg,
            secrets(**(tokens or {})),
            data_dir,
            {IMEI: TOWNSHIP} if register is None else register,
            products(),
            broker_password=password,
        )
        loop.run(self.bridge.start())
        self.base = f"http://127.0.0.1:{self.bridge.port}"

    def post(
        self,
        platform: str,
        body: bytes,
        query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        async def go() -> tuple[int, bytes]:
            async with aiohttp.ClientSession() as s:
                async with s.post(
                    f"{self.base}/push/{platform}",
                    data=body,
                    params=query or {},
                    headers={"Content-Type": "application/json", **(headers or {})},
                ) as r:
                    return r.status, await r.read()

        return self.loop.run(go())

    def get(self, path: str) -> tuple[int, bytes]:
        async def go() -> tuple[int, bytes]:
            async with aiohttp.ClientSession() as s:
                async with s.get(f"{self.base}{path}") as r:
                    return r.status, await r.read()

        return self.loop.run(go())

    def quarantined(self) -> list[tuple[str, str, str, bytes]]:
        return self.bridge.outbox.quarantined().result(10)

    def stop(self) -> None:
        self.loop.run(self.bridge.stop())
        self.bridge.outbox.close()


class Events(Watcher):
    """Every v1 device event published under the district, decoded."""

    def __init__(self, broker: Any, district: str) -> None:
        super().__init__(broker, f"guard/v1/evt/{district}/#")

    def decoded(self) -> list[dict[str, Any]]:
        return [msgspec.json.decode(p) for p in list(self.payloads)]

    def wait_count(self, n: int, timeout: float = 15.0) -> list[dict[str, Any]]:
        self.wait_for(lambda _p: len(self.payloads) >= n, timeout, f"{n} events")
        return self.decoded()


def body_with(example: dict[str, Any], **changes: Any) -> bytes:
    """A documented example's body with some top-level fields changed (dotted: nested)."""
    body = json.loads(json.dumps(example["body"]))
    for path, value in changes.items():
        node = body
        *parents, last = path.split("__")
        for p in parents:
            node = node[p]
        node[last] = value
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


class PersistentEvents:
    """A subscriber with a persistent session (clean_session false, QoS 1): what is published
    while it is disconnected — the broker restarting — is kept for it and delivered after."""

    def __init__(self, broker: Any, district: str) -> None:
        import threading
        import uuid

        import paho.mqtt.client as mqtt

        from console.app.changes import Changes

        self.payloads: list[bytes] = []
        self.changes = Changes()
        self._lock = threading.Lock()
        self._topic = f"guard/v1/evt/{district}/#"
        subscribed = threading.Event()
        c = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=f"test-persist-{uuid.uuid4().hex[:8]}",
            clean_session=False,
            protocol=mqtt.MQTTv311,
        )
        if broker.username:
            c.username_pw_set(broker.username, broker.password)

        def on_message(_c: Any, _u: Any, msg: Any) -> None:
            with self._lock:
                self.payloads.append(bytes(msg.payload))
            self.changes.bump()

        def on_connect(client: Any, *_a: Any) -> None:
            client.subscribe(self._topic, qos=1)
            self.changes.bump()

        c.on_message = on_message
        c.on_connect = on_connect
        c.on_subscribe = lambda *_: subscribed.set()
        c.reconnect_delay_set(0.2, 1)
        c.connect(broker.host, broker.port, keepalive=30)
        c.loop_start()
        if not subscribed.wait(10):
            raise AssertionError(f"no SUBACK for {self._topic}")
        self._client = c

    def decoded(self) -> list[dict[str, Any]]:
        with self._lock:
            return [msgspec.json.decode(p) for p in self.payloads]

    def wait_count(self, n: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        from tests.fixtures.brokers import wait_until

        wait_until(lambda: len(self.payloads) >= n, timeout, f"{n} events", on=self.changes)
        return self.decoded()

    def distinct(self) -> list[dict[str, Any]]:
        """The events as the console keeps them: each (dev, id) once, in the order first heard.
        A broker restarted with a QoS 1 delivery in flight to this subscriber delivers it again
        (MQTT's at least once): the copy must be the same event, which the console's dedupe
        drops (the bridge's own ``published`` count says it published each once)."""
        seen: dict[tuple[str, str], dict[str, Any]] = {}
        for e in self.decoded():
            key = (e["dev"], e["id"])
            if key in seen:
                assert seen[key] == e, "a copy that differs from the event"
                continue
            seen[key] = e
        return list(seen.values())

    def wait_distinct(self, n: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        from tests.fixtures.brokers import wait_until

        wait_until(lambda: len(self.distinct()) >= n, timeout, f"{n} distinct events", on=self.changes)
        return self.distinct()

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


def store_with_device(path: Path, dev: str = IMEI, township: str = TOWNSHIP, district: str = "SIM") -> Path:
    """A SQLite store holding a register of one household whose smoke detector is ``dev``."""
    from console.domain.registry import Area, Contact, Device, Household, Register, Resident
    from console.io.store import SqlStore

    areas = [
        Area(code=district, name="测试区", level="district"),
        Area(code=township, name="测试街道", level="street", parent=district),
    ]
    hh = Household(
        code=f"{township}-001-0001",
        district=district,
        township=township,
        community=f"{township}-001",
        grid=f"{township}-001-01",
        address="测试路1号",
        lat=29.55,
        lon=106.45,
        residents=(Resident(id="R1", name="测试老人", age=86, groups=("living_alone",)),),
        contacts=(
            Contact(id="E1", role="elder", name="老人", phone="19900000001"),
            Contact(id="G1", role="guardian", name="监护人", phone="19900000002"),
            Contact(id="GW1", role="grid_worker", name="网格员", phone="19900000003", lat=29.551, lon=106.45),
        ),
        devices=(Device(id=dev, kind="smoke", household=f"{township}-001-0001"),),
    )
    with SqlStore(path) as store:
        store.save_register(Register(areas, [hh], version="bridge-test"))
    return path
