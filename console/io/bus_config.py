"""The bus client's settings, what it delivers and counts, and how its MQTT client is made.

``make_client`` is where the delivery guarantees are set: a persistent session (MQTT 3.1.1
``clean_session=False`` or v5 ``SessionExpiryInterval``), a retained last will, and paho's
manual ack so a PUBACK leaves only after the journal (console/io/bus.py).

It also sets how soon a dead link is noticed ("never silently blind", issue 16): a link that
stops carrying bytes with no TCP reset (a hung NAT, proxy or broker) must leave "connected"
within 5 s. paho 2.x (``_check_keepalive``, run by aiomqtt's ``loop_misc`` every 1 s) pings
when ``keepalive`` s have passed since its last ping (it means "since anything was sent", but
its packet writer returns before noting the time, so only a ping resets it: inbound alarms and
outbound PUBACKs change nothing) and drops the link at the first check ``keepalive`` s after an
unanswered ping (if bytes kept coming meanwhile it pings once more first). The checks fall on
whole seconds after the last ping, so a link that dies just after a PINGRESP is dropped
2 x keepalive (+ a few ms) later, the worst case; one that dies while bytes flow, sooner.
keepalive 2: at most ~4 s (tests/integration/test_silent_link.py measures it). keepalive 1
would halve that, but a quiet broker would get 1 s to answer a ping, and Mosquitto 2.0's grace
for us (``keepalive*3/2`` in whole seconds: 1, so 1 to 2 s) would barely cover a ping every
1.0x s; with 2 it is 3 to 4 s. paho also applies keepalive to the wait for CONNACK, and amqtt
(it checks a password hash first) took over 1 s on a busy machine: ``_Client`` starts the
checks at CONNACK and leaves that wait to aiomqtt's timeout, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, cast

LIVE_ROOT = "guard/v1/"  # console/config.py LIVE_ROOT
CONNECTED = "connected"
RECONNECTING = "reconnecting"
BLIND = "blind"


@dataclass(frozen=True, slots=True)
class Inbound:
    """One message as received (the engine's ``Message`` port)."""

    topic: str
    payload: bytes
    qos: int
    received_at: int = 0  # console clock (ns) when the bus client read it: T0 of an alarm


@dataclass(frozen=True)
class BusConfig:
    host: str
    port: int
    district: str
    township: str | None  # None: the whole district
    console_id: str
    username: str | None = None
    password: str | None = None
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    keepalive: int = 2  # s: a dead link is dropped within 2 x keepalive (see above)
    protocol: Literal["v311", "v5"] = "v311"
    session_expiry_s: int = 7 * 24 * 3600
    receipts: bool = True
    tls: bool | None = None  # None: on when ca_file or cert_file is given
    blind_after_s: float = 10.0
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    max_batch: int = 2000
    max_unacked: int = 20_000
    outbox_limit: int = 10_000
    # the topic root on the wire; inside the console every topic is the live one (LIVE_ROOT), so a
    # TRAINING console under a root of its own hears and sends only there (``to_wire``/``from_wire``)
    topic_root: str = "guard/v1/"

    def to_wire(self, topic: str) -> str:
        if self.topic_root != LIVE_ROOT and topic.startswith(LIVE_ROOT):
            return self.topic_root + topic[len(LIVE_ROOT) :]
        return topic

    def from_wire(self, topic: str) -> str:
        if self.topic_root != LIVE_ROOT and topic.startswith(self.topic_root):
            return LIVE_ROOT + topic[len(self.topic_root) :]
        return topic

    @property
    def client_id(self) -> str:
        return f"guardian-{self.console_id}"

    @property
    def presence_topic(self) -> str:
        return f"{self.topic_root}console/{self.district}/{self.console_id}"

    def subscriptions(self) -> list[str]:
        r = self.topic_root
        if self.township is None:
            topics = [f"{r}evt/{self.district}/#"]
        else:
            topics = [f"{r}evt/{self.district}/{self.township}/+"]
        if self.receipts:
            # the gateway's receipts, the field's replies and the gateway's presence (retained)
            topics.append(f"{r}notify/{self.district}/receipt")
            topics.append(f"{r}notify/{self.district}/reply")
            topics.append(f"{r}notify/{self.district}/gateway")
            # the ingest bridges' health (retained; console/app/bridges.py)
            topics.append(f"{r}bridge/{self.district}/+")
        return topics

    @property
    def use_tls(self) -> bool:
        if self.tls is not None:
            return self.tls
        return bool(self.ca_file or self.cert_file)


def backoff_delay(attempt: int, initial: float, cap: float, rng: random.Random) -> float:
    """Exponential backoff with 'equal jitter': half fixed, half random, capped."""
    base = min(cap, initial * 2.0 ** min(attempt, 30))
    return base / 2 + rng.uniform(0, base / 2)


def no_delay(client: Any) -> None:
    """paho leaves Nagle on: small QoS 1 acks and publishes then wait ~40 ms for a delayed ACK."""
    import socket

    sock = client._client.socket()
    if sock is not None:
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass


@functools.cache
def _client_class() -> type[Any]:
    """aiomqtt's Client whose keepalive checks start at CONNACK (see above)."""
    import aiomqtt
    import paho.mqtt.client as mqtt

    class _Client(aiomqtt.Client):
        async def _misc_loop(self) -> None:  # aiomqtt's own (2.3 to 2.5), after CONNACK
            with contextlib.suppress(Exception):  # refused or timed out: __aenter__ says so
                await asyncio.wait_for(asyncio.shield(self._connected), self.timeout)
            while self._client.loop_misc() == mqtt.MQTT_ERR_SUCCESS:
                await asyncio.sleep(1)

    return _Client


log = logging.getLogger(__name__)
READ_CHUNK = 65536  # bytes a socket read takes at most (ReadBuffer)


class ReadBuffer:
    """paho reads each packet in pieces: its first byte, each byte of its length, then the rest,
    one ``recv`` each: ~4 system calls a message in a backlog drain. This gives paho's reads
    from a buffer filled ``READ_CHUNK`` at a time (through paho's own ``_sock_recv``, so TLS and
    its errors are as before). Bytes left in the buffer when ``loop_read`` returns are handled
    in the event loop's next turn (``call_soon``), not in a loop of our own: the socket may not
    be readable again for them, and a loop that kept reading starved the event loop (pings,
    acknowledgements) until the broker dropped us for silence. The buffer belongs to one
    socket: a new connection starts empty."""

    def __init__(self, paho: Any) -> None:
        self.fills = 0  # socket reads made
        self._paho = paho
        self._recv = paho._sock_recv
        self._loop_read = paho.loop_read
        self._sock: Any = None
        self._data = b""
        self._pos = 0
        self._again = False  # a turn for the buffered bytes is scheduled
        paho._sock_recv = self.recv
        paho.loop_read = self.loop_read

    def buffered(self) -> int:
        return len(self._data) - self._pos if self._sock is self._paho._sock else 0

    def recv(self, bufsize: int) -> bytes:
        if self._sock is not self._paho._sock:
            self._sock, self._data, self._pos = self._paho._sock, b"", 0
        if self._pos >= len(self._data):
            data: bytes = self._recv(READ_CHUNK)  # BlockingIOError / OSError / b"" go to paho as before
            self.fills += 1
            if len(data) <= bufsize:
                self._data, self._pos = b"", 0
                return data
            self._data, self._pos = data, 0
        end = self._pos + bufsize
        out = self._data[self._pos : end]
        self._pos = end
        return out

    def loop_read(self, max_packets: int = 1) -> Any:
        import paho.mqtt.client as mqtt

        rc = self._loop_read(max_packets)
        if rc == mqtt.MQTT_ERR_SUCCESS and self.buffered() and not self._again:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # not in an event loop (paho's own loop): go on here
                return self.loop_read(max_packets) if self.buffered() else rc
            self._again = True
            loop.call_soon(self._turn)
        return rc

    def _turn(self) -> None:
        self._again = False
        if self._paho._sock is None or not self.buffered():
            return
        try:
            self.loop_read()
        except Exception:  # what aiomqtt's reader does with it: the link is gone; its checks say so
            log.debug("bus: a buffered read failed", exc_info=True)


_PUBACK = struct.Struct("!BBH")  # PUBACK, remaining length 2, packet id: paho's own, also in v5


def send_acks(paho: Any, acks: list[tuple[int, int]]) -> None:
    """Acknowledge ``(mid, qos)`` of one journaled batch: the QoS 1 PUBACKs as one write (the
    same bytes paho's ``ack`` sends one packet and one socket write each), QoS 2 through paho."""
    import paho.mqtt.client as mqtt

    ones = [mid for mid, qos in acks if qos == 1]
    if ones:
        paho._packet_queue(mqtt.PUBACK, b"".join(_PUBACK.pack(mqtt.PUBACK, 2, mid) for mid in ones), 0, 1)
    for mid, qos in acks:
        if qos == 2:
            paho.ack(mid, qos)


def make_client(cfg: BusConfig, queue: asyncio.Queue[Any], offline: bytes) -> Any:
    """An aiomqtt client for ``cfg``: persistent session, last will, manual (after-journal) ack."""
    import aiomqtt
    import paho.mqtt.client as mqtt
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    kwargs: dict[str, Any] = {}
    if cfg.protocol == "v5":
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = cfg.session_expiry_s
        # The broker's send window for us: unacked QoS 1 messages it may have on the wire.
        props.ReceiveMaximum = max(1, min(65535, cfg.max_unacked))
        kwargs.update(protocol=aiomqtt.ProtocolVersion.V5, clean_start=False, properties=props)
    else:
        kwargs.update(protocol=aiomqtt.ProtocolVersion.V311, clean_session=False)
    if cfg.use_tls:
        kwargs["tls_params"] = aiomqtt.TLSParameters(
            ca_certs=cfg.ca_file, certfile=cfg.cert_file, keyfile=cfg.key_file
        )
    client = _client_class()(
        cfg.host,
        cfg.port,
        username=cfg.username,
        password=cfg.password,
        identifier=cfg.client_id,
        keepalive=cfg.keepalive,
        will=aiomqtt.Will(cfg.presence_topic, offline, qos=1, retain=True),
        # Our own queue instance, so a batch can be drained with get_nowait.
        queue_type=cast("type[asyncio.Queue[Any]]", lambda maxsize=0: queue),
        **kwargs,
    )
    paho: mqtt.Client = client._client
    paho.manual_ack_set(True)  # PUBACK only from done(): ack after journal
    # aiomqtt hands paho a logger: paho then formats a debug line for every packet in and out
    # (~2 a message, 4 % of the bus thread in a backlog drain); its errors reach us as return
    # codes and aiomqtt's exceptions, which aiomqtt logs on its own logger
    paho.disable_logger()
    client.read_buffer = ReadBuffer(paho)
    client.pending_calls_threshold = 1_000_000  # our outbox bounds this, not a log line
    return client


@dataclass
class BusCounters:
    """What the bus client counts (its ``stats()``)."""

    received: int = 0
    acked: int = 0
    in_flight: int = 0
    batches: int = 0
    stale_acks: int = 0
    published: int = 0
    publish_dropped: int = 0
    publish_refused: int = 0  # outbox full: handed back to a sender that keeps it (the engine)
    publish_failed: int = 0
    reconnects: int = 0
    connects: int = 0
    callback_errors: int = 0


def payload_bytes(payload: Any) -> bytes:
    """An aiomqtt payload (bytes, bytearray, str, number or None) as bytes."""
    if isinstance(payload, bytes):
        return payload
    if isinstance(payload, bytearray):
        return bytes(payload)
    if isinstance(payload, str):
        return payload.encode()
    return b"" if payload is None else str(payload).encode()


def rfc3339(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
