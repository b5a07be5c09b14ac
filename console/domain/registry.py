"""The household register: one household, one code.

Hierarchy: district -> township/street -> community/village -> grid -> household.
Coordinates are stored as the register gives them, with the coordinate system it names
(``wgs84`` / ``gcj02`` / ``bd09``); the map converts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Final

import msgspec

GROUPS: Final = ("severely_disabled", "disabled_dementia", "state_supported", "living_alone")
ROLES: Final = ("elder", "guardian", "grid_worker", "cadre", "courtyard_head", "neighbour")
RESPONDER_ROLES: Final = ("grid_worker", "cadre", "courtyard_head", "neighbour")
CRS: Final = ("wgs84", "gcj02", "bd09")

# The register file layout (CSV / XLSX first sheet), one row per household: docs/register.md.
CSV_COLUMNS: Final = (
    "code",
    "district",
    "district_name",
    "township",
    "township_name",
    "township_level",
    "community",
    "community_name",
    "community_level",
    "grid",
    "grid_name",
    "address",
    "lat",
    "lon",
    "crs",
    "fuel",
    "residents",
    "contacts",
    "devices",
)


class Area(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    name: str
    level: str  # district | township | street | community | village | grid
    parent: str = ""


class Resident(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str
    age: int
    groups: tuple[str, ...] = ()
    id_number: str = ""


class Contact(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    role: str
    name: str
    phone: str
    lat: float | None = None  # where a responder lives/works, for "nearest" proposals
    lon: float | None = None


class Device(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    kind: str  # smoke | co | gas | electric
    household: str
    location: str = ""  # kitchen, bedroom, meter box ...


class Household(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    district: str
    township: str
    community: str
    grid: str
    address: str
    lat: float
    lon: float
    crs: str = "wgs84"
    residents: tuple[Resident, ...] = ()
    contacts: tuple[Contact, ...] = ()
    devices: tuple[Device, ...] = ()
    fuel: str = "gas"  # gas | lpg | electric: which devices are required

    def contacts_by_role(self, role: str) -> list[Contact]:
        return [c for c in self.contacts if c.role == role]

    def groups(self) -> set[str]:
        return {g for r in self.residents for g in r.groups}


class Register:
    """An immutable-by-convention index over areas and households."""

    def __init__(self, areas: Iterable[Area], households: Iterable[Household], version: str = "") -> None:
        self.areas: dict[str, Area] = {a.code: a for a in areas}
        self.households: dict[str, Household] = {}
        self.device_index: dict[str, str] = {}
        self.duplicates: list[str] = []
        for h in households:
            if h.code in self.households:
                self.duplicates.append(h.code)
                continue
            self.households[h.code] = h
            for d in h.devices:
                self.device_index.setdefault(d.id, h.code)
        self.version = version
        self._digest: str | None = None
        self._order: tuple[str, ...] | None = None
        self._place: dict[str, int] | None = None

    @property
    def digest(self) -> str:
        """sha256 of the register's content (areas and households sorted by code; the version is
        a label and not part of it): what the journal names a register by (``RegisterChanged``)."""
        if self._digest is None:
            self._digest = hashlib.sha256(canonical(self)).hexdigest()
        return self._digest

    @property
    def device_order(self) -> tuple[str, ...]:
        """The registered device ids, sorted: what a ``Seen`` record's places count in. Sorted, not
        in file order, so the same content orders its devices the same way however it was saved."""
        if self._order is None:
            self._order = tuple(sorted(self.device_index))
        return self._order

    @property
    def place(self) -> dict[str, int]:
        """Each registered device's place in ``device_order``."""
        if self._place is None:
            self._place = {d: i for i, d in enumerate(self.device_order)}
        return self._place

    def household_of_device(self, dev: str) -> Household | None:
        code = self.device_index.get(dev)
        return self.households.get(code) if code else None

    def device(self, dev: str) -> Device | None:
        h = self.household_of_device(dev)
        if h is None:
            return None
        for d in h.devices:
            if d.id == dev:
                return d
        return None

    def townships(self) -> list[Area]:
        return [a for a in self.areas.values() if a.level in ("township", "street")]

    def area_name(self, code: str) -> str:
        a = self.areas.get(code)
        return a.name if a else code

    def in_scope(self, household: Household, scope: str) -> bool:
        return scope == "*" or household.township == scope

    def __len__(self) -> int:
        return len(self.households)


class RegisterFile(msgspec.Struct, frozen=True):
    version: str
    areas: list[Area]
    households: list[Household]


def dumps(register: Register) -> bytes:
    return msgspec.json.encode(
        RegisterFile(register.version, list(register.areas.values()), list(register.households.values()))
    )


def canonical(register: Register) -> bytes:
    """The register's content in one canonical form: areas and households sorted by code, no
    version (the bytes ``Register.digest`` hashes and ``register_versions`` keeps)."""
    return msgspec.json.encode(
        RegisterFile(
            "",
            sorted(register.areas.values(), key=lambda a: a.code),
            sorted(register.households.values(), key=lambda h: h.code),
        )
    )


def loads(data: bytes) -> Register:
    f = msgspec.json.decode(data, type=RegisterFile)
    return Register(f.areas, f.households, f.version)
