"""Storm triage (issue 15): the real emergency on top of the queue, in one stable order.

The storms are the shipped drill and three generated from a register (tests/unit/storms.py),
fed event by event through the real World with the console's own clock values; nothing sleeps.
"""

from __future__ import annotations

from functools import cache

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.app.data import load_templates, load_triage, load_weights
from console.domain import events as ev
from console.domain.incident import Incident
from console.domain.registry import Register, Resident
from console.domain.triage import (
    LANE_ORDER,
    Row,
    TriageWeights,
    assess,
    is_night,
    queue,
    queue_of,
    sort_key,
    take_next,
)
from console.domain.triage_words import word, words
from console.domain.world import World
from console.sim.district import generate
from console.sim.drill import load_scenario, resolve, wire
from tests.unit import storms
from tests.unit.helpers import NS, ROOT, T0, alarm, do, household, login

W = load_triage(ROOT / "resources" / "triage.toml")
TICK_S = 5


def new_world(register: Register) -> World:
    return World(
        register,
        load_templates(ROOT / "resources" / "checklists"),
        load_weights(ROOT / "resources" / "risk.toml"),
    )


@cache
def shipped_storm() -> storms.Storm:
    from console.domain.codec import decode_device

    header, items = load_scenario(resolve("alarm_storm_hidden_fire"))
    events = []
    corroborated = 0
    for item in items:
        at = T0 + int(item.after_s * NS)
        topic, raw = wire(header, item, at)
        e = decode_device(topic, raw, at)
        assert isinstance(e, ev.DeviceEvent)
        events.append(e)
        if item.payload["id"] == "fire-2":  # the electrical over-temperature: the second sensor
            corroborated = at
    fire = header.expect["real_fire"]
    reg = generate()  # the register the shipped drills are made from (seed 7, 30,000 homes)
    false = {reg.device_index[e.dev] for e in events} - {fire}
    return storms.Storm("shipped", reg, events, fire, corroborated, [], false)


@cache
def storm(name: str) -> storms.Storm:
    return shipped_storm() if name == "shipped" else storms.GENERATED[name]()


STORMS = ["shipped", *storms.GENERATED]


def rank_of(rows: list[Row], household: str) -> int | None:
    return next((i for i, r in enumerate(rows) if r.household == household), None)


def play(
    s: storms.Storm, w: World, until: int | None = None, watch: bool = True
) -> list[tuple[int, int, list[Row]]]:
    """Feed the storm with a Tick every TICK_S seconds between events; with ``watch`` the
    (time, events applied, queue) after each, from the emergency's first alarm on."""
    seen: list[tuple[int, int, list[Row]]] = []
    clock = s.events[0].at
    first = applied_by(s, 0)

    def look(n: int) -> None:
        if watch and n >= first:
            seen.append((clock, n, queue_of(w, W)))

    for n, e in enumerate(s.events, start=1):
        if until is not None and e.at > until:
            break
        while clock + TICK_S * NS < e.at:
            clock += TICK_S * NS
            w.apply(ev.Tick(at=clock))
            look(n - 1)
        w.apply(e)
        clock = e.at
        look(n)
    return seen


def applied_by(s: storms.Storm, at: int) -> int:
    """How many events are applied once the emergency's first event at or after ``at`` is."""
    return 1 + next(
        i for i, e in enumerate(s.events) if e.at >= at and s.register.device_index[e.dev] == s.emergency
    )


# --- the storms ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", STORMS)
def test_the_emergency_is_top_three_from_its_corroboration_until_someone_acts(name: str) -> None:
    s = storm(name)
    w = new_world(s.register)
    seen = play(s, w)
    corroborated = applied_by(s, s.corroborated_at)
    checked = 0
    for at, n, rows in seen:  # every moment from the emergency's first alarm on
        rank = rank_of(rows, s.emergency)
        assert rank is not None
        # a restored false alarm never outranks it while it alarms (the gas leak restores once
        # before it alarms again: for those seconds it is a restored sensor among others)
        if n >= corroborated or "restored" not in rows[rank].reasons:
            above = [r for r in rows[:rank] if "restored" in r.reasons or r.lane != "new"]
            assert not above, (name, (at - s.events[0].at) / NS, above[:3])
        if n >= corroborated:
            assert rank < 3, (name, (at - s.events[0].at) / NS, rows[:4])
            checked += 1
    assert checked >= 10
    # the storm is over, every false alarm restored: the emergency is the one to take
    rows = queue_of(w, W)
    top = take_next(rows)
    assert top is not None and top.household == s.emergency
    assert all(r.lane == "rest" for r in rows if r.household in s.false_households)
    # someone acts: acknowledged, it leaves the new lane and is no longer "next"
    login(w, clock := s.events[-1].at + NS)
    do(w, top.incident, "ack", clock)
    after = queue_of(w, W)
    mine = next(r for r in after if r.incident == top.incident)
    assert mine.lane == "working"
    nxt = take_next(after)
    assert nxt is None or nxt.incident != top.incident


def test_the_shipped_fire_reads_as_a_fire() -> None:
    s = storm("shipped")
    w = new_world(s.register)
    play(s, w, until=s.corroborated_at, watch=False)
    row = next(r for r in queue_of(w, W) if r.household == s.emergency)
    assert row.reasons[:2] == ("corroborated:smoke+electric.202", "not_restored")
    assert "temp_c:135" in row.reasons
    assert words(row.reasons).startswith("烟感+电气过温，未恢复，")
    assert words(row.reasons, "en").startswith("smoke + electrical over-temperature, not restored, ")
    # before its second sensor it is one smoke alarm among a hundred: no reason to lift it
    w2 = new_world(s.register)
    play(s, w2, until=s.corroborated_at - 1, watch=False)
    early = next(r for r in queue_of(w2, W) if r.household == s.emergency)
    assert not any(c.startswith("corroborated") for c in early.reasons)
    assert row.score - early.score >= W.hazard.extra_kind


@pytest.mark.parametrize("name", STORMS)
def test_ticking_time_never_reorders_the_queue(name: str) -> None:
    s = storm(name)
    w = new_world(s.register)
    cut = s.corroborated_at + 10 * NS
    play(s, w, until=cut, watch=False)
    before = queue_of(w, W)
    missed_before = sum(len(i.missed) for i in w.incidents.values())
    for k in range(1, 61):  # 30 minutes of ticks, no evidence: every 1-5-30 mark is missed
        w.apply(ev.Tick(at=cut + k * 30 * NS))
        assert queue_of(w, W) == before
    assert sum(len(i.missed) for i in w.incidents.values()) > missed_before


def test_an_overdue_incident_being_worked_stays_below_new_ones() -> None:
    s = storm("co_rising")
    w = new_world(s.register)
    play(s, w, until=s.corroborated_at, watch=False)
    rows = queue_of(w, W)
    low = next(r for r in reversed(rows) if r.lane == "new")
    login(w, s.corroborated_at + 1)
    do(w, low.incident, "ack", s.corroborated_at + 2)
    for k in range(1, 21):
        w.apply(ev.Tick(at=s.corroborated_at + k * 60 * NS))
    inc = w.incidents[low.incident]
    assert 5 in inc.missed and inc.escalations  # dispatch overdue, raised to the district
    rows = queue_of(w, W)
    lanes = [r.lane for r in rows]
    i = next(k for k, r in enumerate(rows) if r.incident == low.incident)
    assert rows[i].lane == "working"
    assert all(lane == "new" for lane in lanes[:i]) or "new" not in lanes[i:]
    assert lanes == sorted(lanes, key=LANE_ORDER.__getitem__)


@pytest.mark.parametrize("name", [n for n in storms.GENERATED])
def test_homes_whose_alarms_all_restore_are_not_promoted_by_repetition(name: str) -> None:
    s = storm(name)
    assert s.repeaters
    w = new_world(s.register)
    play(s, w, watch=False)
    rows = {r.household: r for r in queue_of(w, W)}
    for code in s.repeaters:
        inc = w.incidents[w.open_by_household[code]]
        assert len(inc.alarms) >= 3 and inc.reignition  # it did repeat, and the world flagged it
        r = rows[code]
        assert r.lane == "rest" and "restored" in r.reasons
        assert not [c for c in r.reasons if c.startswith(("repeated", "reignition", "night"))]
        # the same home with one alarm that restored scores the same
        once = new_world(s.register)
        dev = next(d.id for d in s.register.households[code].devices if d.kind == "smoke")
        once.apply(alarm(dev, T0, id_="a"))
        once.apply(alarm(dev, T0 + 30 * NS, id_="r", evt="restore"))
        assert queue_of(once, W)[0].score == r.score


# --- the score on small cases ----------------------------------------------------------------


def _register(*homes: object) -> Register:
    return Register([], homes, version="t")  # type: ignore[arg-type]


def frail(code: str, devices: tuple[str, ...] = ("smoke", "co", "gas", "electric")) -> object:
    h = household(code, devices=devices)
    r = Resident(
        id=f"{code}-r",
        name="x",
        age=95,
        groups=("severely_disabled", "disabled_dementia", "state_supported", "living_alone"),
    )
    return msgspec.structs.replace(h, residents=(r,))


def sturdy(code: str) -> object:
    h = household(code, devices=("smoke", "co", "gas", "electric"))
    return msgspec.structs.replace(h, residents=(Resident(id=f"{code}-r", name="y", age=62),))


NIGHT = T0 + 14 * 3600 * NS  # 00:00 local


def test_corroboration_outranks_any_single_sensor_whatever_the_home() -> None:
    w = new_world(_register(frail("F"), sturdy("S")))
    w.apply(alarm("F-smoke", NIGHT, id_="1"))  # the frailest home, at night, one live sensor
    w.apply(alarm("F-smoke", NIGHT + 40 * NS, id_="2"))
    w.apply(alarm("F-smoke", NIGHT + 80 * NS, id_="3"))
    w.apply(alarm("S-smoke", T0, id_="4"))  # a sturdy home by day: smoke, then electrical
    w.apply(alarm("S-electric", T0 + 30 * NS, id_="5", kind="electric"))
    rows = queue_of(w, W)
    assert [r.household for r in rows] == ["S", "F"]
    assert "night" in rows[1].reasons and "repeated:3" in rows[1].reasons


def test_a_lone_sensor_that_restores_sinks_and_says_so() -> None:
    w = new_world(_register(frail("F"), sturdy("S")))
    w.apply(alarm("F-smoke", T0, id_="1"))
    w.apply(alarm("S-smoke", T0 + NS, id_="2"))
    assert [r.household for r in queue_of(w, W)] == ["F", "S"]  # the frail home first
    w.apply(alarm("F-smoke", T0 + 60 * NS, id_="3", evt="restore"))
    rows = queue_of(w, W)
    assert [(r.household, r.lane) for r in rows] == [("S", "new"), ("F", "rest")]
    assert rows[1].reasons[0] == "restored"
    assert words(rows[1].reasons).startswith("已恢复")
    assert words(rows[1].reasons, "en").startswith("restored")
    assert take_next(rows) == rows[0]
    # restore, then alarm again: a re-ignition check, back on top
    w.apply(alarm("F-smoke", T0 + 120 * NS, id_="4"))
    rows = queue_of(w, W)
    assert rows[0].household == "F" and "reignition" in rows[0].reasons


def test_two_sensors_that_both_restored_stay_in_the_new_lane() -> None:
    w = new_world(_register(sturdy("S")))
    w.apply(alarm("S-smoke", T0, id_="1"))
    w.apply(alarm("S-electric", T0 + NS, id_="2", kind="electric"))
    w.apply(alarm("S-smoke", T0 + 60 * NS, id_="3", evt="restore"))
    w.apply(alarm("S-electric", T0 + 61 * NS, id_="4", kind="electric", evt="restore"))
    (row,) = queue_of(w, W)
    assert row.lane == "new" and "restored" in row.reasons


def test_readings_co_rising_and_gas_level() -> None:
    w = new_world(_register(sturdy("S"), sturdy("T")))
    for k, ppm in enumerate((120.0, 260.0)):
        w.apply(msgspec.structs.replace(alarm("S-co", T0 + k * NS, id_=f"c{k}", kind="co"), val=ppm))
    gas = alarm("T-gas", T0, id_="g", kind="gas")
    w.apply(msgspec.structs.replace(gas, val=35.0, unit="%LEL", lvl=2))
    rows = {r.household: r for r in queue_of(w, W)}
    assert "co_ppm:260" in rows["S"].reasons and "co_rising:120>260" in rows["S"].reasons
    assert "CO上升120→260ppm" in words(rows["S"].reasons)
    assert {"gas_lel:35", "gas_level2"} <= set(rows["T"].reasons)


def test_lanes_follow_the_stage_and_closed_incidents_leave() -> None:
    w = new_world(_register(sturdy("S")))
    w.apply(alarm("S-smoke", T0, id_="1"))
    iid = w.open_by_household["S"]
    login(w, T0)
    lanes = [queue_of(w, W)[0].lane]
    for k, step in enumerate(("ack", "dispatch", "on_site", "resolve", "inform")):
        do(w, iid, step, T0 + (k + 1) * NS)
        lanes.append(queue_of(w, W)[0].lane)
    assert lanes == ["new", "working", "working", "working", "rest", "rest"]
    do(w, iid, "close", T0 + 10 * NS)
    assert queue_of(w, W) == [] and take_next([]) is None


def test_weights_are_data_and_a_misspelt_key_is_an_error() -> None:
    text = (ROOT / "resources" / "triage.toml").read_text(encoding="utf-8")
    assert TriageWeights.from_toml(text) == W
    with pytest.raises(msgspec.ValidationError):
        TriageWeights.from_toml(text.replace("extra_kind", "extra_kinds"))
    heavier = TriageWeights.from_toml(text.replace("not_restored = 20", "not_restored = 70"))
    inc = Incident(id=1, household="?x", district="SIM", township="T1", kind="smoke", opened=T0)
    assert assess(inc, None, heavier).score == assess(inc, None, W).score + 50


def test_night_is_local_time() -> None:
    n = W.night
    assert not is_night(T0, n)  # 10:00
    assert is_night(T0 + 13 * 3600 * NS, n)  # 23:00
    assert is_night(T0 + 19 * 3600 * NS + 59 * 60 * NS, n)  # 05:59
    assert not is_night(T0 + 20 * 3600 * NS, n)  # 06:00


def test_words_for_every_kind_of_code() -> None:
    assert word("corroborated:electric.202+smoke") == "电气过温+烟感"
    assert word("corroborated:smoke*2", "en") == "smoke×2"
    assert word("corroborated:co+gas", "en") == "CO + gas"
    assert words(["not_restored", "age:86", "group:living_alone"]) == "未恢复，独居86岁"
    assert words(["not_restored", "age:86", "group:living_alone"], "en") == "not restored, lives alone, 86"
    assert words(["age:91"], "en") == "aged 91"
    assert word("something_new:3") == "something_new:3"  # shown as it is, never dropped


# --- properties ------------------------------------------------------------------------------

HOMES = ("A", "B", "C")
KINDS = ("smoke", "co", "gas")
_step = st.one_of(
    st.tuples(st.just("alarm"), st.sampled_from(HOMES), st.sampled_from(KINDS), st.integers(0, 500)),
    st.tuples(st.just("restore"), st.sampled_from(HOMES), st.sampled_from(KINDS), st.just(0)),
    st.tuples(st.just("tick"), st.just(""), st.just(""), st.integers(1, 900)),
)


def _event(kind: str, home: str, sensor: str, val: int, at: int, n: int) -> ev.AnyEvent:
    if kind == "tick":
        return ev.Tick(at=at)
    e = alarm(f"{home}-{sensor}", at, id_=f"e{n}", kind=sensor, evt=kind)
    return msgspec.structs.replace(e, val=float(val)) if kind == "alarm" and sensor != "smoke" else e


@settings(max_examples=80, deadline=None)
@given(st.lists(_step, min_size=1, max_size=40), st.integers(0, 23))
def test_order_moves_only_with_evidence_and_evidence_moves_the_score_one_way(
    steps: list[tuple[str, str, str, int]], hour: int
) -> None:
    w = new_world(_register(frail("A"), sturdy("B"), household("C")))
    at = T0 + hour * 3600 * NS
    for n, (kind, home, sensor, val) in enumerate(steps):
        at += (val if kind == "tick" else 1) * NS
        before = {r.household: r for r in queue_of(w, W)}
        w.apply(_event(kind, home, sensor, val, at, n))
        rows = queue_of(w, W)
        assert rows == sorted(rows, key=sort_key)
        assert queue(reversed(w.open_incidents()), w.register, W) == rows  # not the input's order
        after = {r.household: r for r in rows}
        if kind == "tick":
            assert after == before  # time alone changes nothing
        elif home in before and home in after:
            if kind == "alarm":
                assert after[home].score >= before[home].score
            else:
                assert after[home].score <= before[home].score
        for r in rows:
            assert r.lane != "rest" or "restored" in r.reasons
