"""The household register in five tables, saved and loaded in bulk (30,000 households in seconds).

Saving replaces the whole register in one transaction: the register is imported as a whole
from the cross-department file, so there is no partial state worth keeping.
"""

from __future__ import annotations

import time
import zlib
from collections import OrderedDict, defaultdict
from threading import Lock

import msgspec
from sqlalchemy import Connection, Engine, delete, inspect, select
from sqlalchemy.exc import DBAPIError

from console.domain import events as ev
from console.domain.registry import Area, Contact, Device, Household, Register, Resident, canonical, loads
from console.io.store import schema
from console.io.store.bulk import insert_rows
from console.io.store.errors import classify

_HH_COLS = ("code", "district", "township", "community", "grid", "address", "lat", "lon", "crs", "fuel")
_RES_COLS = ("household", "pos", "id", "name", "age", "groups", "id_number")
_CON_COLS = ("household", "pos", "id", "role", "name", "phone", "lat", "lon")
_DEV_COLS = ("household", "pos", "id", "kind", "location")
_CHILDREN = (schema.residents, schema.contacts, schema.devices)


def _clear(conn: Connection) -> None:
    for table in (*_CHILDREN, schema.households, schema.areas, schema.register_meta):
        conn.execute(delete(table))


def save_register(engine: Engine, register: Register) -> None:
    hh_rows, res_rows, con_rows, dev_rows = [], [], [], []
    enc = msgspec.json.encode
    for h in register.households.values():
        hh_rows.append(
            (h.code, h.district, h.township, h.community, h.grid, h.address, h.lat, h.lon, h.crs, h.fuel)
        )
        for i, r in enumerate(h.residents):
            res_rows.append((h.code, i, r.id, r.name, r.age, enc(list(r.groups)).decode(), r.id_number))
        for i, c in enumerate(h.contacts):
            con_rows.append((h.code, i, c.id, c.role, c.name, c.phone, c.lat, c.lon))
        for i, d in enumerate(h.devices):
            dev_rows.append((h.code, i, d.id, d.kind, d.location))
    area_rows = [(a.code, a.name, a.level, a.parent) for a in register.areas.values()]
    meta = [("version", register.version), ("saved_ns", str(time.time_ns())), ("digest", register.digest)]
    try:
        with engine.begin() as conn:
            _keep_version(conn, register)
            _clear(conn)
            insert_rows(conn, schema.register_meta, ("key", "value"), meta)
            insert_rows(conn, schema.areas, ("code", "name", "level", "parent"), area_rows)
            insert_rows(conn, schema.households, _HH_COLS, hh_rows)
            insert_rows(conn, schema.residents, _RES_COLS, res_rows)
            insert_rows(conn, schema.contacts, _CON_COLS, con_rows)
            insert_rows(conn, schema.devices, _DEV_COLS, dev_rows)
    except (DBAPIError, OSError) as exc:
        raise classify(exc) from exc


def _keep_version(conn: Connection, register: Register) -> None:
    """The register's content in ``register_versions`` (once per digest): what replay loads
    when the journal names it."""
    rv = schema.register_versions
    if not inspect(conn).has_table(rv.name):  # a store below revision 0004 (opened without upgrade)
        return
    if conn.execute(select(rv.c.digest).where(rv.c.digest == register.digest)).first() is not None:
        return
    conn.execute(
        rv.insert().values(
            digest=register.digest,
            version=register.version,
            saved_ns=time.time_ns(),
            households=len(register.households),
            blob=zlib.compress(canonical(register), 6),
        )
    )


def keep_version(engine: Engine, register: Register) -> None:
    """``register`` kept in ``register_versions`` without making it the saved register (a
    console given a register of its own: a test's, the synthetic district's)."""
    try:
        with engine.begin() as conn:
            _keep_version(conn, register)
    except (DBAPIError, OSError) as exc:
        raise classify(exc) from exc


class Versions:
    """Registers by digest from ``register_versions``, the last few kept in memory (a replay
    across imports asks for the same two or three again and again)."""

    def __init__(self, engine: Engine, keep: int = 3) -> None:
        self.engine = engine
        self.keep = keep
        self._cache: OrderedDict[str, Register] = OrderedDict()
        self._lock = Lock()

    def add(self, register: Register) -> None:
        with self._lock:
            self._cache[register.digest] = register
            self._cache.move_to_end(register.digest)
            while len(self._cache) > self.keep:
                self._cache.popitem(last=False)

    def __call__(self, digest: str) -> Register | None:
        with self._lock:
            hit = self._cache.get(digest)
        if hit is not None:
            return hit
        rv = schema.register_versions
        try:
            with self.engine.connect() as conn:
                row = conn.execute(select(rv.c.version, rv.c.blob).where(rv.c.digest == digest)).first()
        except (DBAPIError, OSError) as exc:
            raise classify(exc) from exc
        if row is None:
            return None
        reg = loads(zlib.decompress(row.blob))
        reg.version = row.version
        if reg.digest != digest:  # the stored bytes are not what the journal named
            return None
        self.add(reg)
        return reg


def first_named(engine: Engine) -> str | None:
    """The digest the journal's first RegisterChanged names, or None (a journal older than
    them, or a new one): the register a fold of the journal starts with."""
    j = schema.journal
    with engine.connect() as conn:
        row = conn.execute(select(j.c.body).where(j.c.type == "reg").order_by(j.c.seq).limit(1)).first()
    if row is None:
        return None
    e = ev.decode(bytes(row.body))
    return e.digest if isinstance(e, ev.RegisterChanged) else None


def register_version(engine: Engine) -> str | None:
    """The saved register's version, or None if none was ever saved (reads one small table)."""
    with engine.connect() as conn:
        meta = dict(conn.execute(select(schema.register_meta.c.key, schema.register_meta.c.value)).all())
    version = meta.get("version")
    return None if version is None else str(version)


def register_digest(engine: Engine) -> str | None:
    """The saved register's digest (None: none saved, or saved before digests were kept)."""
    with engine.connect() as conn:
        row = conn.execute(
            select(schema.register_meta.c.value).where(schema.register_meta.c.key == "digest")
        ).first()
    return None if row is None else str(row.value)


def load_register(engine: Engine) -> Register | None:
    """The saved register, or None if none was ever saved."""
    try:
        with engine.connect() as conn:
            meta = dict(conn.execute(select(schema.register_meta.c.key, schema.register_meta.c.value)).all())
            if "version" not in meta:
                return None
            areas = [
                Area(code=c, name=n, level=lv, parent=p) for c, n, lv, p in conn.execute(select(schema.areas))
            ]
            residents: dict[str, list[Resident]] = defaultdict(list)
            r = schema.residents
            for hh, rid, name, age, groups, idn in conn.execute(
                select(r.c.household, r.c.id, r.c.name, r.c.age, r.c.groups, r.c.id_number).order_by(
                    r.c.household, r.c.pos
                )
            ):
                g = tuple(msgspec.json.decode(groups, type=list[str]))
                residents[hh].append(Resident(id=rid, name=name, age=age, groups=g, id_number=idn))
            contacts: dict[str, list[Contact]] = defaultdict(list)
            c = schema.contacts
            for hh, cid, role, name, phone, lat, lon in conn.execute(
                select(c.c.household, c.c.id, c.c.role, c.c.name, c.c.phone, c.c.lat, c.c.lon).order_by(
                    c.c.household, c.c.pos
                )
            ):
                contacts[hh].append(Contact(id=cid, role=role, name=name, phone=phone, lat=lat, lon=lon))
            devices: dict[str, list[Device]] = defaultdict(list)
            d = schema.devices
            for hh, did, kind, loc in conn.execute(
                select(d.c.household, d.c.id, d.c.kind, d.c.location).order_by(d.c.household, d.c.pos)
            ):
                devices[hh].append(Device(id=did, kind=kind, household=hh, location=loc))
            households = [
                Household(
                    code=code,
                    district=district,
                    township=township,
                    community=community,
                    grid=grid,
                    address=address,
                    lat=lat,
                    lon=lon,
                    crs=crs,
                    fuel=fuel,
                    residents=tuple(residents.get(code, ())),
                    contacts=tuple(contacts.get(code, ())),
                    devices=tuple(devices.get(code, ())),
                )
                for code, district, township, community, grid, address, lat, lon, crs, fuel in conn.execute(
                    select(*[schema.households.c[n] for n in _HH_COLS])
                )
            ]
    except (DBAPIError, OSError) as exc:
        raise classify(exc) from exc
    return Register(areas, households, meta["version"])
