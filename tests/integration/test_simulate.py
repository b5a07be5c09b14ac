"""``python -m console simulate`` and ``drill`` as separate processes against a real Mosquitto."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from console.domain.codec import Rejected, decode_device
from console.domain.events import DeviceEvent
from tests.fixtures.brokers import Lines, Watcher, free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]


def console(*args: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "console", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def summary_of(stdout: str) -> dict[str, Any]:
    line = next(line for line in stdout.splitlines() if line.startswith("summary: "))
    result: dict[str, Any] = json.loads(line[len("summary: ") :])
    return result


class TopicWatcher(Watcher):
    """Watcher that keeps topics too (the codec needs them)."""

    def __init__(self, broker: Any, topic: str) -> None:
        self.messages: list[tuple[str, bytes]] = []
        super().__init__(broker, topic)
        self._client.on_message = self._keep

    def _keep(self, _c: Any, _u: Any, msg: Any) -> None:
        self.messages.append((msg.topic, bytes(msg.payload)))
        self.changes.bump()


def test_simulate_count_publishes_exactly_n_with_labelled_mix(
    mosquitto: Any, unique_topic_prefix: str
) -> None:
    district = unique_topic_prefix
    watcher = TopicWatcher(mosquitto, f"guard/v1/evt/{district}/#")
    try:
        n = 400
        proc = console(
            "simulate",
            "--host", mosquitto.host, "--port", str(mosquitto.port), "--district", district,
            "--households", "300", "--seed", "3", "--count", str(n), "--burst",
            "--heartbeats-per-s", "200", "--rate", "120", "--storm", "50", "--storm-window", "0.5",
            "--bad-ratio", "0.05", "--dup-ratio", "0.05", "--quiet",
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        summary = summary_of(proc.stdout)
        assert summary["published"] == n and summary["acked"] == n
        wait_until(
            lambda: len(watcher.messages) >= n, 30, f"{n} messages at the subscriber", on=watcher.changes
        )
        assert len(watcher.messages) == n
        decoded = [decode_device(topic, payload, 0) for topic, payload in watcher.messages]
        rejected = [d for d in decoded if isinstance(d, Rejected)]
        events = [d for d in decoded if isinstance(d, DeviceEvent)]
        assert len(rejected) == summary["by_label"].get("bad", 0) > 0
        assert {e.district for e in events} == {district}
        assert summary["by_label"]["storm"] == 50
        assert sum(1 for e in events if e.evt == "alarm") >= 50
        assert summary["by_label"].get("dup", 0) > 0
    finally:
        watcher.close()


def test_simulate_paced_uses_real_time_stamps(mosquitto: Any, unique_topic_prefix: str) -> None:
    district = unique_topic_prefix
    watcher = TopicWatcher(mosquitto, f"guard/v1/evt/{district}/#")
    try:
        before = time.time_ns()
        proc = console(
            "simulate",
            "--host", mosquitto.host, "--port", str(mosquitto.port), "--district", district,
            "--households", "200", "--count", "60", "--heartbeats-per-s", "300",
        )  # fmt: skip
        after = time.time_ns()
        assert proc.returncode == 0, proc.stderr
        wait_until(lambda: len(watcher.messages) >= 60, 30, "60 messages", on=watcher.changes)
        stamps = [decode_device(t, p, 0) for t, p in watcher.messages]
        assert all(isinstance(e, DeviceEvent) for e in stamps)
        # paced by the real clock: device time lies within the run (ms precision)
        assert all(before - 10**6 <= e.ts <= after for e in stamps if isinstance(e, DeviceEvent))
    finally:
        watcher.close()


def test_simulate_says_clearly_when_the_broker_is_not_there() -> None:
    proc = console("simulate", "--port", str(free_port()), "--households", "50", "--count", "5", timeout=60)
    assert proc.returncode == 1
    assert "cannot reach the broker" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_simulate_stops_cleanly_on_ctrl_c(mosquitto: Any, unique_topic_prefix: str) -> None:
    watcher = TopicWatcher(mosquitto, f"guard/v1/evt/{unique_topic_prefix}/#")
    # fmt: off
    argv = [
        sys.executable, "-m", "console", "simulate", "--host", mosquitto.host,
        "--port", str(mosquitto.port), "--district", unique_topic_prefix,
        "--households", "100", "--heartbeats-per-s", "50", "--duration", "600",
    ]
    # fmt: on
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(
        argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as proc:
        out = Lines(proc.stdout)
        try:
            wait_until(
                lambda: any(line.startswith("[") for line in out.lines), 30, "a progress line", on=out.changes
            )
            wait_until(lambda: len(watcher.messages) > 0, 10, "traffic", on=watcher.changes)
            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=30) == 0
            out.join(timeout=10)
            summary = summary_of(out.text())
            assert summary["interrupted"] is True and summary["published"] == summary["acked"] > 0
            assert "Traceback" not in (proc.stderr.read() if proc.stderr else "")
        finally:
            if proc.poll() is None:
                proc.kill()
            watcher.close()


def test_drill_publishes_the_hidden_fire_storm(mosquitto: Any, unique_topic_prefix: str) -> None:
    watcher = TopicWatcher(mosquitto, f"guard/v1/evt/{unique_topic_prefix}/#")
    try:
        proc = console(
            "drill", "alarm_storm_hidden_fire", "--host", mosquitto.host, "--port", str(mosquitto.port),
            "--district", unique_topic_prefix, "--speed", "2000", "--quiet",
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        assert "published 402, acknowledged 402" in proc.stdout
        wait_until(lambda: len(watcher.messages) >= 402, 30, "402 drill messages", on=watcher.changes)
        events = [decode_device(t, p, 0) for t, p in watcher.messages]
        assert all(isinstance(e, DeviceEvent) for e in events)
        ids = {(e.dev, e.id) for e in events if isinstance(e, DeviceEvent)}
        assert len(ids) == 402
        # a second run gets fresh ids, so a console does not take it for duplicates
        again = console(
            "drill", "kitchen_smoke_false_alarm", "--host", mosquitto.host, "--port", str(mosquitto.port),
            "--district", unique_topic_prefix, "--speed", "1000", "--quiet",
        )  # fmt: skip
        assert again.returncode == 0, again.stderr
        wait_until(lambda: len(watcher.messages) >= 404, 30, "the second drill", on=watcher.changes)
    finally:
        watcher.close()


def test_drill_rejects_a_broken_scenario_file(tmp_path: Path) -> None:
    p = tmp_path / "broken.jsonl"
    p.write_text(
        '{"scenario": "b", "title_zh": "坏", "title_en": "bad"}\n{"after_s": "soon"}\n', encoding="utf-8"
    )
    proc = console("drill", str(p), "--port", str(free_port()), timeout=60)
    assert proc.returncode == 2
    assert "broken.jsonl:2" in proc.stderr and "Traceback" not in proc.stderr
