"""BusClient across broker outages: status, backoff, queued publishes, presence and last will."""

from __future__ import annotations

import json
from typing import Any

from console.io.bus import BusClient
from tests.fixtures.brokers import Recorder, Watcher, bus_config, publish_paho, wait_until


def evt(district: str, township: str, dev: str) -> str:
    return f"guard/v1/evt/{district}/{township}/{dev}"


def state_is(payload: bytes, state: str) -> bool:
    try:
        return bool(json.loads(payload)["state"] == state)
    except (ValueError, KeyError, TypeError):
        return False


def test_status_reconnecting_blind_connected(any_broker: Any, unique_topic_prefix: str) -> None:
    rec = Recorder()
    client = BusClient(
        bus_config(any_broker, unique_topic_prefix, blind_after_s=0.3), rec.on_batch, rec.on_status
    )
    client.start()
    try:
        rec.wait_for(lambda: rec.states()[-1:] == ["connected"], what="first connect")
        # A slow first connect (amqtt verifies an argon2 hash) may already pass through blind.
        first = rec.states()
        assert first in (["reconnecting", "connected"], ["reconnecting", "blind", "connected"])
        any_broker.stop()
        rec.wait_for(lambda: rec.states()[-1] == "blind", what="blind after 0.3 s")
        assert rec.states()[len(first) :] == ["reconnecting", "blind"]
        any_broker.start()
        rec.wait_for(lambda: rec.states()[-1] == "connected", what="reconnected")
        assert rec.states()[len(first) :] == ["reconnecting", "blind", "connected"]
        assert client.stats()["reconnects"] == 1
        # Each change reported once: no repeated "reconnecting" while retrying.
        assert all(a != b for a, b in zip(rec.states(), rec.states()[1:], strict=False))
    finally:
        client.stop()


def test_reconnect_after_broker_restart_delivers(any_broker: Any, unique_topic_prefix: str) -> None:
    d = unique_topic_prefix
    rec = Recorder()
    client = BusClient(bus_config(any_broker, d), rec.on_batch, rec.on_status)
    client.start()
    try:
        wait_until(lambda: client.state == "connected", what="connected", on=client.changes)
        any_broker.stop()
        any_broker.start()
        wait_until(
            lambda: client.stats()["reconnects"] == 1 and client.state == "connected",
            what="reconnected",
            on=client.changes,
        )
        publish_paho(any_broker, [(evt(d, "tw1", f"dev{i}"), f"after{i}".encode()) for i in range(5)])
        rec.wait_for(lambda: rec.count() == 5, what="5 messages after restart")
    finally:
        client.stop()


def test_queued_messages_survive_mosquitto_restart(mosquitto: Any, unique_topic_prefix: str) -> None:
    """Published while the console is away, broker restarted in between: all arrive (persistence)."""
    d = unique_topic_prefix
    cfg = bus_config(mosquitto, d)
    first = BusClient(cfg, Recorder().on_batch, Recorder().on_status)
    first.start()
    wait_until(lambda: first.state == "connected", what="session created", on=first.changes)
    first.stop()
    sent = [(evt(d, "tw1", f"dev{i}"), f"queued{i}".encode()) for i in range(50)]
    publish_paho(mosquitto, sent)
    mosquitto.stop()
    mosquitto.start()
    rec = Recorder()
    second = BusClient(cfg, rec.on_batch, rec.on_status)
    second.start()
    try:
        rec.wait_for(lambda: rec.count() >= 50, what="50 queued messages after restart")
        assert sorted(rec.payloads()) == sorted(p for _, p in sent)
    finally:
        second.stop()


def test_publish_while_disconnected_is_sent_after_reconnect(
    any_broker: Any, unique_topic_prefix: str
) -> None:
    d = unique_topic_prefix
    rec = Recorder()
    client = BusClient(bus_config(any_broker, d), rec.on_batch, rec.on_status)
    client.start()
    try:
        wait_until(lambda: client.state == "connected", what="connected", on=client.changes)
        any_broker.stop()
        wait_until(lambda: client.state != "connected", what="disconnected", on=client.changes)
        receipt = f"guard/v1/notify/{d}/receipt"  # the console hears its own receipts topic
        for i in range(3):
            client.publish(receipt, f"r{i}".encode())
        assert client.stats()["publish_queued"] == 3
        any_broker.start()
        rec.wait_for(lambda: rec.count() == 3, what="3 receipts after reconnect")
        assert rec.payloads() == [b"r0", b"r1", b"r2"]
        # the PUBACKs may land just after the broker forwarded the messages to us
        wait_until(
            lambda: client.stats()["published"] == 3, what="3 publish confirmations", on=client.changes
        )
        assert client.stats()["publish_queued"] == 0
    finally:
        client.stop()


def test_outbox_is_bounded_and_counted(mosquitto: Any, unique_topic_prefix: str) -> None:
    mosquitto.stop()
    rec = Recorder()
    client = BusClient(
        bus_config(mosquitto, unique_topic_prefix, outbox_limit=5), rec.on_batch, rec.on_status
    )
    client.start()
    try:
        for i in range(8):
            client.publish(f"guard/v1/notify/{unique_topic_prefix}/req", f"{i}".encode())
        stats = client.stats()
        assert (stats["publish_queued"], stats["publish_dropped"]) == (5, 3)
    finally:
        client.stop()


def test_presence_online_then_last_will_on_abort(any_broker: Any, unique_topic_prefix: str) -> None:
    cfg = bus_config(any_broker, unique_topic_prefix)
    watcher = Watcher(any_broker, cfg.presence_topic)
    client = BusClient(cfg, Recorder().on_batch, Recorder().on_status)
    try:
        client.start()
        watcher.wait_for(lambda p: state_is(p, "online"), what="online presence")
        client.abort()
        watcher.wait_for(lambda p: state_is(p, "offline"), what="last will")
        assert "ts" in json.loads(watcher.payloads[-1])
    finally:
        client.stop()
        watcher.close()
    # Retained: a newcomer learns the console is offline.
    late = Watcher(any_broker, cfg.presence_topic)
    try:
        late.wait_for(lambda p: state_is(p, "offline"), what="retained offline")
    finally:
        late.close()


def test_clean_stop_publishes_offline(any_broker: Any, unique_topic_prefix: str) -> None:
    cfg = bus_config(any_broker, unique_topic_prefix)
    client = BusClient(cfg, Recorder().on_batch, Recorder().on_status)
    client.start()
    wait_until(lambda: client.state == "connected", what="connected", on=client.changes)
    assert client.stop()
    late = Watcher(any_broker, cfg.presence_topic)
    try:
        late.wait_for(lambda p: state_is(p, "offline"), what="retained offline after stop")
    finally:
        late.close()
