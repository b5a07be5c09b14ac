"""The SMS / voice gateway simulator: answers notification requests with delivery receipts.

It stands for the carrier: an SMS is ``sent`` after 1-3 s and ``delivered`` 2-10 s later; a
voice call ends ``answered`` (70 %), ``no_answer`` (25 %) or ``failed`` (5 %) after 10-40 s.
Delays are divided by ``speed``. The outcome and its delays depend only on the seed and the
request id (``plan``), so tests can predict them. Malformed requests are counted and
logged, never fatal.
"""

from __future__ import annotations

import heapq
import logging
import random
import threading
import time
from typing import Any, Final

import paho.mqtt.client as mqtt

from console.domain.codec import (
    NotifyRequest,
    Receipt,
    Rejected,
    check_notify,
    encode_receipt,
    notify_receipt_topic,
    notify_req_topic,
)
from console.sim.publisher import BrokerError, connect_client

log = logging.getLogger("console.sim.gateway")
CHANNELS: Final = ("sms", "voice")


def _valid_number(to: str) -> bool:
    digits = to[1:] if to.startswith("+") else to
    return digits.isdigit() and 5 <= len(digits) <= 15


def plan(req: NotifyRequest, seed: int = 7) -> list[tuple[float, Receipt]]:
    """The receipts a request gets, as (seconds after arrival at speed 1, receipt), in order."""
    rng = random.Random(f"{seed}/{req.req}")
    if req.channel not in CHANNELS:
        return [(0.5, Receipt(req.req, "failed", "unknown_channel"))]
    if not _valid_number(req.to):
        return [(0.5, Receipt(req.req, "failed", "invalid_number"))]
    if req.channel == "sms":
        sent = rng.uniform(1.0, 3.0)
        return [
            (sent, Receipt(req.req, "sent")),
            (sent + rng.uniform(2.0, 10.0), Receipt(req.req, "delivered")),
        ]
    r = rng.random()
    status = "answered" if r < 0.70 else ("no_answer" if r < 0.95 else "failed")
    return [(rng.uniform(10.0, 40.0), Receipt(req.req, status))]


class GatewaySimulator:
    """Subscribes to a district's notification requests and publishes receipts on time.

    Its own paho loop thread receives; one scheduler thread publishes what is due.
    """

    def __init__(
        self,
        host: str,
        port: int,
        district: str,
        speed: float = 1.0,
        seed: int = 7,
        username: str | None = None,
        password: str | None = None,
        client_id: str | None = None,
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.host, self.port, self.district = host, port, district
        self.speed, self.seed = speed, seed
        self.username, self.password = username, password
        self.client_id = client_id if client_id is not None else f"guard-gateway-{district}"
        self.req_topic = notify_req_topic(district)
        self.receipt_topic = notify_receipt_topic(district)
        self._client: mqtt.Client | None = None
        self._heap: list[tuple[float, int, Receipt]] = []
        self._order = 0
        self._cond = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._seen: set[str] = set()
        self._subscribed = threading.Event()
        self.requests = 0
        self.duplicates = 0
        self.receipts = 0
        self.malformed: dict[str, int] = {}
        self.by_status: dict[str, int] = {}

    # --- life cycle ---------------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> None:
        """Connect, subscribe (QoS 1) and start publishing receipts; BrokerError on failure."""
        self._subscribed.clear()
        self._client = connect_client(
            self.host,
            self.port,
            self.client_id,
            self.username,
            self.password,
            clean_session=False,
            timeout=timeout,
            on_connect=self._on_connect,
            prepare=self._prepare,
        )
        if not self._subscribed.wait(timeout):
            self.stop()
            raise BrokerError(f"no subscription acknowledgement for {self.req_topic}")
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name=f"gateway-{self.district}", daemon=True)
        self._thread.start()
        log.info("gateway: listening on %s (speed x%g)", self.req_topic, self.speed)

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            self._thread = None
        if self._client is not None:
            self._client.disconnect()
            self._client.loop_stop()
            self._client = None

    def __enter__(self) -> GatewaySimulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- receiving ----------------------------------------------------------------------------

    def _prepare(self, client: mqtt.Client) -> None:
        client.on_message = self._on_message
        client.on_subscribe = lambda *a: self._subscribed.set()

    def _on_connect(self, client: mqtt.Client) -> None:
        # Also after a reconnect: resubscribe (the session may have been lost).
        client.subscribe(self.req_topic, qos=1)

    def _on_message(self, client: Any, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        self.handle(bytes(msg.payload))

    def handle(self, raw: bytes) -> NotifyRequest | Rejected:
        """Take one request payload; schedule its receipts or count why it was refused."""
        now = time.monotonic()
        req = check_notify(raw)
        if isinstance(req, NotifyRequest) and req.channel not in CHANNELS:
            self._count_bad("unknown_channel", req.channel)
        if isinstance(req, Rejected):
            self._count_bad(req.reason, req.detail)
            return req
        with self._cond:
            if req.req in self._seen:
                self.duplicates += 1
                return req
            self._seen.add(req.req)
            self.requests += 1
            for delay, receipt in plan(req, self.seed):
                self._order += 1
                heapq.heappush(self._heap, (now + delay / self.speed, self._order, receipt))
            self._cond.notify_all()
        return req

    def _count_bad(self, reason: str, detail: str) -> None:
        with self._cond:
            self.malformed[reason] = self.malformed.get(reason, 0) + 1
        log.warning("gateway: malformed notification request (%s): %s", reason, detail[:200])

    # --- publishing ---------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and (not self._heap or self._heap[0][0] > time.monotonic()):
                    timeout = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._cond.wait(timeout)
                if self._stopping:
                    return
                _, _, receipt = heapq.heappop(self._heap)
            client = self._client
            if client is not None:
                client.publish(self.receipt_topic, encode_receipt(receipt), qos=1)
            with self._cond:
                self.receipts += 1
                self.by_status[receipt.status] = self.by_status.get(receipt.status, 0) + 1

    def counters(self) -> dict[str, Any]:
        with self._cond:
            return {
                "requests": self.requests,
                "receipts": self.receipts,
                "pending": len(self._heap),
                "duplicates": self.duplicates,
                "malformed": dict(self.malformed),
                "by_status": dict(self.by_status),
            }
