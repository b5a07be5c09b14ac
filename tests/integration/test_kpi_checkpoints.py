"""KPI checkpoints in a real store (SQLite file and PostgreSQL): KPIs from the newest checkpoint
plus the journal's tail equal a full fold, at any moment; checkpoints the journal, the build or
the register do not confirm are ignored; the live panel's fold is fed only new records; saving
never fails a computation."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import update

from console.app.kpi import KpiFold
from console.app.kpi_defs import DAY_NS, HOUR_NS, Kpis
from console.benches.kpi import SyntheticMonth
from console.domain import events as ev
from console.domain.deadlines import NS
from console.domain.registry import Register
from console.io.kpi_store import compute_from_store
from console.io.store import SqlStore, schema
from console.io.store.fold_checkpoints import list_fold_checkpoints, to_keep
from console.sim.district import generate

Row = tuple[int, str, str, str, bytes]
EVERY = 500  # checkpoint interval in these tests (50,000 in the console)


class Month:
    """A synthetic month's rows (not yet journaled) and the KPIs of a plain full fold of them."""

    def __init__(self) -> None:
        self.register = generate(seed=3, households=120)
        self.gen = SyntheticMonth(self.register, days=6, alarms_per_day=20, silent_share=0.1)
        self.rows: list[Row] = list(self.gen.rows_iter())
        assert self.gen.refused == []
        self.templates = self.gen.templates
        self.weights = self.gen.fold.world.weights
        self.start, self.end = self.gen.start, self.gen.end

    def full(self, rows: list[Row], now: int, start: int | None = None, end: int | None = None) -> Kpis:
        fold = KpiFold(self.register, self.templates, self.weights)
        for at, *_, body in rows:
            if at <= now:
                fold.feed_body(body)
        return fold.snapshot(now, start, end)

    def compute(self, store: SqlStore, now: int, **kw: Any) -> tuple[Kpis, Any]:
        kw.setdefault("save_every", EVERY)
        return compute_from_store(
            store, self.register, self.templates, self.weights, now, self.start, self.end, **kw
        )


@pytest.fixture(scope="module")
def month() -> Month:
    return Month()


@pytest.fixture
def store(journal_db_url: str, month: Month) -> Iterator[SqlStore]:
    s = SqlStore(journal_db_url)
    s.save_register(month.register)
    yield s
    s.close()


def _append(store: SqlStore, rows: list[Row]) -> None:
    for i in range(0, len(rows), 2000):
        store.journal.append(rows[i : i + 2000], "bench-1")


def _future_login(at: int) -> Row:
    e = ev.Login(at=at, operator="op-x", console="c-x", role="district_officer", scope="*")
    return (at, ev.source_of(e), ev.type_of(e), ev.key_of(e), ev.encode(e))


def test_kpis_from_checkpoint_and_tail_equal_a_full_fold(store: SqlStore, month: Month) -> None:
    _append(store, month.rows)
    end = month.end + HOUR_NS
    full = month.full(month.rows, end, month.start, month.end)

    k, cold = month.compute(store, end)
    assert k == full
    assert cold.loaded_seq is None and len(cold.saves) == cold.folded // EVERY
    stored = list_fold_checkpoints(store.engine, "kpi")
    assert stored and stored[0].seq == cold.saves[-1].seq and stored[0].size == cold.saves[-1].size

    k, warm = month.compute(store, end)
    assert k == full
    assert warm.loaded_seq == stored[0].seq and 0 < warm.folded < EVERY and warm.saves == []

    # a moment before the newest checkpoints: only one folded entirely before it may be used
    mid = month.start + 3 * DAY_NS + 5 * HOUR_NS
    k, past = month.compute(store, mid, save=False)
    assert k == month.full(month.rows, mid, month.start, month.end)
    used = next(c for c in stored if c.seq == past.loaded_seq)
    assert used.max_at <= mid < stored[0].max_at
    assert all(c.max_at > mid for c in stored if c.seq > used.seq)

    # before the first checkpoint: a full fold
    early = min(c.max_at for c in stored) - 1
    k, cold_again = month.compute(store, early, save=False)
    assert cold_again.loaded_seq is None and k == month.full(month.rows, early, month.start, month.end)


def test_checkpoints_not_confirmed_are_ignored(
    store: SqlStore, month: Month, caplog: pytest.LogCaptureFixture
) -> None:
    _append(store, month.rows)
    end = month.end + HOUR_NS
    full = month.full(month.rows, end, month.start, month.end)
    month.compute(store, end)
    stored = list_fold_checkpoints(store.engine, "kpi")
    assert len(stored) >= 4
    f = schema.fold_checkpoints
    with store.engine.begin() as conn:
        # the journal disagrees: the record at the checkpoint's seq has another hash
        conn.execute(update(f).where(f.c.id == stored[0].id).values(hash="0" * 64))
        # the state is damaged
        blob = conn.execute(f.select().where(f.c.id == stored[1].id)).one().blob
        conn.execute(update(f).where(f.c.id == stored[1].id).values(blob=blob[:-64]))
        # made by another build: never even read
        conn.execute(update(f).where(f.c.id == stored[2].id).values(fold_version="0.old"))
    with caplog.at_level(logging.WARNING, logger="console.io"):
        k, cur = month.compute(store, end, save=False)
    assert k == full
    assert cur.loaded_seq == stored[3].seq
    assert f"ignoring kpi checkpoint at seq {stored[0].seq}: journal hash is" in caplog.text
    assert f"ignoring kpi checkpoint at seq {stored[1].seq}: unreadable fold state" in caplog.text
    assert f"seq {stored[2].seq}" not in caplog.text


def test_reports_start_from_a_checkpoint(
    store: SqlStore, month: Month, caplog: pytest.LogCaptureFixture
) -> None:
    from console.reports.data import collect, period

    _append(store, month.rows)
    month.compute(store, month.end + HOUR_NS)  # leaves checkpoints, as the live console does
    start, end, now, _ = period("daily", "2026-11-03")
    with caplog.at_level(logging.INFO, logger="console.io.kpi_store"):
        data = collect(store, "daily", "2026-11-03")
    assert "kpi fold from checkpoint at seq" in caplog.text
    assert data.kpis == month.full(month.rows, now, start, end)
    assert data.kpis.incidents > 0 and data.kpis.missed


def test_checkpoint_of_another_register_is_not_used(store: SqlStore, month: Month) -> None:
    _append(store, month.rows)
    end = month.end + HOUR_NS
    month.compute(store, end)
    reg = month.register
    other = Register(reg.areas.values(), reg.households.values(), "import-20261201-abcdef")
    k, cur = compute_from_store(
        store, other, month.templates, month.weights, end, month.start, month.end, save=False
    )
    assert cur.loaded_seq is None
    assert k == month.full(month.rows, end, month.start, month.end)
    # saving for the new register drops the old register's checkpoints: never trusted again
    compute_from_store(store, other, month.templates, month.weights, end, save_every=EVERY)
    assert {c.register_version for c in list_fold_checkpoints(store.engine)} == {
        "import-20261201-abcdef/120h409d"
    }


def test_live_fold_is_fed_only_new_records(store: SqlStore, month: Month) -> None:
    """The KPI panel's compute: feed A, KPIs, feed B, KPIs == full fold of A + B; a restarted
    console starts from the newest checkpoint."""
    from console.bootstrap import kpi_for

    rows = month.rows
    a, b = len(rows) // 3, 2 * len(rows) // 3
    clock = SimpleNamespace(t=0)
    core = SimpleNamespace(
        store=store,
        world=SimpleNamespace(register=month.register, initial_register=month.register),
        engine=SimpleNamespace(clock=SimpleNamespace(now_ns=lambda: clock.t)),
    )
    run = kpi_for(core, save_every=EVERY)
    _append(store, rows[:a])
    clock.t = rows[a - 1][0]
    assert run() == month.full(rows[:a], clock.t)
    assert run.cursor.folded == a and run.cursor.loaded_seq is None
    _append(store, rows[a:b])
    clock.t = rows[b - 1][0] + 30 * NS
    assert run() == month.full(rows[:b], clock.t)
    assert run.cursor.folded == b  # the first A records were not read again
    assert [s.seq for s in run.cursor.saves] == list(range(EVERY, b + 1, EVERY))
    assert run() == month.full(rows[:b], clock.t)  # nothing new: same numbers

    _append(store, rows[b:])
    clock.t = month.end + HOUR_NS
    restarted = kpi_for(core, save_every=EVERY)
    assert restarted() == month.full(rows, clock.t)
    assert restarted.cursor.loaded_seq == run.cursor.saves[-1].seq
    after = rows[restarted.cursor.loaded_seq :]
    assert restarted.cursor.folded == sum(1 for r in after if r[0] <= clock.t)


def test_records_later_than_now(store: SqlStore, month: Month) -> None:
    """A record stamped later than ``now`` (another workstation's clock ahead): the live fold
    stops before it until ``now`` passes it; a one-shot computation leaves it out, folds the rest,
    and saves no checkpoint past it (such a fold is no longer "every record up to seq S")."""
    from console.io.kpi_store import KpiCursor

    rows = month.rows
    a = 1000
    b_end = rows[2 * a - 1][0]
    ahead = _future_login(b_end + 600 * NS)
    journal = [*rows[:a], ahead, *rows[a : 2 * a]]
    _append(store, journal)

    live = KpiCursor(store, month.register, month.templates, month.weights, save_every=300)
    assert live.live(b_end) == month.full(rows[:a], b_end)
    assert live.seq == a and live.exact
    assert live.live(ahead[0]) == month.full(journal, ahead[0])
    assert live.seq == 2 * a + 1 and [s.seq for s in live.saves] == list(range(300, 2 * a + 1, 300))

    with store.engine.begin() as conn:  # the one-shot starts from nothing
        conn.execute(schema.fold_checkpoints.delete())
    k, cur = month.compute(store, b_end, save_every=300)
    assert k == month.full(journal, b_end, month.start, month.end)
    assert not cur.exact and [s.seq for s in cur.saves] == [300, 600, 900]
    k, again = month.compute(store, b_end, save_every=300)
    assert again.loaded_seq == 900 and k == month.full(journal, b_end, month.start, month.end)


def test_a_locked_store_does_not_fail_the_computation(
    tmp_path: Any, month: Month, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "journal.sqlite"
    store = SqlStore(path, busy_timeout_ms=100)
    store.save_register(month.register)
    _append(store, month.rows[:1200])
    now = month.rows[1199][0]
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds WAL's one write lock
    try:
        with caplog.at_level(logging.WARNING, logger="console.io"):
            k, cur = month.compute(store, now)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert k == month.full(month.rows, now, month.start, month.end)
    assert cur.saves == [] and "could not save a kpi checkpoint at seq 500: locked" in caplog.text
    _, cur = month.compute(store, now)
    assert [s.seq for s in cur.saves] == [500, 1000]
    store.close()


def test_read_only_store_below_revision_0003_folds_everything(tmp_path: Any, month: Month) -> None:
    from console.io.store import migrate
    from console.io.store.db import make_engine

    path = tmp_path / "old.sqlite"
    engine = make_engine(path)
    migrate.upgrade(engine, "0002")
    engine.dispose()
    with SqlStore(path, upgrade=False) as old:
        old.save_register(month.register)
        _append(old, month.rows[:1500])
    now = month.rows[1499][0]
    with SqlStore(path, readonly=True) as ro:
        assert ro.revision() == "0002"
        k, cur = month.compute(ro, now)
        assert k == month.full(month.rows, now, month.start, month.end)
        assert cur.loaded_seq is None and cur.saves == [] and list_fold_checkpoints(ro.engine) == []


def test_retention_keeps_the_newest_one_a_day_and_one_a_month() -> None:
    nov1 = 1_793_462_400 * NS  # 2026-11-01 00:00 China time
    rows = []  # (id, seq, max_at): four checkpoints a day for 100 days, Nov 1 .. Feb 8
    for day in range(100):
        for q in range(4):
            i = 4 * day + q + 1
            rows.append((i, 10 * i, nov1 + day * DAY_NS + q * 5 * HOUR_NS))
    rows.reverse()  # newest first
    newest = {400, 399, 398}
    daily = {4 * (day + 1) for day in range(99 - 35, 100)}  # each day's last, 35 days back
    monthly = {4 * 30, 4 * 61}  # the last of November and of December
    assert to_keep(rows) == newest | daily | monthly
    assert to_keep([]) == set()


def test_bench_runs_small() -> None:
    from console.benches.kpi import run

    out = run(["--records", "12000", "--days", "6", "--save-every", "1500", "--no-report"])
    assert out["sqlite_matches_memory"] is True and out["warm_matches_cold"] is True
    assert 1400 < out["kpi_from_checkpoint_tail_records"] < 1500
    assert out["checkpoints_saved"] >= 7 and out["checkpoint_bytes"] > 0
    assert out["kpi_s"] > 0 and out["kpi_cold_s"] > 0  # speed is the bench's to report, not a test's
