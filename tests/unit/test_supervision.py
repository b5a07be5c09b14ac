"""Device health and maintenance tickets: troubles open tickets with their own service levels,
silence past the heartbeat grace means offline, and none of it is a 1-5-30 incident."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from console.domain import events as ev
from console.domain.deadlines import DEFAULT_HB_S, OFFLINE_GRACE, TICKET_SLA_H
from console.domain.supervision import Supervisor
from console.domain.world import World
from tests.unit.helpers import NS, T0, alarm, login, refused, world

SMOKE_GRACE = int(DEFAULT_HB_S["smoke"] * OFFLINE_GRACE) * NS  # 10 h


def dev_evt(w: World, dev: str, evt: str, at: int, id_: str | None = None, **kw: int) -> list[object]:
    kind = dev.split("-")[-1] if "-" in dev else "smoke"
    e = ev.DeviceEvent(
        at=at,
        district="SIM",
        township="T1",
        dev=dev,
        id=id_ or f"{evt}@{at}",
        kind=kind,
        evt=evt,
        ts=at,
        **kw,
    )
    return list(w.apply(e))


def open_tickets(w: World) -> dict[tuple[str, str], int]:
    return dict(w.open_ticket)


# --- the supervisor alone ------------------------------------------------------------------


def test_supervisor_expires_after_grace_and_comes_back() -> None:
    s = Supervisor()
    h = s.track("D1", "smoke", "H1")
    assert s.seen(h, T0, None, 80, -70) is False
    assert (h.last_seen, h.bat, h.rssi, h.online) == (T0, 80, -70, True)
    assert s.next_due() == T0 + SMOKE_GRACE
    assert s.expire(T0 + SMOKE_GRACE - 1) == []
    assert [x.dev for x in s.expire(T0 + SMOKE_GRACE)] == ["D1"]
    assert not h.online and s.next_due() is None
    assert s.seen(h, T0 + SMOKE_GRACE + NS, None, None, None) is True
    assert h.online and h.bat == 80  # a beat without battery keeps the last reading


def test_newer_sign_of_life_supersedes_the_older_due_time() -> None:
    s = Supervisor()
    h = s.track("D1", "gas", "H1")
    s.seen(h, T0, None, None, None)
    s.seen(h, T0 + 100 * NS, None, None, None)
    grace = int(DEFAULT_HB_S["gas"] * OFFLINE_GRACE) * NS
    assert s.next_due() == T0 + 100 * NS + grace
    assert s.expire(T0 + grace) == []


def test_payload_heartbeat_period_overrides_the_default() -> None:
    s = Supervisor()
    h = s.track("D1", "smoke", "H1")
    s.seen(h, T0, 60, None, None)
    assert h.hb_s == 60 and s.next_due() == T0 + 150 * NS


def test_watch_starts_a_grace_without_claiming_a_message() -> None:
    s = Supervisor()
    h = s.track("D1", "electric", "H1")
    s.watch(h, T0)
    assert h.last_seen == 0
    grace = int(DEFAULT_HB_S["electric"] * OFFLINE_GRACE) * NS
    assert s.next_due() == T0 + grace
    assert [x.dev for x in s.expire(T0 + grace)] == ["D1"]


# --- tickets in the world ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("opens", "closes", "kind"),
    [
        ("fault", "fault_clear", "fault"),
        ("low_battery", "battery_ok", "low_battery"),
        ("tamper", "tamper_clear", "tamper"),
    ],
)
def test_trouble_opens_and_clear_closes_a_ticket(opens: str, closes: str, kind: str) -> None:
    w = world()
    assert dev_evt(w, "H1-smoke", opens, T0) == []
    assert w.incidents == {}  # never a 1-5-30 incident
    tid = w.open_ticket[("H1-smoke", kind)]
    t = w.tickets[tid]
    assert (t.kind, t.household, t.township, t.opened) == (kind, "H1", "T1", T0)
    assert t.due == T0 + TICKET_SLA_H[kind] * 3600 * NS
    assert getattr(w.supervisor.health["H1-smoke"], kind) is True
    dev_evt(w, "H1-smoke", opens, T0 + NS)  # repeated trouble: still one ticket
    assert len(w.tickets) == 1
    dev_evt(w, "H1-smoke", closes, T0 + 2 * NS)
    assert open_tickets(w) == {} and w.tickets[tid].closed == T0 + 2 * NS and w.tickets[tid].note == closes
    assert getattr(w.supervisor.health["H1-smoke"], kind) is False


def test_end_of_life_opens_a_ticket_closed_only_by_an_officer() -> None:
    w = world()
    login(w, T0)
    dev_evt(w, "H1-co", "end_of_life", T0)
    tid = w.open_ticket[("H1-co", "end_of_life")]
    assert w.tickets[tid].due == T0 + 168 * 3600 * NS
    assert w.supervisor.health["H1-co"].end_of_life
    w.apply(ev.TicketAction(at=T0 + NS, operator="op1", console="c1", ticket=tid, action="ack"))
    assert w.tickets[tid].acked_by == "op1" and w.tickets[tid].closed is None
    w.apply(
        ev.TicketAction(
            at=T0 + 2 * NS, operator="op1", console="c1", ticket=tid, action="close", note="replaced"
        )
    )
    assert w.tickets[tid].closed == T0 + 2 * NS and w.tickets[tid].note == "replaced"
    assert open_tickets(w) == {}


def test_trouble_of_an_unregistered_device_is_counted_not_ticketed() -> None:
    w = world()
    dev_evt(w, "GHOST", "fault", T0)
    assert w.tickets == {} and w.counters["unknown_device_events"] == 1


def test_offline_after_heartbeat_grace_then_back_online_closes_the_ticket() -> None:
    w = world(1)
    hb = ev.Heartbeats(at=T0, township="T1", beats=(ev.Beat("H1-smoke", T0, 90, -60, None),))
    w.apply(hb)
    assert w.supervisor.health["H1-smoke"].bat == 90
    w.apply(ev.Tick(at=T0 + SMOKE_GRACE - NS))
    assert open_tickets(w) == {}
    w.apply(ev.Tick(at=T0 + SMOKE_GRACE))
    tid = w.open_ticket[("H1-smoke", "offline")]
    assert not w.supervisor.health["H1-smoke"].online
    assert w.band_of("H1") == "unprotected"
    back = T0 + SMOKE_GRACE + 5 * NS
    w.apply(ev.Heartbeats(at=back, township="T1", beats=(ev.Beat("H1-smoke", back),)))
    assert open_tickets(w) == {} and w.tickets[tid].closed == back and w.tickets[tid].note == "back online"
    assert w.supervisor.health["H1-smoke"].online


def test_any_device_message_counts_as_a_sign_of_life() -> None:
    w = world(1)
    w.apply(ev.Heartbeats(at=T0, township="T1", beats=(ev.Beat("H1-smoke", T0),)))
    w.apply(ev.Tick(at=T0 + SMOKE_GRACE))
    assert ("H1-smoke", "offline") in w.open_ticket
    dev_evt(w, "H1-smoke", "self_test", T0 + SMOKE_GRACE + NS)
    assert ("H1-smoke", "offline") not in w.open_ticket


def test_registered_devices_never_heard_from_go_offline_after_grace_from_start() -> None:
    w = world(1)
    w.apply(ev.SystemNote(at=T0, what="start"))
    assert all(h.last_seen == 0 and h.online for h in w.supervisor.health.values())
    gas_grace = int(DEFAULT_HB_S["gas"] * OFFLINE_GRACE) * NS
    assert w.next_due() == T0 + gas_grace
    w.apply(ev.Tick(at=T0 + gas_grace))
    assert set(w.open_ticket) == {("H1-gas", "offline")}
    w.apply(ev.Tick(at=T0 + SMOKE_GRACE))
    assert set(w.open_ticket) == {("H1-gas", "offline"), ("H1-smoke", "offline"), ("H1-co", "offline")}
    w.apply(ev.SystemNote(at=T0 + SMOKE_GRACE, what="start"))  # a second start changes nothing
    assert len(w.tickets) == 3


def test_unknown_heartbeats_are_counted() -> None:
    w = world(1)
    w.apply(ev.Heartbeats(at=T0, township="T1", beats=(ev.Beat("GHOST", T0), ev.Beat("H1-co", T0))))
    assert w.counters["unknown_heartbeats"] == 1
    assert w.counters["heartbeats"] == 2
    assert "GHOST" not in w.supervisor.health and "H1-co" in w.supervisor.health


def test_ticket_action_refusals() -> None:
    w = world()
    dev_evt(w, "H1-smoke", "fault", T0)
    act = ev.TicketAction(at=T0 + NS, operator="op1", console="c1", ticket=1, action="close")
    assert [r.code for r in refused(w.apply(act))] == ["not_logged_in"]
    login(w, T0 + NS)
    bad = ev.TicketAction(at=T0 + NS, operator="op1", console="c1", ticket=1, action="burn")
    assert [r.code for r in refused(w.apply(bad))] == ["bad_action"]
    unknown = ev.TicketAction(at=T0 + NS, operator="op1", console="c1", ticket=7, action="ack")
    assert [r.code for r in refused(w.apply(unknown))] == ["unknown_ticket"]
    assert w.apply(act) == []
    assert [r.code for r in refused(w.apply(act))] == ["ticket_closed"]
    # after an officer closes it, the same trouble opens a fresh ticket
    dev_evt(w, "H1-smoke", "fault", T0 + 3 * NS)
    assert w.open_ticket[("H1-smoke", "fault")] == 2


def test_alarm_is_not_a_ticket_and_a_ticket_is_not_an_alarm() -> None:
    w = world()
    w.apply(alarm("H1-smoke", T0))
    assert w.tickets == {} and len(w.incidents) == 1


def test_after_share_changes_copy_on_write_and_leave_shared_health_untouched() -> None:
    """What a replay checkpoint relies on: Health objects held by a snapshot never change."""

    def script(s: Supervisor) -> None:
        a, b = s.track("D1", "smoke", "H1"), s.track("D2", "gas", "H1")
        s.seen(a, T0, None, 80, -70)
        s.seen(b, T0, 600, 90, -60)
        if share:
            s.share()
            held[:] = [(h, msgspec.structs.asdict(h)) for h in s.health.values()]
        s.seen(s.health["D1"], T0 + NS, None, 70, None)
        s.seen(a, T0 + 2 * NS, None, 60, None)  # a stale reference: still changes the current one
        s.set_trouble("D1", "fault", True)
        s.track("D3", "co", "H2")
        s.expire(T0 + 2 * NS + int(600 * OFFLINE_GRACE) * NS)  # D2 (600 s period) goes offline

    held: list[tuple[object, dict[str, object]]] = []
    share = True
    shared = Supervisor()
    script(shared)
    share = False
    plain = Supervisor()
    script(plain)
    for h, before in held:
        assert msgspec.structs.asdict(h) == before
    assert shared.health == plain.health
    assert shared.health["D1"].bat == 60 and shared.health["D1"].fault
    assert not shared.health["D2"].online
    assert shared.next_due() == plain.next_due()
    assert shared.copies == 2  # D1 and D2 copied once each; D3 was new


class _Naive:
    """The rule, written plainly: a device goes offline when its grace runs out; no heap."""

    def __init__(self) -> None:
        self.base: dict[str, int] = {}
        self.period: dict[str, int] = {}
        self.online: dict[str, bool] = {}

    def due(self, dev: str) -> int:
        return self.base[dev] + int(self.period[dev] * OFFLINE_GRACE * NS)

    def next_due(self) -> int | None:
        dues = [self.due(d) for d, up in self.online.items() if up]
        return min(dues) if dues else None

    def expire(self, now: int) -> list[str]:
        gone = sorted((self.due(d), d) for d, up in self.online.items() if up and self.due(d) <= now)
        for _, d in gone:
            self.online[d] = False
        return [d for _, d in gone]


@settings(max_examples=300, deadline=None)
@example([("seen", "D1", -1, None), ("seen", "D2", 0, None)])  # both older than their watch start
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["seen", "seen", "seen", "expire"]),
            st.sampled_from(["D1", "D2", "D3", "D4"]),
            st.integers(-20, 400),  # seconds from the last time (negative: an older record)
            st.sampled_from([None, None, 60, 120, 30]),  # heartbeat period in the payload
        ),
        max_size=120,
    )
)
def test_lazy_offline_heap_agrees_with_the_plain_rule_and_stays_small(
    ops: list[tuple[str, str, int, int | None]],
) -> None:
    s, naive = Supervisor(), _Naive()
    now = T0
    spares = 0  # beats whose grace ends before the queued one (older record, shorter period)
    for dev in ("D1", "D2"):  # watched from start, never heard
        s.watch(s.track(dev, "gas", "H1"), now)
        naive.base[dev], naive.period[dev], naive.online[dev] = now, DEFAULT_HB_S["gas"], True
    for op, dev, dt, hb in ops:
        now += dt * NS
        if op == "expire":
            assert [h.dev for h in s.expire(now)] == naive.expire(now)
        else:
            h = s.health.get(dev) or s.track(dev, "gas", "H1")
            if naive.online.get(dev):  # a new entry beside its queued one: the grace now ends earlier
                grace = int((hb or naive.period[dev]) * OFFLINE_GRACE) * NS
                spares += now + grace < naive.due(dev)
            back = s.seen(h, now, hb, None, None)
            assert back == (dev in naive.online and not naive.online[dev])
            naive.base[dev], naive.online[dev] = now, True
            naive.period[dev] = hb or naive.period.get(dev, DEFAULT_HB_S["gas"])
        assert s.next_due() == naive.next_due()
        # one entry a device (not one a heartbeat), plus spares until they surface
        assert len(s._due) <= len(s.health) + spares
