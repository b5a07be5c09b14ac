"""The KPI panel draws what ``set_data`` gives it and computes off the UI thread; the import
wizard runs its importer on a worker thread and shows every error."""

from __future__ import annotations

import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from console.benches.kpi import synthetic_journal
from console.sim.district import generate


@pytest.fixture(scope="module")
def kpis() -> Any:
    from console.app.memjournal import MemoryJournal

    reg = generate(seed=5, households=60)
    month = synthetic_journal(reg, MemoryJournal(), days=3, alarms_per_day=30)
    return month.fold.snapshot(month.end, month.start, month.end)


def test_set_data_draws_the_numbers(qtbot: Any, kpis: Any) -> None:
    from console.ui.kpi_panel import KpiPanel, pct

    panel = KpiPanel()
    qtbot.addWidget(panel)
    panel.show()
    with qtbot.waitSignal(panel.updated, timeout=5000):
        panel.set_data(kpis)
    assert panel.tiles["incidents"].text() == str(kpis.incidents)
    assert panel.tiles["mark_1"].text() == pct(kpis.marks[0].share)
    assert panel.tiles["online"].text() == pct(kpis.online_rate)
    assert panel.tiles["tickets"].text() == str(kpis.open_tickets)
    # stacked daily bars: the tops of the last kind add up to the day's alarms
    top = panel.daily_bars["electric"].opts
    totals = [y0 + h for y0, h in zip(top["y0"], top["height"], strict=True)]
    assert totals == [sum(kpis.daily[k][i] for k in kpis.daily) for i in range(len(kpis.days))]
    assert list(panel.hourly_bars["smoke"].opts["height"]) == kpis.hourly["smoke"]
    assert panel.table.rowCount() == len(kpis.townships)
    assert panel.table.item(0, 0).text() == kpis.townships[0].name


def test_refresh_computes_on_a_worker_and_coalesces(qtbot: Any, kpis: Any) -> None:
    from console.ui.kpi_panel import KpiPanel

    panel = KpiPanel()
    qtbot.addWidget(panel)
    gate = threading.Event()
    threads: list[str] = []

    def slow() -> Any:
        threads.append(threading.current_thread().name)
        assert gate.wait(10)
        return kpis

    panel.refresh(slow)
    panel.refresh(slow)  # arrives while the first runs: runs once more afterwards
    panel.refresh(slow)
    assert panel.busy and panel.tiles["incidents"].text() == "—"  # the UI thread did not wait
    gate.set()
    qtbot.waitUntil(lambda: len(threads) == 2 and not panel.busy, timeout=10_000)
    assert threads == ["kpi", "kpi"] and threading.current_thread().name != "kpi"
    assert panel.tiles["incidents"].text() == str(kpis.incidents)


def test_console_compute_is_incremental_on_the_worker(qtbot: Any, tmp_path: Path) -> None:
    """The console's compute (launch.kpi_for over a real SQLite store) run by the panel's worker:
    each refresh folds only what was journaled since the last and draws a full fold's numbers."""
    from console.app.kpi import KpiFold
    from console.benches.kpi import SyntheticMonth
    from console.bootstrap import kpi_for
    from console.io.store import SqlStore
    from console.ui.kpi_panel import KpiPanel

    reg = generate(seed=5, households=60)
    month = SyntheticMonth(reg, days=3, alarms_per_day=30)
    rows = list(month.rows_iter())
    store = SqlStore(tmp_path / "journal.sqlite")
    clock = SimpleNamespace(t=0)
    core = SimpleNamespace(
        store=store,
        world=SimpleNamespace(register=reg, initial_register=reg),
        engine=SimpleNamespace(clock=SimpleNamespace(now_ns=lambda: clock.t)),
    )
    compute = kpi_for(core, save_every=400)
    panel = KpiPanel()
    qtbot.addWidget(panel)
    half = len(rows) // 2
    for part in (rows[:half], rows[half:]):
        store.journal.append(part, "c1")
        clock.t = part[-1][0]
        with qtbot.waitSignal(panel.updated, timeout=20_000):
            panel.refresh(compute)
        fold = KpiFold(reg, month.templates, month.fold.world.weights)
        for r in store.journal.read(1):
            fold.feed_body(r.body)
        assert panel.kpis == fold.snapshot(clock.t)
    assert compute.cursor.folded == len(rows)  # every record read once
    assert compute.cursor.saves and compute.cursor.saves[-1].seq == len(rows) // 400 * 400
    assert panel.tiles["incidents"].text() == str(panel.kpis.incidents)
    store.close()


def test_refresh_failure_is_shown(qtbot: Any) -> None:
    from console.ui.kpi_panel import KpiPanel

    panel = KpiPanel()
    qtbot.addWidget(panel)

    def broken() -> Any:
        raise RuntimeError("journal unreadable")

    with qtbot.waitSignal(panel.failed, timeout=5000) as sig:
        panel.refresh(broken)
    assert "journal unreadable" in sig.args[0]
    assert "journal unreadable" in panel.status.text()
    assert not panel.busy


def test_import_wizard_runs_importer_off_the_ui_thread(qtbot: Any, tmp_path: Path) -> None:
    from console.ui.import_wizard import ImportWizard

    f = tmp_path / "reg.csv"
    f.write_text("code\n", encoding="utf-8")
    seen: list[tuple[Path, bool, str]] = []

    def fake_import(path: Path, replace: bool, progress: Any) -> Any:
        seen.append((path, replace, threading.current_thread().name))
        for i in range(0, 1001, 250):
            progress(i, 1000, "validate")
        progress(1, 1, "save")
        err = SimpleNamespace(
            row=7, column="contacts", reason="bad_phone", detail="guardian: 1234", code="H7"
        )
        return SimpleNamespace(
            total=1000,
            valid=999,
            added=["H1"],
            updated=[],
            unchanged=998,
            removed=[],
            errors=[err],
            saved=True,
        )

    wiz = ImportWizard(fake_import)
    qtbot.addWidget(wiz)
    wiz.show()
    wiz.file_page.path.setText(str(f))
    assert wiz.file_page.isComplete()
    with qtbot.waitSignal(wiz.finishedImport, timeout=10_000):
        wiz.next()
    assert seen == [(f, False, "register-import")]
    assert wiz.run_page.isComplete()
    wiz.next()
    assert "999 valid, 1 errors" in wiz.result_page.summary.text()
    assert wiz.result_page.table.item(0, 2).text() == "bad_phone"
