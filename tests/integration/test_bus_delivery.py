"""BusClient against real brokers: delivery, scope, ack after done(), redelivery, backpressure."""

from __future__ import annotations

from typing import Any

import pytest

from console.app.clock import FakeClock
from console.io.bus import BusClient
from tests.fixtures.brokers import Recorder, Watcher, bus_config, publish_paho, wait_until


def evt(district: str, township: str, dev: str) -> str:
    return f"guard/v1/evt/{district}/{township}/{dev}"


def connected(client: BusClient) -> bool:
    return client.state == "connected"


def test_district_console_gets_every_township_in_batches(any_broker: Any, unique_topic_prefix: str) -> None:
    d = unique_topic_prefix
    rec, clock = Recorder(), FakeClock()
    client = BusClient(bus_config(any_broker, d), rec.on_batch, rec.on_status, clock=clock)
    client.start()
    try:
        wait_until(lambda: connected(client), what="connected", on=client.changes)
        sent = [(evt(d, f"tw{i % 3}", f"dev{i}"), f'{{"n":{i}}}'.encode()) for i in range(60)]
        publish_paho(any_broker, sent)
        publish_paho(any_broker, [(evt("otherdistrict", "tw0", "dev0"), b"{}")])
        rec.wait_for(lambda: rec.count() >= 60, what="60 messages")
        got = sorted((m.topic, m.payload) for m in rec.messages)
        assert got == sorted(sent)
        assert {m.qos for m in rec.messages} == {1}
        assert client.stats()["state_since_ns"] == clock.now_ns()  # the injected clock stamps state
        wait_until(lambda: client.stats()["acked"] == 60, what="60 acks", on=client.changes)
        assert client.stats()["in_flight"] == 0
    finally:
        client.stop()


def test_township_console_sees_only_its_township_and_receipts(
    any_broker: Any, unique_topic_prefix: str
) -> None:
    d = unique_topic_prefix
    rec = Recorder()
    client = BusClient(bus_config(any_broker, d, township="tw1"), rec.on_batch, rec.on_status)
    client.start()
    try:
        wait_until(lambda: connected(client), what="connected", on=client.changes)
        publish_paho(
            any_broker,
            [
                (evt(d, "tw2", "devA"), b"other township"),
                (evt(d, "tw1", "devB"), b"mine"),
                (f"guard/v1/notify/{d}/receipt", b"receipt"),
                (f"guard/v1/notify/{d}/req", b"request"),
            ],
        )
        # Published in order by one client: once the receipt is here, devA would have been too.
        rec.wait_for(lambda: b"receipt" in rec.payloads(), what="receipt")
        assert sorted(rec.payloads()) == [b"mine", b"receipt"]
    finally:
        client.stop()


@pytest.mark.parametrize("protocol", ["v311", "v5"])
def test_unacked_batch_is_redelivered_to_a_new_client(
    mosquitto: Any, unique_topic_prefix: str, protocol: str
) -> None:
    """Nothing is acked before done(): a console that dies mid-batch gets the batch again."""
    d = unique_topic_prefix
    cfg = bus_config(mosquitto, d, protocol=protocol)
    held = Recorder(auto_done=False)
    first = BusClient(cfg, held.on_batch, held.on_status)
    first.start()
    wait_until(lambda: connected(first), what="connected", on=first.changes)
    sent = [(evt(d, "tw1", f"dev{i}"), f"m{i}".encode()) for i in range(20)]
    publish_paho(mosquitto, sent)
    held.wait_for(lambda: held.count() == 20, what="20 held messages")
    assert first.stats()["acked"] == 0
    assert first.stats()["in_flight"] == 20
    first.abort()
    held.release()  # too late: the connection is gone, these acks must not be sent anywhere

    again = Recorder()
    second = BusClient(cfg, again.on_batch, again.on_status)
    second.start()
    try:
        again.wait_for(lambda: again.count() >= 20, what="redelivery")
        assert sorted(again.payloads()) == sorted(p for _, p in sent)
    finally:
        second.stop()


def test_acked_batch_is_not_redelivered(mosquitto: Any, unique_topic_prefix: str) -> None:
    d = unique_topic_prefix
    cfg = bus_config(mosquitto, d)
    rec = Recorder()
    first = BusClient(cfg, rec.on_batch, rec.on_status)
    first.start()
    wait_until(lambda: connected(first), what="connected", on=first.changes)
    publish_paho(mosquitto, [(evt(d, "tw1", f"dev{i}"), f"m{i}".encode()) for i in range(10)])
    wait_until(lambda: first.stats()["acked"] == 10, what="10 acks", on=first.changes)
    # "acked" means handed to paho; a PUBACK still in the socket buffer when the connection
    # dies is legitimately redelivered (at least once). A QoS 1 round trip on an unsubscribed
    # topic proves the broker has read everything sent before it (TCP keeps order).
    first.publish(f"guard/v1/sync/{d}", b"sync", qos=1)
    wait_until(lambda: first.stats()["published"] >= 1, what="sync round trip", on=first.changes)
    first.abort()

    again = Recorder()
    second = BusClient(cfg, again.on_batch, again.on_status)
    second.start()
    try:
        wait_until(lambda: connected(second), what="reconnected", on=second.changes)
        publish_paho(mosquitto, [(evt(d, "tw1", "marker"), b"marker")])
        again.wait_for(lambda: b"marker" in again.payloads(), what="marker")
        assert again.payloads() == [b"marker"]
    finally:
        second.stop()


def test_backpressure_stops_reading_until_done(mosquitto: Any, unique_topic_prefix: str) -> None:
    d = unique_topic_prefix
    rec = Recorder(auto_done=False)
    client = BusClient(
        bus_config(mosquitto, d, max_batch=5, max_unacked=10, receipts=False), rec.on_batch, rec.on_status
    )
    client.start()
    try:
        wait_until(lambda: connected(client), what="connected", on=client.changes)
        publish_paho(mosquitto, [(evt(d, "tw1", f"dev{i}"), f"m{i}".encode()) for i in range(30)])
        wait_until(lambda: client.stats()["in_flight"] >= 10, what="10 in flight", on=client.changes)
        # Prove the bus loop is alive (a round trip through it) while it reads nothing more.
        watcher = Watcher(mosquitto, f"probe/{d}")
        try:
            client.publish(f"probe/{d}", b"ping", qos=1)
            watcher.wait_for(lambda p: p == b"ping", what="probe")
        finally:
            watcher.close()
        assert rec.count() == 10
        assert client.stats()["acked"] == 0
        # Each release frees room for the next batches; keep releasing until all 30 came.
        wait_until(
            lambda: rec.release() >= 0 and rec.count() == 30, what="all 30 after releases", on=client.changes
        )
        rec.release()
        assert max(len(b) for b in rec.batches) <= 5
        wait_until(lambda: client.stats()["acked"] == 30, what="30 acks", on=client.changes)
        assert sorted(rec.payloads()) == sorted(f"m{i}".encode() for i in range(30))
    finally:
        client.stop()


def test_on_batch_error_is_counted_not_fatal(any_broker: Any, unique_topic_prefix: str) -> None:
    d = unique_topic_prefix
    seen: list[bytes] = []

    def on_batch(batch: list[Any], done: Any) -> None:
        seen.extend(m.payload for m in batch)
        if any(m.payload == b"boom" for m in batch):
            raise ValueError("consumer bug")
        done()

    rec = Recorder()
    client = BusClient(bus_config(any_broker, d), on_batch, rec.on_status)
    client.start()
    try:
        wait_until(lambda: connected(client), what="connected", on=client.changes)
        publish_paho(any_broker, [(evt(d, "tw1", "dev1"), b"boom")])
        wait_until(lambda: client.stats()["callback_errors"] == 1, what="error counted", on=client.changes)
        publish_paho(any_broker, [(evt(d, "tw1", "dev2"), b"after")])
        wait_until(lambda: b"after" in seen, what="later message", on=client.changes)
        assert client.state == "connected"
    finally:
        client.stop()


def test_a_backlog_is_read_in_large_pieces_and_every_message_arrives(
    mosquitto: Any, unique_topic_prefix: str
) -> None:
    """paho reads a packet in pieces, one socket read each; the bus reads 64 KB at a time and
    hands paho the pieces from that (bus_config.ReadBuffer): a queued backlog comes through in
    a few reads, each message once, whole, in order, and the event loop still gets its turns
    (buffered bytes wait for the loop's next turn), so no keepalive drop meanwhile."""
    d = unique_topic_prefix
    rec = Recorder()
    first = BusClient(bus_config(mosquitto, d, console_id="rb"), rec.on_batch, rec.on_status)
    first.start()
    wait_until(lambda: connected(first), what="connected", on=first.changes)
    first.stop()  # the persistent session stays; the backlog queues at the broker
    n = 20_000  # ~4 MB: past Mosquitto's window, read while the broker keeps sending
    sent = [(evt(d, "tw0", f"dev{i}"), b'{"n":%d,"pad":"%s"}' % (i, b"x" * (i % 300))) for i in range(n)]
    publish_paho(mosquitto, sent)
    rec = Recorder()
    client = BusClient(bus_config(mosquitto, d, console_id="rb"), rec.on_batch, rec.on_status)
    client.start()
    try:
        rec.wait_for(lambda: rec.count() >= n, what=f"{n} messages", timeout=60)
        assert [(m.topic, m.payload) for m in rec.messages] == sent  # whole, once, in order
        wait_until(lambda: client.stats()["acked"] == n, what=f"{n} acks", on=client.changes)
        st = client.stats()
        assert 0 < st["socket_reads"] < n // 10, st["socket_reads"]
        # the loop kept its turns for pings and acks: never dropped for silence meanwhile
        assert (st["connects"], st["reconnects"]) == (1, 0), st
    finally:
        client.stop()
