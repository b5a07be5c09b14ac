"""Notification storm: requests published to a local Mosquitto -> the gateway (in-process, its
durable outbox, the limits in force) -> a local provider; how fast they are accepted.

A 200-alarm storm makes 4 requests an alarm (the elder's SMS, the guardian's SMS and call, the
grid worker's SMS), each to numbers of its own (so the per-number limits are not what is
measured; the requests-per-second pace is), published over ``--window`` seconds; ``--dup-ratio``
of them published a second time (QoS 1 redelivery, a console re-sending). Figures:
``accepted_per_s`` (requests the provider accepted per second, first publish to last
acceptance), ``accept_p99_ms`` / ``accept_p50_ms`` (from a request's publish to the provider's
acceptance), ``duplicates`` (sends made twice; goal 0), ``outbox_commits`` (group commits).
The provider is the simulator provider (console/gateway/providers/sim.py) answering in-process;
a real provider's round trip (tens of ms) adds to the latency, not to the gateway's cost.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from console.benches.bus_drain import _Mosquitto
from console.domain.codec import NotifyRequest, encode_notify, notify_req_topic
from console.gateway import config
from console.gateway.build import build_gateway
from console.gateway.provider import Message, SendResult
from console.gateway.providers.sim import SimProvider
from console.gateway.service import tune_threads
from console.io.secrets import SecretStore


class _Timed:
    """Simulator providers that note when each request was accepted, and any sent twice."""

    def __init__(self, n: int, names: list[str]) -> None:
        self.n, self.names = n, names
        self.accepted_at: dict[str, int] = {}
        self.by: dict[str, int] = {}
        self.twice = 0
        self.all_in = asyncio.Event()

    def providers(self) -> list[Any]:
        return [_One(name, self) for name in self.names]

    def took(self, name: str, out_id: str) -> None:
        if out_id in self.accepted_at:
            self.twice += 1
        self.accepted_at.setdefault(out_id, time.time_ns())
        self.by[name] = self.by.get(name, 0) + 1
        if len(self.accepted_at) >= self.n:
            self.all_in.set()


class _One(SimProvider):
    def __init__(self, name: str, timed: _Timed) -> None:
        super().__init__(name, speed=1000.0)
        self._timed = timed

    async def send(self, m: Message) -> SendResult:
        result = await super().send(m)
        self._timed.took(self.name, m.out_id)
        return result


def _requests(alarms: int) -> list[NotifyRequest]:
    out = []
    for i in range(1, alarms + 1):
        base = 13000000000 + i * 10
        vars = {
            "address": f"沙坪坝区演练街{i}号",
            "kinds": "烟感",
            "incident": str(i),
            "callback": "02312345678",
        }
        for role, channel, to in (
            ("elder", "sms", base + 1),
            ("guardian", "sms", base + 2),
            ("guardian", "voice", base + 2),
            ("grid_worker", "sms", base + 3),
        ):
            out.append(
                NotifyRequest(
                    req=f"I{i}-{role}-{channel}-1",
                    incident=i,
                    household=f"h{i}",
                    channel=channel,
                    role=role,
                    to=str(to),
                    text=f"【守护台】{vars['address']}发生烟感报警，请立即确认老人安全。事件号{i}",
                    vars=vars,
                )
            )
    return out


def _publish(
    port: int, topic: str, reqs: list[NotifyRequest], window_s: float, dups: int, sent_at: dict[str, int]
) -> None:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{uuid.uuid4().hex[:6]}")
    c.max_inflight_messages_set(1000)
    c.max_queued_messages_set(0)
    c.connect("127.0.0.1", port, keepalive=30)
    c.loop_start()
    infos = []
    start = time.monotonic()
    step = window_s / len(reqs) if reqs else 0.0
    for k, r in enumerate(reqs):
        due = start + k * step
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        sent_at.setdefault(r.req, time.time_ns())
        infos.append(c.publish(topic, encode_notify(r), qos=1))
        if dups and k % max(1, len(reqs) // dups) == 0:
            infos.append(c.publish(topic, encode_notify(r), qos=1))
    for info in infos:
        info.wait_for_publish(30)
    c.disconnect()
    c.loop_stop()


async def _bench(args: argparse.Namespace, workdir: Path, port: int) -> dict[str, Any]:
    district = f"bench{uuid.uuid4().hex[:8]}"
    reqs = _requests(args.alarms)
    sim = _Timed(len(reqs), [f"sim{i}" for i in range(args.providers)])
    limits = {
        "rps": args.rps,
        "sms": {"per_day": 50},
        "voice": {"per_minute": 1, "per_hour": 5, "per_day": 20},
    }
    cfg = config.parse(
        {
            "broker": {
                "host": "127.0.0.1",
                "port": port,
                "district": district,
                "client_id": f"gw-{district}",
            },
            "providers": [{"name": n, "kind": "sim", "limits": limits} for n in sim.names],
        }
    )
    gw = build_gateway(
        cfg, SecretStore(None, env={}, use_keyring=False), workdir / "gw", providers=sim.providers()
    )
    await gw.start()
    sent_at: dict[str, int] = {}
    dups = int(len(reqs) * args.dup_ratio)
    try:
        t0 = time.time_ns()
        publisher = threading.Thread(
            target=_publish,
            args=(port, notify_req_topic(district), reqs, args.window, dups, sent_at),
            daemon=True,
        )
        publisher.start()
        try:
            await asyncio.wait_for(sim.all_in.wait(), args.timeout)
        except TimeoutError:
            pass
        await asyncio.to_thread(publisher.join, 30)
        counters = gw.counters()
    finally:
        await gw.stop()
        gw.outbox.close()
    lat = sorted((sim.accepted_at[r] - sent_at[r]) / 1e6 for r in sim.accepted_at if r in sent_at)
    last = max(sim.accepted_at.values()) if sim.accepted_at else t0
    span_s = max(1e-9, (last - min(sent_at.values(), default=t0)) / 1e9)

    def pct(q: float) -> float:
        return round(lat[min(len(lat) - 1, int(q * len(lat)))], 1) if lat else -1.0

    return {
        "requests": len(reqs),
        "accepted": len(sim.accepted_at),
        "accepted_per_s": round(len(sim.accepted_at) / span_s, 1),
        "accept_p50_ms": pct(0.50),
        "accept_p99_ms": pct(0.99),
        "accept_max_ms": round(lat[-1], 1) if lat else -1.0,
        "duplicates": sim.twice,
        "duplicate_requests_published": dups,
        "duplicates_answered_from_outbox": counters["duplicates"],
        "blocked": counters["by_status"].get("blocked", 0),
        "rps_limit": args.rps,
        "providers": len(sim.names),
        "accepted_by": dict(sim.by),
        "window_s": args.window,
        "outbox_commits": gw.outbox.commits,
    }


def run(argv: list[str]) -> dict[str, Any]:
    p = argparse.ArgumentParser(prog="python -m console bench notify", description=__doc__)
    p.add_argument("--alarms", type=int, default=200)
    p.add_argument("--window", type=float, default=2.0, help="seconds over which the requests are published")
    p.add_argument("--rps", type=float, default=500.0, help="the provider's requests-per-second limit")
    p.add_argument("--providers", type=int, default=1, help="simulator providers, in preference order")
    p.add_argument("--dup-ratio", type=float, default=0.05)
    p.add_argument("--timeout", type=float, default=60.0)
    args = p.parse_args(argv)
    tune_threads()  # as the gateway's own process does (console/entry/gateway.py)
    with tempfile.TemporaryDirectory(prefix="bench-notify-") as tmp:
        broker = _Mosquitto(Path(tmp), None)
        try:
            return asyncio.run(_bench(args, Path(tmp), broker.port))
        finally:
            broker.close()
