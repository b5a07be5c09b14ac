"""The alarm-bus client: aiomqtt in its own thread and its own SelectorEventLoop.

Why a thread of its own: the UI thread runs Qt (qasync costs ~3x CPU per message) and
aiomqtt needs ``add_reader``, which the Windows Proactor loop lacks, so the bus always gets
a plain ``asyncio.SelectorEventLoop``.

Why ack after journal: aiomqtt acknowledges QoS 1 on receipt; a crash between that ack and
the journal commit would lose an alarm for good. We switch the paho client to manual ack
and send PUBACK only when the consumer calls ``done()`` for the batch. Acks are tied to the
connection a message arrived on: a PUBACK for a packet id of a dead connection would
acknowledge whatever the broker now sends under that id, so stale acks are dropped and the
broker redelivers (the engine deduplicates by (dev, id)).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import random
import socket
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from console.app.changes import Changes
from console.app.clock import SystemClock
from console.app.ports import Clock
from console.io.bus_config import (
    BLIND,
    CONNECTED,
    RECONNECTING,
    BusConfig,
    BusCounters,
    Inbound,
    backoff_delay,
    make_client,
    no_delay,
    payload_bytes,
    rfc3339,
    send_acks,
)

log = logging.getLogger(__name__)

OnBatch = Callable[[list[Inbound], Callable[[], None]], None]
OnStatus = Callable[[str, str], None]


@dataclass
class _AckToken:
    """What ``done()`` must acknowledge: packet ids on the connection they came from."""

    generation: int
    acks: list[tuple[int, int]]  # (mid, qos) for qos > 0
    size: int
    finished: bool = False


@dataclass
class _Outgoing:
    topic: str
    payload: bytes
    qos: int
    retain: bool
    on_acked: Callable[[], None] | None = None  # called (loop thread) once the broker acknowledged it


class _Stamped(asyncio.Queue[Any]):
    """aiomqtt's incoming queue (``queue_type``), which stamps every message with the console
    clock the moment paho has read it off the socket: the alarm's T0, taken before any batch,
    journal or engine queue can delay it. Holds (stamp, message); stamps strictly increase."""

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self._clock = clock
        self._last = 0

    def put_nowait(self, item: Any) -> None:
        at = self._clock.now_ns()
        at = self._last = at if at > self._last else self._last + 1
        super().put_nowait((at, item))


class BusClient:
    """Subscribes by scope, delivers batches, acks after ``done()``, reconnects forever."""

    def __init__(
        self,
        config: BusConfig,
        on_batch: OnBatch,
        on_status: OnStatus,
        clock: Clock | None = None,
    ) -> None:
        self.config = config
        self._on_batch = on_batch
        self._on_status = on_status
        self._clock: Clock = clock or SystemClock()
        self._rng = random.Random()
        self._lock = threading.Lock()
        self.changes = Changes()  # bumped on every change of the counters or the state
        self._outbox: deque[_Outgoing] = deque()
        self._c = BusCounters()
        self._state = RECONNECTING
        self._state_detail = ""
        self._state_since_ns = 0
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._generation = 0
        self._client: Any = None  # aiomqtt.Client of the live connection, loop thread only
        self._stop_mode: str | None = None  # None | "stop" | "abort"
        self._stop_evt: asyncio.Event | None = None
        self._outbox_evt: asyncio.Event | None = None
        self._ack_evt: asyncio.Event | None = None
        self._blind_timer: asyncio.TimerHandle | None = None
        self._reported: str | None = None
        self._client_was_connected = False

    # --- public, any thread ------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("BusClient already started")
        self._thread = threading.Thread(
            target=self._thread_main, name=f"bus-{self.config.console_id}", daemon=True
        )
        self._thread.start()
        self._ready.wait(5.0)

    def stop(self, timeout: float = 5.0) -> bool:
        """Presence offline, clean DISCONNECT, join. Unacked batches stay unacked (redelivered)."""
        return self._shutdown("stop", timeout)

    def abort(self, timeout: float = 5.0) -> bool:
        """Drop the TCP connection without DISCONNECT (the broker fires the last will); no acks."""
        return self._shutdown("abort", timeout)

    def publish(
        self,
        topic: str,
        payload: bytes,
        qos: int = 1,
        retain: bool = False,
        on_acked: Callable[[], None] | None = None,
    ) -> bool:
        """Queue a message; never blocks. Kept across reconnects and resent until the broker
        acknowledges it (QoS 1: its PUBACK), then ``on_acked()`` is called on the bus thread.

        The outbox is bounded. Past ``outbox_limit`` a message with ``on_acked`` is refused
        (False, counted as ``publish_refused``): its sender keeps it and offers it again (the
        engine's notification requests stay "requested" in the journal until acknowledged, so
        the journal is their durable outbox). One without is dropped, counted and logged."""
        topic = self.config.to_wire(topic)
        with self._lock:
            full = len(self._outbox) >= self.config.outbox_limit
            idle = not self._outbox  # the publisher drains all it finds: wake it only when it may sleep
            if not full:
                self._outbox.append(_Outgoing(topic, bytes(payload), qos, retain, on_acked))
            elif on_acked is not None:
                self._c.publish_refused += 1
            else:
                self._c.publish_dropped += 1
            dropped = self._c.publish_dropped
        self.changes.bump()
        if full:
            if on_acked is None:
                log.warning(
                    "bus outbox full (%d): dropped message to %s (%d dropped)",
                    self.config.outbox_limit,
                    topic,
                    dropped,
                )
            return False
        if idle:
            self._wake_publisher()
        return True

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                **dataclasses.asdict(self._c),
                "publish_queued": len(self._outbox),
                "state": self._state,
                "state_detail": self._state_detail,
                "state_since_ns": self._state_since_ns,
                # socket reads of the live connection (bus_config.ReadBuffer): far fewer than messages
                "socket_reads": getattr(getattr(self._client, "read_buffer", None), "fills", 0),
            }

    @property
    def state(self) -> str:
        return self._state

    # --- thread and loop ------------------------------------------------------------------

    def _thread_main(self) -> None:
        loop = asyncio.SelectorEventLoop()  # explicit: aiomqtt needs add_reader, also on Windows
        asyncio.set_event_loop(loop)
        self._loop = loop
        try:
            loop.run_until_complete(self._main())
        except Exception:
            log.exception("bus thread crashed")
        finally:
            with contextlib.suppress(Exception):
                loop.run_until_complete(loop.shutdown_default_executor())
            asyncio.set_event_loop(None)
            loop.close()
            self._ready.set()

    def _shutdown(self, mode: str, timeout: float) -> bool:
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return True
        with contextlib.suppress(RuntimeError):  # loop already closed
            loop.call_soon_threadsafe(self._request_stop, mode)
        thread.join(timeout)
        if thread.is_alive():
            log.warning("bus thread did not stop within %.1f s", timeout)
            return False
        return True

    def _request_stop(self, mode: str) -> None:
        if self._stop_mode is None:
            self._stop_mode = mode
        if mode == "abort":
            self._stop_mode = "abort"
            self._drop_socket()
        assert self._stop_evt is not None
        self._stop_evt.set()

    def _drop_socket(self) -> None:
        client = self._client
        sock = client._client.socket() if client is not None else None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def _wake_publisher(self) -> None:
        loop, evt = self._loop, self._outbox_evt
        if loop is not None and evt is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(evt.set)

    async def _main(self) -> None:
        self._stop_evt = asyncio.Event()
        self._outbox_evt = asyncio.Event()
        self._ack_evt = asyncio.Event()
        self._mark_disconnected(f"connecting to {self.config.host}:{self.config.port}")
        self._ready.set()
        attempt = 0
        while self._stop_mode is None:
            detail = "connection closed"
            try:
                await self._connection()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                detail = f"{type(exc).__name__}: {exc}"
            if self._stop_mode is not None:
                break
            if self._state == CONNECTED or self._client_was_connected:
                attempt = 0
            self._mark_disconnected(detail)
            delay = backoff_delay(
                attempt, self.config.backoff_initial_s, self.config.backoff_max_s, self._rng
            )
            attempt += 1
            log.info("bus: %s; retry in %.2f s", detail, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop_evt.wait(), delay)
        if self._blind_timer is not None:
            self._blind_timer.cancel()

    async def _connection(self) -> None:
        """One connection's lifetime: connect, subscribe, announce, receive until it ends."""
        import aiomqtt

        assert self._stop_evt is not None
        queue: asyncio.Queue[Any] = _Stamped(self._clock)
        client = make_client(self.config, queue, self._presence_payload("offline"))
        self._generation += 1
        generation = self._generation
        self._client_was_connected = False
        async with client:
            self._client = client
            no_delay(client)
            try:
                await client.subscribe([(t, 1) for t in self.config.subscriptions()])
                await client.publish(
                    self.config.presence_topic, self._presence_payload("online"), qos=1, retain=True
                )
                self._client_was_connected = True
                with self._lock:
                    self._c.connects += 1
                    if self._c.connects > 1:
                        self._c.reconnects += 1
                self.changes.bump()
                self._mark_connected()
                receiver = asyncio.create_task(self._receive(client, queue, generation))
                publisher = asyncio.create_task(self._publisher(client))
                stopper = asyncio.create_task(self._stop_evt.wait())
                try:
                    await asyncio.wait({receiver, stopper}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    if self._stop_mode == "stop" and not receiver.done():
                        await self._goodbye(client, publisher)
                    for task in (stopper, publisher):
                        task.cancel()
                    if self._stop_mode == "abort" and not receiver.done():
                        # The socket is shut down; wait for aiomqtt to notice, so __aexit__
                        # does not send DISCONNECT (which would discard the last will).
                        with contextlib.suppress(Exception):
                            await asyncio.wait_for(asyncio.shield(receiver), 5.0)
                    receiver.cancel()
                    results = await asyncio.gather(receiver, publisher, stopper, return_exceptions=True)
                err = results[0]
                if isinstance(err, aiomqtt.MqttError) and self._stop_mode is None:
                    raise err
            finally:
                self._client = None
                self._deliver_leftovers(queue, generation)

    async def _goodbye(self, client: Any, publisher: asyncio.Task[None]) -> None:
        """Clean stop: give queued publishes a moment, then retained presence offline."""
        with contextlib.suppress(Exception):
            for _ in range(50):
                with self._lock:
                    empty = not self._outbox
                if empty:
                    break
                await asyncio.sleep(0.02)  # production code: bounded wait for the outbox to drain
        with contextlib.suppress(Exception):
            await client.publish(
                self.config.presence_topic, self._presence_payload("offline"), qos=1, retain=True, timeout=2
            )

    # --- receiving -----------------------------------------------------------------------

    async def _receive(self, client: Any, queue: asyncio.Queue[Any], generation: int) -> None:
        assert self._ack_evt is not None
        messages = client.messages
        cap = self.config.max_batch
        while True:
            while self._c.in_flight >= self.config.max_unacked:  # backpressure: stop reading
                self._ack_evt.clear()
                await self._ack_evt.wait()
            first = await messages.__anext__()  # raises MqttError when the connection drops
            raw = [first]
            room = min(cap, self.config.max_unacked - self._c.in_flight)
            yielded = False
            while len(raw) < room:
                try:
                    raw.append(queue.get_nowait())
                except asyncio.QueueEmpty:
                    if yielded:
                        break
                    yielded = True
                    await asyncio.sleep(0)  # one loop turn: let the socket reader add what is there
            self._deliver(raw, generation)

    def _deliver(self, raw: list[tuple[int, Any]], generation: int) -> None:
        wire = self.config.from_wire
        batch = [Inbound(wire(m.topic.value), payload_bytes(m.payload), m.qos, at) for at, m in raw]
        token = _AckToken(generation, [(m.mid, m.qos) for _, m in raw if m.qos > 0], len(batch))
        with self._lock:
            self._c.received += len(batch)
            self._c.in_flight += len(batch)
            self._c.batches += 1
        self.changes.bump()
        loop = self._loop
        assert loop is not None

        def done() -> None:
            with contextlib.suppress(RuntimeError):  # loop closed: nothing left to ack on
                loop.call_soon_threadsafe(self._ack, token)

        try:
            self._on_batch(batch, done)
        except Exception:
            with self._lock:
                self._c.callback_errors += 1
            self.changes.bump()
            log.exception(
                "bus: on_batch failed; %d messages stay unacked (redelivered on reconnect)", len(batch)
            )

    def _deliver_leftovers(self, queue: asyncio.Queue[Any], generation: int) -> None:
        """Messages read before the connection dropped still go to the journal (never a silent drop)."""
        raw: list[Any] = []
        while True:
            try:
                raw.append(queue.get_nowait())
            except asyncio.QueueEmpty:
                break
        if raw and self._stop_mode != "abort":
            self._deliver(raw, generation)

    def _ack(self, token: _AckToken) -> None:
        """Loop thread: PUBACK every message of a journaled batch, if its connection lives."""
        if token.finished:
            return
        token.finished = True
        client = self._client
        live = client is not None and token.generation == self._generation
        if live:
            send_acks(client._client, token.acks)
        with self._lock:
            self._c.in_flight -= token.size
            if live:
                self._c.acked += len(token.acks)
            else:
                self._c.stale_acks += len(token.acks)
        self.changes.bump()
        if self._ack_evt is not None:
            self._ack_evt.set()

    # --- publishing ----------------------------------------------------------------------

    async def _publisher(self, client: Any) -> None:
        assert self._outbox_evt is not None
        while True:
            with self._lock:
                items = [self._outbox.popleft() for _ in range(min(100, len(self._outbox)))]
            if not items:
                self._outbox_evt.clear()
                await self._outbox_evt.wait()
                continue
            try:
                results = await asyncio.gather(
                    *(client.publish(o.topic, o.payload, qos=o.qos, retain=o.retain) for o in items),
                    return_exceptions=True,
                )
            except asyncio.CancelledError:
                with self._lock:
                    self._outbox.extendleft(reversed(items))  # resent after reconnect
                raise
            failed = [o for o, r in zip(items, results, strict=True) if isinstance(r, BaseException)]
            with self._lock:
                self._c.published += len(items) - len(failed)
                if failed:
                    self._c.publish_failed += len(failed)
                    self._outbox.extendleft(reversed(failed))
            for o, r in zip(items, results, strict=True):
                if o.on_acked is not None and not isinstance(r, BaseException):
                    try:
                        o.on_acked()  # QoS 1: aiomqtt's publish returned on the broker's PUBACK
                    except Exception:
                        log.exception("bus: on_acked failed")
            self.changes.bump()
            if failed:
                log.warning("bus: %d publishes failed (%s); retrying", len(failed), results[0])
                await asyncio.sleep(1.0)  # production code: do not spin on a sick connection

    def _presence_payload(self, state: str) -> bytes:
        ts = rfc3339(self._clock.now_ns())
        return f'{{"state":"{state}","ts":"{ts}"}}'.encode()

    # --- status --------------------------------------------------------------------------

    def _mark_connected(self) -> None:
        if self._blind_timer is not None:
            self._blind_timer.cancel()
            self._blind_timer = None
        self._set_state(CONNECTED, f"{self.config.host}:{self.config.port} as {self.config.client_id}")

    def _mark_disconnected(self, detail: str) -> None:
        if self._state == BLIND and self._reported == BLIND:
            return  # still blind; the officer already knows
        self._set_state(RECONNECTING, detail)
        if self._blind_timer is None:
            assert self._loop is not None
            self._blind_timer = self._loop.call_later(self.config.blind_after_s, self._go_blind)

    def _go_blind(self) -> None:
        self._blind_timer = None
        if self._state != CONNECTED and self._stop_mode is None:
            self._set_state(BLIND, f"no broker connection for {self.config.blind_after_s:g} s")

    def _set_state(self, state: str, detail: str) -> None:
        with self._lock:
            if state != self._state or self._state_since_ns == 0:
                self._state_since_ns = self._clock.now_ns()
            self._state = state
            self._state_detail = detail
        self.changes.bump()
        if state == self._reported:
            return
        self._reported = state
        try:
            self._on_status(state, detail)
        except Exception:
            log.exception("bus: on_status failed")
