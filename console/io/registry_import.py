"""Import the cross-department household register from CSV or XLSX (docs/register.md layout).

Every row is checked; each problem becomes one line of the error report (spreadsheet row number,
column, reason). The packed residents / contacts / devices cells are read through
console.domain.register_format, the one home of that syntax. The valid rows are then saved in
ONE transaction (the store replaces the register as a whole), so an import is all or nothing
and a failed save changes nothing. Re-importing updates households in place by code; with
``replace`` households missing from the file are removed. What changed is journaled as a
``SystemNote(what="register_import")`` before the register is saved.

The register defines the areas: whatever district, townships/streets, communities/villages and
grids its rows name exist, with the names the rows give. A code keeps the name and the parent it
was first given (earlier in the file, or in the stored register): a row that renames it or moves
it under another parent is an error. Coordinates must lie in China (geo.in_china, in the row's
crs); a household far from its township's other households is imported with a WARNING
(domain/outlines.far_from_township), since a typo and a genuine outlier look the same here.
The driver is ``python -m console import-register`` (console.entry.import_register).
"""

from __future__ import annotations

import csv
import hashlib
import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TypeVar

import msgspec

from console.domain import events as ev
from console.domain import register_format as fmt
from console.domain.geo import in_china, to_wgs84
from console.domain.outlines import far_from_township
from console.domain.register_format import CellError
from console.domain.registry import CRS, CSV_COLUMNS, Area, Household, Register
from console.paths import resource

COLUMNS: Final = CSV_COLUMNS
REQUIRED: Final = ("code", "district", "township", "community", "grid", "address", "lat", "lon")
FUELS: Final = ("gas", "lpg", "electric")
CONSOLE: Final = "register-import"

T = TypeVar("T")
Progress = Callable[[int, int, str], None]  # (done, total, stage)


class RegisterImportError(Exception):
    """The file as a whole cannot be imported (unreadable, wrong columns); nothing was changed."""


@dataclass(frozen=True)
class RowError:
    row: int  # spreadsheet row: the header is row 1
    column: str
    reason: str  # code: missing_code, bad_phone, area_name_conflict, duplicate_device ...
    detail: str = ""
    code: str = ""  # household code, when the row has one
    severity: str = "error"  # error: the row is not imported | warning: imported, worth a look


@dataclass
class ImportResult:
    total: int = 0
    valid: int = 0
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)  # rows imported all the same
    version: str = ""
    saved: bool = False

    @property
    def error_rows(self) -> int:
        return len({e.row for e in self.errors})


# --- reading -------------------------------------------------------------------------------


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer() and abs(v) >= 1e6:  # a phone number typed as a number
        return str(int(v))
    return str(v).strip()


def read_rows(path: Path) -> list[dict[str, str]]:
    """The file's data rows as dicts keyed by column name (first sheet for XLSX)."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            raw = path.read_bytes()
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = raw.decode("gb18030")  # what Excel on a Chinese desk saves as "CSV"
            table = list(csv.reader(text.splitlines(keepends=True)))
        elif suffix in (".xlsx", ".xlsm"):
            from openpyxl import load_workbook

            wb = load_workbook(path, read_only=True, data_only=True)
            try:
                ws = wb.worksheets[0]
                table = [[_cell(v) for v in r] for r in ws.iter_rows(values_only=True)]
            finally:
                wb.close()
        else:
            raise RegisterImportError(f"{path.name}: expected a .csv or .xlsx file")
    except RegisterImportError:
        raise
    except Exception as exc:
        raise RegisterImportError(f"{path.name}: cannot read ({type(exc).__name__}: {exc})") from exc
    if not table:
        raise RegisterImportError(f"{path.name}: the file is empty")
    header = [h.strip().lstrip("\ufeff").lower() for h in table[0]]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise RegisterImportError(f"{path.name}: missing columns {', '.join(missing)} (see the template)")
    rows = []
    for r in table[1:]:
        cells = [_cell(v) for v in r]
        if not any(cells):
            rows.append({})  # blank line: keeps row numbers right, skipped later
            continue
        rows.append({h: (cells[i] if i < len(cells) else "") for i, h in enumerate(header)})
    return rows


# --- validating ----------------------------------------------------------------------------


class _RowCheck:
    def __init__(self, n: int, row: dict[str, str]) -> None:
        self.n = n
        self.row = row
        self.code = row.get("code", "")
        self.errors: list[RowError] = []

    def err(self, column: str, reason: str, detail: str = "") -> None:
        self.errors.append(RowError(self.n, column, reason, detail[:200], self.code))

    def cell(self, column: str, unpacked: tuple[tuple[T, ...], list[CellError]]) -> tuple[T, ...]:
        """A packed cell's entries (register_format); each entry that does not parse is one error."""
        values, errors = unpacked
        for e in errors:
            self.err(column, e.reason, e.detail)
        return values


# The columns that name an area, and the columns that give its name, by level (the row's order).
AREA_COLUMNS: Final = (
    ("district", "district_name"),
    ("township", "township_name"),
    ("community", "community_name"),
    ("grid", "grid_name"),
)


def row_areas(row: dict[str, str]) -> list[tuple[Area, bool]]:
    """The row's district, township, community and grid, each with "the row gave its name"."""
    district, township, community = row["district"], row["township"], row["community"]
    tname, cname = row.get("township_name", ""), row.get("community_name", "")
    t_level = row.get("township_level") or ("street" if tname.endswith("街道") else "township")
    c_level = row.get("community_level") or ("village" if cname.endswith("村") else "community")
    levels = ("district", t_level, c_level, "grid")
    parents = ("", district, township, community)
    out = []
    for (code_col, name_col), level, parent in zip(AREA_COLUMNS, levels, parents, strict=True):
        code, name = row[code_col], row.get(name_col, "")
        out.append((Area(code=code, name=name or code, level=level, parent=parent), bool(name)))
    return out


def check_row(n: int, row: dict[str, str]) -> tuple[Household | None, list[Area], list[RowError]]:
    """One row on its own (file-wide and store-wide duplicates and area conflicts are checked by
    ``validate``). The areas come back in the row's order: district, township, community, grid."""
    c = _RowCheck(n, row)
    if not c.code:
        c.err("code", "missing_code")
    for col in REQUIRED[1:]:
        if not row.get(col, ""):
            c.err(col, "missing_value")
    crs = row.get("crs", "").strip().lower() or "wgs84"
    if crs not in CRS:
        c.err("crs", "unknown_crs", row.get("crs", ""))
    lat, lon = fmt.parse_coordinate(row.get("lat", "")), fmt.parse_coordinate(row.get("lon", ""))
    if row.get("lat") and row.get("lon"):
        if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            c.err("lat", "bad_coordinates", f"{row.get('lat')},{row.get('lon')}")
        elif crs in CRS and not in_china(*to_wgs84(lat, lon, crs)):
            c.err("lat", "outside_china", f"{lat},{lon} ({crs})")
    fuel = row.get("fuel", "") or "gas"
    if fuel not in FUELS:
        c.err("fuel", "unknown_fuel", fuel)
    residents = c.cell("residents", fmt.unpack_residents(row.get("residents", "")))
    contacts = c.cell("contacts", fmt.unpack_contacts(row.get("contacts", "")))
    devices = c.cell("devices", fmt.unpack_devices(row.get("devices", ""), c.code))
    if c.errors or lat is None or lon is None:
        return None, [], c.errors
    hh = Household(
        code=c.code,
        district=row["district"],
        township=row["township"],
        community=row["community"],
        grid=row["grid"],
        address=row["address"],
        lat=lat,
        lon=lon,
        crs=crs,
        residents=residents,
        contacts=contacts,
        devices=devices,
        fuel=fuel,
    )
    return hh, [a for a, _ in row_areas(row)], []


@dataclass
class _Known:
    area: Area
    named: bool  # the name was given (not the code standing in for a missing one)
    source: str  # "row N" | "the store"


class AreaBook:
    """Every area code seen so far, with the name and parent it keeps and where they came from."""

    def __init__(self, existing: Register | None) -> None:
        self.known: dict[str, _Known] = {}
        if existing is not None:
            for a in existing.areas.values():
                self.known[a.code] = _Known(a, a.name != a.code, "the store")

    def check(self, n: int, row: dict[str, str], code: str) -> list[RowError]:
        """The row's conflicts with what is known (nothing is recorded)."""
        errs = []
        for (code_col, name_col), (a, named) in zip(AREA_COLUMNS, row_areas(row), strict=True):
            k = self.known.get(a.code)
            if k is None:
                continue
            if named and k.named and a.name != k.area.name:
                errs.append(
                    RowError(
                        n,
                        name_col,
                        "area_name_conflict",
                        f"{a.code}: keeps {k.area.name!r} ({k.source}), row gives {a.name!r}",
                        code,
                    )
                )
            if a.parent != k.area.parent:
                errs.append(
                    RowError(
                        n,
                        code_col,
                        "area_parent_conflict",
                        f"{a.code}: under {k.area.parent or '-'!r} ({k.source}), "
                        f"row puts it under {a.parent or '-'!r}",
                        code,
                    )
                )
        return errs

    def record(self, n: int, row: dict[str, str]) -> None:
        for a, named in row_areas(row):
            k = self.known.get(a.code)
            if k is None or (named and not k.named):
                self.known[a.code] = _Known(a, named, f"row {n}")

    def areas(self) -> dict[str, Area]:
        """The areas the file defined or named (those only the store knows are left out)."""
        return {c: k.area for c, k in self.known.items() if k.source != "the store"}


def outlier_warnings(
    households: Sequence[Household], rows: dict[str, int], existing: Register | None
) -> list[RowError]:
    """A warning for each imported household far from its township's others (the file's valid
    rows together with the stored households the file does not redefine)."""
    by_town: dict[str, dict[str, tuple[float, float]]] = {}
    others = existing.households.values() if existing is not None else ()
    for h in [*others, *households]:  # the file's version of a household wins
        if h.crs in CRS:
            lat, lon = to_wgs84(h.lat, h.lon, h.crs)
            by_town.setdefault(h.township, {})[h.code] = (lon, lat)
    out = []
    for town, points in by_town.items():
        for code, (d, limit) in far_from_township(points).items():
            if code in rows:
                out.append(
                    RowError(
                        rows[code],
                        "lat",
                        "far_from_township",
                        f"{d / 1000:.1f} km from the centre of {town}'s households (limit {limit / 1000:.1f} km)",
                        code,
                        "warning",
                    )
                )
    return sorted(out, key=lambda e: e.row)


def validate(
    rows: Sequence[dict[str, str]],
    existing: Register | None = None,
    progress: Progress | None = None,
) -> tuple[list[Household], dict[str, Area], list[RowError], list[RowError]]:
    """All rows: the households that may be imported, their areas, every error and warning."""
    households: list[Household] = []
    book = AreaBook(existing)
    errors: list[RowError] = []
    seen_codes: dict[str, int] = {}
    seen_devs: dict[str, tuple[int, str]] = {}
    file_codes = {r.get("code", "") for r in rows}
    total = len(rows)
    for i, row in enumerate(rows):
        n = i + 2
        if progress is not None and i % 200 == 0:
            progress(i, total, "validate")
        if not row:
            continue
        try:
            hh, _areas, errs = check_row(n, row)
            if hh is not None:
                errs = book.check(n, row, hh.code)
        except Exception as exc:  # a row this code did not foresee: reported, never fatal
            hh, errs = None, [RowError(n, "", "unreadable_row", repr(exc)[:200], row.get("code", ""))]
        if hh is not None:
            if hh.code in seen_codes:
                errs.append(RowError(n, "code", "duplicate_code", f"also row {seen_codes[hh.code]}", hh.code))
            for d in hh.devices:
                if d.id in seen_devs:
                    other_row, other_code = seen_devs[d.id]
                    errs.append(
                        RowError(
                            n,
                            "devices",
                            "duplicate_device",
                            f"{d.id} also row {other_row} ({other_code})",
                            hh.code,
                        )
                    )
                elif existing is not None:
                    owner = existing.device_index.get(d.id)
                    if owner is not None and owner != hh.code and owner not in file_codes:
                        errs.append(
                            RowError(
                                n,
                                "devices",
                                "duplicate_device",
                                f"{d.id} belongs to {owner} in the store",
                                hh.code,
                            )
                        )
        if errs:
            errors.extend(errs)
            continue
        assert hh is not None
        seen_codes[hh.code] = n
        for d in hh.devices:
            seen_devs[d.id] = (n, hh.code)
        households.append(hh)
        book.record(n, row)
    warnings = outlier_warnings(households, seen_codes, existing)
    if progress is not None:
        progress(total, total, "validate")
    return households, book.areas(), errors, warnings


# --- importing -----------------------------------------------------------------------------


def merge(
    existing: Register | None,
    households: Iterable[Household],
    areas: dict[str, Area],
    replace: bool,
    version: str,
) -> tuple[Register, list[str], list[str], int, list[str]]:
    """The new register, and the codes added, updated, unchanged (count) and removed."""
    old = dict(existing.households) if existing is not None else {}
    new_areas = dict(existing.areas) if existing is not None else {}
    new_areas.update(areas)
    enc = msgspec.json.encode
    added, updated, unchanged = [], [], 0
    out = {} if replace else dict(old)
    for h in households:
        before = old.get(h.code)
        if before is None:
            added.append(h.code)
        elif enc(before) != enc(h):
            updated.append(h.code)
        else:
            unchanged += 1
        out[h.code] = h
    removed = sorted(set(old) - set(out))
    return Register(new_areas.values(), out.values(), version), added, updated, unchanged, removed


ERROR_REPORT_COLUMNS: Final = ("row", "severity", "column", "code", "reason", "detail")


def write_errors(errors: Sequence[RowError], path: Path) -> Path:
    """The row-by-row report (errors and warnings, by row), UTF-8 with a BOM so Excel shows the
    Chinese. ``severity`` is ``error`` (the row was not imported) or ``warning`` (it was)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(ERROR_REPORT_COLUMNS)
        for e in sorted(errors, key=lambda e: e.row):
            w.writerow([e.row, e.severity, e.column, e.code, e.reason, e.detail])
    return path


def import_file(
    path: str | Path,
    store: Any,
    *,
    replace: bool = False,
    errors_out: str | Path | None = None,
    progress: Progress | None = None,
    dry_run: bool = False,
    at_ns: int | None = None,
) -> ImportResult:
    """Validate ``path`` and save its valid rows into ``store`` (a SqlStore) in one transaction."""
    p = Path(path)
    rows = read_rows(p)
    existing = store.load_register()
    households, areas, errors, warnings = validate(rows, existing, progress)
    digest = hashlib.sha256(p.read_bytes()).hexdigest()[:12]
    version = f"import-{time.strftime('%Y%m%d')}-{digest}"
    register, added, updated, unchanged, removed = merge(existing, households, areas, replace, version)
    result = ImportResult(
        total=sum(1 for r in rows if r),
        valid=len(households),
        added=added,
        updated=updated,
        unchanged=unchanged,
        removed=removed,
        errors=errors,
        warnings=warnings,
        version=version,
    )
    if errors_out is not None:
        write_errors([*errors, *warnings], Path(errors_out))
    if dry_run or not (added or updated or removed):
        return result
    if progress is not None:
        progress(0, 1, "save")
    at = at_ns if at_ns is not None else time.time_ns()
    summary = {
        "file": p.name,
        "sha256": digest,
        "version": version,
        "rows": result.total,
        "errors": len(errors),
        "warnings": len(warnings),
        "added": added,
        "updated": updated,
        "removed": removed,
        "unchanged": unchanged,
    }
    note = ev.SystemNote(at=at, what="register_import", detail=json.dumps(summary, ensure_ascii=False))
    store.journal.append([(at, "system", "sys", ev.key_of(note), ev.encode(note))], CONSOLE)
    try:
        store.save_register(register)
    except Exception as exc:
        fail = ev.SystemNote(
            at=time.time_ns(), what="register_import_failed", detail=f"{version}: {exc}"[:500]
        )
        store.journal.append([(fail.at, "system", "sys", "", ev.encode(fail))], CONSOLE)
        raise
    # from now on in force, on every console folding this journal (a running one within its
    # next poll of the journal, ~0.3 s): the journal names the register by digest, the store
    # keeps its content (register_versions) for replay
    changed = ev.RegisterChanged(
        at=time.time_ns() if at_ns is None else at + 1,
        version=version,
        digest=register.digest,
        households=len(register.households),
        devices=len(register.device_index),
        source=p.name,
    )
    store.journal.append([(changed.at, "system", "reg", ev.key_of(changed), ev.encode(changed))], CONSOLE)
    result.saved = True
    if progress is not None:
        progress(1, 1, "save")
    return result


# --- template ------------------------------------------------------------------------------


def write_template_xlsx(path: Path, source: Path | None = None) -> Path:
    """resources/register/template.xlsx from template.csv: same columns, phone numbers as text."""
    from openpyxl import Workbook

    src = source or resource("register", "template.csv")
    table = list(csv.reader(src.read_text(encoding="utf-8-sig").splitlines()))
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "register"
    for r in table:
        ws.append(r)
    wb.save(path)
    return path
