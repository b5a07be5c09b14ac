"""Import the cross-department household register from CSV or XLSX (docs/register.md layout).

Every row is checked; each problem becomes one line of the error report (spreadsheet row number,
column, reason). The packed residents / contacts / devices cells are read through
console.domain.register_format, the one home of that syntax. The valid rows are then saved in
ONE transaction (the store replaces the register as a whole), so an import is all or nothing
and a failed save changes nothing. Re-importing updates households in place by code; with
``replace`` households missing from the file are removed. What changed is journaled as a
``SystemNote(what="register_import")`` before the register is saved.
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
from console.domain.geo import to_wgs84
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
    reason: str  # code: missing_code, bad_phone, unknown_township, duplicate_device ...
    detail: str = ""
    code: str = ""  # household code, when the row has one


@dataclass
class ImportResult:
    total: int = 0
    valid: int = 0
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    version: str = ""
    saved: bool = False

    @property
    def error_rows(self) -> int:
        return len({e.row for e in self.errors})


@dataclass(frozen=True)
class Reference:
    """What rows are checked against: known townships and the district's bounding box (WGS-84)."""

    townships: frozenset[str]
    bbox: tuple[float, float, float, float]  # lon0, lat0, lon1, lat1

    @staticmethod
    def from_boundaries(path: Path | None = None) -> Reference:
        data = json.loads((path or resource("map", "boundaries.geojson")).read_text(encoding="utf-8"))
        codes: set[str] = set()
        lons: list[float] = []
        lats: list[float] = []
        for f in data.get("features", []):
            codes.add(str(f.get("properties", {}).get("code", "")))
            for ring in f["geometry"]["coordinates"]:
                for lon, lat in ring:
                    lons.append(float(lon))
                    lats.append(float(lat))
        if not lons:
            raise RegisterImportError(f"no district boundaries in {path}")
        return Reference(frozenset(codes - {""}), (min(lons), min(lats), max(lons), max(lats)))

    def with_register(self, register: Register | None) -> Reference:
        if register is None:
            return self
        extra = {a.code for a in register.townships()}
        return Reference(self.townships | extra, self.bbox)


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


def check_row(
    n: int, row: dict[str, str], ref: Reference
) -> tuple[Household | None, list[Area], list[RowError]]:
    """One row on its own (file-wide and store-wide duplicates are checked by ``validate``)."""
    c = _RowCheck(n, row)
    if not c.code:
        c.err("code", "missing_code")
    for col in REQUIRED[1:]:
        if not row.get(col, ""):
            c.err(col, "missing_value")
    township = row.get("township", "")
    if township and township not in ref.townships:
        c.err("township", "unknown_township", township)
    crs = row.get("crs", "").strip().lower() or "wgs84"
    if crs not in CRS:
        c.err("crs", "unknown_crs", row.get("crs", ""))
    lat, lon = fmt.parse_coordinate(row.get("lat", "")), fmt.parse_coordinate(row.get("lon", ""))
    if row.get("lat") and row.get("lon"):
        if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            c.err("lat", "bad_coordinates", f"{row.get('lat')},{row.get('lon')}")
        elif crs in CRS:
            wlat, wlon = to_wgs84(lat, lon, crs)
            lon0, lat0, lon1, lat1 = ref.bbox
            if not (lon0 <= wlon <= lon1 and lat0 <= wlat <= lat1):
                c.err("lat", "outside_district", f"{lat},{lon} ({crs})")
    fuel = row.get("fuel", "") or "gas"
    if fuel not in FUELS:
        c.err("fuel", "unknown_fuel", fuel)
    residents = c.cell("residents", fmt.unpack_residents(row.get("residents", "")))
    contacts = c.cell("contacts", fmt.unpack_contacts(row.get("contacts", "")))
    devices = c.cell("devices", fmt.unpack_devices(row.get("devices", ""), c.code))
    if c.errors or lat is None or lon is None:
        return None, [], c.errors
    district = row["district"]
    areas = [
        Area(code=district, name=row.get("district_name") or district, level="district"),
        Area(
            code=township,
            name=row.get("township_name") or township,
            level=row.get("township_level") or "township",
            parent=district,
        ),
        Area(
            code=row["community"],
            name=row.get("community_name") or row["community"],
            level=row.get("community_level") or "community",
            parent=township,
        ),
        Area(
            code=row["grid"], name=row.get("grid_name") or row["grid"], level="grid", parent=row["community"]
        ),
    ]
    hh = Household(
        code=c.code,
        district=district,
        township=township,
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
    return hh, areas, []


def validate(
    rows: Sequence[dict[str, str]],
    ref: Reference,
    existing: Register | None = None,
    progress: Progress | None = None,
) -> tuple[list[Household], dict[str, Area], list[RowError]]:
    """All rows: the households that may be imported, their areas, and every error."""
    households: list[Household] = []
    areas: dict[str, Area] = {}
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
            hh, row_areas, errs = check_row(n, row, ref)
        except Exception as exc:  # a row this code did not foresee: reported, never fatal
            hh, row_areas, errs = (
                None,
                [],
                [RowError(n, "", "unreadable_row", repr(exc)[:200], row.get("code", ""))],
            )
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
        for a in row_areas:
            areas.setdefault(a.code, a)
    if progress is not None:
        progress(total, total, "validate")
    return households, areas, errors


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


def write_errors(errors: Sequence[RowError], path: Path) -> Path:
    """The row-by-row error report, UTF-8 with a BOM so Excel shows the Chinese."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(["row", "column", "code", "reason", "detail"])
        for e in errors:
            w.writerow([e.row, e.column, e.code, e.reason, e.detail])
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
    reference: Reference | None = None,
) -> ImportResult:
    """Validate ``path`` and save its valid rows into ``store`` (a SqlStore) in one transaction."""
    p = Path(path)
    rows = read_rows(p)
    existing = store.load_register()
    ref = (reference or Reference.from_boundaries()).with_register(existing)
    households, areas, errors = validate(rows, ref, existing, progress)
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
        version=version,
    )
    if errors_out is not None:
        write_errors(errors, Path(errors_out))
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
