"""Ingest bridge push rate: CTWing dataReport pushes over real HTTP -> the bridge (in-process, its
own asyncio loop, its SQLite outbox) -> a local Mosquitto -> a subscriber of the district.

The load generator is **another process** (an aiohttp client, keep-alive, ``--concurrency``
connections; ``--client raw``: hand-written HTTP/1.1 keep-alive requests, a third of aiohttp's
client cost, to see the bridge's own ceiling when the client shares the machine), so the client
does not compete with the bridge for the GIL; so is the paho subscriber counting every event
under ``guard/v1/evt/{district}/#``. The bridge's process holds only what the bridge's own process
holds (its loop, the outbox's writer thread, paho's thread), at Python's default switch interval
as ``python -m console bridge`` runs (``--switch-interval`` to try another).

Each push is a distinct device message: ``--devices`` fake IMEIs (all in the register, one
township), the k-th push for device ``k % devices`` with an increasing ``upPacketSN`` and its own
timestamp, the documented CTWing body of product 15014772 (resources/vendors/ctwing-lian-smoke.toml;
tests/bridge/docs/ctwing/data_report_service_data.json) with ``Alarm_Status`` 12 (在线: a
heartbeat), one in ``--alarm-every`` 1 (报警: an alarm). Pushes are posted as fast as the bridge
answers (``--rate 0``) or paced at ``--rate`` a second, for ``--seconds`` (or ``--pushes`` in all).

After the load the bench waits (``--drain-timeout``) until the subscriber has seen the event of
every push answered 200, matched by (dev, ts). Figures: ``pushes_per_s`` (200s a second, first
request to last 200), ``http_p50_ms`` / ``http_p99_ms`` (request start to its 200, measured by
the client), ``accepted``, ``refused`` (non-200 answers), ``errors`` (no answer at all), ``lost``
(answered 200, never published), ``duplicates`` (events seen twice), ``unexpected`` (events seen
that no 200 announced), ``publish_lag_p50_ms`` / ``_p99_ms`` (200 -> seen by the subscriber),
``outbox_commits`` (GroupWriter.commits), ``bridge_cpu_s`` / ``bridge_kernel_cpu_s`` (CPU seconds
of the bridge's threads during the load: loop, outbox_writer, paho), ``client_cpu_s``,
``subscriber_cpu_s``, ``broker_cpu_s``, ``machine_busy_pct`` / ``machine_steal_pct`` (all CPUs,
during the load), ``loadavg_start``. ``--sections`` adds the CPU time of the bridge's parts per
push (by wrapping them on this run's instances); ``--profile N`` prints the N costliest functions
of the bridge's loop thread (cProfile) to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

TOKEN = "bench-ctwing-token"
TOWNSHIP = "500106001"
PRODUCT = "15014772"  # resources/vendors/ctwing-lian-smoke.toml
IMEI_BASE = 860000100000000
HEARTBEAT, ALARM = 12, 1  # Alarm_Status 在线 / 报警
# tests/bridge/docs/ctwing/data_report_service_data.json, the documented push (its IMEI, deviceId,
# upPacketSN, timestamp and Alarm_Status are each push's own)
BODY: dict[str, Any] = {
    "upPacketSN": -1,
    "upDataSN": -1,
    "topic": "v1/up/ad19prof",
    "timestamp": 1606982320277,
    "tenantId": "10461180",
    "serviceId": "",
    "protocol": "lwm2m",
    "productId": PRODUCT,
    "payload": {
        "serviceId": "notification",
        "serviceData": {
            "TData": 30,
            "SNR": 1,
            "RSRP": 114,
            "IMEI": "860000000000001",
            "Cell_ID_Length": 8,
            "Cell_ID": "38848339",
            "CSQ": 5,
            "Battery_Level": 100,
            "Alarm_Status": 2,
            "AlarmLevel": 100,
        },
    },
    "messageType": "dataReport",
    "deviceType": "",
    "deviceId": "0123456789abcdef0123456789abcdef",
    "assocAssetId": "",
    "IMSI": "undefined",
    "IMEI": "860000000000001",
}


def imei(i: int) -> str:
    return str(IMEI_BASE + i)


def push_of(k: int, devices: int, t0_ms: int, alarm_every: int) -> tuple[str, str, int, int, int]:
    """The k-th push: (IMEI, CTWing deviceId, upPacketSN, timestamp ms, Alarm_Status)."""
    i = k % devices
    status = ALARM if alarm_every > 0 and k % alarm_every == alarm_every - 1 else HEARTBEAT
    return imei(i), f"{i:032x}", k // devices + 1, t0_ms + k, status


def _template() -> str:
    b = json.loads(json.dumps(BODY))
    b["IMEI"] = b["payload"]["serviceData"]["IMEI"] = "@IMEI@"
    b["deviceId"] = "@DEVID@"
    b["upPacketSN"] = b["upDataSN"] = "@SN@"
    b["timestamp"] = "@TS@"
    b["payload"]["serviceData"]["Alarm_Status"] = "@ST@"
    text = json.dumps(b, ensure_ascii=False, separators=(",", ":"))
    for name in ("SN", "TS", "ST"):
        text = text.replace(f'"@{name}@"', f"@{name}@")
    return text


def body_of(template: str, push: tuple[str, str, int, int, int]) -> bytes:
    dev, device_id, sn, ts, status = push
    return (
        template.replace("@IMEI@", dev)
        .replace("@DEVID@", device_id)
        .replace("@SN@", str(sn))
        .replace("@TS@", str(ts))
        .replace("@ST@", str(status))
        .encode()
    )


def ts_ms(ts: str) -> int:
    return round(datetime.fromisoformat(ts).timestamp() * 1000)


def _pct(values: list[float], q: float) -> float:
    return round(values[min(len(values) - 1, int(q * len(values)))], 2) if values else -1.0


# --- the load generator (its own process) ---------------------------------------------------------


class _Raw:
    """One keep-alive HTTP/1.1 connection, requests written by hand (``--client raw``): a client
    that costs a fraction of aiohttp's, to see the bridge's own ceiling."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.head = (
            f"POST /push/ctwing?token={TOKEN} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "Content-Type: application/json\r\nContent-Length: "
        ).encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, body: bytes) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        self.writer.write(b"%s%d\r\n\r\n%s" % (self.head, len(body), body))
        try:
            head = await self.reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length, close = 0, False
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"connection" and value.strip().lower() == b"close":
                    close = True
            await self.reader.readexactly(length)
        except (asyncio.IncompleteReadError, ValueError):
            self.close()
            raise ConnectionError("bad or no answer") from None
        if close:
            self.close()
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def _load(a: argparse.Namespace) -> dict[str, Any]:
    import aiohttp

    template = _template()
    url = f"http://127.0.0.1:{a.port}/push/ctwing"
    results: list[tuple[int, int, int, int]] = []  # (k, status, start ns, answered ns)
    errors: dict[str, int] = {}
    limit = a.pushes if a.pushes > 0 else None
    counter = iter(range(limit if limit is not None else 1 << 62))
    connector = aiohttp.TCPConnector(limit=a.concurrency, limit_per_host=a.concurrency)
    timeout = aiohttp.ClientTimeout(total=30)
    started = time.monotonic_ns()
    end = started + int(a.seconds * 1e9) if limit is None else None
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as s:

        async def via_aiohttp(body: bytes) -> int:
            async with s.post(
                url, data=body, params={"token": TOKEN}, headers={"Content-Type": "application/json"}
            ) as r:
                await r.read()
                return r.status

        async def worker() -> None:
            raw = _Raw(a.port) if a.client == "raw" else None
            post = raw.post if raw is not None else via_aiohttp
            for k in counter:
                if a.rate > 0:
                    due = started + int(k * 1e9 / a.rate)
                    if end is not None and due >= end:
                        break
                    wait = (due - time.monotonic_ns()) / 1e9
                    if wait > 0:
                        await asyncio.sleep(wait)
                elif end is not None and time.monotonic_ns() >= end:
                    break
                body = body_of(template, push_of(k, a.devices, a.t0_ms, a.alarm_every))
                t = time.monotonic_ns()
                try:
                    status = await asyncio.wait_for(post(body), 30) if raw is not None else await post(body)
                except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                    status = -1
                    if raw is not None:
                        raw.close()
                results.append((k, status, t, time.monotonic_ns()))
            if raw is not None:
                raw.close()

        await asyncio.gather(*(worker() for _ in range(a.concurrency)))
    times = os.times()
    return {
        "results": results,
        "errors": errors,
        "started_ns": started,
        "ended_ns": time.monotonic_ns(),
        "cpu_s": round(times.user + times.system, 2),
    }


def _load_main(argv: list[str]) -> None:
    p = argparse.ArgumentParser()
    for name in ("--port", "--devices", "--pushes", "--concurrency", "--alarm-every", "--t0-ms"):
        p.add_argument(name, type=int, required=True)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--rate", type=float, required=True)
    p.add_argument("--client", choices=("aiohttp", "raw"), required=True)
    out = asyncio.run(_load(p.parse_args(argv)))
    sys.stdout.write(json.dumps(out))
    sys.stdout.flush()


# --- the subscriber (its own process) --------------------------------------------------------------


def _subscribe_main(port: int, topic: str) -> None:
    """Print ``ready`` once subscribed; on ``expect N TIMEOUT`` on stdin, wait until N distinct
    events were seen (or the timeout), linger a little for late copies, and print every event
    seen as JSON: {"seen": [[id, dev, ts, seen monotonic ns], ...], "cpu_s": its CPU seconds}."""
    import msgspec
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    class Ev(msgspec.Struct):
        id: str
        dev: str
        ts: str

    decode = msgspec.json.Decoder(Ev).decode
    seen: list[tuple[str, str, str, int]] = []
    ids: set[str] = set()
    cond = threading.Condition()
    ready = threading.Event()

    def on_message(c: Any, u: Any, msg: Any) -> None:
        t = time.monotonic_ns()
        try:
            e = decode(msg.payload)
        except msgspec.DecodeError:
            e = Ev(id=f"undecodable-{len(seen)}", dev="", ts="")
        with cond:
            seen.append((e.id, e.dev, e.ts, t))
            ids.add(e.id)
            cond.notify_all()

    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-sub-{uuid.uuid4().hex[:6]}")
    c.on_message = on_message
    c.on_connect = lambda cl, *rest: cl.subscribe(topic, qos=1)
    c.on_subscribe = lambda *rest: ready.set()
    c.connect("127.0.0.1", port, keepalive=30)
    c.loop_start()
    if not ready.wait(10):
        raise SystemExit("bench subscriber: no SUBACK")
    print("ready", flush=True)
    line = sys.stdin.readline().split()
    want, timeout = int(line[1]), float(line[2])
    with cond:
        cond.wait_for(lambda: len(ids) >= want, timeout)
    time.sleep(0.3)  # late copies (duplicates) still count
    c.disconnect()
    c.loop_stop()
    times = os.times()
    with cond:
        sys.stdout.write(json.dumps({"seen": seen, "cpu_s": round(times.user + times.system, 2)}))
    sys.stdout.flush()


# --- the bridge's side -------------------------------------------------------------------------------


def _thread_cpu(system: bool = False) -> dict[str, float]:
    """CPU seconds (``system``: in the kernel only) of each live thread of this process (Linux
    /proc), by the thread's name."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    out: dict[str, float] = {}
    for t in threading.enumerate():
        try:
            stat = Path(f"/proc/self/task/{t.native_id}/stat").read_text(encoding="ascii")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        name = t.name
        if t is threading.main_thread():
            name = "loop"
        elif name.startswith("paho-mqtt-client"):
            name = "paho"
        elif name.endswith("-writer"):
            name = "outbox_writer"
        if name.startswith("asyncio-waitpid"):
            continue
        ticks = int(fields[12]) if system else int(fields[11]) + int(fields[12])
        out[name] = out.get(name, 0.0) + ticks / tick
    return out


def _proc_cpu(pid: int) -> float:
    """CPU seconds of another process (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _machine() -> tuple[int, int, int]:
    """(busy, steal, total) jiffies of all the CPUs (Linux /proc/stat; zeros elsewhere)."""
    try:
        first = Path("/proc/stat").read_text(encoding="ascii").splitlines()[0].split()[1:]
    except OSError:
        return 0, 0, 0
    ticks = [int(x) for x in first[:8]] + [0] * (8 - len(first[:8]))
    idle = ticks[3] + ticks[4]
    return sum(ticks) - idle - ticks[7], ticks[7], sum(ticks)


class _Sections:
    """``--sections``: CPU time (time.thread_time_ns: the calling thread's own, no GIL waits) of
    the bridge's parts, by wrapping them on the instances of this run (nothing else changes)."""

    def __init__(self) -> None:
        self.cpu_ns: dict[str, int] = {}
        self.wall_ns: dict[str, int] = {}
        self.calls: dict[str, int] = {}
        self.batch: list[int] = []
        self.commit_ms: list[float] = []
        self.on = False

    def wrap(self, obj: Any, name: str, label: str) -> None:
        fn = getattr(obj, name)

        def timed(*a: Any, **k: Any) -> Any:
            if not self.on:
                return fn(*a, **k)
            t, w = time.thread_time_ns(), time.perf_counter_ns()
            try:
                return fn(*a, **k)
            finally:
                self.cpu_ns[label] = self.cpu_ns.get(label, 0) + time.thread_time_ns() - t
                self.wall_ns[label] = self.wall_ns.get(label, 0) + time.perf_counter_ns() - w
                self.calls[label] = self.calls.get(label, 0) + 1

        setattr(obj, name, timed)

    def bridge(self, br: Any) -> None:
        for p in br.platforms.values():
            self.wrap(p, "parse", "loop: platform.parse (json, checks)")
        self.wrap(br, "_take", "loop: _take (product table, key, payload, topic)")
        self.wrap(br.products, "read", "loop:   of which products.read")
        self.wrap(br.outbox, "store", "loop: outbox.store (submit)")
        self.wrap(br.outbox, "waiting", "loop: outbox.waiting (submit)")
        self.wrap(br.outbox, "published", "loop: outbox.published (submit)")
        self.wrap(br.bus, "publish", "loop: bus.publish (paho, from the loop)")
        commit = br.outbox._commit

        def timed_commit(batch: list[Any]) -> None:
            t = time.perf_counter_ns()
            commit(batch)
            if self.on:
                self.batch.append(len(batch))
                self.commit_ms.append((time.perf_counter_ns() - t) / 1e6)

        br.outbox._commit = timed_commit
        self.wrap(br.outbox, "_commit", "writer: _commit (ops, COMMIT, fsync)")

    def figures(self, pushes: int) -> dict[str, Any]:
        n = max(1, pushes)
        out: dict[str, Any] = {
            k: {
                "cpu_us_per_push": round(self.cpu_ns[k] / 1e3 / n, 1),
                "wall_us_per_push": round(self.wall_ns[k] / 1e3 / n, 1),
                "calls": self.calls[k],
            }
            for k in sorted(self.cpu_ns)
        }
        if self.batch:
            out["writer: ops a commit (mean, max)"] = (
                round(sum(self.batch) / len(self.batch), 1),
                max(self.batch),
            )
            ms = sorted(self.commit_ms)
            out["writer: a commit's wall ms (p50, p99, max)"] = (
                _pct(ms, 0.5),
                _pct(ms, 0.99),
                round(ms[-1], 2),
            )
        return out


def _child(*args: str) -> list[str]:
    return [sys.executable, "-m", "console.benches.bridge", *args]


async def _bench(
    args: argparse.Namespace, workdir: Path, port: int, broker_pid: int, load0: tuple[float, ...]
) -> dict[str, Any]:
    from console.bridge import config as bconfig
    from console.bridge.build import KEYRING_SERVICE, build_bridge, load_products
    from console.io.secrets import SecretStore

    district = f"bench{uuid.uuid4().hex[:8]}"
    sub = await asyncio.create_subprocess_exec(
        *_child("--subscribe", str(port), f"guard/v1/evt/{district}/#"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert sub.stdout is not None and sub.stdin is not None
    client: asyncio.subprocess.Process | None = None
    try:
        if (await asyncio.wait_for(sub.stdout.readline(), 15)).strip() != b"ready":
            raise RuntimeError("the bench subscriber did not start")
        cfg = bconfig.parse(
            {
                "broker": {
                    "host": "127.0.0.1",
                    "port": port,
                    "district": district,
                    "client_id": f"br-{district}",
                },
                "server": {"host": "127.0.0.1", "port": 0},
                "bridge": {"id": "bench", "status_every_s": 10},
                "platforms": [{"kind": "ctwing", "name": "ctwing"}],
            }
        )
        secrets = SecretStore(
            None, env={"GUARDIAN_CTWING_TOKEN": TOKEN}, use_keyring=False, service=KEYRING_SERVICE
        )
        register = {imei(i): TOWNSHIP for i in range(args.devices)}
        br = build_bridge(cfg, secrets, workdir / "bridge", register, load_products(cfg))
        await br.start()
        try:
            deadline = time.monotonic() + 10
            while br.bus is None or not br.bus.connected:  # MqttBus announces no change to wait on
                if time.monotonic() > deadline:
                    raise RuntimeError("the bridge did not connect to the bench's Mosquitto")
                await asyncio.sleep(0.01)
            t0_ms = time.time_ns() // 1_000_000
            profiler = None
            sections = _Sections() if args.sections else None
            if sections is not None:
                sections.bridge(br)
            if args.profile:
                import cProfile

                profiler = cProfile.Profile()
            cpu0, sys0, times0 = _thread_cpu(), _thread_cpu(system=True), os.times()
            broker0, machine0 = _proc_cpu(broker_pid), _machine()
            client = await asyncio.create_subprocess_exec(
                *_child(
                    "--load",
                    "--port",
                    str(br.port),
                    "--devices",
                    str(args.devices),
                    "--pushes",
                    str(args.pushes),
                    "--concurrency",
                    str(args.concurrency),
                    "--alarm-every",
                    str(args.alarm_every),
                    "--t0-ms",
                    str(t0_ms),
                    "--seconds",
                    str(args.seconds),
                    "--rate",
                    str(args.rate),
                    "--client",
                    args.client,
                ),
                stdout=subprocess.PIPE,
            )
            if profiler is not None:
                profiler.enable()
            if sections is not None:
                sections.on = True
            out, _ = await asyncio.wait_for(client.communicate(), args.seconds + args.drain_timeout + 60)
            if profiler is not None:
                profiler.disable()
            if sections is not None:
                sections.on = False
            cpu1, sys1, times1 = _thread_cpu(), _thread_cpu(system=True), os.times()
            broker1, machine1 = _proc_cpu(broker_pid), _machine()
            if client.returncode != 0:
                raise RuntimeError(f"the load generator failed ({client.returncode})")
            load = json.loads(out)
            accepted = {r[0]: r for r in load["results"] if r[1] == 200}
            sub.stdin.write(f"expect {len(accepted)} {args.drain_timeout}\n".encode())
            await sub.stdin.drain()
            seen_raw, _ = await asyncio.wait_for(sub.communicate(), args.drain_timeout + 30)
            counters = dict(br.counters)  # "published": PUBACKs marked so far (the rest follow)
        finally:
            await br.stop()
            br.outbox.close()
        if profiler is not None:
            import pstats

            print("bench bridge: the bridge's loop thread during the load (cProfile):", file=sys.stderr)
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(args.profile)
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(args.profile)
    finally:
        for proc in (client, sub):
            if proc is not None and proc.returncode is None:
                proc.kill()
                await proc.wait()

    sub_out = json.loads(seen_raw)
    seen = sub_out["seen"]
    first_seen: dict[tuple[str, int], int] = {}
    ids: set[str] = set()
    for eid, dev, ts, t in seen:
        ids.add(eid)
        if ts:
            first_seen.setdefault((dev, ts_ms(ts)), t)
    lags: list[float] = []
    lost = 0
    expected: set[tuple[str, int]] = set()
    for k, (_k, _st, _t, t_ok) in accepted.items():
        dev, _id, _sn, ts, _status = push_of(k, args.devices, t0_ms, args.alarm_every)
        expected.add((dev, ts))
        t_seen = first_seen.get((dev, ts))
        if t_seen is None:
            lost += 1
        else:
            lags.append((t_seen - t_ok) / 1e6)
    lags.sort()
    http = sorted((r[3] - r[2]) / 1e6 for r in accepted.values())
    results = load["results"]
    span_ns = max(
        1, max((r[3] for r in accepted.values()), default=1) - min((r[2] for r in results), default=0)
    )
    refused: dict[str, int] = {}
    for r in results:
        if r[1] not in (200, -1):
            refused[str(r[1])] = refused.get(str(r[1]), 0) + 1
    cpu = {k: round(v - cpu0.get(k, 0.0), 2) for k, v in cpu1.items()}
    cpu["process"] = round((times1.user + times1.system) - (times0.user + times0.system), 2)
    in_kernel = {k: round(v - sys0.get(k, 0.0), 2) for k, v in sys1.items()}
    busy, steal, total = (b - a for a, b in zip(machine0, machine1, strict=True))
    return {
        "pushes_per_s": round(len(accepted) / (span_ns / 1e9), 1),
        "http_p50_ms": _pct(http, 0.50),
        "http_p99_ms": _pct(http, 0.99),
        "http_max_ms": round(http[-1], 2) if http else -1.0,
        "sent": len(results),
        "accepted": len(accepted),
        "refused": sum(refused.values()),
        "refused_by_status": refused,
        "errors": sum(load["errors"].values()),
        "errors_by_kind": load["errors"],
        "lost": lost,
        "duplicates": len(seen) - len(ids),
        "unexpected": len(set(first_seen) - expected),
        "events_seen": len(seen),
        "publish_lag_p50_ms": _pct(lags, 0.50),
        "publish_lag_p99_ms": _pct(lags, 0.99),
        "outbox_commits": br.outbox.commits,
        "bridge_pushes": counters["pushes"],
        "bridge_events": counters["events"],
        "bridge_published": counters["published"],
        "bridge_duplicates": counters["duplicates"],
        "bridge_refused": counters["refused"] + counters["refused_full"] + counters["store_errors"],
        "quarantined": counters["quarantined"],
        "bridge_cpu_s": cpu,
        "bridge_kernel_cpu_s": in_kernel,
        "client_cpu_s": load["cpu_s"],
        "subscriber_cpu_s": sub_out["cpu_s"],
        "broker_cpu_s": round(broker1 - broker0, 2),
        "machine_busy_pct": round(100 * busy / total, 1) if total else -1.0,
        "machine_steal_pct": round(100 * steal / total, 1) if total else -1.0,
        **({"sections": sections.figures(len(results))} if sections is not None else {}),
        "client": "separate process",
        "client_kind": args.client,
        "subscriber": "separate process",
        "seconds": round(span_ns / 1e9, 2),
        "seconds_asked": args.seconds if args.pushes <= 0 else None,
        "pushes_asked": args.pushes if args.pushes > 0 else None,
        "rate_asked": args.rate or "as fast as answered",
        "concurrency": args.concurrency,
        "switch_interval_s": sys.getswitchinterval(),
        "devices": args.devices,
        "alarm_every": args.alarm_every,
        "loadavg_start": [round(x, 2) for x in load0],
        "cpus": os.cpu_count(),
    }


def run(argv: list[str]) -> dict[str, Any]:
    p = argparse.ArgumentParser(prog="python -m console bench bridge", description=__doc__)
    p.add_argument("--seconds", type=float, default=10.0, help="how long the load lasts")
    p.add_argument(
        "--pushes", type=int, default=0, help="post exactly this many pushes instead (0: --seconds)"
    )
    p.add_argument(
        "--rate", type=float, default=0.0, help="pushes a second (0: as fast as the bridge answers)"
    )
    p.add_argument("--concurrency", type=int, default=64, help="the client's keep-alive connections")
    p.add_argument("--devices", type=int, default=10_000, help="distinct fake IMEIs (all registered)")
    p.add_argument("--alarm-every", type=int, default=50, help="one push in N is an alarm (0: none)")
    p.add_argument("--drain-timeout", type=float, default=60.0, help="how long to wait for the events after")
    p.add_argument(
        "--client",
        choices=("aiohttp", "raw"),
        default="aiohttp",
        help="aiohttp (the default) or raw: hand-written HTTP/1.1 keep-alive, far cheaper for the client",
    )
    p.add_argument(
        "--switch-interval",
        type=float,
        default=0.0,
        help="sys.setswitchinterval for the bridge's process (0: Python's default, as the bridge runs)",
    )
    p.add_argument("--sections", action="store_true", help="CPU time of the bridge's parts, per push")
    p.add_argument(
        "--profile", type=int, default=0, help="print the N costliest functions of the bridge's loop"
    )
    args = p.parse_args(argv)
    if args.devices < 1 or args.concurrency < 1:
        p.error("--devices and --concurrency must be at least 1")
    from console.benches.bus_drain import _Mosquitto

    if args.switch_interval > 0:
        sys.setswitchinterval(args.switch_interval)
    load0 = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    with tempfile.TemporaryDirectory(prefix="bench-bridge-") as tmp:
        broker = _Mosquitto(Path(tmp), None)
        try:
            return asyncio.run(_bench(args, Path(tmp), broker.port, broker.proc.pid, load0))
        finally:
            broker.close()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--load"]:
        _load_main(sys.argv[2:])
    elif sys.argv[1:2] == ["--subscribe"] and len(sys.argv) == 4:
        _subscribe_main(int(sys.argv[2]), sys.argv[3])
    else:
        print(json.dumps(run(sys.argv[1:]), ensure_ascii=False, indent=2))
