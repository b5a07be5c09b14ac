"""A register as the flat CSV the offices keep (docs/register.md): one row per household.

The packed residents / contacts / devices cells are written by console.domain.register_format,
the same module the importer (console.io.registry_import) reads them with. Pure (stdlib +
console.domain): unit tests import this without Qt or MQTT.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from console.domain import register_format as fmt
from console.domain.registry import CSV_COLUMNS, Register


def register_rows(register: Register) -> Iterator[list[str]]:
    """One flat row per household, in CSV_COLUMNS order (lists packed with ; and :)."""
    areas = register.areas
    for h in register.households.values():
        t = areas.get(h.township)
        c = areas.get(h.community)
        g = areas.get(h.grid)
        d = areas.get(h.district)
        yield [
            h.code,
            h.district,
            d.name if d else "",
            h.township,
            t.name if t else "",
            t.level if t else "",
            h.community,
            c.name if c else "",
            c.level if c else "",
            h.grid,
            g.name if g else "",
            h.address,
            fmt.coordinate(h.lat),
            fmt.coordinate(h.lon),
            h.crs,
            h.fuel,
            fmt.pack_residents(h.residents),
            fmt.pack_contacts(h.contacts),
            fmt.pack_devices(h.devices),
        ]


def register_csv(register: Register, limit: int | None = None) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    for i, row in enumerate(register_rows(register)):
        if limit is not None and i >= limit:
            break
        w.writerow(row)
    return buf.getvalue()


def write_register_csv(register: Register, path: str | Path, limit: int | None = None) -> Path:
    """UTF-8 with a BOM, CRLF: what Excel on a Windows desk opens without mangling Chinese."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(register_csv(register, limit), encoding="utf-8-sig", newline="")
    return p
