"""Hostile payloads through a real Mosquitto running the shipped config (issue 17, docs/payloads.md):
each category is quarantined with its reason and counted by the console, an alarm whose only
fault is odd metadata still becomes an incident (with its flags journaled), and a 100 KiB payload
gets past the shipped broker's packet limit to be quarantined as too large."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from console.app.clock import FakeClock
from console.bootstrap import Core, build_core
from console.config import Settings
from console.domain import codec
from console.domain import events as ev
from console.domain.codec import device_topic
from console.io.mqtt_config import conf_settings, shipped_conf_path
from console.sim.district import generate
from console.sim.traffic import rfc3339
from tests.fixtures.brokers import publish_paho, wait_until

pytestmark = pytest.mark.integration

_n = itertools.count(1)


@pytest.fixture(scope="module")
def register() -> Any:
    return generate(seed=7, households=200)


@pytest.fixture
def rig(mosquitto: Any, tmp_path: Path, register: Any) -> Iterator[tuple[Core, Any]]:
    s = Settings(
        broker_host=mosquitto.host,
        broker_port=mosquitto.port,
        broker_username=mosquitto.username,
        broker_password=mosquitto.password,
        district="SIM",
        console_id=f"hostile{next(_n)}",
        db_url=f"sqlite:///{tmp_path / 'journal.sqlite'}",
    )
    core = build_core(s, register=register, clock=FakeClock(time.time_ns()))
    wait_until(lambda: core.engine.status().bus == "connected", 20, "bus connected", on=core.engine.changes)
    yield core, mosquitto
    core.stop()


def smoke_devices(register: Any, n: int) -> list[tuple[str, str]]:
    """(township, device id) of ``n`` smoke detectors in different households."""
    out: list[tuple[str, str]] = []
    for h in register.households.values():
        dev = next((d for d in h.devices if d.kind == "smoke"), None)
        if dev is not None:
            out.append((h.township, dev.id))
        if len(out) == n:
            return out
    raise AssertionError("register too small")


def body(dev: str, id_: str, **over: Any) -> dict[str, Any]:
    now = rfc3339(time.time_ns())
    return {"v": 1, "id": id_, "dev": dev, "kind": "smoke", "evt": "alarm", "ts": now, **over}


def enc(b: dict[str, Any]) -> bytes:
    return json.dumps(b, ensure_ascii=False).encode()


def q(core: Core, fn: Any) -> Any:
    return core.engine.query(fn).result(10)


def test_shipped_broker_passes_what_the_console_must_quarantine() -> None:
    limit = int(conf_settings(shipped_conf_path().read_text(encoding="utf-8"))["max_packet_size"][0])
    assert limit >= 100 * 1024 + 1024 > codec.MAX_PAYLOAD


def test_hostile_payloads_are_quarantined_by_reason_and_odd_alarms_still_open_incidents(
    rig: tuple[Core, Any], register: Any
) -> None:
    core, broker = rig
    (t_dup, d_dup), (t_odd, d_odd), (t_x, d_x) = smoke_devices(register, 3)
    dup = enc(body(d_dup, "dup-1"))[:-1] + b',"kind":"gas"}'  # smoke alarm, a second kind
    dup_escaped = enc(body(d_dup, "dup-2"))[:-1] + b',"k\\u0069nd":"gas"}'
    bidi_dev = f"86{chr(0x202E)}1"
    messages: list[tuple[str, bytes]] = [
        (device_topic("SIM", t_dup, d_dup), dup),
        (device_topic("SIM", t_dup, d_dup), dup_escaped),
        (device_topic("SIM", t_x, d_x), enc(body(d_x, "e\u202e1"))),  # bidi override in the id
        (device_topic("SIM", t_x, d_x), enc(body(d_x, "e\x001"))),  # NUL in the id
        (device_topic("SIM", t_x, bidi_dev), enc(body(bidi_dev, "e1"))),  # bidi in topic and dev
        (device_topic("SIM", t_x, d_x), enc(body(d_x, "   "))),  # whitespace-only id
        (device_topic("SIM", t_x, d_x), b"\xef\xbb\xbf" + enc(body(d_x, "bom"))),  # a BOM
        (device_topic("SIM", t_x, d_x), enc(body(d_x, "x")).replace(b'"x"', b'"\xff"')),  # not UTF-8
        (device_topic("SIM", t_x, d_x), enc(body(d_x, "nest", kind={"a": [1, 2]}))),  # nested junk
        (device_topic("SIM", t_x, d_x), enc(body(d_x, "big", bat=10**30))),  # huge number
        (device_topic("SIM", t_x, d_x), enc(body("86999", "mm"))),  # payload names another device
        (device_topic("SIM", t_x, d_x), enc(body(d_x, "o", pad="x" * (100 * 1024)))),  # 100 KiB
        # odd metadata only: must still open an incident, flagged
        (
            device_topic("SIM", t_odd, d_odd),
            enc(body(d_odd, "odd-1", bat=255, rssi=40, ts="1970-01-01T00:00:00Z")),
        ),
    ]
    publish_paho(broker, messages)
    wait_until(
        lambda: core.engine.status().received >= len(messages), 20, "all received", on=core.engine.changes
    )
    want = {
        "duplicate_key": 2,
        "bad_chars": 3,
        "bad_id": 1,
        "bad_json": 2,
        "bad_type": 2,
        "dev_mismatch": 1,
        "too_large": 1,
    }
    wait_until(lambda: core.engine.status().quarantine == want, 20, "quarantine", on=core.engine.changes)
    wait_until(lambda: core.store.quarantine_counts() == want, 10, "quarantine table", on=core.engine.changes)

    incidents = q(core, lambda w: [(i.kind, list(i.alarms)) for i in w.incidents.values()])
    assert incidents == [("smoke", [f"{d_odd}/odd-1"])]  # no gas incident from the duplicate key
    dev_events = [ev.decode(r.body) for r in core.store.journal.read(1) if r.type == "dev"]
    assert len(dev_events) == 1
    odd = dev_events[0]
    assert isinstance(odd, ev.DeviceEvent)
    assert odd.flags == ("bat_range", "rssi_range", "ts_skew")
    assert (odd.bat, odd.rssi, odd.ts) == (None, None, 0)  # device time recorded, not trusted
    assert abs(odd.at - time.time_ns()) < 3600 * 10**9  # T0 is the receipt time
    quar = [ev.decode(r.body) for r in core.store.journal.read(1) if r.type == "quar"]
    big = next(e for e in quar if isinstance(e, ev.Quarantined) and e.reason == "too_large")
    assert len(big.head) == 512 and big.detail == f"{len(messages[11][1])} bytes"
