"""The console's view of the ingest bridges (console/app/bridges.py): their retained health on
the bus -> the problems the blind banner names."""

from __future__ import annotations

from console.app.bridges import BridgeProblem, Bridges
from console.app.intake import Intake
from console.domain.codec import BridgeStatus, PlatformHealth, bridge_status_topic, encode_bridge_status
from console.domain.events import Quarantined
from tests.support import NS, T0, Msg


def status(**kw: object) -> BridgeStatus:
    base: dict[str, object] = {"bridge": "b1", "state": "online", "every_s": 10}
    base.update(kw)
    return BridgeStatus(**base)  # type: ignore[arg-type]


def test_a_well_bridge_is_no_problem_until_its_status_goes_stale() -> None:
    b = Bridges()
    b.heard(status(), T0)
    assert b.problems(T0 + 30 * NS) == ()
    assert b.problems(T0 + 31 * NS) == (BridgeProblem("b1", "stale", "", T0),)
    b.heard(status(), T0 + 40 * NS)
    assert b.problems(T0 + 41 * NS) == ()


def test_gone_full_and_silent_platforms_each_say_so_and_keep_when_they_started() -> None:
    b = Bridges()
    b.heard(status(state="offline"), T0)
    assert b.problems(T0 + 1000 * NS) == (BridgeProblem("b1", "offline", "", T0),)
    silent = PlatformHealth(last_push="2026-03-05T08:00:00+08:00", silent=True, silent_after_s=43200)
    b.heard(status(outbox_full=True, platforms={"onenet": silent, "ctwing": PlatformHealth()}), T0 + 5 * NS)
    assert b.problems(T0 + 6 * NS) == (
        BridgeProblem("b1", "outbox_full", "", T0 + 5 * NS),
        BridgeProblem("b1", "silent", "onenet", T0 + 5 * NS, "2026-03-05T08:00:00+08:00"),
    )
    b.heard(status(outbox_full=False, platforms={"onenet": silent}), T0 + 15 * NS)
    assert b.problems(T0 + 16 * NS) == (
        BridgeProblem("b1", "silent", "onenet", T0 + 5 * NS, silent.last_push),
    )
    b.heard(status(platforms={"onenet": PlatformHealth(last_push="2026-03-05T09:00:00+08:00")}), T0 + 25 * NS)
    assert b.problems(T0 + 26 * NS) == ()


def test_the_intake_takes_bridge_statuses_under_any_root_and_quarantines_a_bad_one() -> None:
    i = Intake()
    ok = Msg(bridge_status_topic("SIM", "b1"), encode_bridge_status(status()), received_at=T0)
    training = Msg(
        "training/guard/v1/bridge/SIM/b2", encode_bridge_status(status(bridge="b2")), received_at=T0
    )
    bad = Msg(bridge_status_topic("SIM", "b3"), b'{"bridge":"b3","state":"sleeping"}', received_at=T0)
    out, beats = i.sort([ok, training, bad], lambda: T0)
    assert sorted(i.bridges.status) == ["b1", "b2"] and beats == {}
    (q,) = out
    assert isinstance(q, Quarantined) and q.reason == "bad_bridge_state"
    # a device whose township is called "bridge" is still a device
    dev = Msg(
        "guard/v1/evt/SIM/bridge/D1",
        b'{"v":1,"id":"e1","dev":"D1","kind":"smoke","evt":"alarm","ts":"2026-03-05T08:15:02+08:00"}',
        received_at=T0,
    )
    out, _ = i.sort([dev], lambda: T0)
    assert [type(e).__name__ for e in out] == ["DeviceEvent"]
