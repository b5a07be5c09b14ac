"""The shipped Mosquitto config: the settings a district needs, and that they hold under load."""

from __future__ import annotations

import queue
import threading
from pathlib import Path
from typing import Any

from console.io.bus import BusClient
from console.io.mqtt_config import conf_settings, loopback_conf, shipped_conf_path
from tests.fixtures.brokers import Recorder, bus_config, publish_paho, wait_until


def shipped() -> dict[str, list[str]]:
    return conf_settings(shipped_conf_path().read_text(encoding="utf-8"))


def test_shipped_config_has_district_settings() -> None:
    s = shipped()
    assert s["per_listener_settings"] == ["true"]
    assert s["persistence"] == ["true"]
    assert s["persistence_location"]
    assert int(s["max_queued_messages"][0]) >= 100_000
    assert s["max_queued_bytes"] == ["0"]
    assert int(s["max_inflight_messages"][0]) >= 500
    assert s["allow_anonymous"] == ["false"]
    assert s["password_file"] and s["acl_file"]
    assert s["listener"] == ["8883"] and s["certfile"] and s["keyfile"] and s["cafile"]


def test_loopback_variant_keeps_globals_and_swaps_listener(tmp_path: Path) -> None:
    text = loopback_conf(shipped_conf_path().read_text(encoding="utf-8"), 18830, tmp_path, tmp_path / "log")
    s, orig = conf_settings(text), shipped()
    for key in (
        "max_queued_messages",
        "max_inflight_messages",
        "max_queued_bytes",
        "persistence",
        "autosave_interval",
    ):
        assert s[key] == orig[key]
    assert s["listener"] == ["18830 127.0.0.1"]
    assert s["allow_anonymous"] == ["true"]
    assert s["persistence_location"] == [f"{tmp_path}/"]
    assert "certfile" not in s and "password_file" not in s


def test_offline_console_gets_more_than_stock_1000_queued(mosquitto: Any, unique_topic_prefix: str) -> None:
    """Stock Mosquitto keeps 1000 queued messages per session and silently drops the rest."""
    d = unique_topic_prefix
    cfg = bus_config(mosquitto, d, receipts=False)
    first = BusClient(cfg, Recorder().on_batch, Recorder().on_status)
    first.start()
    wait_until(lambda: first.state == "connected", what="session created", on=first.changes)
    first.stop()
    n = 3000
    publish_paho(mosquitto, [(f"guard/v1/evt/{d}/tw1/dev{i % 50}", b"q%d" % i) for i in range(n)])
    rec = Recorder()
    second = BusClient(cfg, rec.on_batch, rec.on_status)
    second.start()
    try:
        rec.wait_for(lambda: rec.count() >= n, timeout=30, what=f"{n} queued messages")
        assert len(set(rec.payloads())) == n
    finally:
        second.stop()


def test_burst_of_20000_arrives_complete_with_ack_after_journal(
    mosquitto: Any, unique_topic_prefix: str
) -> None:
    """A consumer in another thread 'journals' each batch, then calls done() — as the engine does."""
    d = unique_topic_prefix
    batches: queue.Queue[tuple[list[Any], Any] | None] = queue.Queue()
    journaled: list[bytes] = []

    def engine() -> None:
        while (item := batches.get()) is not None:
            batch, done = item
            journaled.extend(m.payload for m in batch)
            done()

    worker = threading.Thread(target=engine, name="fake-engine")
    worker.start()
    rec = Recorder()
    client = BusClient(
        bus_config(mosquitto, d, receipts=False), lambda b, done: batches.put((b, done)), rec.on_status
    )
    client.start()
    try:
        wait_until(lambda: client.state == "connected", what="connected", on=client.changes)
        n = 20_000
        publish_paho(mosquitto, [(f"guard/v1/evt/{d}/tw{i % 7}/dev{i % 997}", b"b%d" % i) for i in range(n)])
        wait_until(lambda: client.stats()["acked"] == n, timeout=60, what=f"{n} acks", on=client.changes)
        stats = client.stats()
        assert stats["received"] == n and stats["in_flight"] == 0
        assert len(journaled) == n and len(set(journaled)) == n
    finally:
        client.stop()
        batches.put(None)
        worker.join(10)
