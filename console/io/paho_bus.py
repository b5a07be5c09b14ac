"""The services' MQTT side (the notification gateway, the ingest bridge): paho (MQTT 3.1.1,
persistent session, manual acknowledgements).

Why paho and not aiomqtt: an outbox's rule is "acknowledge only what is durable", which needs
``manual_ack`` (paho 2.x): a message's PUBACK goes out only once its row is committed, so a crash
before that makes the broker deliver it again. Messages are handed to the asyncio loop; a publish
returns a future resolved by the broker's PUBACK. A service that only publishes subscribes to
nothing (``subscribe=None``).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BrokerConfig:
    host: str = "127.0.0.1"
    port: int = 1883
    username: str | None = None
    password: str | None = None  # only for the simulator's flags; a real one: secrets (broker.password)
    district: str = "SIM"
    client_id: str | None = None
    tls_ca: str = ""
    tls_cert: str = ""
    tls_key: str = ""

    @property
    def tls(self) -> bool:
        return bool(self.tls_ca or self.tls_cert)


def broker_config(b: dict[str, Any], where: str) -> BrokerConfig:
    """A service config's [broker] table; a password in it is refused (the message says where to
    put it instead)."""
    if "password" in b:
        raise ValueError(
            f"{where}: [broker] password must not be in the config file: set GUARDIAN_BROKER_PASSWORD"
        )
    return BrokerConfig(
        host=str(b.get("host", "127.0.0.1")),
        port=int(b.get("port", 1883)),
        username=b.get("username"),
        district=str(b.get("district", "SIM")),
        client_id=b.get("client_id"),
        tls_ca=str(b.get("tls_ca", "")),
        tls_cert=str(b.get("tls_cert", "")),
        tls_key=str(b.get("tls_key", "")),
    )


class BusError(RuntimeError):
    """No connection or no subscription: the message says which."""


@dataclass(frozen=True)
class Incoming:
    payload: bytes
    mid: int
    qos: int
    retain: bool
    topic: str = ""


class MqttBus:
    def __init__(
        self,
        cfg: BrokerConfig,
        loop: asyncio.AbstractEventLoop,
        on_message: Callable[[Incoming], None],
        subscribe: str | None,
        will: tuple[str, bytes] | None,
        on_connect: Callable[[], None] | None = None,
        password: str | None = None,
        name: str = "gateway",
    ) -> None:
        self.cfg = cfg
        self._loop = loop
        self._on_message = on_message
        self._topic = subscribe
        self._on_connected = on_connect
        self._name = name
        self._lock = threading.Lock()
        self._pending: dict[int, asyncio.Future[None]] = {}
        self._early: set[int] = set()  # PUBACKs that came before publish() registered the mid
        self._acked: list[asyncio.Future[None]] = []  # acknowledged, to resolve on the loop
        self._resolving = False
        self._subscribed = threading.Event()
        self._connected = threading.Event()
        self._failure: list[str] = []
        self.connected = False
        c = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=cfg.client_id or f"guard-{name}-{cfg.district}",
            protocol=mqtt.MQTTv311,
            clean_session=False,
            manual_ack=True,
        )
        if cfg.username:
            c.username_pw_set(cfg.username, password if password is not None else cfg.password)
        if cfg.tls:
            ctx = ssl.create_default_context(cafile=cfg.tls_ca or None)
            if cfg.tls_cert:
                ctx.load_cert_chain(cfg.tls_cert, cfg.tls_key or None)
            c.tls_set_context(ctx)
        c.max_inflight_messages_set(1000)
        c.max_queued_messages_set(0)
        if will is not None:
            c.will_set(will[0], will[1], qos=1, retain=True)
        c.on_connect = self._handle_connect
        c.on_disconnect = self._handle_disconnect
        c.on_message = self._handle_message
        c.on_subscribe = lambda *a: self._subscribed.set()
        c.on_publish = self._handle_publish
        c.reconnect_delay_set(1, 10)
        self._client = c

    # --- life cycle ---------------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> None:
        host, port = self.cfg.host, self.cfg.port
        try:
            self._client.connect(host, port, keepalive=30)
        except OSError as exc:
            raise BusError(f"cannot reach the broker at {host}:{port}: {exc}") from exc
        self._client.loop_start()
        if not self._connected.wait(timeout):
            self._client.loop_stop()
            raise BusError(f"no answer from the broker at {host}:{port} within {timeout:.0f} s")
        if self._failure:
            self._client.loop_stop()
            raise BusError(f"the broker at {host}:{port} refused the connection: {self._failure[0]}")
        if self._topic is not None and not self._subscribed.wait(timeout):
            self.stop()
            raise BusError(f"no subscription acknowledgement for {self._topic}")

    def start_async(self) -> None:
        """Connect in the background and keep trying (a service that must work while the broker
        is down: publishes are queued by paho meanwhile); ``connected`` says how it stands."""
        self._client.connect_async(self.cfg.host, self.cfg.port, keepalive=30)
        self._client.loop_start()

    def wait_subscribed(self, timeout: float) -> bool:
        """Whether the subscription was acknowledged within ``timeout`` s (after start_async)."""
        return self._subscribed.wait(timeout)

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()
        with self._lock:
            pending, self._pending = self._pending, {}
        for fut in pending.values():
            self._loop.call_soon_threadsafe(_cancel, fut)

    # --- paho's thread ------------------------------------------------------------------------

    def _handle_connect(self, c: mqtt.Client, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        if rc.is_failure:
            log.warning("%s: the broker refused the connection: %s", self._name, rc)
            self._failure.append(str(rc))
            self._connected.set()
            return
        sock = c.socket()
        if isinstance(sock, socket.socket):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.connected = True
        if self._topic is not None:
            c.subscribe(self._topic, qos=1)  # also after a reconnect (the session may be gone)
        if self._on_connected is not None:
            self._loop.call_soon_threadsafe(self._on_connected)
        self._connected.set()

    def _handle_disconnect(self, c: Any, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        self.connected = False
        if rc.is_failure:
            log.warning("%s: lost the broker (%s); reconnecting", self._name, rc)

    def _handle_message(self, c: Any, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        item = Incoming(bytes(msg.payload), msg.mid, msg.qos, bool(msg.retain), msg.topic)
        try:
            self._loop.call_soon_threadsafe(self._on_message, item)
        except RuntimeError:  # the loop is closed: the broker will deliver it again
            pass

    def _handle_publish(self, c: Any, userdata: Any, mid: int, rc: Any, props: Any) -> None:
        with self._lock:
            fut = self._pending.pop(mid, None)
            if fut is None:
                self._early.add(mid)
                return
            self._acked.append(fut)
            if self._resolving:
                return  # a hand-over to the loop is on its way already: it takes this one too
            self._resolving = True
        try:
            # one wake-up of the loop for every PUBACK that comes before it runs (a storm's
            # thousands of PUBACKs cost a handful of thread hand-offs, not one each)
            self._loop.call_soon_threadsafe(self._resolve_acked)
        except RuntimeError:
            pass

    def _resolve_acked(self) -> None:
        with self._lock:
            acked, self._acked = self._acked, []
            self._resolving = False
        for fut in acked:
            _resolve(fut)

    # --- the loop's side ----------------------------------------------------------------------

    def ack(self, m: Incoming) -> None:
        if m.qos > 0:
            self._client.ack(m.mid, m.qos)

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> asyncio.Future[None]:
        """Resolved when the broker acknowledged it (QoS 1) or at once (QoS 0). Queued by paho
        while the connection is down, and sent on the reconnect."""
        fut: asyncio.Future[None] = self._loop.create_future()
        # never under our lock: paho's own locks are taken in the other order by its thread
        info = self._client.publish(topic, payload, qos=qos, retain=retain)
        if info.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
            fut.set_exception(BusError(f"publish refused: {mqtt.error_string(info.rc)}"))
            return fut
        if qos == 0:
            fut.set_result(None)
            return fut
        with self._lock:
            if info.mid in self._early:  # the PUBACK came before we got here
                self._early.discard(info.mid)
                fut.set_result(None)
            else:
                self._pending[info.mid] = fut
        return fut


def _resolve(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


def _cancel(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.cancel()
