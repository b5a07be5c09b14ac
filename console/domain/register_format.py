"""The register's packed cells: residents, contacts and devices, each list in ONE CSV cell.

Entries are separated by ``;``, fields inside an entry by ``:``, a resident's groups by ``+``
(docs/register.md, "Packed lists")::

    residents  id:name:age:groups:id_number
    contacts   role:name:phone:id[:lat:lon]
    devices    id:kind:location

``pack_*`` write a cell (what the synthetic district's CSV holds); ``unpack_*`` read one entry
back and raise :class:`CellError` with the reason the importer reports (``bad_format``,
``bad_age``, ``unknown_group``, ``unknown_role``, ``bad_phone``, ``bad_coordinates``,
``unknown_device_kind``). An entry's fields are checked in field order, so an entry with two
problems always reports the first. Pure: standard library + console.domain.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Final, TypeVar

from console.domain.events import KINDS
from console.domain.registry import GROUPS, ROLES, Contact, Device, Resident

ENTRY_SEP: Final = ";"
FIELD_SEP: Final = ":"
GROUP_SEP: Final = "+"
MOBILE: Final = re.compile(r"1[3-9]\d{9}")
LANDLINE: Final = re.compile(r"0\d{2,3}-?\d{7,8}(-\d{1,6})?")

T = TypeVar("T")


class CellError(ValueError):
    """One entry of a packed cell that does not parse: ``reason`` (a code) and ``detail``."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


# --- values --------------------------------------------------------------------------------


def coordinate(v: float | None) -> str:
    """A coordinate as the register writes it: 6 decimals, empty when unknown."""
    return "" if v is None else f"{v:.6f}"


def parse_coordinate(s: str) -> float | None:
    """A finite decimal number, or None (empty, not a number, NaN, infinite)."""
    try:
        v = float(s)
    except ValueError:
        return None
    return v if v == v and abs(v) != float("inf") else None


def phone_ok(phone: str) -> bool:
    """A mainland mobile (1[3-9] + 9 digits) or landline (0 + area code, optional extension)."""
    p = phone.replace(" ", "")
    return bool(MOBILE.fullmatch(p) or LANDLINE.fullmatch(p))


# --- packing -------------------------------------------------------------------------------


def pack_resident(r: Resident) -> str:
    return FIELD_SEP.join((r.id, r.name, str(r.age), GROUP_SEP.join(r.groups), r.id_number))


def pack_contact(k: Contact) -> str:
    """Trailing empty fields left out: ``role:name:phone:id`` when the contact has no location."""
    fields = (k.role, k.name, k.phone, k.id, coordinate(k.lat), coordinate(k.lon))
    return FIELD_SEP.join(fields).rstrip(FIELD_SEP)


def pack_device(d: Device) -> str:
    return FIELD_SEP.join((d.id, d.kind, d.location))


def pack_residents(residents: Iterable[Resident]) -> str:
    return ENTRY_SEP.join(pack_resident(r) for r in residents)


def pack_contacts(contacts: Iterable[Contact]) -> str:
    return ENTRY_SEP.join(pack_contact(k) for k in contacts)


def pack_devices(devices: Iterable[Device]) -> str:
    return ENTRY_SEP.join(pack_device(d) for d in devices)


# --- unpacking -----------------------------------------------------------------------------


def entries(cell: str) -> list[str]:
    """A cell's entries, stripped; empty entries (``;;``, a trailing ``;``) skipped."""
    return [e for e in (s.strip() for s in cell.split(ENTRY_SEP)) if e]


def unpack_resident(entry: str) -> Resident:
    parts = entry.split(FIELD_SEP)
    if len(parts) < 3 or not parts[0] or not parts[1]:
        raise CellError("bad_format", entry)
    try:
        age = int(parts[2])
    except ValueError:
        raise CellError("bad_age", entry) from None
    groups = tuple(g for g in (parts[3].split(GROUP_SEP) if len(parts) > 3 else []) if g)
    unknown = [g for g in groups if g not in GROUPS]
    if unknown:
        raise CellError("unknown_group", ",".join(unknown))
    return Resident(
        id=parts[0], name=parts[1], age=age, groups=groups, id_number=parts[4] if len(parts) > 4 else ""
    )


def unpack_contact(entry: str) -> Contact:
    """The phone is kept without spaces; a location needs both ``lat`` and ``lon``."""
    parts = entry.split(FIELD_SEP)
    if len(parts) not in (4, 6) or not all(parts[:4]):
        raise CellError("bad_format", entry)
    role, name, phone, cid = parts[:4]
    if role not in ROLES:
        raise CellError("unknown_role", role)
    if not phone_ok(phone):
        raise CellError("bad_phone", f"{role} {name}: {phone}")
    lat = lon = None
    if len(parts) == 6:
        lat, lon = parse_coordinate(parts[4]), parse_coordinate(parts[5])
        if lat is None or lon is None:
            raise CellError("bad_coordinates", entry)
    return Contact(id=cid, role=role, name=name, phone=phone.replace(" ", ""), lat=lat, lon=lon)


def unpack_device(entry: str, household: str) -> Device:
    parts = entry.split(FIELD_SEP)
    if len(parts) < 2 or not parts[0]:
        raise CellError("bad_format", entry)
    if parts[1] not in KINDS:
        raise CellError("unknown_device_kind", entry)
    return Device(
        id=parts[0], kind=parts[1], household=household, location=parts[2] if len(parts) > 2 else ""
    )


def unpack(cell: str, entry: Callable[[str], T]) -> tuple[tuple[T, ...], list[CellError]]:
    """Every entry of ``cell`` through ``entry``: what parsed, in order, and what did not."""
    out: list[T] = []
    errors: list[CellError] = []
    for e in entries(cell):
        try:
            out.append(entry(e))
        except CellError as exc:
            errors.append(exc)
    return tuple(out), errors


def unpack_residents(cell: str) -> tuple[tuple[Resident, ...], list[CellError]]:
    return unpack(cell, unpack_resident)


def unpack_contacts(cell: str) -> tuple[tuple[Contact, ...], list[CellError]]:
    return unpack(cell, unpack_contact)


def unpack_devices(cell: str, household: str) -> tuple[tuple[Device, ...], list[CellError]]:
    return unpack(cell, lambda e: unpack_device(e, household))
