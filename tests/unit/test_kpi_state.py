"""A KPI fold saved to bytes and loaded back goes on exactly as the fold it was: fed the rest of
the journal it gives the KPIs of a full fold, whatever moment it was cut at. A fold whose KPIs were
taken (which hands every deferred beat to its World) also goes on exactly. States of another
version or register, or damaged ones, are refused."""

from __future__ import annotations

import zlib
from typing import Any

import msgspec
import pytest

from console.app.kpi import HOUR_NS, KpiFold
from console.app.kpi_state import (
    MAGIC,
    FoldStateError,
    dump_fold,
    load_fold,
    register_key,
    state_version,
    unknown_fields,
)
from console.app.memjournal import MemoryJournal
from console.domain import events as ev
from console.domain.registry import Register


@pytest.fixture(scope="module")
def month() -> Any:
    from console.benches.kpi import synthetic_journal
    from console.sim.district import generate

    reg = generate(seed=3, households=120)
    j = MemoryJournal()
    m = synthetic_journal(reg, j, days=6, alarms_per_day=20, silent_share=0.1)
    assert m.refused == []
    return m, j.records


def _fold(m: Any, bodies: Any = ()) -> KpiFold:
    fold = KpiFold(m.register, m.templates, m.fold.world.weights)
    for b in bodies:
        fold.feed_body(b)
    return fold


def _cuts(records: list[Any]) -> dict[str, int]:
    """Cut points: early, right after a heartbeat batch (beats deferred), before and after an
    alarm, a timer, and one record before the end."""
    types = [r.type for r in records]
    n = len(records)
    alarm = next(i for i in range(n // 3, n) if b'"alarm"' in records[i].body)
    tick = next(i for i in range(n // 4, n) if types[i] == "tick")
    return {
        "early": 17,
        "after_beats": next(i for i in range(n // 2, n) if types[i] == "hb") + 1,
        "before_alarm": alarm,
        "after_alarm": alarm + 1,
        "before_tick": tick,
        "after_tick": tick + 1,
        "last": n - 1,
    }


def test_saved_fold_goes_on_as_a_full_fold(month: Any) -> None:
    m, records = month
    bodies = [r.body for r in records]
    now = m.end + HOUR_NS
    full = _fold(m, bodies).snapshot(now, m.start, m.end)
    assert (
        full.incidents > 50
        and full.open_tickets > 0
        and min(x for x in full.online_daily if x is not None) < 1
    )
    for name, cut in _cuts(records).items():
        part = _fold(m, bodies[:cut])
        if name == "after_beats":
            assert part._pending, "this cut should hold deferred beats"
        again = load_fold(dump_fold(part), m.register, m.templates, m.fold.world.weights)
        for b in bodies[cut:]:
            again.feed_body(b)
        assert again.snapshot(now, m.start, m.end) == full, name


def test_fold_goes_on_after_snapshot_and_dump(month: Any) -> None:
    """The live panel: feed A, take KPIs, save, feed B, take KPIs == a full fold of A + B."""
    m, records = month
    bodies = [r.body for r in records]
    third = len(bodies) // 3
    live = _fold(m, bodies[:third])
    live.snapshot(records[third - 1].at)
    dump_fold(live)  # may compact the World's offline heap: must not change what follows
    for b in bodies[third : 2 * third]:
        live.feed_body(b)
    mid = records[2 * third - 1].at
    assert live.snapshot(mid) == _fold(m, bodies[: 2 * third]).snapshot(mid)
    restored = load_fold(dump_fold(live), m.register, m.templates, m.fold.world.weights)
    for b in bodies[2 * third :]:
        live.feed_body(b)
        restored.feed_body(b)
    now = m.end + HOUR_NS
    full = _fold(m, bodies).snapshot(now, m.start, m.end)
    assert live.snapshot(now, m.start, m.end) == full
    assert restored.snapshot(now, m.start, m.end) == full


def test_state_is_refused_for_another_register_or_version(month: Any) -> None:
    m, records = month
    blob = dump_fold(_fold(m, [r.body for r in records[:500]]))
    w = m.fold.world.weights
    other = Register(m.register.areas.values(), m.register.households.values(), "another-version")
    with pytest.raises(FoldStateError, match="register"):
        load_fold(blob, other, m.templates, w)
    state = msgspec.msgpack.decode(zlib.decompress(blob[len(MAGIC) :]))
    state[0] = "0.old"
    old = MAGIC + zlib.compress(msgspec.msgpack.encode(state))
    with pytest.raises(FoldStateError, match="version"):
        load_fold(old, m.register, m.templates, w)
    with pytest.raises(FoldStateError):
        load_fold(blob[:-40], m.register, m.templates, w)
    with pytest.raises(FoldStateError):
        load_fold(b"not a state", m.register, m.templates, w)
    assert load_fold(blob, m.register, m.templates, w).records == 500


def test_register_key_tells_registers_apart(month: Any) -> None:
    m, _ = month
    reg = m.register
    assert register_key(reg).startswith(reg.version)
    unversioned = Register(reg.areas.values(), reg.households.values(), "")
    fewer = Register(reg.areas.values(), list(reg.households.values())[1:], "")
    assert register_key(unversioned) != register_key(fewer)
    assert register_key(unversioned) == register_key(Register(reg.areas.values(), reg.households.values()))
    assert state_version().startswith("1.")


def test_a_field_the_state_does_not_know_is_refused(month: Any) -> None:
    """Someone adding fold state must add it to the saved state too (or say it is derived)."""
    m, _ = month
    fold = _fold(m, [ev.encode(ev.SystemNote(at=m.start, what="start"))])
    assert unknown_fields(fold) == []
    fold.extra_counter = 1  # type: ignore[attr-defined]
    assert unknown_fields(fold) == ["extra_counter"]
    with pytest.raises(FoldStateError, match="extra_counter"):
        dump_fold(fold)
