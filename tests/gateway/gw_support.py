"""Running the gateway in a test: its own asyncio loop on a thread, a bus watcher, small fakes."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Callable, Coroutine, Mapping
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from console.app.changes import Changes
from console.domain.codec import (
    NotifyRequest,
    Receipt,
    Reply,
    decode_receipt,
    decode_reply,
    encode_notify,
    notify_receipt_topic,
    notify_reply_topic,
    notify_req_topic,
)
from console.gateway import config
from console.gateway.build import build_gateway
from console.gateway.provider import (
    Accepted,
    Callback,
    CallbackRefused,
    Channel,
    Message,
    Refused,
    Report,
    SendResult,
)
from console.gateway.service import Gateway
from console.io.secrets import SecretStore
from tests.fixtures.brokers import Watcher, publish_paho

T = TypeVar("T")
ADDRESS = "沙坪坝区示范街道桃苑社区演练街273号7栋3单元15-5"  # 31 characters


class Loop:
    """An asyncio loop on a thread of its own (the gateway's, and the fakes' servers)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="test-gateway-loop", daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def call(self, fn: Callable[[], T]) -> T:
        async def wrap() -> T:
            return fn()

        return self.run(wrap())

    def close(self) -> None:
        async def drain() -> None:
            await self.loop.shutdown_default_executor()

        self.run(drain())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


def gateway_config(
    broker: Any, district: str, providers: list[dict[str, Any]], **extra: Any
) -> config.GatewayConfig:
    data: dict[str, Any] = {
        "broker": {
            "host": broker.host,
            "port": broker.port,
            "district": district,
            "client_id": f"gw-{district}",
        },
        "providers": providers,
        **extra,
    }
    if broker.username:
        data["broker"]["username"] = broker.username
    return config.parse(data)


class Running:
    """A Gateway started on ``loop``; ``changes`` bumps on every counter change."""

    def __init__(
        self,
        loop: Loop,
        cfg: config.GatewayConfig,
        data_dir: Path,
        providers: list[Any] | None = None,
        secrets: SecretStore | None = None,
        password: str | None = None,
    ) -> None:
        self.loop = loop
        self.changes = Changes()
        secrets = secrets or SecretStore(None, env={}, use_keyring=False)

        async def make() -> Gateway:
            gw = build_gateway(cfg, secrets, data_dir, providers=providers, broker_password=password)
            gw.on_change = self.changes.bump
            await gw.start()
            return gw

        self.gw: Gateway = loop.run(make())

    def counters(self) -> dict[str, Any]:
        return self.loop.call(self.gw.counters)

    def stop(self) -> None:
        async def down() -> None:
            await self.gw.stop()
            self.gw.outbox.close()

        self.loop.run(down())


class Bus:
    """Receipts and replies of a district, decoded, with a way to wait on them."""

    def __init__(self, broker: Any, district: str) -> None:
        self.broker, self.district = broker, district
        self.receipts = Watcher(broker, notify_receipt_topic(district))
        self.replies = Watcher(broker, notify_reply_topic(district))

    def publish(self, *reqs: NotifyRequest) -> None:
        publish_paho(self.broker, [(notify_req_topic(self.district), encode_notify(r)) for r in reqs])

    def receipts_for(self, req: str) -> list[Receipt]:
        out = []
        for p in list(self.receipts.payloads):
            r = decode_receipt(p)
            if isinstance(r, Receipt) and r.req == req:
                out.append(r)
        return out

    def wait_receipt(self, req: str, status: str, timeout: float = 15.0) -> Receipt:
        def match(p: bytes) -> bool:
            r = decode_receipt(p)
            return isinstance(r, Receipt) and r.req == req and r.status == status

        r = decode_receipt(self.receipts.wait_for(match, timeout, f"{status} receipt for {req}"))
        assert isinstance(r, Receipt)
        return r

    def wait_reply(self, timeout: float = 15.0) -> Reply:
        r = decode_reply(self.replies.wait_for(lambda p: True, timeout, "a reply"))
        assert isinstance(r, Reply)
        return r

    def close(self) -> None:
        self.receipts.close()
        self.replies.close()


def request(
    req: str, channel: str = "sms", to: str = "13800138000", role: str = "guardian", **vars: str
) -> NotifyRequest:
    v = {"address": ADDRESS, "kinds": "烟感", "incident": "12", "callback": "02312345678", **vars}
    return NotifyRequest(
        req=req,
        incident=12,
        household="500106001-003-0042",
        channel=channel,
        role=role,
        to=to,
        text=f"【守护台】{ADDRESS}发生烟感报警，请立即确认老人安全。事件号12",
        vars=v,
    )


def unique(prefix: str = "I") -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


class Recording:
    """A provider that records each send and accepts it (or hangs, or refuses, as told)."""

    def __init__(self, name: str, hang: bool = False, refuse: Refused | None = None) -> None:
        self.name = name
        self.channels: frozenset[Channel] = frozenset({"sms", "voice"})
        self.hang, self.refuse = hang, refuse
        self.sent: list[Message] = []
        self.queried: list[str] = []
        self.reports: dict[str, list[Report]] = {}
        self.changes = Changes()

    async def send(self, m: Message) -> SendResult:
        self.sent.append(m)
        self.changes.bump()
        if self.hang:
            await asyncio.Event().wait()  # never answers: the gateway's timeout
        if self.refuse is not None:
            return self.refuse
        return Accepted(f"{self.name}-{len(self.sent)}", 1_800_000_000 * 10**9)

    async def query(self, m: Message, provider_id: str | None, sent_at_ns: int) -> list[Report]:
        self.queried.append(m.out_id)
        return self.reports.get(m.out_id, [])

    def callback(
        self, path: str, headers: Mapping[str, str], body: bytes, query: Mapping[str, str]
    ) -> Callback:
        if query.get("token") != "good":
            raise CallbackRefused("bad_token")
        data = msgspec.json.decode(body)
        return Callback(reports=[Report(data["out_id"], data["id"], data["status"], data["at_ns"])])

    async def close(self) -> None:
        pass
