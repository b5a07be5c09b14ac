"""The ingest bridge: IoT platforms' pushes -> the outbox -> bus v1 device events (docs/bridge.md).

For each HTTP push to ``/push/{platform name}`` (aiohttp.web; HTTPS with the district's
certificate when configured), in order:

1. the platform's check (``Platform.verify``): a wrong signature or token -> 401/403, counted,
   never stored or published;
2. the body read as the platform documents it (``Platform.parse``) and each device message read
   by its product table (console/bridge/products.py); what cannot be read (not what the platform
   documents, an unknown product, an unmapped code ...) goes to the quarantine with its reason;
3. the events it became, each under a dedupe key built from (platform, device, the platform's
   sequence number or request id — or, when it gives none, the time and a digest of the message)
   and the v1 ``id`` derived from that key, are committed to the outbox (SQLite WAL,
   synchronous=FULL, group commit) with the quarantine rows; only then is the platform answered
   200 (a retry of a stored push adds nothing: its keys are there);
4. the drainer publishes waiting events in order with QoS 1 to
   ``guard/v1/evt/{district}/{township}/{dev}`` (the township from the register in the store;
   ``unregistered`` for a device the register does not know, which the district console hears)
   and marks each published only on the broker's PUBACK. A crash before that publishes it again
   after the restart, with the same ``id``: the console's (dev, id) dedupe drops the copy.

While the broker is down pushes are still taken into the outbox; above ``outbox_soft`` events
waiting, heartbeats are shed (counted: a missed beat is not a missed fire); above
``outbox_hard`` pushes are answered 503 (the platform retries later) and the health says the
outbox is full. The health (codec.BridgeStatus) is published retained every ``status_every_s``
on ``guard/v1/bridge/{district}/{id}``, with an ``offline`` last will; the console raises its
blind banner when the bridge is gone, stale, full, or a platform is silent (no push for longer
than its products' heartbeat).

A vendor running its own broker (``[[mqtt]]``) is subscribed to with paho (manual acks): a
message is acknowledged to the vendor's broker only once stored, like an HTTP push is answered.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Final

import msgspec
from aiohttp import web

from console.app.changes import Changes
from console.bridge.config import BridgeConfig, PlatformConfig, VendorMqttConfig
from console.bridge.drain import Drainer
from console.bridge.outbox import BridgeOutbox, Row, Waiting
from console.bridge.platforms.mqtt_json import MqttJson
from console.bridge.products import Products
from console.bridge.push import Answer, Malformed, Platform, Push, Quarantine, Refused, V1Event
from console.domain.codec import (
    BridgeStatus,
    PlatformHealth,
    bridge_status_topic,
    device_topic,
    encode_bridge_status,
)
from console.io.paho_bus import Incoming, MqttBus

log = logging.getLogger("console.bridge")
CST: Final = timezone(timedelta(hours=8))
UNREGISTERED: Final = "unregistered"  # the township level of a device the register does not know
MAX_BODY: Final = 1 << 20
PRUNE_EVERY_S: Final = 3600.0


def rfc3339(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, CST).isoformat(timespec="milliseconds")


def event_id(key: str) -> str:
    """The v1 ``id`` of the event stored under ``key``: the same after any restart, so the
    console's dedupe holds; 32 hex digits of its sha256 behind ``b-``."""
    return "b-" + hashlib.sha256(key.encode()).hexdigest()[:32]


def push_key(push: Push, dev: str) -> str:
    """What makes a device message one message, whatever retries the platform makes: its
    sequence number or request id, else its time and a digest of its exact bytes (CTWing LwM2M
    sends ``upPacketSN`` -1, OneNET's data points carry no id)."""
    if push.seq:
        return f"{push.platform}|{dev}|s:{push.seq}"
    digest = hashlib.sha256(push.source).hexdigest()[:24]
    return f"{push.platform}|{dev}|t:{push.at_ms or 0}:{digest}"


def v1_payload(e: V1Event, eid: str, received_ns: int) -> bytes:
    at_ns = e.at_ms * 1_000_000 if e.at_ms > 0 else received_ns
    body: dict[str, Any] = {
        "v": 1,
        "id": eid,
        "dev": e.dev,
        "kind": e.kind,
        "evt": e.evt,
        "ts": rfc3339(at_ns),
    }
    for name in ("seq", "val", "unit", "lvl", "code", "bat", "rssi", "hb"):
        value = getattr(e, name)
        if value is not None:
            body[name] = value
    return msgspec.json.encode(body)


@dataclass
class PlatformState:
    cfg_name: str
    silent_after_s: int
    last_push_ns: int = 0
    pushes: int = 0
    refused: int = 0
    quarantined: int = 0


@dataclass
class Taken:
    rows: list[Row] = field(default_factory=list)
    quarantined: list[tuple[int, str, str, str, bytes]] = field(default_factory=list)
    on: list[tuple[str, str]] = field(default_factory=list)
    off: list[tuple[str, str]] = field(default_factory=list)
    aliases: list[tuple[str, str, str]] = field(default_factory=list)


class Bridge:
    def __init__(
        self,
        cfg: BridgeConfig,
        platforms: Mapping[str, Platform],
        products: Products,
        outbox: BridgeOutbox,
        townships: Callable[[], Mapping[str, str]],
        vendors: Mapping[str, MqttJson] | None = None,
        clock_ns: Callable[[], int] = time.time_ns,
        broker_password: str | None = None,
        vendor_passwords: Mapping[str, str | None] | None = None,
    ) -> None:
        self.cfg = cfg
        self.platforms = dict(platforms)
        self.products = products
        self.outbox = outbox
        self.townships = townships  # dev -> township of the register in force (refreshed elsewhere)
        self.vendors = dict(vendors or {})
        self.clock_ns = clock_ns
        self._password = broker_password
        self._vendor_passwords = dict(vendor_passwords or {})
        self._pcfg: dict[str, PlatformConfig] = {p.name: p for p in cfg.platforms}
        self._vcfg: dict[str, VendorMqttConfig] = {v.name: v for v in cfg.vendors}
        self.state: dict[str, PlatformState] = {}
        for p in cfg.platforms:
            self.state[p.name] = PlatformState(
                p.name, p.silent_after_s or (products.heartbeat_s(p.kind) or 0)
            )
        for v in cfg.vendors:
            name = f"mqtt:{v.name}"
            self.state[name] = PlatformState(name, v.silent_after_s or (products.heartbeat_s(name) or 0))
        self.counters: dict[str, int] = {
            "pushes": 0,
            "events": 0,
            "duplicates": 0,
            "published": 0,
            "refused": 0,
            "quarantined": 0,
            "unregistered": 0,
            "shed_heartbeats": 0,
            "refused_full": 0,
            "store_errors": 0,
        }
        self.quarantine_reasons: dict[str, int] = {}
        self.changes = Changes()  # bumped when a push is stored and when events are published
        self.drainer = Drainer(outbox, cfg.window, clock_ns, self.changes, self._published)
        self._alarms: set[tuple[str, str]] = set()
        self._aliases: dict[tuple[str, str], dict[str, str]] = {}  # (platform, device_id) -> ids
        self._unknown_devices: set[str] = set()
        self._tasks: list[asyncio.Task[Any]] = []
        self._runner: web.AppRunner | None = None
        self.bus: MqttBus | None = None
        self._vendor_buses: dict[str, MqttBus] = {}
        self.port = 0
        self.started_ns = 0
        self._stopping = False
        self._full_said = False

    # --- life cycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the outbox's state, connect (in the background: the bridge takes pushes while the
        broker is down), listen, and start draining. Raises OSError when it cannot listen."""
        loop = asyncio.get_running_loop()
        self.started_ns = self.clock_ns()
        self.outbox.loop = loop
        self._alarms = await self.outbox.alarms()
        self._aliases = {k: msgspec.json.decode(v) for k, v in (await self.outbox.aliases()).items()}
        self.drainer.depth = await self.outbox.depth()
        district, bid = self.cfg.broker.district, self.cfg.bridge_id
        offline = encode_bridge_status(BridgeStatus(bridge=bid, state="offline"))
        self.bus = MqttBus(
            self.cfg.broker,
            loop,
            lambda m: None,
            None,
            (bridge_status_topic(district, bid), offline),
            on_connect=self._connected,
            password=self._password,
            name=f"bridge-{bid}",
        )
        self.bus.start_async()
        await self._listen()
        for name, mapping in self.vendors.items():
            v = self._vcfg[name]
            bus = MqttBus(
                v.broker,
                loop,
                self._vendor_message(mapping),
                v.topic,
                None,
                password=self._vendor_passwords.get(name),
                name=f"bridge-{bid}-{name}",
            )
            bus.start_async()
            self._vendor_buses[name] = bus
        self._tasks = [
            asyncio.create_task(self.drainer.run(self.bus), name="bridge-drain"),
            asyncio.create_task(self._status_loop(), name="bridge-status"),
            asyncio.create_task(self._prune_loop(), name="bridge-prune"),
        ]
        log.warning(
            "bridge %s: listening on %s:%d (%s), %d waiting in the outbox, platforms %s",
            bid,
            self.cfg.server.host,
            self.port,
            "https" if self.cfg.server.tls_cert else "http",
            self.depth,
            ", ".join(self.state) or "none",
        )

    async def stop(self) -> None:
        self._stopping = True
        if self._runner is not None:
            await self._runner.cleanup()  # no new pushes; those being handled finish first
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            try:
                await t
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 (stopping)
                pass
        await self.drainer.mark_acked()
        for bus in self._vendor_buses.values():
            bus.stop()
        if self.bus is not None:
            # a clean stop says so itself (the will is only for a crash or a lost link)
            try:
                fut = self.bus.publish(self._status_topic(), self._status(state="offline"), retain=True)
                await asyncio.wait_for(fut, 2.0)
            except (TimeoutError, Exception):  # noqa: BLE001 (the broker is gone: the will says it)
                pass
            self.bus.stop()

    @property
    def depth(self) -> int:
        """Events in the outbox waiting for the broker's PUBACK."""
        return self.drainer.depth

    @property
    def outbox_reads(self) -> int:
        return self.drainer.outbox_reads

    def _published(self, n: int) -> None:
        self.counters["published"] += n
        if self._full_said and self.depth < self.cfg.outbox_soft:
            self._full_said = False
            log.warning("bridge outbox drained below its bound: pushes taken again")

    def vendor_bus(self, name: str) -> MqttBus:
        return self._vendor_buses[name]

    async def _listen(self) -> None:
        import ssl

        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_route("*", "/push/{name}", self._push)
        app.router.add_get("/health", self._health_page)
        runner = web.AppRunner(app, access_log=None)  # an access log would hold tokens in URLs
        await runner.setup()
        ctx = None
        s = self.cfg.server
        if s.tls_cert:
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(s.tls_cert, s.tls_key)
        site = web.TCPSite(runner, s.host, s.port, ssl_context=ctx, backlog=1024)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
        addresses = runner.addresses
        self.port = int(addresses[0][1]) if addresses else s.port

    # --- taking a push -------------------------------------------------------------------------

    async def _push(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        platform = self.platforms.get(name)
        if platform is None:
            return web.Response(status=404, text="no such platform")
        st = self.state[name]
        query = {k: v for k, v in request.query.items()}
        headers = {k.lower(): v for k, v in request.headers.items()}
        if request.method == "GET":
            try:
                ans = platform.answer_get(query)
            except Refused as r:
                return self._refuse(st, r)
            return _response(ans) if ans is not None else web.Response(status=405)
        if request.method != "POST":
            return web.Response(status=405)
        body = await request.read()  # over MAX_BODY: aiohttp answers 413 itself
        try:
            platform.verify(headers, query, body)
        except Refused as r:
            return self._refuse(st, r)
        now = self.clock_ns()
        st.last_push_ns = now
        st.pushes += 1
        self.counters["pushes"] += 1
        if self.depth >= self.cfg.outbox_hard:
            return self._full()
        try:
            pushes = platform.parse(headers, body)
        except Malformed as m:
            taken = Taken(quarantined=[(now, name, m.reason, m.detail, body)])
        else:
            pcfg = self._pcfg[name]
            if pcfg.product:
                pushes = [p if p.product else replace(p, product=pcfg.product) for p in pushes]
            taken = self._take(pushes, body, now)
        ok = await self._store(st, taken)
        if not ok:
            return web.Response(status=503, text="cannot store the push: try again")
        return _response(platform.ok())

    def _refuse(self, st: PlatformState, r: Refused) -> web.Response:
        st.refused += 1
        self.counters["refused"] += 1
        log.warning("bridge: a push to %s refused: %s (%d)", st.cfg_name, r.reason, r.status)
        return web.Response(status=r.status, text=r.reason)

    def _full(self) -> web.Response:
        self.counters["refused_full"] += 1
        if not self._full_said:
            self._full_said = True
            log.error(
                "BRIDGE OUTBOX FULL: %d events wait for the broker; pushes are refused (503) until it drains",
                self.depth,
            )
        return web.Response(status=503, text="outbox full")

    def _take(self, pushes: list[Push], body: bytes, now: int) -> Taken:
        """The outbox rows a push's device messages become (in their order), and what is
        quarantined. The alarm states change here too, in order, so that the next message of
        the same device reads the state this one left."""
        taken = Taken()
        towns = self.townships()
        district = self.cfg.broker.district
        shed = self.depth >= self.cfg.outbox_soft
        for push in pushes:
            push = self._with_aliases(push, taken)
            result = self.products.read(push, self._in_alarm)
            if isinstance(result, Quarantine):
                taken.quarantined.append(
                    (now, push.platform, result.reason, result.detail, push.source or body)
                )
                continue
            for i, e in enumerate(result):
                if e.evt == "heartbeat" and shed:
                    self.counters["shed_heartbeats"] += 1
                    continue
                key = f"{push_key(push, e.dev)}|{i}"
                township = towns.get(e.dev)
                if township is None:
                    township = UNREGISTERED
                    self.counters["unregistered"] += 1
                    if e.dev not in self._unknown_devices and len(self._unknown_devices) < 10_000:
                        self._unknown_devices.add(e.dev)
                        log.warning(
                            "bridge: device %s (%s) is not in the register: published under %s/%s",
                            e.dev,
                            push.platform,
                            district,
                            UNREGISTERED,
                        )
                payload = v1_payload(e, event_id(key), now)
                taken.rows.append(Row(key, device_topic(district, township, e.dev), payload, e.evt, now))
                state = (e.dev, e.kind)
                if e.evt == "alarm" and state not in self._alarms:
                    self._alarms.add(state)
                    taken.on.append(state)
                elif e.evt == "restore" and state in self._alarms:
                    self._alarms.discard(state)
                    taken.off.append(state)
        return taken

    def _with_aliases(self, push: Push, taken: Taken) -> Push:
        """The push with every id its platform device was seen with before (an online/offline
        notice names only the platform's ``device_id``; the product table may need the IMEI);
        what it newly tells about the device is remembered."""
        device_id = push.ids.get("device_id")
        if not device_id:
            return push
        key = (push.platform, device_id)
        known = self._aliases.get(key, {})
        merged = {**known, **push.ids}
        if merged != known and len(merged) > 1 and len(self._aliases) < 1_000_000:
            self._aliases[key] = merged
            taken.aliases.append((push.platform, device_id, msgspec.json.encode(merged).decode()))
        return replace(push, ids=merged) if merged != push.ids else push

    def _in_alarm(self, dev: str, kind: str) -> bool:
        return (dev, kind) in self._alarms

    async def _store(self, st: PlatformState, taken: Taken) -> bool:
        try:
            stored = await self.outbox.store(
                taken.rows, taken.quarantined, taken.on, taken.off, taken.aliases
            )
        except Exception as exc:  # noqa: BLE001 (a full disk, a broken file: said, and 503)
            # nothing of it is stored: the alarm states it changed are as they were (the retry
            # changes them again)
            self._alarms.difference_update(taken.on)
            self._alarms.update(taken.off)
            self.counters["store_errors"] += 1
            log.error(
                "BRIDGE CANNOT STORE a push (%s: %s): answered 503, the platform retries",
                type(exc).__name__,
                exc,
            )
            return False
        self.counters["events"] += len(stored.new)
        self.drainer.hand_over(
            [Waiting(seq, taken.rows[i].topic, taken.rows[i].payload) for i, seq in stored.new]
        )
        self.counters["duplicates"] += stored.duplicates
        if taken.quarantined:
            st.quarantined += len(taken.quarantined)
            self.counters["quarantined"] += len(taken.quarantined)
            for _, platform, reason, detail, _body in taken.quarantined:
                self.quarantine_reasons[reason] = self.quarantine_reasons.get(reason, 0) + 1
                log.warning("bridge: quarantined a push from %s: %s %s", platform, reason, detail[:200])
        self.changes.bump()
        return True

    def _vendor_message(self, mapping: MqttJson) -> Callable[[Incoming], None]:
        name = mapping.platform
        st = self.state[name]

        def on_message(m: Incoming) -> None:
            asyncio.get_running_loop().create_task(self._vendor_take(mapping, st, m))

        return on_message

    async def _vendor_take(self, mapping: MqttJson, st: PlatformState, m: Incoming) -> None:
        now = self.clock_ns()
        st.last_push_ns = now
        st.pushes += 1
        self.counters["pushes"] += 1
        try:
            pushes = mapping.parse(m.topic, m.payload)
        except Malformed as exc:
            taken = Taken(quarantined=[(now, mapping.platform, exc.reason, exc.detail, m.payload)])
        else:
            taken = self._take(pushes, m.payload, now)
        if await self._store(st, taken):
            self._vendor_buses[mapping.name].ack(m)
        # not stored: not acknowledged, so the vendor's broker delivers it again

    # --- to the bus ----------------------------------------------------------------------------

    # --- health -----------------------------------------------------------------------------------

    def _status_topic(self) -> str:
        return bridge_status_topic(self.cfg.broker.district, self.cfg.bridge_id)

    def platform_health(self, now: int) -> dict[str, PlatformHealth]:
        out: dict[str, PlatformHealth] = {}
        for name, st in self.state.items():
            since = st.last_push_ns or self.started_ns
            silent = st.silent_after_s > 0 and now - since > st.silent_after_s * 1_000_000_000
            out[name] = PlatformHealth(
                last_push=rfc3339(st.last_push_ns) if st.last_push_ns else "",
                silent=silent,
                silent_after_s=st.silent_after_s,
                pushes=st.pushes,
                refused=st.refused,
                quarantined=st.quarantined,
            )
        return out

    def _status(self, state: str = "online") -> bytes:
        now = self.clock_ns()
        return encode_bridge_status(
            BridgeStatus(
                bridge=self.cfg.bridge_id,
                state=state,
                at=rfc3339(now),
                every_s=max(1, round(self.cfg.status_every_s)),
                outbox=self.depth,
                outbox_full=self.depth >= self.cfg.outbox_soft,
                platforms=self.platform_health(now),
                counters={k: v for k, v in self.counters.items() if v},
            )
        )

    def _connected(self) -> None:
        log.warning(
            "bridge %s: connected to the broker; %d events to publish", self.cfg.bridge_id, self.depth
        )
        self._publish_status()
        self.drainer.wake()

    def _publish_status(self) -> None:
        if self.bus is not None and not self._stopping:
            self.bus.publish(self._status_topic(), self._status(), retain=True)

    async def _status_loop(self) -> None:
        while True:
            await asyncio.sleep(self.cfg.status_every_s)
            self._publish_status()

    async def _prune_loop(self) -> None:
        while True:
            await asyncio.sleep(PRUNE_EVERY_S)
            before = self.clock_ns() - int(self.cfg.keep_published_s * 1e9)
            try:
                n = await self.outbox.prune(before)
            except Exception as exc:  # noqa: BLE001
                log.error("bridge: cannot prune the outbox: %s", exc)
                continue
            if n:
                log.info(
                    "bridge: forgot %d published events older than %.0f h",
                    n,
                    self.cfg.keep_published_s / 3600,
                )

    def health(self) -> dict[str, Any]:
        now = self.clock_ns()
        return {
            "bridge": self.cfg.bridge_id,
            "broker": "connected" if self.bus is not None and self.bus.connected else "disconnected",
            "outbox": self.depth,
            "outbox_full": self.depth >= self.cfg.outbox_soft,
            "counters": dict(self.counters),
            "quarantine": dict(self.quarantine_reasons),
            "platforms": {k: msgspec.structs.asdict(v) for k, v in self.platform_health(now).items()},
        }

    async def _health_page(self, request: web.Request) -> web.Response:
        return web.json_response(self.health())


def _response(a: Answer) -> web.Response:
    return web.Response(status=a.status, body=a.body, content_type=a.content_type, headers=dict(a.headers))
