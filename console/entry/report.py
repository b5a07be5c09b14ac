"""Daily, monthly and shift-handover reports from the journal, as PDF or XLSX.

``python -m console report daily|monthly|handover --date YYYY-MM-DD|YYYY-MM --db URL --out FILE``

The reports themselves are console/reports (see docs/kpi.md); this is the command line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from console.reports.data import KINDS, ReportError

EXIT_CODES = (
    "exit codes: 0 the report is written (its path printed); 1 the store cannot be opened;"
    " 2 the report cannot be made (a bad --date or --shift, --out not .pdf or .xlsx, no register in"
    " the store), or bad usage."
)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        prog="python -m console report", description=__doc__.split("\n")[0], epilog=EXIT_CODES
    )
    p.add_argument("kind", choices=KINDS)
    p.add_argument("--date", required=True, help="YYYY-MM-DD (daily, handover) or YYYY-MM (monthly)")
    p.add_argument("--db", required=True, help="store URL or SQLite file")
    p.add_argument("--out", required=True, help="FILE.pdf or FILE.xlsx")
    p.add_argument("--shift", default="08:00-20:00", help="handover: shift hours, China time")
    a = p.parse_args(argv)
    from console.io.store import JournalError, SqlStore
    from console.reports.build import build_report
    from console.reports.pdf import ensure_gui_app

    try:
        store = SqlStore(a.db, readonly=True)
    except JournalError as exc:
        print(f"report: cannot open {a.db}: {exc}", file=sys.stderr)
        return 1
    try:
        if Path(a.out).suffix.lower() == ".pdf":
            ensure_gui_app()
        path = build_report(
            store,
            a.kind,
            a.date,
            a.out,
            a.shift,
            progress=lambda n: print(f"  {n:,} records read", file=sys.stderr),
        )
    except ReportError as exc:
        print(f"report: {exc}", file=sys.stderr)
        return 2
    finally:
        store.close()
    print(path)
    return 0
