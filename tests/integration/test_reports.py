"""Reports for a simulated month in a real SQLite store: the PDF parses (QtPdf) and says what the
KPI computation says; the XLSX opens with openpyxl and its numbers are the KPI numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

MONTH = "2026-11"


@pytest.fixture(scope="module")
def month_db(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from console.benches.kpi import synthetic_journal
    from console.io.store import SqlStore
    from console.sim.district import generate

    db = tmp_path_factory.mktemp("reports") / "journal.sqlite"
    reg = generate(seed=7, households=150)
    store = SqlStore(f"sqlite:///{db}")
    store.save_register(reg)
    month = synthetic_journal(reg, store.journal, days=30, alarms_per_day=6, silent_share=0.05)
    assert month.refused == []
    yield store, month
    store.close()


def _kpis(store: Any, kind: str, spec: str) -> Any:
    """The KPIs straight from the journal, through the ordinary Record reader."""
    from console.app.data import load_templates, load_weights
    from console.app.kpi import compute
    from console.paths import resource
    from console.reports.data import period

    start, end, now, _ = period(kind, spec)
    k, _ = compute(
        store.journal.read(1),
        store.load_register(),
        load_templates(resource("checklists")),
        load_weights(resource("risk.toml")),
        now,
        start,
        end,
    )
    return k


def test_monthly_xlsx_numbers_match_kpis(month_db: Any, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from console.reports.build import build_report

    store, _ = month_db
    k = _kpis(store, "monthly", MONTH)
    assert k.incidents > 100 and k.missed and 0 < k.marks[0].share < 1
    out = build_report(store, "monthly", MONTH, tmp_path / "m.xlsx")
    wb = load_workbook(out, read_only=True)
    summary = {r[0]: r[2] for r in wb["概况 Summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["alarms"] == k.alarms
    assert summary["incidents"] == k.incidents
    assert summary["closed"] == k.closed
    for m in k.marks:
        assert summary[f"mark_{m.minute}_met"] == m.met
        assert summary[f"mark_{m.minute}_share"] == pytest.approx(m.share)
    assert summary["dispatch_median_s"] == pytest.approx(k.dispatch.median_s)
    assert summary["closure_p90_s"] == pytest.approx(k.closure.p90_s)
    assert summary["online_rate"] == pytest.approx(k.online_rate)
    assert summary["missed_incidents"] == len(k.missed)
    daily = list(wb["每日 Daily"].iter_rows(min_row=2, values_only=True))
    assert len(daily) == 30 and sum(sum(r[1:5]) for r in daily) == k.alarms
    towns = list(wb["镇街 Townships"].iter_rows(min_row=2, values_only=True))
    assert sum(r[3] for r in towns) == k.incidents
    missed_ids = [r[0] for r in wb["超时事件 Missed"].iter_rows(min_row=2, values_only=True)]
    assert missed_ids == k.missed
    timeline_ids = {r[0] for r in wb["超时时间线 Timelines"].iter_rows(min_row=2, values_only=True)}
    assert timeline_ids == set(k.missed)
    wb.close()


def test_monthly_pdf_parses_and_says_the_numbers(month_db: Any, tmp_path: Path, qapp: Any) -> None:
    from PySide6.QtPdf import QPdfDocument

    from console.reports.build import build_report
    from console.reports.data import pct

    store, _ = month_db
    k = _kpis(store, "monthly", MONTH)
    out = build_report(store, "monthly", MONTH, tmp_path / "m.pdf")
    assert out.read_bytes()[:5] == b"%PDF-"
    doc = QPdfDocument(None)
    assert doc.load(str(out)) == QPdfDocument.Error.None_
    assert doc.pageCount() >= 2
    first = doc.getAllText(0).text()
    assert "守护台月报 2026-11" in first  # the CJK font made it into the PDF
    assert f"{k.marks[0].met}/{k.marks[0].decided}" in first
    assert pct(k.online_rate) in first
    doc.close()


def test_cli_daily_and_handover(month_db: Any, tmp_path: Path, qapp: Any) -> None:
    from openpyxl import load_workbook

    from console.entry.report import main

    store, _ = month_db
    db = str(store.url)
    assert main(["daily", "--date", "2026-11-03", "--db", db, "--out", str(tmp_path / "d.xlsx")]) == 0
    k = _kpis(store, "daily", "2026-11-03")
    wb = load_workbook(tmp_path / "d.xlsx", read_only=True)
    summary = {r[0]: r[2] for r in wb["概况 Summary"].iter_rows(min_row=2, values_only=True)}
    assert (summary["incidents"], summary["alarms"]) == (k.incidents, k.alarms)
    wb.close()
    out = tmp_path / "h.pdf"
    assert main(["handover", "--date", "2026-11-03", "--db", db, "--out", str(out)]) == 0
    assert out.read_bytes()[:5] == b"%PDF-"


def test_cli_bad_input_says_why(month_db: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from console.entry.report import main

    store, _ = month_db
    db = str(store.url)
    assert main(["monthly", "--date", "2026-13", "--db", db, "--out", str(tmp_path / "x.xlsx")]) == 2
    assert "no month 13" in capsys.readouterr().err
    assert main(["daily", "--date", "2026-11-03", "--db", db, "--out", str(tmp_path / "x.doc")]) == 2
    assert ".pdf or .xlsx" in capsys.readouterr().err
    empty = tmp_path / "empty.sqlite"
    from console.io.store import SqlStore

    SqlStore(f"sqlite:///{empty}").close()
    assert main(["daily", "--date", "2026-11-03", "--db", str(empty), "--out", str(tmp_path / "y.xlsx")]) == 2
    assert "no household register" in capsys.readouterr().err
