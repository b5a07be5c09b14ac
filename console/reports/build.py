"""Make a report file: gather the data, then the writer its suffix asks for (.pdf / .xlsx)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from console.reports.data import REPORT_LOCALE, ReportError, collect
from console.reports.pdf import write_pdf
from console.reports.xlsx import write_xlsx


def build_report(
    store: Any,
    kind: str,
    spec: str,
    out: str | Path,
    shift: str = "08:00-20:00",
    progress: Callable[[int], None] | None = None,
    locale: str = REPORT_LOCALE,
) -> Path:
    """Write the report to ``out``; the suffix (.pdf / .xlsx) picks the format. A PDF needs a
    QGuiApplication (``console.reports.pdf.ensure_gui_app``)."""
    path = Path(out)
    suffix = path.suffix.lower()
    if suffix not in (".pdf", ".xlsx"):
        raise ReportError(f"--out must end in .pdf or .xlsx, got {path.name!r}")
    data = collect(store, kind, spec, shift, progress)
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".pdf":
        write_pdf(data, path, locale)
    else:
        write_xlsx(data, path, locale)
    return path
