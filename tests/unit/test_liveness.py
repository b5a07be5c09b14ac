"""Heartbeats journaled as places (console/domain/liveness.py): the encoding, what counts as a
change, and that the compact form folds to the same device health as the beats in full."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.domain import events as ev
from console.domain import liveness
from console.domain.supervision import Health
from console.domain.world import World
from tests.unit.helpers import NS, T0, alarm, world

_BASE = world(6)
DEVICES = (*sorted(_BASE.register.device_index), "GHOST-1", "GHOST-2")


def fresh() -> World:
    return World(_BASE.register, _BASE.templates, _BASE.weights)


@given(st.sets(st.integers(0, 300_000), max_size=200))
def test_places_round_trip(places: set[int]) -> None:
    data = liveness.encode_places(places)
    assert liveness.decode_places(data, 300_001) == sorted(places)


def test_places_cost_a_byte_or_two_each_at_a_districts_density() -> None:
    # 300 beats among 100k devices: gaps of ~330, two bytes each
    places = range(0, 100_000, 333)
    assert len(liveness.encode_places(places)) <= 2 * len(places)
    assert liveness.encode_places([]) == b""


@pytest.mark.parametrize(
    ("data", "size", "why"),
    [(b"\x80", 10, "truncated"), (b"\x05", 5, "past the register"), (b"\xff" * 10 + b"\x01", 10, "too long")],
)
def test_unreadable_places_are_refused(data: bytes, size: int, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        liveness.decode_places(data, size)


@pytest.mark.parametrize(
    ("old", "new", "moved"),
    [
        (None, -70, True),
        (-70, None, False),
        (-70, -79, False),  # same band
        (-70, -84, False),  # the next band, but within the hysteresis
        (-70, -86, True),
        (-81, -77, False),  # sitting on the -80 edge: jitter is not a change
        (-81, -75, True),
        (-95, -104, False),
        (-95, -106, True),
        (-115, -130, False),  # the lowest band has no floor
        (-60, -20, False),  # nor the highest a ceiling
    ],
)
def test_the_signal_moves_only_past_its_band_and_the_hysteresis(old: Any, new: Any, moved: bool) -> None:
    assert liveness.rssi_moved(old, new) is moved


def test_what_changes_more_than_the_time() -> None:
    h = Health(dev="D", kind="smoke", household="H", hb_s=600, bat=80, rssi=-70)
    assert not liveness.changes(h, ev.Beat("D", T0))
    assert not liveness.changes(h, ev.Beat("D", T0, 80, -72, 600))
    assert liveness.changes(h, ev.Beat("D", T0, 79))
    assert liveness.changes(h, ev.Beat("D", T0, None, None, 300))
    assert liveness.changes(h, ev.Beat("D", T0, None, -95))
    assert liveness.changes(None, ev.Beat("D", T0))
    offline = Health(dev="D", kind="smoke", household="H", online=False)
    assert liveness.changes(offline, ev.Beat("D", T0)) and liveness.urgent(offline, ev.Beat("D", T0))
    assert not liveness.urgent(h, ev.Beat("D", T0, None, None, 300)) and not liveness.urgent(
        h, ev.Beat("D", T0, 10)
    )
    never_heard = Health(dev="D", kind="smoke", household="H")  # watched from the start, hb_s 0
    assert liveness.changes(never_heard, ev.Beat("D", T0, 90, -70, 3600))
    assert not liveness.urgent(never_heard, ev.Beat("D", T0, 90, -70, 3600))


def test_a_flush_keeps_every_beat_of_a_changed_device_in_full() -> None:
    w = fresh()
    w.apply(ev.SystemNote(at=T0, what="start"))
    reg = w.register
    beats = {
        "T1": [ev.Beat("H1-smoke", T0), ev.Beat("H1-smoke", T0, 55), ev.Beat("H1-co", T0), ev.Beat("X", T0)],
        "T2": [ev.Beat("H2-gas", T0), ev.Beat("H2-gas", T0)],
    }
    out = liveness.compact(beats, T0 + NS, w.supervisor.health, reg.place, reg.digest)
    hb, seen = out
    assert isinstance(hb, ev.Heartbeats) and hb.township == "T1"
    assert [(b.dev, b.bat) for b in hb.beats] == [("H1-smoke", None), ("H1-smoke", 55)]
    assert isinstance(seen, ev.Seen) and (seen.beats, seen.unknown, seen.reg) == (3, 1, reg.digest)
    assert w.seen_devices(seen) == ["H1-co", "H2-gas"]
    assert liveness.compact({}, T0, w.supervisor.health, reg.place, reg.digest) == []


# --- the compact form folds like the beats in full ---------------------------------------------

beat = st.tuples(
    st.sampled_from(DEVICES),
    st.one_of(st.none(), st.integers(20, 100)),  # battery
    st.one_of(st.none(), st.integers(-120, -50)),  # signal
    st.one_of(st.none(), st.sampled_from([300, 600, 3600])),  # period
)
step = st.one_of(
    st.tuples(st.just("flush"), st.lists(beat, min_size=1, max_size=8)),
    st.tuples(st.just("flush"), st.lists(beat, min_size=1, max_size=8)),
    st.tuples(st.just("wait"), st.sampled_from([1, 60, 800, 3000, 20_000])),
    st.tuples(st.just("offline"), st.sampled_from(DEVICES)),
    st.tuples(st.just("alarm"), st.sampled_from(DEVICES)),
)


def _health(w: World) -> dict[str, tuple[Any, ...]]:
    return {d: (h.online, h.last_seen, h.hb_s, h.bat, h.rssi is None) for d, h in w.supervisor.health.items()}


def _tickets(w: World) -> list[tuple[Any, ...]]:
    return [(t.dev, t.kind, t.opened, t.closed) for t in w.tickets.values()]


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.lists(step, min_size=3, max_size=30))
def test_a_journal_in_the_compact_form_folds_to_the_same_device_health(steps: list[Any]) -> None:
    full, compact = fresh(), fresh()
    records = 0
    at = T0
    for w in (full, compact):
        w.apply(ev.SystemNote(at=at, what="start"))
    for n, s in enumerate(steps):
        at += NS
        if s[0] == "flush":
            beats: dict[str, list[ev.Beat]] = {}
            for dev, bat, rssi, hb in s[1]:
                beats.setdefault("T1" if "1" in dev else "T2", []).append(ev.Beat(dev, at, bat, rssi, hb))
            in_order = tuple(b for t in sorted(beats) for b in beats[t])
            full.apply(ev.Heartbeats(at=at, township="T1", beats=in_order))
            reg = compact.register
            for e in liveness.compact(beats, at, compact.supervisor.health, reg.place, reg.digest):
                compact.apply(ev.decode(ev.encode(e)))  # as the journal keeps it
                records += 1
        else:
            if s[0] == "wait":
                at += s[1] * NS
                e: ev.AnyEvent = ev.Tick(at=at)
            elif s[0] == "offline":
                e = alarm(s[1], at, id_=f"o{n}", evt="offline")
            else:
                e = alarm(s[1], at, id_=f"a{n}")
            full.apply(e)
            compact.apply(e)
        assert _health(compact) == _health(full)
        for d, h in full.supervisor.health.items():  # the signal as it last left its band
            assert not liveness.rssi_moved(compact.supervisor.health[d].rssi, h.rssi), d
        assert _tickets(compact) == _tickets(full)
    for key in ("heartbeats", "unknown_heartbeats"):
        assert compact.counters[key] == full.counters[key], key
    assert compact.supervisor.next_due() == full.supervisor.next_due()
    assert len(compact.incidents) == len(full.incidents)
