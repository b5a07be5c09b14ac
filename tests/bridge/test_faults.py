"""Nothing lost at the bridge: killed with SIGKILL between the platform's 200 and the broker's
PUBACK, and the broker down while pushes continue. Real parts: ``python -m console bridge`` as a
child (its own process, as deployed), a real Mosquitto (stopped and started on its port, its
persistence kept), a store holding the register, a real HTTP client."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.bridge.bridge_support import (
    IMEI,
    PersistentEvents,
    Running,
    body_with,
    bridge_config,
    store_with_device,
)
from tests.bridge.platform_bodies import doc
from tests.fixtures.brokers import Lines, wait_until
from tests.gateway.gw_support import Loop

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def push(n: int, status: int = 1) -> bytes:
    """The n-th report of the registered detector (a distinct upPacketSN and time each)."""
    return body_with(
        doc("ctwing", "data_report_service_data"),
        upPacketSN=1000 + n,
        timestamp=1764576000000 + n * 1000,
        payload__serviceData__Alarm_Status=status,
    )


def write_config(path: Path, broker: Any, district: str, db: Path) -> None:
    path.write_text(
        f"""
[broker]
host = "{broker.host}"
port = {broker.port}
district = "{district}"
client_id = "bridge-kill-{district}"

[bridge]
id = "b-kill"
data_dir = "data"
db_url = "sqlite:///{db}"
status_every_s = 1

[server]
host = "127.0.0.1"
port = 0

[[platforms]]
kind = "ctwing"
""",
        encoding="utf-8",
    )


class Child:
    def __init__(self, config: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "console", "bridge", "--config", str(config)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.out = Lines(self.proc.stdout)
        found = wait_until(
            lambda: (
                self.out.ended
                or next(
                    (m for ln in self.out.lines if (m := re.search(r"listening on port (\d+)", ln))), None
                )
            ),
            30,
            "the bridge to listen",
            on=self.out.changes,
        )
        assert not self.out.ended and not isinstance(found, bool), self.out.text()
        self.port = int(found.group(1))

    def post_all(self, loop: Loop, bodies: list[bytes]) -> list[int]:
        async def go() -> list[int]:
            async with aiohttp.ClientSession() as s:
                out = []
                for b in bodies:  # one after the other: the order is the platform's
                    async with s.post(f"http://127.0.0.1:{self.port}/push/ctwing", data=b) as r:
                        out.append(r.status)
                return out

        return loop.run(go())

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self.out.join(10)

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            assert self.proc.wait(20) == 0
        self.out.join(10)
        return self.out.text()


def test_sigkill_between_the_200_and_the_puback_publishes_each_push_once_after_the_restart(
    loop: Loop, mosquitto: Any, unique_topic_prefix: str, tmp_path: Path
) -> None:
    district = unique_topic_prefix
    db = store_with_device(tmp_path / "journal.sqlite", district=district)
    config = tmp_path / "bridge.toml"
    write_config(config, mosquitto, district, db)
    events = PersistentEvents(mosquitto, district)
    child: Child | None = None
    try:
        # the broker is down: every push is answered 200 (stored) and none can be acknowledged
        mosquitto.stop()
        child = Child(config)
        assert child.post_all(loop, [push(i) for i in range(5)]) == [200] * 5
        child.kill()  # after the 200s, before any PUBACK
        child = None
        mosquitto.start()
        child = Child(config)  # the restarted bridge publishes what it had stored
        got = events.wait_distinct(5)
        assert [e["ts"] for e in got] == sorted(e["ts"] for e in got)  # in the platform's order
        assert len({e["id"] for e in got}) == 5 and all(e["dev"] == IMEI and e["evt"] == "alarm" for e in got)
        # a platform retry of the same five after the restart: stored already, nothing more
        assert child.post_all(loop, [push(i) for i in range(5)]) == [200] * 5
        assert child.post_all(loop, [push(99, status=12)]) == [200]  # a marker
        got = events.wait_distinct(6)
        assert len(got) == 6 and got[-1]["evt"] == "heartbeat"
        text = child.stop()
        child = None
        assert "Traceback" not in text and "not in the register" not in text
    finally:
        if child is not None:
            child.kill()
        events.close()


def test_broker_down_while_pushes_continue_then_all_arrive_in_order(
    loop: Loop, mosquitto: Any, unique_topic_prefix: str, tmp_path: Path
) -> None:
    district = unique_topic_prefix
    events = PersistentEvents(mosquitto, district)
    r = Running(loop, bridge_config(mosquitto, district), tmp_path / "bridge")
    try:
        assert r.post("ctwing", push(0))[0] == 200
        events.wait_count(1)
        mosquitto.stop()
        statuses = [r.post("ctwing", push(i))[0] for i in range(1, 301)]
        assert statuses == [200] * 300  # taken while the broker is away
        assert r.bridge.depth == 300 and r.bridge.health()["broker"] == "disconnected"
        mosquitto.start()
        got = events.wait_distinct(301, timeout=60)
        assert [e["ts"] for e in got] == sorted(e["ts"] for e in got)
        assert len(got) == 301
        wait_until(lambda: r.bridge.depth == 0, 20, "the outbox to drain", on=r.bridge.changes)
        assert r.bridge.counters["published"] == 301  # each one published once
    finally:
        r.stop()
        events.close()


def test_past_the_memory_bound_the_drainer_reads_the_outbox_and_nothing_is_lost(
    loop: Loop, mosquitto: Any, unique_topic_prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from console.bridge import drain

    monkeypatch.setattr(drain, "MEM_MAX", 40)  # a broker down long enough to fill memory
    district = unique_topic_prefix
    events = PersistentEvents(mosquitto, district)
    r = Running(loop, bridge_config(mosquitto, district, window=16), tmp_path / "bridge")
    try:
        assert [r.post("ctwing", push(i))[0] for i in range(20)] == [200] * 20  # memory hand-over
        events.wait_count(20)
        assert r.bridge.outbox_reads == 0
        mosquitto.stop()
        assert [r.post("ctwing", push(i))[0] for i in range(20, 220)] == [200] * 200  # past the bound
        mosquitto.start()
        got = events.wait_distinct(220, timeout=60)
        assert [e["ts"] for e in got] == sorted(e["ts"] for e in got)
        assert len(got) == 220
        wait_until(lambda: r.bridge.depth == 0, 20, "the outbox to drain", on=r.bridge.changes)
        assert r.bridge.outbox_reads > 0  # it did read the outbox past the bound
        assert r.bridge.counters["published"] == 220
        # and back to the memory hand-over once caught up
        assert r.post("ctwing", push(999))[0] == 200
        assert len(events.wait_distinct(221)) == 221
    finally:
        r.stop()
        events.close()


def test_a_full_disk_answers_503_loudly_and_the_retry_is_taken_once_there_is_room(
    loop: Loop, mosquitto: Any, unique_topic_prefix: str, tmpfs: Path
) -> None:
    """The outbox on a real tmpfs filled to the last byte: the push is answered 503 (CTWing
    retries it), counted and logged; nothing of it is kept (its alarm state neither); once there
    is room the platform's retry is stored and published, once."""
    from tests.fixtures.disks import fill

    district = unique_topic_prefix
    events = PersistentEvents(mosquitto, district)
    r = Running(loop, bridge_config(mosquitto, district), tmpfs / "bridge")
    try:
        assert r.post("ctwing", push(0, status=12))[0] == 200
        events.wait_count(1)
        filler = fill(tmpfs)
        alarm = push(1, status=1)
        statuses = [r.post("ctwing", alarm)[0] for _ in range(3)]
        assert statuses == [503] * 3 and r.bridge.counters["store_errors"] == 3
        assert not r.bridge._in_alarm(IMEI, "smoke")  # the alarm's state went with its store
        filler.unlink()
        assert r.post("ctwing", alarm)[0] == 200  # the platform's retry
        got = events.wait_count(2)
        assert [e["evt"] for e in got] == ["heartbeat", "alarm"] and r.bridge._in_alarm(IMEI, "smoke")
        assert r.post("ctwing", alarm)[0] == 200  # and its copy: taken, not published again
        assert r.post("ctwing", push(2, status=12))[0] == 200
        assert [e["evt"] for e in events.wait_count(3)] == ["heartbeat", "alarm", "heartbeat"]
    finally:
        r.stop()
        events.close()
