"""Silent townships (console.app.silence): the expected rate from the register, the window, the
warm-up, the bus being down, the whole district, small townships, and order independence."""

from __future__ import annotations

import math
import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.app.silence import DISTRICT, MIN_EXPECTED, WINDOW_S, Silence, SilentArea
from console.domain.deadlines import DEFAULT_HB_S
from console.domain.registry import Register
from console.sim.district import generate
from console.sim.traffic import Traffic, TrafficConfig
from tests.support import NS, T0
from tests.unit.helpers import household

W = WINDOW_S * NS
REG = generate(seed=7, households=2000)  # read-only; every township expects well over MIN_EXPECTED
SMALL = generate(seed=7, households=600)  # rural townships here expect ~10-15 messages a window, urban ~40
TOWNSHIPS = sorted({h.township for h in REG.households.values()})


def feed(s: Silence, start: int, end: int, rate: dict[str, float], scale: float = 1.0) -> None:
    """Even traffic in [start, end): ``rate[t] * scale`` messages per window from each township."""
    for t, r in rate.items():
        if r * scale <= 0:
            continue
        gap = W / (r * scale)
        k = math.ceil((start - T0) / gap) if start > T0 else 0
        while (at := T0 + int(k * gap)) < end:
            if at >= start:
                s.observe(t, at)
            k += 1


def run(
    s: Silence, start: int, end: int, rate: dict[str, float], scale: float = 1.0, step: int = 10 * NS
) -> list[tuple[int, tuple[SilentArea, ...]]]:
    """Traffic as it comes, a report at the end of every ``step``: what the engine thread does."""
    out = []
    now = start
    while now < end:
        feed(s, now, now + step, rate, scale)
        now += step
        out.append((now, s.report(now, True)))
    return out


def rates(s: Silence, townships: list[str]) -> dict[str, float]:
    return {t: s.expected(t) for t in townships}


def test_expected_is_window_over_period_for_each_device() -> None:
    # 60 gas devices of 3600 s give 60 * 600 / 3600 = 10 in 10 minutes; 36 electric of 900 s give 24
    gas = Register([], [household(f"G{i}", "TG", ("gas",)) for i in range(60)])
    assert Silence(gas, periods={"gas": 3600}).expected("TG") == pytest.approx(10.0)
    mixed = Register([], [household(f"E{i}", "TE", ("electric",)) for i in range(36)])
    assert Silence(mixed).expected("TE") == pytest.approx(24.0)
    assert Silence(mixed, window_s=1800).expected("TE") == pytest.approx(72.0)


def test_expected_from_the_generated_register() -> None:
    s = Silence(REG)
    by_hand: Counter[str] = Counter()
    for h in REG.households.values():
        for d in h.devices:
            by_hand[h.township] += WINDOW_S / DEFAULT_HB_S[d.kind]
    assert set(by_hand) == set(TOWNSHIPS) and len(TOWNSHIPS) == 22
    for t in TOWNSHIPS:
        assert s.expected(t) == pytest.approx(by_hand[t])
        assert s.expected(t) >= MIN_EXPECTED
    assert s.expected(DISTRICT) == pytest.approx(sum(by_hand.values()))
    assert s.expected("NOPE") == 0.0


def test_an_announced_period_replaces_the_kinds_default() -> None:
    reg = Register([], [household("H1", "T1", ("smoke", "electric"))])
    s = Silence(reg)
    assert s.expected("T1") == pytest.approx(600 / (4 * 3600) + 600 / 900)
    s.announce("H1-smoke", 24 * 3600)
    s.announce("H1-electric", 300)
    s.announce("H1-electric", None)  # a heartbeat without hb changes nothing
    s.announce("GHOST", 60)  # a device the register lacks neither
    assert s.expected("T1") == pytest.approx(600 / (24 * 3600) + 600 / 300)


def test_a_township_that_goes_quiet_is_reported_once_its_window_falls_below_the_ratio() -> None:
    s = Silence(REG)
    s.start(T0)
    rate = rates(s, TOWNSHIPS)
    quiet = T0 + 20 * 60 * NS
    assert all(got == () for _, got in run(s, T0, quiet, rate, step=NS))
    found = None
    for now, got in run(s, quiet, T0 + 40 * 60 * NS, {t: r for t, r in rate.items() if t != "T03"}, step=NS):
        if got and found is None:
            found = now
            assert got == (
                SilentArea(
                    area="T03",
                    name=REG.area_name("T03"),
                    expected=round(rate["T03"]),
                    seen=got[0].seen,
                    since=now,
                    window_s=WINDOW_S,
                ),
            )
            # the window fell below 20 % when its oldest bucket (about 2 messages) left it
            assert got[0].seen < 0.2 * rate["T03"] <= got[0].seen + 3
        elif found is not None:
            assert [a.area for a in got] == ["T03"] and got[0].since == found
    # a step to nothing crosses 20 % when 80 % of the window has passed (to a 10 s bucket)
    assert found is not None and abs(found - (quiet + 0.8 * W)) <= 11 * NS
    assert s.report(T0 + 60 * 60 * NS, True)[0].seen == 0


def test_recovering_clears_it_and_the_next_stretch_has_its_own_since() -> None:
    s = Silence(REG)
    s.start(T0)
    rate = rates(s, TOWNSHIPS)
    others = {t: r for t, r in rate.items() if t != "T03"}
    back = T0 + 20 * 60 * NS
    got = run(s, T0, back, others)
    assert [a.area for a in got[-1][1]] == ["T03"] and got[-1][1][0].since == T0
    # traffic back at the full rate: silent until 30 % of the window is heard again (not 20 %)
    got = run(s, back, back + W, rate)
    at = {now: [a.area for a in r] for now, r in got}
    assert at[back + 150 * NS] == ["T03"]  # 25 % heard
    assert at[back + 190 * NS] == []
    cleared = min(now for now, r in at.items() if r == [])
    assert back + 170 * NS <= cleared <= back + 190 * NS
    assert all(at[now] == [] for now in at if now >= cleared)
    # quiet again: a new stretch, found at its own time
    got = run(s, back + W, back + 3 * W, others)
    (first_again,) = next(r for _, r in got if r)
    assert first_again.area == "T03" and first_again.since > back + W
    assert got[-1][1][0].since == first_again.since


def test_nothing_is_reported_before_one_full_window_and_then_since_is_the_window_start() -> None:
    s = Silence(REG)
    rate = rates(s, [t for t in TOWNSHIPS if t != "T05"])
    first = T0 + 7 * NS
    s.observe("T01", first)  # the first message starts the warm-up
    got = run(s, first, first + W - NS, rate, step=NS)
    assert got[-1][0] == first + W - NS and all(r == () for _, r in got)
    (t05,) = s.report(first + W, True)
    assert t05.area == "T05" and t05.since == first and t05.seen == 0
    assert s.report(first + W + 60 * NS, True)[0].since == first


def test_a_console_that_hears_nothing_at_all_judges_from_its_first_connected_report() -> None:
    s = Silence(REG)
    assert s.report(T0, True) == ()
    got = s.report(T0 + W, True)
    assert [a.area for a in got] == [DISTRICT, *TOWNSHIPS]
    assert all(a.since == T0 and a.seen == 0 for a in got)


def test_the_bus_down_is_not_silence_and_the_window_starts_again_when_it_is_back() -> None:
    s = Silence(REG)
    s.start(T0)
    rate = rates(s, TOWNSHIPS)
    down, up = T0 + 15 * 60 * NS, T0 + 25 * 60 * NS
    assert all(r == () for _, r in run(s, T0, down, rate))
    for now in range(down, up, 30 * NS):
        assert s.report(now, False) == ()
    # back: the ten minutes it could not hear are no township's silence, not even "*"
    assert s.report(up, True) == ()
    others = {t: r for t, r in rate.items() if t != "T07"}
    got = run(s, up, up + W - 10 * NS, others)
    assert all(r == () for _, r in got)
    run(s, up + W - 10 * NS, up + W, others)
    (t07,) = s.report(up + W, True)
    assert t07.area == "T07" and t07.since == up
    # a silent township found before an outage is found afresh after it
    assert s.report(up + W + NS, False) == ()
    again = up + W + 5 * 60 * NS
    assert s.report(again, True) == ()
    run(s, again, again + W, others)
    assert s.report(again + W, True)[0].since == again


def test_the_whole_district_silent_is_reported_first_then_its_townships() -> None:
    s = Silence(REG)
    s.start(T0)
    rate = rates(s, TOWNSHIPS)
    stop = T0 + 15 * 60 * NS
    assert all(r == () for _, r in run(s, T0, stop, rate))
    # every township at 10 %: each below the ratio, and so is the district
    got = run(s, stop, stop + W, rate, scale=0.1)[-1][1]
    assert [a.area for a in got] == [DISTRICT, *TOWNSHIPS]
    district = got[0]
    assert district.name == REG.area_name(next(iter(REG.households.values())).district) != DISTRICT
    assert district.expected == round(s.expected(DISTRICT))
    assert district.seen == sum(a.seen for a in got[1:])
    assert district.seen < 0.2 * s.expected(DISTRICT)


def test_half_the_district_silent_is_its_townships_not_the_district() -> None:
    s = Silence(REG)
    s.start(T0)
    rate = rates(s, TOWNSHIPS)
    urban = [t for t in TOWNSHIPS if REG.areas[t].level == "street"]  # most of the traffic
    got = run(s, T0, T0 + 20 * 60 * NS, {t: rate[t] for t in urban})[-1][1]
    assert [a.area for a in got] == [t for t in TOWNSHIPS if t not in urban]


def test_townships_expecting_fewer_than_the_minimum_are_not_judged() -> None:
    s = Silence(SMALL)
    small = sorted(t for t in {h.township for h in SMALL.households.values()} if s.expected(t) < MIN_EXPECTED)
    assert small and len(small) < 22
    s.start(T0)
    got = run(s, T0, T0 + 20 * 60 * NS, {t: s.expected(t) for t in small})[-1][1]  # only they send
    # every large township is silent (the district still hears a third of its traffic); a small
    # one is never named, heard or not
    assert {a.area for a in got} == {
        t for t in {h.township for h in SMALL.households.values()} if t not in small
    }
    quiet = Silence(SMALL)
    quiet.start(T0)
    assert not {a.area for a in quiet.report(T0 + W, True)} & set(small)


def test_a_township_console_judges_its_own_township_only() -> None:
    s = Silence(REG, township="T03")
    assert s.expected(DISTRICT) == pytest.approx(Silence(REG).expected("T03"))
    s.start(T0)
    s.observe("T01", T0 + NS, 10_000)  # not its township: ignored
    (t03,) = s.report(T0 + W, True)
    assert t03.area == "T03" and t03.name == REG.area_name("T03")


def test_unknown_townships_and_messages_before_the_start_are_ignored() -> None:
    s = Silence(REG)
    s.start(T0)
    s.observe("ZZ", T0 + NS, 10_000)
    s.observe("T03", T0 - NS, 10_000)
    assert [a.area for a in s.report(T0 + W, True)] == [DISTRICT, *TOWNSHIPS]


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(ValueError):
        Silence(REG, window_s=605)
    with pytest.raises(ValueError):
        Silence(REG, ratio=0.4, recover_ratio=0.3)


def test_real_simulated_traffic_is_not_silent_until_a_township_stops() -> None:
    """The sim's heartbeats (periods drawn from console.sim.traffic.HB_PERIODS) and alarms, as the
    engine would count them: no false banner in 40 minutes; one township cut off is named."""
    s = Silence(REG)
    traffic = Traffic(REG, TrafficConfig(start_ns=T0))
    cut = T0 + 30 * 60 * NS
    reports: list[tuple[int, tuple[SilentArea, ...]]] = []
    next_report = T0
    for item in traffic.until(T0 + 50 * 60 * NS):
        while next_report <= item.at_ns:
            reports.append((next_report, s.report(next_report, True)))
            next_report += 10 * NS
        if item.label.startswith(("bad:", "unreg:")):
            continue
        township = item.topic.split("/")[4]
        if township == "T11" and item.at_ns >= cut:
            continue
        s.observe(township, item.at_ns)
    assert all(got == () for now, got in reports if now < cut + W // 2)
    last = reports[-1][1]
    assert [a.area for a in last] == ["T11"] and last[0].seen == 0


# --- order and batching do not matter ---------------------------------------------------------

# electric sensors (900 s): T01 and T03 expect ~27 a window, T17 40; T09's ~13 is not judged
PROP = Register(
    [],
    [
        household(f"{t}-{i}", t, ("electric",))
        for t, n in (("T01", 40), ("T03", 40), ("T09", 20), ("T17", 60))
        for i in range(n)
    ],
)

messages = st.lists(
    st.tuples(
        st.sampled_from(["T01", "T03", "T09", "T17", "ZZ"]),
        st.integers(min_value=0, max_value=900_000),  # ms before the report: most in its window
        st.integers(min_value=1, max_value=12),
    ),
    max_size=80,
)


@settings(max_examples=200, deadline=None)
@given(
    msgs=messages,
    order=st.randoms(use_true_random=False),
    at=st.integers(WINDOW_S, 3 * WINDOW_S),
    tell_all=st.booleans(),
)
def test_observe_order_and_batching_do_not_change_the_report(
    msgs: list[tuple[str, int, int]], order: random.Random, at: int, tell_all: bool
) -> None:
    now = T0 + at * NS
    # tell_all: every area heard less than expected is reported, so every count is compared
    ratio, least = (1.0, 0) if tell_all else (0.2, MIN_EXPECTED)
    one_by_one, batched = (
        Silence(PROP, ratio=ratio, recover_ratio=max(ratio, 0.3), min_expected=least) for _ in "ab"
    )
    one_by_one.start(T0)
    batched.start(T0)
    for t, ago, n in msgs:
        for _ in range(n):
            one_by_one.observe(t, now - ago * 1_000_000)
    summed: Counter[tuple[str, int]] = Counter()
    for t, ago, n in msgs:
        summed[(t, ago)] += n
    shuffled = list(summed.items())
    order.shuffle(shuffled)
    for (t, ago), n in shuffled:
        batched.observe(t, now - ago * 1_000_000, n)
    first = one_by_one.report(now, True)
    assert first == batched.report(now, True)
    assert one_by_one.report(now + 45 * NS, True) == batched.report(now + 45 * NS, True)
    STATS[len(first)] += 1


STATS: Counter[int] = Counter()  # how many areas the examples report (printed with -s)
