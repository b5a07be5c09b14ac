"""The notification gateway: requests from the bus -> the outbox -> a provider; receipts and the
field's replies back to the bus.

For each request, in order (console/gateway/outbox.py says why each step is durable first):

1. decoded and checked as docs/payloads.md says (malformed: counted, acknowledged, no receipt);
   a ``req`` already seen (QoS 1 redelivery, the console re-sending after a restart) is answered
   from the outbox with its latest receipt, never sent again;
2. written to the outbox, then acknowledged to the broker (paho ``manual_ack``);
3. the providers in preference order: a template that fits (else ``template:...``), the limits
   (else ``limit:<provider>:<window>``), then the attempt is written, the provider called, and
   its result written. Accepted -> an ``accepted`` receipt, done (never sent again). A timeout or
   a retryable error -> the next provider, once. A refusal that is not retryable -> ``failed``.
   Nothing accepted: ``failed`` (the last provider's code), else ``blocked`` (every provider's
   limit), else ``failed`` (the template's detail);
4. reports (HTTP callbacks, the simulator, or ``query`` when a callback is ``callback_late_s``
   late) -> receipts with the provider's time and name; replies -> ``codec.Reply``.

After a crash: an attempt with no recorded result is first looked up with ``provider.query``;
only when the provider knows nothing is the request sent again.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import sys
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Final, TypeVar

from console.domain.codec import (
    GatewayStatus,
    NotifyRequest,
    Rejected,
    check_notify,
    decode_notify,
    encode_gateway_status,
    encode_receipt,
    encode_reply,
    gateway_status_topic,
    notify_receipt_topic,
    notify_reply_topic,
    notify_req_topic,
)
from console.domain.codec import Receipt as BusReceipt
from console.domain.codec import Reply as BusReply
from console.gateway.callbacks import CallbackServer
from console.gateway.config import GatewayConfig
from console.gateway.limits import DAY, Limits
from console.gateway.outbox import Attempt, Outbox, StoredReceipt
from console.gateway.provider import (
    Accepted,
    Callback,
    Message,
    Provider,
    Refused,
    Report,
    SendResult,
)
from console.gateway.templates import TemplateError, Templates
from console.io.paho_bus import Incoming, MqttBus

log = logging.getLogger("console.gateway")
T = TypeVar("T")
CHANNELS: Final = ("sms", "voice")
FINAL: Final = frozenset({"delivered", "answered", "no_answer", "failed"})
BEIJING: Final = timezone(timedelta(hours=8))
RELOAD_DAYS: Final = 7


# The gateway's threads (paho's network loop, the outbox's writer, the asyncio loop) hand the GIL
# to each other on every socket write and fsync; at Python's default 5 ms switch interval each
# hand-off can wait that long, and a storm's requests queue behind it (bench notify: p99 from
# ~200 ms down to ~50 ms at 1 ms). Set once by the gateway's process (entry, bench).
SWITCH_INTERVAL_S: Final = 0.001


def tune_threads() -> None:
    sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL_S))


def rfc3339(ns: int) -> str:
    """The provider's time as RFC 3339 with +08:00 (what the console and an officer read)."""
    return datetime.fromtimestamp(ns / 1e9, BEIJING).isoformat(timespec="milliseconds")


def valid_number(to: str) -> bool:
    digits = to[1:] if to.startswith("+") else to
    return digits.isdigit() and 5 <= len(digits) <= 15


def phone_key(phone: str) -> str:
    """One form of a number for matching replies: no +86 / 0086 / 86 prefix on a mobile."""
    p = phone.strip().lstrip("+")
    for prefix in ("0086", "86"):
        if p.startswith(prefix) and len(p) - len(prefix) == 11:
            return p[len(prefix) :]
    return p


def mask(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) > 7 else "****"


async def done(fut: Future[T]) -> T:
    return await asyncio.wrap_future(fut)


@dataclass
class State:
    """One request as the gateway holds it in memory (its truth is the outbox)."""

    req: NotifyRequest
    received_ns: int
    state: str = "pending"  # pending | accepted | failed | blocked
    attempts: list[Attempt] = field(default_factory=list)
    accepted: Attempt | None = None
    accepted_ns: int = 0
    final: bool = False
    tried: set[str] = field(default_factory=set)  # providers that failed it: never asked again
    ready: asyncio.Event = field(default_factory=asyncio.Event)  # set once "accepted" is recorded
    latest: tuple[str, str, str, str] | None = None  # status, detail, at, provider


@dataclass
class Health:
    state: str = "ok"
    failing_since: int | None = None


class Gateway:
    def __init__(
        self,
        cfg: GatewayConfig,
        providers: list[Provider],
        templates: Templates,
        outbox: Outbox,
        limits: Limits,
        *,
        channels: Mapping[str, frozenset[str]] | None = None,
        clock_ns: Callable[[], int] = time.time_ns,
        broker_password: str | None = None,
    ) -> None:
        self.cfg = cfg
        self.providers = providers
        self._by_name = {p.name: p for p in providers}
        self._channels = {
            p.name: frozenset(channels.get(p.name, p.channels)) if channels else p.channels for p in providers
        }
        self.templates = templates
        self.outbox = outbox
        self.limits = limits
        self.clock_ns = clock_ns
        self._password = broker_password
        district = cfg.broker.district
        self.req_topic = notify_req_topic(district)
        self.receipt_topic = notify_receipt_topic(district)
        self.reply_topic = notify_reply_topic(district)
        self.status_topic = gateway_status_topic(district)
        self.gateway_id = cfg.gateway_id or cfg.broker.client_id or f"guard-gateway-{district}"
        self._reqs: dict[str, State] = {}
        self._by_phone: dict[str, list[tuple[int, str]]] = {}
        self._by_pid: dict[tuple[str, str], str] = {}  # (provider, its id for the send) -> req
        self._health = {p.name: Health() for p in providers}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._timers: set[asyncio.TimerHandle] = set()
        self.bus: MqttBus | None = None
        self._server: CallbackServer | None = None
        self.http_port = 0
        self.changed = asyncio.Event()  # set on every counter change (the entry's printer, tests)
        self.on_change: Callable[[], None] | None = None  # called on every counter change (any thread)
        self.requests = self.duplicates = self.receipts = self.sends = self.replies = 0
        self.callbacks_refused = self.unknown_reports = self.unknown_replies = self.queries = 0
        self.malformed: dict[str, int] = {}
        self.by_status: dict[str, int] = {}

    # --- life cycle ---------------------------------------------------------------------------

    async def start(self, connect_timeout: float = 10.0) -> None:
        loop = asyncio.get_running_loop()
        for p in self.providers:
            attach = getattr(p, "attach", None)
            if callable(attach):
                attach(self._sink)
        now = self.clock_ns()
        sends = await done(self.outbox.counted_sends(now - DAY))
        self.limits.load(sends)
        await self._recover(now)
        if self.cfg.server.enabled:
            self._server = CallbackServer(
                self.cfg.server, self._by_name, self.ingest, self._refused, self._health_states
            )
            self.http_port = await self._server.start()
        will = encode_gateway_status(GatewayStatus(gateway=self.gateway_id, state="offline"))
        self.bus = MqttBus(
            self.cfg.broker,
            loop,
            self._on_message,
            self.req_topic,
            (self.status_topic, will),
            on_connect=self._on_connect,
            password=self._password,
        )
        await asyncio.to_thread(self.bus.start, connect_timeout)
        self._spawn(self._republish())
        self._spawn(self._health_watch())
        log.info("gateway: listening on %s (providers %s)", self.req_topic, ", ".join(self._by_name))

    async def stop(self) -> None:
        for h in self._timers:
            h.cancel()
        for t in list(self._tasks):
            t.cancel()
        for t in list(self._tasks):
            try:
                await t
            except BaseException:  # noqa: BLE001 (cancelled or failed: we are stopping)
                pass
        if self.bus is not None:
            try:
                # an orderly stop says offline itself (the will is only for a crash)
                await asyncio.wait_for(
                    self.bus.publish(
                        self.status_topic,
                        encode_gateway_status(
                            GatewayStatus(
                                gateway=self.gateway_id, state="offline", at=rfc3339(self.clock_ns())
                            )
                        ),
                        retain=True,
                    ),
                    2.0,
                )
            except (TimeoutError, asyncio.CancelledError, Exception):  # noqa: BLE001
                pass
            await asyncio.to_thread(self.bus.stop)
            self.bus = None
        if self._server is not None:
            await self._server.stop()
            self._server = None
        for p in self.providers:
            try:
                await p.close()
            except Exception as exc:  # noqa: BLE001
                log.warning("gateway: closing %s: %s", p.name, type(exc).__name__)

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        t = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(t)
        t.add_done_callback(self._task_done)
        return t

    def _task_done(self, t: asyncio.Task[Any]) -> None:
        self._tasks.discard(t)
        if not t.cancelled() and t.exception() is not None:
            exc = t.exception()
            log.error("gateway: task failed: %s: %s", type(exc).__name__, exc)

    def _later(self, delay_s: float, coro_fn: Callable[[], Any]) -> None:
        loop = asyncio.get_running_loop()
        handle: asyncio.TimerHandle

        def fire() -> None:
            self._timers.discard(handle)
            self._spawn(coro_fn())

        handle = loop.call_later(max(0.0, delay_s), fire)
        self._timers.add(handle)

    def _bump(self) -> None:
        self.changed.set()
        if self.on_change is not None:
            self.on_change()

    def counters(self) -> dict[str, Any]:
        pending = sum(
            1 for s in self._reqs.values() if s.state == "pending" or (s.state == "accepted" and not s.final)
        )
        return {
            "requests": self.requests,
            "receipts": self.receipts,
            "pending": pending,
            "duplicates": self.duplicates,
            "malformed": dict(self.malformed),
            "by_status": dict(self.by_status),
            "sends": self.sends,
            "replies": self.replies,
            "queries": self.queries,
            "callbacks_refused": self.callbacks_refused,
            "unknown_reports": self.unknown_reports,
            "unknown_replies": self.unknown_replies,
            "providers": {n: h.state for n, h in self._health.items()},
        }

    # --- requests in --------------------------------------------------------------------------

    def _on_message(self, m: Incoming) -> None:
        """In the loop: check, deduplicate, then the outbox (and only then the PUBACK)."""
        req = self._check(m.payload)
        if req is None:
            self._ack(m)
            return
        st = self._reqs.get(req.req)
        if st is not None:
            self.duplicates += 1
            self._ack(m)
            self._spawn(self._answer_duplicate(st))
            self._bump()
            return
        st = State(req, self.clock_ns())
        self._reqs[req.req] = st
        self._spawn(self._admit(m, st))

    def _check(self, raw: bytes) -> NotifyRequest | None:
        r = check_notify(raw)
        if isinstance(r, NotifyRequest) and r.channel not in CHANNELS:
            self._count_bad("unknown_channel", r.channel)
        if isinstance(r, Rejected):
            self._count_bad(r.reason, r.detail)
            return None
        return r

    def _health_states(self) -> dict[str, str]:
        return {n: h.state for n, h in self._health.items()}

    def _refused(self) -> None:
        self.callbacks_refused += 1
        self._bump()

    def _count_bad(self, reason: str, detail: str) -> None:
        self.malformed[reason] = self.malformed.get(reason, 0) + 1
        log.warning("gateway: malformed notification request (%s): %s", reason, detail[:200])
        self._bump()

    def _ack(self, m: Incoming) -> None:
        if self.bus is not None:
            self.bus.ack(m)

    async def _admit(self, m: Incoming, st: State) -> None:
        req = st.req
        try:
            [new] = await done(
                self.outbox.add_requests([(req.req, m.payload, req.to, req.channel, st.received_ns)])
            )
        except Exception as exc:  # not durable: not acknowledged, so the broker delivers it again
            log.error("gateway: cannot write %s to the outbox: %s", req.req, type(exc).__name__)
            self._reqs.pop(req.req, None)
            return
        self._ack(m)  # durable now
        if not new:  # seen before the last restart's reload window
            self.duplicates += 1
            self._bump()
            await self._answer_duplicate(st)
            return
        self.requests += 1
        self._by_phone.setdefault(phone_key(req.to), []).append((st.received_ns, req.req))
        self._bump()
        await self._process(st)

    async def _answer_duplicate(self, st: State) -> None:
        """A request already taken: its latest receipt again, from the outbox; no second send."""
        r = await done(self.outbox.latest_receipt(st.req.req))
        if r is not None and self.bus is not None:
            await self._publish_receipt(r)

    # --- sending ------------------------------------------------------------------------------

    async def _process(self, st: State) -> None:
        req = st.req
        if req.channel not in CHANNELS:
            await self._receipt(st, "failed", "unknown_channel", "", "", state="failed")
            return
        if not valid_number(req.to):
            await self._receipt(st, "failed", "invalid_number", "", "", state="failed")
            return
        refused: tuple[str, Refused] | None = None
        blocked: list[str] = []
        template_errors: list[str] = []
        while True:
            blocked, template_errors = [], []
            ready: list[tuple[Provider, Message]] = []
            now = self.clock_ns()
            for p in self.providers:
                if req.channel not in self._channels[p.name] or p.name in st.tried:
                    continue
                m = self.templates.render(p.name, req)
                if isinstance(m, TemplateError):
                    template_errors.append(m.detail)
                    continue
                window = self.limits.blocked(p.name, req.channel, req.to, now)
                if window is not None:
                    blocked.append(f"limit:{p.name}:{window}")
                    continue
                ready.append((p, m))
            if not ready:
                break
            p, m = self._choose(ready, now)
            wait = self.limits.pace(p.name, now)
            if wait > 0:
                await asyncio.sleep(wait / 1e9)
                if self.limits.blocked(p.name, req.channel, req.to, self.clock_ns()) is not None:
                    continue  # another send to the number took the room meanwhile: look again
            result = await self._attempt(st, p, m)
            if isinstance(result, Accepted):
                return
            st.tried.add(p.name)
            refused = (p.name, result)
            if not result.retryable:
                break
        if refused is not None:
            name, r = refused
            await self._receipt(st, "failed", f"provider:{name}:{r.code}", "", name, state="failed")
        elif blocked:
            await self._receipt(st, "blocked", ",".join(blocked), "", "", state="blocked")
        elif template_errors:
            await self._receipt(st, "failed", template_errors[0], "", "", state="failed")
        else:
            await self._receipt(st, "failed", "no_provider", "", "", state="failed")

    def _choose(self, ready: list[tuple[Provider, Message]], now: int) -> tuple[Provider, Message]:
        """The first provider (in preference order) whose requests-per-second pace lets the send
        go within ``pace_spill_s``; when none does, the one that lets it go soonest. A storm
        spills over to the second provider instead of queueing behind the first one's pace."""
        spill = int(self.cfg.pace_spill_s * 1e9)
        waits = [(self.limits.wait(p.name, now), i) for i, (p, _) in enumerate(ready)]
        for w, i in waits:
            if w <= spill:
                return ready[i]
        return ready[min(waits)[1]]

    async def _attempt(self, st: State, p: Provider, m: Message) -> SendResult:
        req = st.req
        now = self.clock_ns()
        a = Attempt(req.req, len(st.attempts) + 1, p.name, req.channel, req.to, now)
        st.attempts.append(a)
        self.limits.record(p.name, req.channel, req.to, now)
        await done(self.outbox.start_attempt(a))  # before the call: what a crash leaves behind
        self.sends += 1
        result: SendResult
        try:
            result = await asyncio.wait_for(p.send(m), self.cfg.send_timeout_s)
        except TimeoutError:
            result = Refused("timeout", "", retryable=True, accepted_unknown=True)
        except Exception as exc:  # noqa: BLE001 (an adapter's bug must not lose the request)
            log.error("gateway: %s.send raised %s", p.name, type(exc).__name__)
            result = Refused("error", type(exc).__name__, retryable=True, accepted_unknown=True)
        finished = self.clock_ns()
        if isinstance(result, Accepted):
            self._health_ok(p.name)
            acc = Attempt(
                a.req, a.n, a.provider, a.channel, a.phone, a.started_ns, "accepted", result.provider_id
            )
            st.attempts[-1] = acc
            st.accepted, st.accepted_ns, st.state = acc, result.at_ns or finished, "accepted"
            self._by_pid[(p.name, result.provider_id)] = req.req
            self.outbox.finish_attempt(req.req, a.n, "accepted", result.provider_id, "", finished, "accepted")
            await self._receipt(st, "accepted", "", rfc3339(result.at_ns or finished), p.name)
            st.ready.set()
            self._watch(st, self.cfg.callback_late_s)
            return result
        kind = "timeout" if result.code == "timeout" else ("retry" if result.retryable else "refused")
        if not result.accepted_unknown and kind != "timeout":
            self.limits.forget(p.name, req.channel, req.to, now)
        st.attempts[-1] = Attempt(
            a.req, a.n, a.provider, a.channel, a.phone, a.started_ns, kind, "", result.code
        )
        await done(self.outbox.finish_attempt(req.req, a.n, kind, "", result.code, finished, None))
        self._health_failed(p.name, finished)
        log.warning(
            "gateway: %s refused %s to %s (%s%s)",
            p.name,
            req.req,
            mask(req.to),
            result.code,
            ", retryable" if result.retryable else "",
        )
        return result

    # --- receipts out -------------------------------------------------------------------------

    async def _receipt(
        self, st: State, status: str, detail: str, at: str, provider: str, state: str | None = None
    ) -> None:
        if state is not None:
            st.state = state
        if status in FINAL:
            st.final = True
        seq = await done(self.outbox.add_receipt(st.req.req, status, detail, at, provider, state))
        if seq is None:
            return  # the same report again (a callback and a query, a provider's retry)
        st.latest = (status, detail, at, provider)
        await self._publish_receipt(StoredReceipt(seq, st.req.req, status, detail, at, provider))

    async def _publish_receipt(self, r: StoredReceipt) -> None:
        if self.bus is None:
            return  # published by _republish once connected
        payload = encode_receipt(BusReceipt(r.req, r.status, r.detail, r.at, r.provider))
        fut = self.bus.publish(self.receipt_topic, payload, qos=1)
        self.receipts += 1
        self.by_status[r.status] = self.by_status.get(r.status, 0) + 1
        self._bump()
        try:
            await fut
        except asyncio.CancelledError:
            return
        self.outbox.mark_receipts_published([r.seq])

    async def _republish(self) -> None:
        """What a crash left unpublished: receipts, then replies."""
        for r in await done(self.outbox.unpublished_receipts()):
            self._spawn(self._publish_receipt(r))
        for reply_id, payload in await done(self.outbox.unpublished_replies()):
            self._spawn(self._publish_reply(reply_id, payload))

    # --- reports and replies in -----------------------------------------------------------------

    def _sink(self, provider: str, cb: Callback) -> None:
        """A provider pushing a callback itself (the simulator)."""
        self._spawn(self.ingest(provider, cb))

    async def ingest(self, provider: str, cb: Callback) -> None:
        """Reports -> receipts, replies -> bus replies; returns once all of it is durable."""
        for report in cb.reports:
            await self._report(provider, report)
        for reply in cb.replies:
            await self._reply(provider, reply)

    async def _report(self, provider: str, r: Report) -> None:
        st = self._reqs.get(r.out_id)
        if st is None and r.provider_id:  # a callback that names only the provider's id (a call)
            st = self._reqs.get(self._by_pid.get((provider, r.provider_id), ""))
        if st is None:
            self.unknown_reports += 1
            log.warning(
                "gateway: %s report for an unknown request %r (%s)", provider, r.out_id[:64], r.status
            )
            self._bump()
            return
        if (
            st.accepted is None
            and st.state == "pending"
            and st.attempts
            and st.attempts[-1].provider == provider
        ):
            try:  # a report racing the send's own answer: after the "accepted" receipt
                await asyncio.wait_for(st.ready.wait(), self.cfg.send_timeout_s + 1)
            except TimeoutError:
                pass
        if r.status == "accepted":
            return  # the send's acceptance is its own receipt
        await self._receipt(st, r.status, r.detail, rfc3339(r.at_ns) if r.at_ns else "", provider)

    async def _reply(self, provider: str, r: Any) -> None:
        # matched on the gateway's clock: a provider's time may be skewed or in another zone
        req = r.out_id if r.out_id in self._reqs else self._match(r.phone, self.clock_ns())
        if not req:
            self.unknown_replies += 1
            log.warning("gateway: %s reply from %s matches no request", provider, mask(r.phone))
        if r.provider_id:
            rid = f"{provider}:{r.provider_id}"
        else:
            h = hashlib.sha256(f"{r.phone}|{r.at_ns}|{r.text}|{r.key}".encode()).hexdigest()[:24]
            rid = f"{provider}:{h}"
        payload = encode_reply(
            BusReply(
                id=rid,
                req=req,
                sender=r.phone,
                text=r.text,
                key=r.key,
                at=rfc3339(r.at_ns) if r.at_ns else "",
                provider=provider,
            )
        )
        if not await done(self.outbox.add_reply(rid, payload)):
            return  # the provider's retry of the same reply
        self.replies += 1
        self._bump()
        self._spawn(self._publish_reply(rid, payload))

    def _match(self, phone: str, at_ns: int) -> str:
        """The latest request a provider accepted for that number, received within
        ``reply_window_s`` before ``at_ns`` (one that never went out cannot be answered)."""
        since = at_ns - int(self.cfg.reply_window_s * 1e9)
        for received, req in reversed(self._by_phone.get(phone_key(phone), [])):
            st = self._reqs.get(req)
            if since <= received <= at_ns and st is not None and st.accepted is not None:
                return req
        return ""

    async def _publish_reply(self, reply_id: str, payload: bytes) -> None:
        if self.bus is None:
            return
        try:
            await self.bus.publish(self.reply_topic, payload, qos=1)
        except asyncio.CancelledError:
            return
        self.outbox.mark_reply_published(reply_id)

    # --- late callbacks: ask the provider -------------------------------------------------------

    def _watch(self, st: State, after_s: float) -> None:
        if st.final or st.accepted is None:
            return
        self._later(after_s, lambda: self._poll(st))

    async def _poll(self, st: State) -> None:
        a = st.accepted
        if st.final or a is None:
            return
        p = self._by_name.get(a.provider)
        if p is None:
            return
        m = self.templates.render(p.name, st.req)
        if isinstance(m, TemplateError):
            return
        self.queries += 1
        try:
            reports = await asyncio.wait_for(
                p.query(m, a.provider_id, a.started_ns), self.cfg.send_timeout_s * 2
            )
        except Exception as exc:  # noqa: BLE001
            log.warning("gateway: %s.query failed: %s", p.name, type(exc).__name__)
            reports = []
        for r in reports:
            await self._report(p.name, r)
        if not st.final and self.clock_ns() - st.accepted_ns < int(self.cfg.query_give_up_s * 1e9):
            self._watch(st, self.cfg.query_every_s)

    # --- after a restart --------------------------------------------------------------------------

    async def _recover(self, now: int) -> None:
        stored = await done(self.outbox.load(now - RELOAD_DAYS * DAY))
        resume: list[State] = []
        for s in stored.values():
            req = decode_notify(s.payload)
            if not isinstance(req, NotifyRequest):
                continue
            st = State(req, s.received_ns, s.state, list(s.attempts))
            st.final = any(x in FINAL for x in s.statuses)
            st.tried = {a.provider for a in s.attempts if a.result in ("refused", "retry", "timeout")}
            for a in s.attempts:
                if a.result == "accepted":
                    st.accepted, st.accepted_ns = a, a.started_ns
                    self._by_pid[(a.provider, a.provider_id)] = req.req
            if st.accepted is not None:
                st.ready.set()
            self._reqs[req.req] = st
            self._by_phone.setdefault(phone_key(req.to), []).append((s.received_ns, req.req))
            if st.accepted is not None:
                self._watch(
                    st,
                    0.0
                    if now - st.accepted_ns > self.cfg.callback_late_s * 1e9
                    else self.cfg.callback_late_s,
                )
            elif s.state == "pending":
                resume.append(st)
        for st in resume:
            self._spawn(self._resume(st))

    async def _resume(self, st: State) -> None:
        last = st.attempts[-1] if st.attempts else None
        if last is not None and last.result is None:
            p = self._by_name.get(last.provider)
            m = self.templates.render(last.provider, st.req) if p is not None else None
            reports: list[Report] = []
            if p is not None and isinstance(m, Message):
                self.queries += 1
                try:
                    reports = await asyncio.wait_for(
                        p.query(m, None, last.started_ns), self.cfg.send_timeout_s * 2
                    )
                except Exception as exc:  # noqa: BLE001 (we cannot know: the safe side is to send)
                    log.warning(
                        "gateway: %s.query after restart failed: %s", last.provider, type(exc).__name__
                    )
                    reports = []
            if reports:  # the provider took it before the crash: never send it again
                pid = next((r.provider_id for r in reports if r.provider_id), "")
                acc = Attempt(
                    last.req,
                    last.n,
                    last.provider,
                    last.channel,
                    last.phone,
                    last.started_ns,
                    "accepted",
                    pid,
                )
                st.attempts[-1] = acc
                st.accepted, st.accepted_ns, st.state = acc, last.started_ns, "accepted"
                self._by_pid[(last.provider, pid)] = st.req.req
                self.outbox.finish_attempt(
                    last.req, last.n, "accepted", pid, "after_restart", self.clock_ns(), "accepted"
                )
                first = min(reports, key=lambda r: r.at_ns)
                await self._receipt(
                    st, "accepted", "", rfc3339(first.at_ns or last.started_ns), last.provider
                )
                st.ready.set()
                for r in reports:
                    await self._report(last.provider, r)
                self._watch(st, self.cfg.callback_late_s)
                return
            # the provider knows nothing of it: it never went out; send it (the same provider may)
            st.attempts[-1] = Attempt(
                last.req, last.n, last.provider, last.channel, last.phone, last.started_ns, "lost"
            )
            self.limits.forget(last.provider, last.channel, last.phone, last.started_ns)
            await done(
                self.outbox.finish_attempt(
                    last.req, last.n, "lost", "", "unknown_after_restart", self.clock_ns(), None
                )
            )
        await self._process(st)

    # --- presence ---------------------------------------------------------------------------------

    def _status(self) -> bytes:
        return encode_gateway_status(
            GatewayStatus(
                gateway=self.gateway_id,
                state="online",
                at=rfc3339(self.clock_ns()),
                providers={n: h.state for n, h in self._health.items()},
            )
        )

    def _on_connect(self) -> None:
        if self.bus is not None:
            self.bus.publish(self.status_topic, self._status(), qos=1, retain=True)

    def _publish_status(self) -> None:
        if self.bus is not None:
            self.bus.publish(self.status_topic, self._status(), qos=1, retain=True)
        self._bump()

    def _health_ok(self, name: str) -> None:
        h = self._health[name]
        h.failing_since = None
        if h.state != "ok":
            h.state = "ok"
            log.info("gateway: provider %s is ok again", name)
            self._publish_status()

    def _health_failed(self, name: str, now: int) -> None:
        h = self._health[name]
        if h.failing_since is None:
            h.failing_since = now
        self._check_health(name, now)

    def _check_health(self, name: str, now: int) -> None:
        h = self._health[name]
        if (
            h.state == "ok"
            and h.failing_since is not None
            and now - h.failing_since >= self.cfg.failing_after_s * 1e9
        ):
            h.state = "failing"
            log.error("gateway: provider %s has failed every send for %g s", name, self.cfg.failing_after_s)
            self._publish_status()

    async def _health_watch(self) -> None:
        while True:
            await asyncio.sleep(max(1.0, self.cfg.failing_after_s / 12))
            now = self.clock_ns()
            for name in self._health:
                self._check_health(name, now)
