"""The fault script (issue 16): kill -9 the console at random moments of an alarm storm, several
times, with notifications on, and count every alarm and every notification request end to end.

    .venv/bin/python -m tests.e2e.fault_storm --alarms 10000 --kills 5 --seed 1

A real Mosquitto (the shipped config) of its own, a headless console on the synthetic district
(its register has elders, guardians, grid workers and cadres to notify), our own publisher (the
storm, QoS 1, every PUBACK awaited) and our own subscriber on the notification-request topic
(a persistent session: it misses nothing). Between kills the console is restarted on the same
journal. At the end it runs until every alarm is journaled and every request the journal asks
for is journaled as published, and prints one JSON object of figures:

- ``alarms_lost``: alarms published (and acknowledged by the broker) but not in the journal: 0.
- ``alarm_duplicates``: alarm records journaled twice: 0.
- ``requests_missing``: requests the journal asks for (notifications not held back by the
  storm policy nor dropped) that never reached the broker: 0.
- ``published_not_received``: requests the journal calls published that our subscriber never
  got: 0 (published means the broker acknowledged it).
- ``request_copies``: requests the broker carried more than once; each must be one a kill fell
  between its publish and its acknowledgement (``copies_unexplained``: 0). The gateway drops
  such a copy by request id.

The reference for what the journal asks for is the journal itself, folded by the real World.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DISTRICT = "SIM"
HOUSEHOLDS = 3000


def journal_rows(db: Path, upto: int | None = None) -> list[tuple[int, str, str, bytes]]:
    """(seq, type, key, body) of the journal, read only (the console may be running)."""
    if not db.exists():
        return []
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        sql = "SELECT seq, type, key, body FROM journal"
        rows = con.execute(
            sql + (" WHERE seq <= ?" if upto is not None else "") + " ORDER BY seq",
            (upto,) if upto is not None else (),
        )
        return [(s, t, k, bytes(b)) for s, t, k, b in rows]
    except sqlite3.OperationalError:
        return []
    finally:
        con.close()


def fold(register: Any, rows: list[tuple[int, str, str, bytes]]) -> Any:
    """The World after these records, as the console folds them."""
    from console.bootstrap import make_world
    from console.domain import events as ev

    w = make_world(register)
    for _, _, _, body in rows:
        w.apply(ev.decode(body))
    return w


def asked_for(world: Any) -> set[str]:
    """Requests the journal asks to send: every notification not held back nor dropped."""
    return {
        n.req
        for inc in world.incidents.values()
        for n in inc.notifications.values()
        if n.status not in ("held", "dropped")
    }


def published(rows: list[tuple[int, str, str, bytes]]) -> set[str]:
    from console.domain import events as ev

    out: set[str] = set()
    for _, t, _, body in rows:
        if t == "npub":
            e = ev.decode(body)
            out.update(e.reqs)  # type: ignore[attr-defined]
    return out


class Subscriber:
    """Counts every request id the broker delivers on the request topic (persistent session)."""

    def __init__(self, host: str, port: int, topic: str) -> None:
        import paho.mqtt.client as mqtt

        from console.domain.codec import decode_notify

        self.copies: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        self._c = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=f"fault-count-{uuid.uuid4().hex[:8]}",
            clean_session=False,
        )
        subscribed = threading.Event()

        def on_message(_c: Any, _u: Any, m: Any) -> None:
            r = decode_notify(bytes(m.payload))
            with self.changed:
                self.copies[getattr(r, "req", "?")] += 1
                self.changed.notify_all()

        self._c.on_message = on_message
        self._c.on_connect = lambda c, *_: c.subscribe(topic, qos=1)
        self._c.on_subscribe = lambda *_: subscribed.set()
        self._c.max_inflight_messages_set(1000)
        self._c.connect(host, port, keepalive=30)
        self._c.loop_start()
        if not subscribed.wait(10):
            raise RuntimeError("no SUBACK for the request topic")

    def wait_for(self, reqs: set[str], timeout: float) -> bool:
        """Until every request of ``reqs`` has arrived at least once."""
        with self.changed:
            return self.changed.wait_for(lambda: reqs <= set(self.copies), timeout)

    def snapshot(self) -> Counter[str]:
        with self.lock:
            return Counter(self.copies)

    def close(self) -> None:
        self._c.disconnect()
        self._c.loop_stop()


@dataclass
class Console:
    broker: Any
    db: Path
    data: Path
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    out: Any = None
    starts: int = 0

    def start(self) -> None:
        from tests.fixtures.brokers import Lines

        args = [sys.executable, "-m", "console", "headless", "--db", f"sqlite:///{self.db}"]
        args += ["--district", DISTRICT, "--console-id", "fault1", "--status-every", "0.2"]
        args += ["--broker-host", self.broker.host, "--broker-port", str(self.broker.port)]
        args += ["--sim-households", str(HOUSEHOLDS)]
        env = dict(os.environ, GUARDIAN_DATA_DIR=str(self.data))
        self.proc = subprocess.Popen(
            args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env
        )
        self.out = Lines(self.proc.stdout, copy_to=self.log)
        self.starts += 1
        self.wait(lambda: self.status().get("bus") == "connected", "console connected", 60)

    def status(self) -> dict[str, Any]:
        lines = [ln for ln in list(self.out.lines) if ln.startswith("{")]
        return json.loads(lines[-1]) if lines else {}

    def wait(self, predicate: Any, what: str, timeout: float) -> Any:
        from tests.fixtures.brokers import wait_until

        def check() -> Any:
            assert self.proc is not None
            if self.proc.poll() is not None and self.out.ended:
                raise AssertionError(f"console exited ({self.proc.returncode}):\n{self.out.text()[-3000:]}")
            return predicate()

        return wait_until(check, timeout, what, on=self.out.changes)

    def kill9(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(20)
        self.out.join(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
            self.out.join(10)


@dataclass
class Figures:
    alarms: int
    kills: list[dict[str, int]] = field(default_factory=list)


def storm(register: Any, n: int, tag: str) -> list[tuple[str, bytes]]:
    """``n`` smoke alarms spread over the district's smoke detectors (several per home)."""
    from console.domain.codec import device_topic
    from console.sim.traffic import payload

    devs = [(h.township, d.id) for h in register.households.values() for d in h.devices if d.kind == "smoke"]
    out = []
    now = time.time_ns()
    for i in range(n):
        tw, dev = devs[i % len(devs)]
        out.append(
            (device_topic(DISTRICT, tw, dev), payload(dev, "smoke", "alarm", now + i * 1000, f"{tag}-{i}"))
        )
    return out


def run(broker: Any, work: Path, alarms: int, kills: int, seed: int) -> dict[str, Any]:
    from console.domain.codec import notify_req_topic
    from console.sim.district import generate
    from tests.fixtures.brokers import publish_paho

    rng = random.Random(seed)
    register = generate(seed=7, households=HOUSEHOLDS)
    db = work / "journal.sqlite"
    console = Console(broker, db, work / "data", work / "console.log")
    (work / "data").mkdir(exist_ok=True)
    sub = Subscriber(broker.host, broker.port, notify_req_topic(DISTRICT))
    messages = storm(register, alarms, f"f{seed}")
    expected_keys = {f"{json.loads(body)['dev']}/{json.loads(body)['id']}" for _, body in messages}
    in_flight: set[str] = set()  # requested but not yet published at some kill
    kill_log: list[dict[str, int]] = []
    try:
        console.start()
        pub = threading.Thread(target=publish_paho, args=(broker, messages), kwargs={"timeout": 600})
        pub.start()
        # kill moments: random, each after the journal grew again since the last kill (the
        # broker holds what the storm's publisher already sent; a kill right after a restart
        # would only test the start)
        step = alarms // (kills + 1)
        marks = [rng.randint(k * step + step // 2, (k + 1) * step) for k in range(kills)]
        for mark in marks:
            console.wait(
                lambda mark=mark: sum(1 for _, t, _, _ in journal_rows(db) if t == "dev") >= mark,
                f"{mark} alarms journaled",
                300,
            )
            console.kill9()
            rows = journal_rows(db)
            w = fold(register, rows)
            at_kill_asked, at_kill_pub = asked_for(w), published(rows)
            in_flight |= at_kill_asked - at_kill_pub
            kill_log.append(
                {
                    "journaled_alarms": sum(1 for _, t, _, _ in rows if t == "dev"),
                    "asked": len(at_kill_asked),
                    "published": len(at_kill_pub),
                    "unacked": len(at_kill_asked - at_kill_pub),
                }
            )
            console.start()
        pub.join(600)
        if pub.is_alive():
            raise AssertionError("the storm's publisher did not finish")

        def settled() -> bool:
            rows = journal_rows(db)
            keys = {k for _, t, k, _ in rows if t == "dev"}
            return expected_keys <= keys and asked_for(fold(register, rows)) <= published(rows)

        console.wait(settled, "every alarm journaled and every request published", 600)
        console.stop()
        rows = journal_rows(db)
        keys = [k for _, t, k, _ in rows if t == "dev"]
        final = fold(register, rows)
        asked, pubd = asked_for(final), published(rows)
        # the subscriber may still be receiving the last copies: wait until it has every published one
        sub.wait_for(pubd, 60)
        got = sub.snapshot()
        copies = {r for r, c in got.items() if c > 1}
        return {
            "alarms": alarms,
            "kills": len(kill_log),
            "kill_moments": kill_log,
            "alarms_journaled": len(set(keys)),
            "alarms_lost": len(expected_keys - set(keys)),
            "alarm_duplicates": len(keys) - len(set(keys)),
            "incidents": len(final.incidents),
            "requests_asked": len(asked),
            "requests_published": len(pubd),
            "requests_received": len(got),
            "requests_missing": len(asked - set(got)),
            "published_not_received": len(pubd - set(got)),
            "request_copies": len(copies),
            "copies_unexplained": len(copies - in_flight),
            "console_starts": console.starts,
        }
    finally:
        console.stop()
        sub.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.e2e.fault_storm", description=__doc__.splitlines()[0])
    p.add_argument("--alarms", type=int, default=10_000)
    p.add_argument("--kills", type=int, default=5)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    from tests.fixtures.brokers import MosquittoBroker, mosquitto_binary

    binary = mosquitto_binary()
    if binary is None:
        print("mosquitto is not installed (apt-get install mosquitto)", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="guardian-fault-"))
    broker = MosquittoBroker(binary, work / "mosquitto")
    broker.start()
    try:
        figures = run(broker, work, args.alarms, args.kills, args.seed)
    finally:
        broker.stop()
    print(json.dumps(figures))
    bad = figures["alarms_lost"] + figures["alarm_duplicates"] + figures["requests_missing"]
    bad += figures["published_not_received"] + figures["copies_unexplained"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
