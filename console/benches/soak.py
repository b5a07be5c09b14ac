"""``python -m console bench soak``: the headless console for an hour at a district's normal load.

What a long run shows that a burst does not: memory that grows (a cache never trimmed, a list of
every event ever seen) and CPU that creeps. Every part is the real one, each its own process:

- a Mosquitto on the shipped resources/mosquitto/console.conf (loopback variant);
- ``python -m console headless`` on a SQLite journal, given the register as a file
  (``--register-json``, registry.dumps) as an installer's console is given one;
- a publisher (``python -m console.benches.soak --publish``): the heartbeats of a simulated
  district (console/sim/district.py, ``--households``; 25,000 households are some 86,000 devices)
  at each device's period (console/sim/traffic.py HB_PERIODS: about 48 beats/s for 25,000
  households, ``--heartbeat-scale`` multiplies it), plus one smoke alarm every ``--alarm-every-s``
  from a different household each, and its restore ``--restore-after-s`` later. A restore never
  closes an incident and nobody closes them here: the open-incident count grows by one an alarm
  (``open_start`` / ``open_end`` say by how much). At the default 5 s that is 36 new incidents in
  3 minutes, more than resources/triage.toml's storm (30 in 3 minutes): the console is in a storm
  for the whole run (``storm_end``);
- the gateway simulator (``python -m console gateway`` without a config; ``--no-gateway``: none,
  and every notification stays unaccepted and is retried, which grows each open incident).

Devices with 4-24 h periods (smoke, CO) are first heard from hours into a run, and each first
beat adds that device's state (bounded: once per device): a fresh start's hour grows by that too.
So by default (``--prime``; ``--no-prime`` for a fresh start) the publisher sends one heartbeat
of every device first (a burst, absorbed within the warm-up), and what still grows after the
warm-up is what a console a day into its run would grow by.

Every ``--sample-s`` the bench samples the console's RSS (psutil) and CPU (its CPU time delta over
the wall delta, % of one core). ``rss_start_mb`` is the first sample at or after ``--warmup-min``,
``rss_growth_pct`` the last sample against it (goal <= 5), ``cpu_pct`` the mean of the samples
after that one (goal <= 15). After the load it waits (``--drain-timeout``) until every alarm and
restore is journaled, stops the console with SIGTERM (``exit_code``) and reads the journal:
``journal_records``, ``lost`` (alarms published, not journaled), ``restores_lost``. The machine's
load: ``loadavg_start`` and, over the load, ``machine_busy_pct`` / ``machine_steal_pct`` (a VM's
stolen time makes the console's CPU figures worse than its own work).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
NS = 1_000_000_000


# --- the publisher (a child process) -----------------------------------------------------------


def _publish_main(argv: list[str]) -> None:
    """Child: heartbeats at their periods plus alarms and restores, in real time, for --seconds.
    Prints ``ready`` once connected, then one JSON line of what it published."""
    import random

    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    from console.domain.codec import device_topic
    from console.sim.district import generate
    from console.sim.traffic import Traffic, TrafficConfig, payload

    p = argparse.ArgumentParser()
    for name in ("--port", "--households", "--seed"):
        p.add_argument(name, type=int, required=True)
    for name in ("--seconds", "--heartbeat-scale", "--alarm-every-s", "--restore-after-s"):
        p.add_argument(name, type=float, required=True)
    p.add_argument("--district", required=True)
    p.add_argument("--prime", action="store_true")
    a = p.parse_args(argv)
    reg = generate(seed=a.seed, households=a.households, district=a.district)
    homes: list[tuple[str, str]] = []
    for h in reg.households.values():
        smoke = next((d for d in h.devices if d.kind == "smoke"), None)
        if smoke is not None:
            homes.append((h.township, smoke.id))
    random.Random(a.seed).shuffle(homes)  # one smoke detector a household, spread over townships
    start = time.time_ns()
    traffic = Traffic(
        reg,
        TrafficConfig(
            seed=a.seed,
            start_ns=start,
            alarms_per_min=0.0,
            troubles_per_min=0.0,
            heartbeat_scale=a.heartbeat_scale,
            unregistered_ratio=0.0,
            offline_ratio=0.0,
        ),
    )
    del reg
    run = f"soak{start // NS:x}"
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-{run}")
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect("127.0.0.1", a.port, 60)
    client.loop_start()
    pending: deque[Any] = deque()
    counts = {"primed": 0, "heartbeats": 0, "alarms": 0, "restores": 0}
    alarm_keys: list[str] = []
    restore_keys: list[str] = []

    def send(topic: str, body: bytes) -> None:
        while pending and pending[0].is_published():
            pending.popleft()
        if len(pending) >= 30_000:  # packet ids are 16 bit
            pending.popleft().wait_for_publish(600)
        pending.append(client.publish(topic, body, qos=1))

    def restore(k: int, tw: str, dev: str) -> None:
        rid = f"{run}-r{k}"
        send(device_topic(a.district, tw, dev), payload(dev, "smoke", "restore", time.time_ns(), rid))
        restore_keys.append(f"{dev}/{rid}")
        counts["restores"] += 1

    print("ready", flush=True)
    cpu0 = time.process_time()
    t0 = time.time_ns()
    if a.prime:  # one heartbeat of every device first, as fast as the broker takes them
        for i, d in enumerate(traffic.devs):
            beat = payload(
                d.dev, d.kind, "heartbeat", time.time_ns(), f"{run}-p{i}", bat=d.bat, rssi=d.rssi, hb=d.hb
            )
            send(d.topic, beat)
            counts["primed"] += 1
    end = t0 + int(a.seconds * NS)
    every = int(a.alarm_every_s * NS)
    next_alarm = t0 + every
    restores: deque[tuple[int, int, str, str]] = deque()
    while (now := time.time_ns()) < end:
        for item in traffic.until(now):
            send(item.topic, item.payload)
            counts["heartbeats"] += 1
        while every > 0 and next_alarm <= now:
            k = counts["alarms"]
            tw, dev = homes[k % len(homes)]
            aid = f"{run}-a{k}"
            send(device_topic(a.district, tw, dev), payload(dev, "smoke", "alarm", now, aid))
            alarm_keys.append(f"{dev}/{aid}")
            counts["alarms"] += 1
            restores.append((next_alarm + int(a.restore_after_s * NS), k, tw, dev))
            next_alarm += every
        while restores and restores[0][0] <= now:
            _due, k, tw, dev = restores.popleft()
            restore(k, tw, dev)
        time.sleep(0.02)
    for _due, k, tw, dev in restores:  # the restores still due: sent now, so each alarm has one
        restore(k, tw, dev)
    for info in pending:
        info.wait_for_publish(600)
    wall = (time.time_ns() - t0) / NS
    client.disconnect()
    client.loop_stop()
    out = {
        **counts,
        "published": sum(counts.values()),
        "wall_s": round(wall, 1),
        "cpu_s": round(time.process_time() - cpu0, 1),
        "heartbeats_per_s_expected": round(traffic.heartbeats_per_s(), 1),
        "alarm_keys": alarm_keys,
        "restore_keys": restore_keys,
    }
    print(json.dumps(out), flush=True)


# --- the console (a child process) ------------------------------------------------------------


class _Console:
    """``python -m console headless`` as a child: its last status line (stdout, read by a thread
    so the pipe never fills), its log in ``log``, a SIGTERM stop."""

    def __init__(self, work: Path, port: int, district: str, register: Path) -> None:
        self.db = work / "journal.sqlite"
        self.log_path = work / "headless.log"
        cmd = [sys.executable, "-m", "console", "headless", "--db", f"sqlite:///{self.db}"]
        cmd += ["--district", district, "--console-id", "soak1", "--register-json", str(register)]
        cmd += ["--broker-host", "127.0.0.1", "--broker-port", str(port), "--status-every", "1"]
        env = {k: v for k, v in os.environ.items() if not k.startswith("GUARDIAN_")}
        env["GUARDIAN_DATA_DIR"] = str(work / "data")
        self.log = self.log_path.open("w", encoding="utf-8")
        self.proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=self.log,
            env=env,
            text=True,
            encoding="utf-8",
        )
        self.last: dict[str, Any] = {}
        self.lines = 0
        self.changed = threading.Condition()
        self.reader = threading.Thread(target=self._read, name="soak-console-stdout", daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("{"):
                with self.changed:
                    self.last = json.loads(line)
                    self.lines += 1
                    self.changed.notify_all()
        with self.changed:
            self.changed.notify_all()

    def status(self) -> dict[str, Any]:
        with self.changed:
            return dict(self.last)

    def wait_connected(self, timeout: float) -> None:
        with self.changed:
            ok = self.changed.wait_for(
                lambda: self.last.get("bus") == "connected" or self.proc.poll() is not None, timeout
            )
        if not ok or self.proc.poll() is not None:
            raise RuntimeError(f"the headless console did not connect:\n{self.log_tail()}")

    def log_tail(self) -> str:
        self.log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-3000:]

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(120)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.reader.join(10)
        self.log.close()
        return int(self.proc.returncode)


def _journal(db: Path) -> tuple[int, dict[str, int], set[str]]:
    """(records, records by type, keys of the bench's alarms and restores) of the journal, read
    only (the console may still be writing it)."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        by_type = dict(con.execute("SELECT type, count(*) FROM journal GROUP BY type").fetchall())
        keys = {k for (k,) in con.execute("SELECT key FROM journal WHERE key LIKE '%/soak%'")}
    except sqlite3.OperationalError:
        return 0, {}, set()
    finally:
        con.close()
    return sum(by_type.values()), by_type, keys


def _sample(proc: Any, cpu_before: float, wall_before: float) -> tuple[float, float, float, float]:
    """(rss MB, CPU % of one core since the previous sample, its CPU s, its wall s)."""
    times = proc.cpu_times()
    cpu, wall = times.user + times.system, time.monotonic()
    rss = proc.memory_info().rss / 2**20
    return rss, 100 * (cpu - cpu_before) / max(1e-9, wall - wall_before), cpu, wall


def _soak(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    import psutil  # type: ignore[import-untyped,unused-ignore]  # no stubs in the venv

    from console.benches.bridge import _machine
    from console.benches.bus_drain import _Mosquitto
    from console.domain import registry
    from console.sim.district import generate

    load0 = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    reg = generate(seed=args.seed, households=args.households, district=args.district)
    devices = sum(len(h.devices) for h in reg.households.values())
    register = work / "register.json"
    register.write_bytes(registry.dumps(reg))
    del reg
    broker = _Mosquitto(work, None)
    console: _Console | None = None
    pub: subprocess.Popen[str] | None = None
    gateway: subprocess.Popen[str] | None = None
    try:
        if args.gateway:  # the gateway simulator takes the notifications, as a district's gateway does
            gw_cmd = [
                sys.executable,
                "-m",
                "console",
                "gateway",
                "--host",
                "127.0.0.1",
                "--port",
                str(broker.port),
            ]
            gw_cmd += ["--district", args.district, "--data-dir", str(work / "gateway")]
            gw_log = (work / "gateway.log").open("w", encoding="utf-8")
            gateway = subprocess.Popen(gw_cmd, cwd=ROOT, stdout=gw_log, stderr=subprocess.STDOUT, text=True)
        console = _Console(work, broker.port, args.district, register)
        console.wait_connected(180)
        proc = psutil.Process(console.proc.pid)
        seconds = args.minutes * 60
        pub_cmd = [sys.executable, "-m", "console.benches.soak", "--publish", "--port", str(broker.port)]
        pub_cmd += ["--households", str(args.households), "--seed", str(args.seed)]
        pub_cmd += ["--district", args.district, "--seconds", str(seconds)]
        pub_cmd += [
            "--heartbeat-scale",
            str(args.heartbeat_scale),
            "--alarm-every-s",
            str(args.alarm_every_s),
        ]
        pub_cmd += ["--restore-after-s", str(args.restore_after_s)] + (["--prime"] if args.prime else [])
        pub = subprocess.Popen(pub_cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True, encoding="utf-8")
        assert pub.stdout is not None
        if pub.stdout.readline().strip() != "ready":
            raise RuntimeError("the soak publisher did not start")
        machine0 = _machine()
        _rss, _cpu, cpu_prev, wall_prev = _sample(proc, 0.0, 0.0)
        t0 = wall_prev
        status_start: dict[str, Any] = {}
        samples: list[dict[str, float]] = []
        k = 1
        while True:
            due = t0 + k * args.sample_s
            if due > t0 + seconds + 1e-6:
                break
            time.sleep(max(0.0, due - time.monotonic()))
            if console.proc.poll() is not None:
                break  # the console died: what was sampled is reported with its exit code
            rss, cpu, cpu_prev, wall_prev = _sample(proc, cpu_prev, wall_prev)
            samples.append(
                {"t_s": round(wall_prev - t0, 1), "rss_mb": round(rss, 1), "cpu_pct": round(cpu, 1)}
            )
            if not status_start and wall_prev - t0 >= args.warmup_min * 60:
                status_start = console.status()
            print(f"soak: {samples[-1]}", file=sys.stderr, flush=True)
            k += 1
        machine1 = _machine()
        out, _ = pub.communicate(timeout=600)
        published = json.loads(out.strip().splitlines()[-1])
        expected = set(published["alarm_keys"]) | set(published["restore_keys"])
        drained = False
        deadline = time.monotonic() + args.drain_timeout
        while console.proc.poll() is None and time.monotonic() < deadline:
            if expected <= _journal(console.db)[2]:
                drained = True
                break
            time.sleep(1.0)
        status_end = console.status()
        rss_end_final = proc.memory_info().rss / 2**20 if console.proc.poll() is None else None
    finally:
        if pub is not None and pub.poll() is None:
            pub.kill()
            pub.wait(10)
        exit_code = console.stop() if console is not None else None
        if gateway is not None and gateway.poll() is None:
            gateway.terminate()
            try:
                gateway.wait(20)
            except subprocess.TimeoutExpired:
                gateway.kill()
                gateway.wait(10)
        broker.close()
    assert console is not None
    records, by_type, keys = _journal(console.db)
    after = [s for s in samples if s["t_s"] >= args.warmup_min * 60 - 1e-6]
    start = after[0] if after else (samples[0] if samples else None)
    later = [s for s in samples if start is not None and s["t_s"] > start["t_s"]] or after or samples
    rss_start = start["rss_mb"] if start else 0.0
    rss_end = samples[-1]["rss_mb"] if samples else 0.0
    busy, steal, total = (b - a for a, b in zip(machine0, machine1, strict=True))
    return {
        "minutes": args.minutes,
        "samples": samples,
        "rss_start_mb": rss_start,
        "rss_end_mb": rss_end,
        "rss_growth_pct": round(100 * (rss_end - rss_start) / rss_start, 2) if rss_start else None,
        "rss_after_drain_mb": round(rss_end_final, 1) if rss_end_final is not None else None,
        "cpu_pct": round(sum(s["cpu_pct"] for s in later) / len(later), 1) if later else None,
        "cpu_pct_max": max((s["cpu_pct"] for s in samples), default=None),
        "msgs_published": published["published"],
        "msgs_per_s": round(
            (published["published"] - published["primed"]) / max(1e-9, published["wall_s"]), 1
        ),
        "primed": published["primed"],
        "heartbeats": published["heartbeats"],
        "heartbeats_per_s_expected": published["heartbeats_per_s_expected"],
        "alarms": published["alarms"],
        "restores": published["restores"],
        "publisher_cpu_s": published["cpu_s"],
        "journal_records": records,
        "journal_by_type": by_type,
        "journal_seq_status": status_end.get("seq"),
        "lost": len(set(published["alarm_keys"]) - keys),
        "restores_lost": len(set(published["restore_keys"]) - keys),
        "drained": drained,
        "received": status_end.get("received"),
        "duplicates": status_end.get("duplicates"),
        "rejected": status_end.get("rejected"),
        "quarantine": status_end.get("quarantine"),
        "pending_end": status_end.get("pending"),
        "open_start": status_start.get("open"),
        "open_end": status_end.get("open"),
        "storm_end": status_end.get("storm"),
        "held_end": status_end.get("held"),
        "unaccepted_end": status_end.get("unaccepted"),
        "engine_restarts": status_end.get("engine_restarts"),
        "exit_code": exit_code,
        "households": args.households,
        "devices": devices,
        "heartbeat_scale": args.heartbeat_scale,
        "alarm_every_s": args.alarm_every_s,
        "restore_after_s": args.restore_after_s,
        "sample_s": args.sample_s,
        "warmup_min": args.warmup_min,
        "loadavg_start": [round(x, 2) for x in load0],
        "machine_busy_pct": round(100 * busy / total, 1) if total else None,
        "machine_steal_pct": round(100 * steal / total, 1) if total else None,
        "cpus": os.cpu_count(),
    }


def run(argv: list[str]) -> dict[str, Any]:
    p = argparse.ArgumentParser(prog="python -m console bench soak", description=__doc__)
    p.add_argument("--minutes", type=float, default=60.0, help="how long the load lasts")
    p.add_argument("--sample-s", type=float, default=60.0, help="seconds between samples")
    p.add_argument("--warmup-min", type=float, default=5.0, help="minutes before rss_start_mb")
    p.add_argument("--households", type=int, default=25_000, help="the simulated district's size")
    p.add_argument("--heartbeat-scale", type=float, default=1.0, help="multiplies the heartbeat rate")
    p.add_argument("--alarm-every-s", type=float, default=5.0, help="an alarm every N s (0: none)")
    p.add_argument("--restore-after-s", type=float, default=30.0, help="each alarm's restore, N s later")
    p.add_argument("--drain-timeout", type=float, default=120.0, help="seconds to wait for the journal")
    p.add_argument(
        "--prime",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="first one heartbeat of every device at once (a burst, before the warm-up ends): the"
        " per-device state is then whole from the start, as after a day's run, so what still grows"
        " is not the first beats of devices with 4-24 h periods (default; --no-prime: as a fresh start)",
    )
    p.add_argument(
        "--gateway",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="run the gateway simulator, which accepts and delivers the notifications (default;"
        " --no-gateway: none, every notification stays unaccepted and is retried)",
    )
    p.add_argument("--district", default="SOAK")
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args(argv)
    if args.minutes <= 0 or args.sample_s <= 0 or args.households < 1:
        p.error("--minutes, --sample-s and --households must be positive")
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as tmp:
        return _soak(args, Path(tmp))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--publish"]:
        _publish_main(sys.argv[2:])
    else:
        print(json.dumps(run(sys.argv[1:]), ensure_ascii=False, indent=2))
