"""Issue 16 through a real Mosquitto: T0 is the moment the bus client read the alarm, however long
the engine then kept it waiting (a storm with the engine stuck), and a notification request is
journaled as published only once the broker acknowledged it (a broker that is down when the
request is made: nothing is "out" until it comes back and takes it).

The console clock is a FakeClock moved by the test; the waits are on the engine's and the bus's
change counters."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest

from console.app.clock import FakeClock
from console.bootstrap import Core, build_core
from console.config import Settings
from console.domain import events as ev
from console.domain.codec import decode_notify, device_topic, notify_req_topic
from console.domain.deadlines import NS
from console.sim.district import generate
from console.sim.traffic import payload
from tests.fixtures.brokers import MosquittoBroker, publish_paho, wait_until
from tests.support import Msg


@pytest.fixture(scope="module")
def register() -> Any:
    return generate(seed=7, households=400)


def smoke_homes(register: Any) -> list[Any]:
    return [h for h in register.households.values() if any(d.kind == "smoke" for d in h.devices)]


def alarm(hh: Any, id_: str) -> tuple[str, bytes]:
    dev = next(d for d in hh.devices if d.kind == "smoke")
    return device_topic("SIM", hh.township, dev.id), payload(dev.id, "smoke", "alarm", time.time_ns(), id_)


@pytest.fixture
def core(mosquitto: MosquittoBroker, tmp_path: Path, register: Any) -> Iterator[Core]:
    s = Settings(
        broker_host=mosquitto.host,
        broker_port=mosquitto.port,
        district="SIM",
        console_id=f"t0-{uuid.uuid4().hex[:6]}",
        db_url=f"sqlite:///{tmp_path / 'journal.sqlite'}",
    )
    c = build_core(s, register=register, clock=FakeClock(time.time_ns()))
    wait_until(lambda: c.engine.status().bus == "connected", 20, "bus connected", on=c.engine.changes)
    yield c
    c.stop()


def q(core: Core, fn: Any) -> Any:
    return core.engine.query(fn).result(10)


def test_t0_is_the_bus_receipt_under_a_storm_with_the_engine_stuck(
    core: Core, mosquitto: Any, register: Any
) -> None:
    clock = core.engine.clock
    assert isinstance(clock, FakeClock)
    gate, inside = threading.Event(), threading.Event()

    def stuck(_w: Any) -> bool:
        inside.set()
        return gate.wait(60)

    blocked = core.engine.query(stuck)
    assert inside.wait(10)
    homes = smoke_homes(register)[:200]
    arrived: dict[str, int] = {}  # household -> the console clock while its alarm was being read
    for chunk in range(10):  # 200 alarms in 10 waves, 20 s of console time apart
        wave = homes[chunk * 20 : (chunk + 1) * 20]
        before = core.bus.stats()["received"]
        at = clock.now_ns()
        publish_paho(mosquitto, [alarm(h, f"w{chunk}-{h.code}") for h in wave])
        wait_until(
            lambda want=before + len(wave): core.bus.stats()["received"] >= want,
            20,
            f"wave {chunk} read by the bus",
            on=core.bus.changes,
        )
        arrived.update({h.code: at for h in wave})
        clock.advance(20)
    gate.set()  # the engine takes the 200, 200 s of console time after the first
    assert blocked.result(10)
    wait_until(
        lambda: q(core, lambda w: len(w.incidents)) == 200, 30, "200 incidents", on=core.engine.changes
    )
    opened = q(core, lambda w: {i.household: i.opened for i in w.incidents.values()})
    for code, at in arrived.items():
        # stamped once when read (each stamp is the clock, or 1 ns past the one before)
        assert 0 <= opened[code] - at < 1_000, (code, (opened[code] - at) / NS)
    first = min(arrived.values())
    assert max(opened.values()) - first < 181 * NS  # not the 200 s the engine kept them waiting
    recs = [r for r in core.store.journal.read(1) if r.type == "dev"]
    assert sorted(r.at for r in recs) == sorted(opened.values())


class _Subscriber:
    """A persistent-session paho subscriber: what the broker took while we were away is kept."""

    def __init__(self, broker: Any, topic: str) -> None:
        self.reqs: list[str] = []
        self.changed = threading.Condition()
        self._c = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=f"count-{uuid.uuid4().hex[:8]}", clean_session=False
        )
        subscribed = threading.Event()

        def on_message(_c: Any, _u: Any, m: Any) -> None:
            r = decode_notify(bytes(m.payload))
            with self.changed:
                self.reqs.append(getattr(r, "req", "?"))
                self.changed.notify_all()

        def on_connect(c: Any, *_: Any) -> None:
            c.subscribe(topic, qos=1)

        self._c.on_message = on_message
        self._c.on_connect = on_connect
        self._c.on_subscribe = lambda *_: subscribed.set()
        self._c.reconnect_delay_set(0.05, 0.2)
        self._c.connect(broker.host, broker.port, keepalive=30)
        self._c.loop_start()
        assert subscribed.wait(10), "no SUBACK"

    def wait(self, n: int, timeout: float = 30) -> list[str]:
        with self.changed:
            assert self.changed.wait_for(lambda: len(self.reqs) >= n, timeout), (len(self.reqs), n)
            return list(self.reqs)

    def close(self) -> None:
        self._c.disconnect()
        self._c.loop_stop()


def published(core: Core) -> list[str]:
    return [
        req
        for r in core.store.journal.read(1)
        if r.type == "npub"
        for req in ev.decode(r.body).reqs  # type: ignore[union-attr]
    ]


def test_a_request_is_published_only_once_the_broker_took_it(
    core: Core, mosquitto: MosquittoBroker, register: Any
) -> None:
    sub = _Subscriber(mosquitto, notify_req_topic("SIM"))
    try:
        mosquitto.stop()  # the broker goes away ...
        wait_until(lambda: core.engine.status().bus != "connected", 30, "bus down", on=core.engine.changes)
        home = smoke_homes(register)[0]
        topic, body = alarm(home, "while-down")
        # ... just after the bus had read an alarm: the engine makes the incident and its requests
        core.engine.submit_bus([Msg(topic, body, received_at=core.engine.clock.now_ns())])
        wait_until(lambda: q(core, lambda w: len(w.incidents)) == 1, 20, "incident", on=core.engine.changes)
        inc = q(core, lambda w: next(iter(w.incidents.values())))
        assert inc.notifications and {n.status for n in inc.notifications.values()} == {"requested"}
        assert inc.alert_published_at is None and inc.alert_out_at is None  # nothing is out
        assert published(core) == []
        mosquitto.start()  # it comes back: the bus resends, the broker acknowledges
        got = sub.wait(len(inc.notifications))
        wait_until(
            lambda: len(published(core)) == len(inc.notifications),
            30,
            "journaled as published",
            on=core.engine.changes,
        )
        assert sorted(set(got)) == sorted(inc.notifications) == sorted(published(core))
        after = q(core, lambda w: w.incidents[inc.id])
        assert after.alert_published_at is not None
        assert {n.status for n in after.notifications.values()} <= {"published", "delivered", "answered"}
    finally:
        sub.close()
