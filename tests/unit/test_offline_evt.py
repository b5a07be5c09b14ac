"""The v1 contract's ``offline`` event (an IoT platform's device offline notice, through the
ingest bridge): decoded, the device offline at once with a ticket, back with its next message."""

from __future__ import annotations

from console.domain.codec import Rejected, decode_device
from console.domain.events import DeviceEvent
from tests.unit.helpers import NS, T0, alarm, world

TOPIC = "guard/v1/evt/SIM/T1/H1-smoke"


def test_the_offline_event_decodes_and_an_unknown_one_still_does_not() -> None:
    body = (
        b'{"v":1,"id":"b-1","dev":"H1-smoke","kind":"smoke","evt":"offline","ts":"2026-03-05T08:15:02+08:00"}'
    )
    e = decode_device(TOPIC, body, T0)
    assert isinstance(e, DeviceEvent) and e.evt == "offline"
    bad = decode_device(TOPIC, body.replace(b"offline", b"offlin"), T0)
    assert isinstance(bad, Rejected) and bad.reason == "unknown_evt"


def test_a_platforms_offline_notice_takes_the_device_offline_now_and_its_next_beat_brings_it_back() -> None:
    w = world()
    w.apply(alarm("H1-smoke", T0, id_="hb1", evt="self_test"))
    h = w.supervisor.health["H1-smoke"]
    assert h.online
    w.apply(alarm("H1-smoke", T0 + 60 * NS, id_="off1", evt="offline"))
    assert not h.online
    (tid,) = [t for (dev, kind), t in w.open_ticket.items() if dev == "H1-smoke" and kind == "offline"]
    assert w.tickets[tid].opened == T0 + 60 * NS and w.tickets[tid].closed is None
    assert w.incidents == {}  # an offline device is a ticket, not an alarm
    # the grace's own expiry later does not open a second ticket
    w.apply(alarm("H1-smoke", T0 + 120 * NS, id_="off2", evt="offline"))
    assert len([k for k in w.open_ticket if k == ("H1-smoke", "offline")]) == 1
    w.apply(alarm("H1-smoke", T0 + 600 * NS, id_="st2", evt="self_test"))
    assert h.online and ("H1-smoke", "offline") not in w.open_ticket and w.tickets[tid].closed is not None
    # an unregistered device's notice is counted, not lost
    w.apply(alarm("X9-smoke", T0 + 700 * NS, id_="off3", evt="offline"))
    assert w.counters["unknown_device_events"] >= 1 and w.counters["evt:offline"] == 3
