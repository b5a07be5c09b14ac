"""Never silently blind (issue 16): a link that goes silent with no reset leaves "connected"
within 5 s, and the console reconnects once a path is open again.

A FreezingProxy (tests/tcp_proxy.py) sits between the BusClient and a real Mosquitto; freezing
it stops every byte both ways while both sockets stay open, so no FIN or RST ever arrives: only
the MQTT keepalive (console/io/bus_config.py) can tell. The worst moment for it is just after a
PINGRESP on an idle link (the next ping is a whole keepalive away); the other case has alarms
flowing in and PUBACKs out right up to the freeze.
"""

from __future__ import annotations

import dataclasses
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from console.io.bus import BusClient
from tests.fixtures.brokers import bus_config, publish_paho, wait_until
from tests.tcp_proxy import FreezingProxy

DETECT_WITHIN_S = 5.0  # the requirement: a dead link is detected and shown within 5 s
PINGRESP = b"\xd0\x00"


class Link:
    """on_batch / on_status sink that notes when each thing happened (time.monotonic)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.statuses: list[tuple[float, str, str]] = []
        self.received: list[tuple[float, bytes]] = []
        self.stopped = False

    def on_batch(self, batch: list[Any], done: Callable[[], None]) -> None:
        now = time.monotonic()
        with self._cond:
            self.received.extend((now, m.payload) for m in batch)
            self._cond.notify_all()
        done()  # PUBACK at once: bytes go out as well as in

    def on_status(self, state: str, detail: str) -> None:
        with self._cond:
            self.statuses.append((time.monotonic(), state, detail))
            self._cond.notify_all()

    def wait(self, predicate: Callable[[], Any], timeout: float, what: str) -> Any:
        with self._cond:
            value = self._cond.wait_for(predicate, timeout)
        if not value:
            raise AssertionError(
                f"timed out after {timeout:g} s waiting for {what}; statuses {self.statuses}"
            )
        return value

    def state(self) -> str:
        return self.statuses[-1][1] if self.statuses else "none"

    def left_connected_after(self, t: float) -> tuple[float, str, str] | None:
        return next((s for s in self.statuses if s[0] >= t and s[1] != "connected"), None)

    def count(self) -> int:
        with self._cond:
            return len(self.received)

    def more_than(self, seen: int) -> bool:
        """Wait until more than ``seen`` messages came (True) or ``stop()`` was called (False)."""
        with self._cond:
            self._cond.wait_for(lambda: self.stopped or len(self.received) > seen)
            return not self.stopped

    def stop(self) -> None:
        with self._cond:
            self.stopped = True
            self._cond.notify_all()


class Feeder(threading.Thread):
    """A device gateway talking to Mosquitto directly (not through the proxy): publishes the
    next alarm as soon as the console has received the previous one, so traffic flows both
    ways until the very moment the link freezes."""

    def __init__(self, broker: Any, topic: str, link: Link) -> None:
        super().__init__(name="feeder", daemon=True)
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        self.topic, self.link, self.sent = topic, link, 0
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"feeder-{uuid.uuid4().hex[:8]}")
        self.client.connect(broker.host, broker.port, keepalive=30)
        self.client.loop_start()

    def run(self) -> None:
        while True:
            seen = self.link.count()
            self.client.publish(self.topic, f"m{self.sent}".encode(), qos=1)
            self.sent += 1
            if not self.link.more_than(seen):
                return

    def close(self) -> None:
        self.link.stop()
        self.join(5)
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def proxy(mosquitto: Any) -> Iterator[FreezingProxy]:
    p = FreezingProxy(mosquitto.port)
    try:
        yield p
    finally:
        p.close()


def through(proxy: FreezingProxy, broker: Any, district: str, **kw: Any) -> Any:
    return dataclasses.replace(bus_config(broker, district, **kw), port=proxy.port)


def noticed(link: Link, frozen: float) -> float:
    """Seconds from the freeze until the bus client said it is no longer connected."""
    hit = link.wait(lambda: link.left_connected_after(frozen), 15, "the bus to leave connected")
    took = float(hit[0] - frozen)
    print(f"silent link noticed after {took:.2f} s: {hit[1]} ({hit[2]})")
    return took


def reconnects(link: Link, client: BusClient, proxy: FreezingProxy) -> None:
    link.wait(lambda: link.state() == "connected" and client.stats()["connects"] == 2, 20, "a reconnect")
    assert proxy.accepted == 2  # through a fresh link; the frozen one is still open
    assert len(proxy.frozen_links) == 2


def test_idle_link_that_goes_silent_just_after_a_pingresp_is_noticed_within_5_s(
    mosquitto: Any, proxy: FreezingProxy, unique_topic_prefix: str
) -> None:
    """The worst moment: a PINGRESP has just come, so the next ping is a whole keepalive away
    and the wait for its answer another one (bus_config: 2 x keepalive)."""
    d = unique_topic_prefix
    link = Link()
    client = BusClient(through(proxy, mosquitto, d), link.on_batch, link.on_status)
    client.start()
    try:
        link.wait(lambda: link.state() == "connected", 10, "connected through the proxy")
        proxy.freeze_after(PINGRESP)
        wait_until(lambda: proxy.frozen_at is not None, 10, "a PINGRESP, then the freeze", on=proxy.changes)
        assert proxy.frozen_at is not None
        took = noticed(link, proxy.frozen_at)
        assert took <= DETECT_WITHIN_S
        assert client.state != "connected"
        reconnects(link, client, proxy)
        publish_paho(mosquitto, [(f"guard/v1/evt/{d}/tw1/dev1", b"after")])
        link.wait(lambda: any(p == b"after" for _, p in link.received), 10, "an alarm after the reconnect")
    finally:
        client.stop()


@pytest.mark.parametrize("protocol", ["v311", "v5"])
def test_link_busy_both_ways_until_it_goes_silent_is_noticed_within_5_s(
    mosquitto: Any, proxy: FreezingProxy, unique_topic_prefix: str, protocol: str
) -> None:
    d = unique_topic_prefix
    link = Link()
    client = BusClient(through(proxy, mosquitto, d, protocol=protocol), link.on_batch, link.on_status)
    client.start()
    feeder: Feeder | None = None
    try:
        link.wait(lambda: link.state() == "connected", 10, "connected through the proxy")
        feeder = Feeder(mosquitto, f"guard/v1/evt/{d}/tw1/dev1", link)
        feeder.start()
        link.wait(lambda: len(link.received) >= 300, 30, "alarms flowing in")
        frozen = proxy.freeze()
        took = noticed(link, frozen)
        last_in = max(t for t, _ in link.received if t <= frozen)
        assert frozen - last_in < 0.2, "traffic had stopped before the freeze"
        assert took <= DETECT_WITHIN_S
        assert client.state != "connected"
        before = len(link.received)
        reconnects(link, client, proxy)
        # the feeder resumes on the first alarm that arrives over the new link
        link.wait(lambda: len(link.received) >= before + 50, 20, "alarms flowing again")
    finally:
        if feeder is not None:
            feeder.close()
        link.stop()
        client.stop()
