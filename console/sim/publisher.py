"""The simulators' MQTT side: a connected paho client and a bounded QoS 1 window.

``connect_client`` gives a paho client (MQTT 3.1.1) with its loop thread running or raises
``BrokerError``; ``Flow`` counts acknowledgements so a publisher keeps at most ``window``
messages in flight. Used by ``simulate`` (console.sim.stream), ``drill`` and the gateway
simulator.
"""

from __future__ import annotations

import socket
import threading
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion


class BrokerError(RuntimeError):
    """The broker could not be reached or refused us; the message says which."""


def connect_client(
    host: str,
    port: int,
    client_id: str = "",
    username: str | None = None,
    password: str | None = None,
    clean_session: bool = True,
    timeout: float = 10.0,
    on_connect: Any = None,
    prepare: Any = None,
) -> mqtt.Client:
    """A paho client (MQTT 3.1.1) connected with its loop thread running, or BrokerError.

    ``prepare(client)`` runs before connecting (set callbacks there: a persistent session
    may deliver at once); ``on_connect(client)`` after every successful (re)connect.
    """
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv311,
        clean_session=clean_session,
    )
    if username:
        client.username_pw_set(username, password)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    connected = threading.Event()
    failure: list[str] = []

    def _on_connect(c: mqtt.Client, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        if rc.is_failure:
            failure.append(str(rc))
            connected.set()
            return
        sock = c.socket()
        if isinstance(sock, socket.socket):  # small receipts / alarms should not wait on Nagle
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if on_connect is not None:
            on_connect(c)
        connected.set()

    client.on_connect = _on_connect
    if prepare is not None:
        prepare(client)
    try:
        client.connect(host, port, keepalive=30)
    except OSError as exc:
        raise BrokerError(f"cannot reach the broker at {host}:{port}: {exc}") from exc
    client.loop_start()
    if not connected.wait(timeout):
        client.loop_stop()
        raise BrokerError(f"no answer from the broker at {host}:{port} within {timeout:.0f} s")
    if failure:
        client.loop_stop()
        raise BrokerError(f"the broker at {host}:{port} refused the connection: {failure[0]}")
    return client


class Flow:
    """Counts QoS 1 acknowledgements so the publisher keeps a bounded window in flight."""

    def __init__(self, window: int = 2000) -> None:
        self.window = window
        self.sent = 0
        self.acked = 0
        self._cond = threading.Condition()

    def on_publish(self, client: Any, userdata: Any, mid: int, rc: Any, props: Any) -> None:
        with self._cond:
            self.acked += 1
            self._cond.notify_all()

    def before_send(self, timeout: float = 30.0) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self.sent - self.acked < self.window, timeout)

    def drain(self, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self.acked >= self.sent, timeout)
