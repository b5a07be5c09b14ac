"""What a report shows: the period, the KPIs over the journal at a fixed moment, the incidents.

No Qt here. The numbers are ``console.app.kpi`` over the journal, taken at a fixed moment (the
period's end plus one hour for daily/monthly, so every 1-5-30 mark of the period is decided; the
shift's end for a handover), so the same journal always gives the same report, whenever it is
printed. The writers (``console.reports.pdf``, ``console.reports.xlsx``) import this module; the
words they print come from ``console.ui.words`` in ``REPORT_LOCALE``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from console.app.data import load_templates, load_weights
from console.app.kpi_defs import DAY_NS, HOUR_NS, Kpis, cst_time, day_ns
from console.domain.incident import Incident
from console.domain.registry import Register
from console.io.kpi_store import compute_from_store
from console.io.store.journal import sqlite_rows
from console.paths import resource

KINDS: Final = ("daily", "monthly", "handover")
REPORT_LOCALE: Final = "zh_CN"  # the language reports are printed in, whatever the console shows


class ReportError(Exception):
    """A report that cannot be made, with a message for the person who asked."""


@dataclass
class ReportData:
    kind: str  # daily | monthly | handover
    label: str  # "2026-11-03", "2026-11", "2026-11-03 08:00-20:00"
    kpis: Kpis
    register: Register
    incidents: dict[int, Incident]
    missed: list[Incident] = field(default_factory=list)
    open_incidents: list[Incident] = field(default_factory=list)
    shift_incidents: list[Incident] = field(default_factory=list)
    handovers: list[Any] = field(default_factory=list)

    def township(self, code: str) -> str:
        return self.register.area_name(code)


# --- periods -------------------------------------------------------------------------------


def period(kind: str, spec: str, shift: str = "08:00-20:00") -> tuple[int, int, int, str]:
    """(start, end, now, label) in UTC ns for a report kind and its --date."""
    if kind == "monthly":
        m = re.fullmatch(r"(\d{4})-(\d{2})", spec)
        if not m:
            raise ReportError(f"monthly report needs --date YYYY-MM, got {spec!r}")
        y, mo = int(m[1]), int(m[2])
        if not 1 <= mo <= 12:
            raise ReportError(f"no month {mo} in {spec!r}")
        start = day_ns(y, mo, 1)
        end = day_ns(y + (mo == 12), mo % 12 + 1, 1)
        return start, end, end + HOUR_NS, spec
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", spec)
    if not m:
        raise ReportError(f"{kind} report needs --date YYYY-MM-DD, got {spec!r}")
    try:
        day = day_ns(int(m[1]), int(m[2]), int(m[3]))
    except ValueError as exc:
        raise ReportError(f"bad date {spec!r}: {exc}") from exc
    if kind == "daily":
        return day, day + DAY_NS, day + DAY_NS + HOUR_NS, spec
    s = re.fullmatch(r"(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})", shift)
    if not s:
        raise ReportError(f"--shift must look like 08:00-20:00, got {shift!r}")
    a = day + (int(s[1]) * 60 + int(s[2])) * 60 * 10**9
    b = day + (int(s[3]) * 60 + int(s[4])) * 60 * 10**9
    if b <= a:
        b += DAY_NS  # a night shift ends the next morning
    return a, b, b, f"{spec} {shift}"


# --- reading -------------------------------------------------------------------------------


def read_bodies(store: Any, now: int) -> Iterator[bytes]:
    """Journal bodies accepted at or before ``now``, in order. SQLite reads straight off the
    DBAPI cursor (several times faster than building a Record per row); others use the journal."""
    if store.dialect == "sqlite":
        for (body,) in sqlite_rows(
            store.engine, "SELECT body FROM journal WHERE at_ns <= ? ORDER BY seq", (now,)
        ):
            yield bytes(body)
        return
    for r in store.journal.read(1):
        if r.at > now:
            break
        yield r.body


def collect(
    store: Any,
    kind: str,
    spec: str,
    shift: str = "08:00-20:00",
    progress: Callable[[int], None] | None = None,
) -> ReportData:
    """Fold the journal up to the report's moment (from the newest usable KPI checkpoint, see
    console/io/kpi_store.py) and gather what the report shows."""
    if kind not in KINDS:
        raise ReportError(f"unknown report {kind!r}; one of {', '.join(KINDS)}")
    start, end, now, label = period(kind, spec, shift)
    register = store.load_register()
    if register is None:
        raise ReportError("the store holds no household register; import one first (import-register)")
    k, cursor = compute_from_store(
        store,
        register,
        load_templates(resource("checklists")),
        load_weights(resource("risk.toml")),
        now,
        start,
        end,
        progress=progress,
    )
    assert cursor.fold is not None
    w = cursor.fold.world
    data = ReportData(kind=kind, label=label, kpis=k, register=register, incidents=w.incidents)
    data.missed = [w.incidents[i] for i in k.missed]
    data.open_incidents = [w.incidents[i] for i in k.open_incidents]
    data.shift_incidents = [
        i
        for i in w.incidents.values()
        if start <= i.opened < end or (i.closed_at is not None and start <= i.closed_at < end)
    ]
    data.handovers = [h for h in w.handovers if start <= h.at < end]
    return data


# --- formatting shared by both writers -----------------------------------------------------


def pct(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.1f}%"


def mins(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds / 60:.1f}"


def when(at: int | None) -> str:
    return "" if at is None else cst_time(at)
