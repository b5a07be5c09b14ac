"""A synthetic, Chongqing-like district register: plausible enough to exercise the console
(30,000 households, dense streets, sparse towns, shared responders, a few unprotected homes)
while every name, ID number and phone number is obviously fake.

Only stdlib + msgspec + console.domain: unit tests import this without Qt or MQTT.
The register as a CSV file (docs/register.md) is console.sim.register_csv.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import msgspec

from console.domain.registry import Area, Contact, Device, Household, Register, Resident

DISTRICT: Final = "SIM"
DISTRICT_NAME: Final = "模拟区 (Simulated District)"
REFERENCE_YEAR: Final = 2026  # birth years in the fake ID numbers are counted back from this

# The district's extent, WGS-84 (roughly the real district's area).
LON0: Final = 106.20
LON1: Final = 106.90
LAT0: Final = 29.30
LAT1: Final = 29.90
ROWS: Final = (5, 6, 6, 5)  # townships per row, south to north: 22 in all
STREET_CELLS: Final = frozenset({(1, 1), (1, 2), (1, 3), (1, 4), (2, 1), (2, 2), (2, 3), (2, 4)})
_GEOMETRY_SEED: Final = 20_240_601  # the map does not change with the register seed
_NUM: Final = "零一二三四五六七八九十"

SURNAMES: Final = "王李张刘陈杨黄赵周吴徐孙马胡朱郭何罗高林谭邓冉向彭唐蒋袁曾熊"
GIVEN: Final = "淑秀桂兰芳英华玉珍凤明国建德文志光福永成万贵祥荣昌春秋清泉"
_PLACE_A: Final = "青松桂竹梅兰桃杏柳荷枫榕樟槐梨桑"
_PLACE_B: Final = ("苑", "园", "湾", "坪", "坝", "岭", "台", "塘", "沟", "坡")
_ROADS: Final = ("示范路", "模拟大道", "样本街", "测试巷", "虚拟路", "演练街")

# Groups per resident (registry.GROUPS), before the "at least one group" rule.
P_STATE_SUPPORTED: Final = 0.07
P_SEVERELY_DISABLED: Final = 0.08
P_DEMENTIA: Final = 0.04
P_MISSING_REQUIRED: Final = 0.02  # households lacking a required device: "unprotected" on the map


def cn_number(n: int) -> str:
    """1..99 in Chinese numerals: 一, 十, 十四, 二十一."""
    if n <= 10:
        return _NUM[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _NUM[tens]) + "十" + (_NUM[ones] if ones else "")


# --- geometry -------------------------------------------------------------------------------


class Cell(msgspec.Struct, frozen=True):
    code: str
    name: str
    level: str  # street | township
    ring: tuple[tuple[float, float], ...]  # (lon, lat), counter-clockwise, closed
    bbox: tuple[float, float, float, float]  # lon0, lat0, lon1, lat1


def _interp(xs: Sequence[float], ys: Sequence[float], x: float) -> float:
    for i in range(1, len(xs)):
        if x <= xs[i]:
            t = (x - xs[i - 1]) / (xs[i] - xs[i - 1])
            return ys[i - 1] + t * (ys[i] - ys[i - 1])
    return ys[-1]


@functools.cache
def layout() -> tuple[Cell, ...]:
    """Township polygons: rows of cells between jittered polylines. Fixed for every seed."""
    rng = random.Random(_GEOMETRY_SEED)
    xs = [LON0 + (LON1 - LON0) * i / 14 for i in range(15)]
    row_h = (LAT1 - LAT0) / len(ROWS)
    lines: list[list[float]] = []
    for k in range(len(ROWS) + 1):
        amp = 0.012 if k in (0, len(ROWS)) else 0.035
        lines.append([round(LAT0 + k * row_h + rng.uniform(-amp, amp), 6) for _ in xs])
    cells: list[Cell] = []
    streets = 0
    towns = 0
    for r, n in enumerate(ROWS):
        bottom, top = lines[r], lines[r + 1]
        step = (LON1 - LON0) / n
        edges: list[tuple[float, float, float]] = []  # x at bottom, middle, top
        for j in range(n + 1):
            x = LON0 + j * step
            if j in (0, n):
                edges.append((x, x, x))
            else:
                edges.append(tuple(round(x + rng.uniform(-0.2, 0.2) * step, 6) for _ in range(3)))  # type: ignore[arg-type]
        for c in range(n):
            (lb, lm, lt), (rb, rm, rt) = edges[c], edges[c + 1]
            ring: list[tuple[float, float]] = [(lb, _interp(xs, bottom, lb))]
            ring += [(x, y) for x, y in zip(xs, bottom, strict=True) if lb < x < rb]
            ring.append((rb, _interp(xs, bottom, rb)))
            ring.append((rm, (_interp(xs, bottom, rm) + _interp(xs, top, rm)) / 2))
            ring.append((rt, _interp(xs, top, rt)))
            ring += [(x, y) for x, y in reversed(list(zip(xs, top, strict=True))) if lt < x < rt]
            ring.append((lt, _interp(xs, top, lt)))
            ring.append((lm, (_interp(xs, bottom, lm) + _interp(xs, top, lm)) / 2))
            ring = [(round(x, 6), round(y, 6)) for x, y in ring]
            ring.append(ring[0])
            if (r, c) in STREET_CELLS:
                streets += 1
                code, name, level = f"T{streets:02d}", f"示范街道{cn_number(streets)}", "street"
            else:
                towns += 1
                code, name, level = f"T{8 + towns:02d}", f"模拟镇{cn_number(towns)}", "township"
            lons = [p[0] for p in ring]
            lats = [p[1] for p in ring]
            cells.append(Cell(code, name, level, tuple(ring), (min(lons), min(lats), max(lons), max(lats))))
    return tuple(sorted(cells, key=lambda c: c.code))


def point_in_ring(lon: float, lat: float, ring: Sequence[tuple[float, float]]) -> bool:
    """Ray casting; ``ring`` closed (first == last)."""
    inside = False
    for i in range(len(ring) - 1):
        x1, y1 = ring[i]
        x2, y2 = ring[i + 1]
        if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def _sample_inside(
    rng: random.Random, cell: Cell, lon: float, lat: float, sigma: float
) -> tuple[float, float]:
    """A point near (lon, lat) inside the cell, rounded to 6 decimals (what the register stores)."""
    for _ in range(30):
        x = round(rng.gauss(lon, sigma), 6)
        y = round(rng.gauss(lat, sigma * 0.9), 6)
        if point_in_ring(x, y, cell.ring):
            return x, y
    return round(lon, 6), round(lat, 6)


def _random_inside(rng: random.Random, cell: Cell, shrink: float = 0.2) -> tuple[float, float]:
    """Uniform-ish in the cell, away from its edges (the bbox shrunk toward its middle)."""
    x0, y0, x1, y1 = cell.bbox
    mx, my = (x0 + x1) / 2, (y0 + y1) / 2
    while True:
        x = round(mx + (rng.random() - 0.5) * (x1 - x0) * (1 - shrink), 6)
        y = round(my + (rng.random() - 0.5) * (y1 - y0) * (1 - shrink), 6)
        if point_in_ring(x, y, cell.ring):
            return x, y


# --- people, numbers ------------------------------------------------------------------------


class _Numbers:
    """Unique, scrambled, obviously synthetic phone numbers and IMEI-like device ids."""

    def __init__(self, seed: int) -> None:
        self._phone = 0
        self._dev = 0
        self._off = (seed * 104_729) % 1_000_000

    def phone(self) -> str:
        self._phone += 1
        return f"19900{(self._phone * 7_919 + self._off) % 1_000_000:06d}"

    def device(self) -> str:
        self._dev += 1
        body = f"86{(self._dev * 982_451_653 + self._off) % 10**12:012d}"
        return body + luhn_digit(body)


def luhn_digit(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def _name(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def _fake_id_number(rng: random.Random, age: int, serial: int) -> str:
    """18 characters starting with 000000: no real region code, so never a real person's number."""
    year = REFERENCE_YEAR - age
    return f"000000{year:04d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{serial % 1000:03d}X"


def _age(rng: random.Random) -> int:
    return min(99, 60 + int(rng.expovariate(1 / 13)))


def _resident(rng: random.Random, hcode: str, i: int, serial: int, alone: bool) -> Resident:
    age = _age(rng)
    groups: list[str] = []
    if rng.random() < P_SEVERELY_DISABLED * (1.6 if age >= 80 else 1.0):
        groups.append("severely_disabled")
    if rng.random() < P_DEMENTIA * (2.5 if age >= 80 else 1.0):
        groups.append("disabled_dementia")
    if rng.random() < P_STATE_SUPPORTED:
        groups.append("state_supported")
    if alone and rng.random() < 0.85:
        groups.append("living_alone")
    return Resident(
        id=f"{hcode}-R{i}",
        name=_name(rng),
        age=age,
        groups=tuple(groups),
        id_number=_fake_id_number(rng, age, serial * 2 + i),
    )


def _near(rng: random.Random, lon: float, lat: float, metres: float) -> tuple[float, float]:
    d = metres / 111_000
    return round(lon + rng.uniform(-d, d), 6), round(lat + rng.uniform(-d, d), 6)


# --- the register ---------------------------------------------------------------------------


def _split(total: int, weights: Sequence[float]) -> list[int]:
    """Largest-remainder apportionment: counts that add up to ``total`` exactly."""
    s = sum(weights)
    raw = [total * w / s for w in weights]
    counts = [int(x) for x in raw]
    order = sorted(range(len(raw)), key=lambda i: (counts[i] - raw[i], i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def generate(seed: int = 7, households: int = 30_000, district: str = DISTRICT) -> Register:
    """The synthetic district; the same seed gives a byte-identical ``registry.dumps``."""
    rng = random.Random(seed)
    nums = _Numbers(seed)
    cells = layout()
    areas: list[Area] = [Area(code=district, name=DISTRICT_NAME, level="district")]
    out: list[Household] = []
    per_township = _split(households, [3.0 if c.level == "street" else 1.0 for c in cells])
    serial = 0
    for cell, n_town in zip(cells, per_township, strict=True):
        urban = cell.level == "street"
        areas.append(Area(code=cell.code, name=cell.name, level=cell.level, parent=district))
        n_comm = rng.randint(5, 9) if urban else rng.randint(4, 10)
        per_comm = _split(n_town, [rng.uniform(0.5, 1.5) for _ in range(n_comm)])
        used_names: set[str] = set()
        for ci, n_hh in enumerate(per_comm, start=1):
            ccode = f"{cell.code}-C{ci:02d}"
            while True:
                cname = rng.choice(_PLACE_A) + rng.choice(_PLACE_B) + ("社区" if urban else "村")
                if cname not in used_names:
                    used_names.add(cname)
                    break
            areas.append(
                Area(code=ccode, name=cname, level="community" if urban else "village", parent=cell.code)
            )
            clon, clat = _random_inside(rng, cell)
            cadre = Contact(
                id=f"CD-{ccode}", role="cadre", name=_name(rng), phone=nums.phone(), lon=clon, lat=clat
            )
            n_grid = max(1, min(6, n_hh // 120 + 1)) if urban else max(1, min(4, n_hh // 80 + 1))
            grids: list[tuple[str, float, float, Contact]] = []
            for gi in range(1, n_grid + 1):
                gcode = f"{ccode}-G{gi}"
                areas.append(Area(code=gcode, name=f"第{cn_number(gi)}网格", level="grid", parent=ccode))
                glon, glat = _sample_inside(rng, cell, clon, clat, 0.006 if urban else 0.02)
                wlon, wlat = _near(rng, glon, glat, 150)
                worker = Contact(
                    id=f"GW-{gcode}",
                    role="grid_worker",
                    name=_name(rng),
                    phone=nums.phone(),
                    lon=wlon,
                    lat=wlat,
                )
                grids.append((gcode, glon, glat, worker))
            courtyard: Contact | None = None
            for k in range(n_hh):
                serial += 1
                gcode, glon, glat, worker = grids[k * n_grid // n_hh]
                if k % 15 == 0 or courtyard is None or not courtyard.id.startswith(f"CH-{gcode}-"):
                    hlon, hlat = _sample_inside(rng, cell, glon, glat, 0.0015 if urban else 0.006)
                    courtyard = Contact(
                        id=f"CH-{gcode}-{k // 15 + 1}",
                        role="courtyard_head",
                        name=_name(rng),
                        phone=nums.phone(),
                        lon=hlon,
                        lat=hlat,
                    )
                out.append(
                    _household(
                        rng,
                        nums,
                        district,
                        cell,
                        ccode,
                        cname,
                        gcode,
                        glon,
                        glat,
                        serial,
                        worker,
                        cadre,
                        courtyard,
                    )
                )
    return Register(areas, out, version=f"sim-{seed}-{households}")


def _household(
    rng: random.Random,
    nums: _Numbers,
    district: str,
    cell: Cell,
    ccode: str,
    cname: str,
    gcode: str,
    glon: float,
    glat: float,
    serial: int,
    worker: Contact,
    cadre: Contact,
    courtyard: Contact,
) -> Household:
    urban = cell.level == "street"
    code = f"{district}-{ccode}-{serial:06d}"
    lon, lat = _sample_inside(rng, cell, glon, glat, 0.0015 if urban else 0.006)
    two = rng.random() < 0.22
    residents = tuple(_resident(rng, code, i, serial, alone=not two) for i in range(1, 3 if two else 2))
    if not any(r.groups for r in residents):
        first = residents[0]
        residents = (msgspec.structs.replace(first, groups=("living_alone",)), *residents[1:])
    if urban:
        address = (
            f"重庆市{DISTRICT_NAME[:3]}{cell.name}{cname}{rng.choice(_ROADS)}{rng.randint(1, 300)}号"
            f"{rng.randint(1, 12)}栋{rng.randint(1, 4)}单元{rng.randint(1, 18)}-{rng.randint(1, 6)}"
        )
    else:
        address = f"重庆市{DISTRICT_NAME[:3]}{cell.name}{cname}{cn_number(rng.randint(1, 12))}组{rng.randint(1, 99)}号"
    contacts: list[Contact] = []
    for i, r in enumerate(residents, start=1):
        if rng.random() < 0.85:
            contacts.append(Contact(id=f"EL-{code}-{i}", role="elder", name=r.name, phone=nums.phone()))
    for i in range(1, 3 if rng.random() < 0.45 else 2):
        contacts.append(Contact(id=f"GD-{code}-{i}", role="guardian", name=_name(rng), phone=nums.phone()))
    contacts += [worker, cadre, courtyard]
    nlon, nlat = _near(rng, lon, lat, 60 if urban else 250)
    contacts.append(
        Contact(id=f"NB-{code}", role="neighbour", name=_name(rng), phone=nums.phone(), lon=nlon, lat=nlat)
    )
    f = rng.random()
    if urban:
        fuel = "gas" if f < 0.80 else ("lpg" if f < 0.83 else "electric")
    else:
        fuel = "gas" if f < 0.45 else ("lpg" if f < 0.80 else "electric")
    required = ["smoke", "gas"] if fuel in ("gas", "lpg") else ["smoke"]
    missing = rng.choice(required) if rng.random() < P_MISSING_REQUIRED else ""
    kinds: list[tuple[str, str]] = []
    if missing != "smoke":
        kinds.append(("smoke", rng.choice(("kitchen", "living_room", "bedroom"))))
    if rng.random() < (0.85 if fuel != "electric" else 0.4):
        kinds.append(("co", "kitchen" if fuel != "electric" else "living_room"))
    if fuel != "electric" and missing != "gas":
        kinds.append(("gas", "kitchen"))
    if rng.random() < 0.85:
        kinds.append(("electric", "meter_box"))
    devices = tuple(Device(id=nums.device(), kind=k, household=code, location=loc) for k, loc in kinds)
    return Household(
        code=code,
        district=district,
        township=cell.code,
        community=ccode,
        grid=gcode,
        address=address,
        lat=lat,
        lon=lon,
        crs="wgs84",
        residents=residents,
        contacts=tuple(contacts),
        devices=devices,
        fuel=fuel,
    )


# --- map boundaries -------------------------------------------------------------------------


def township_boundaries(register: Register) -> dict[str, Any]:
    """GeoJSON FeatureCollection (RFC 7946, [lon, lat]) of the register's townships/streets."""
    by_code = {c.code: c for c in layout()}
    features: list[dict[str, Any]] = []
    for a in sorted(register.townships(), key=lambda a: a.code):
        cell = by_code.get(a.code)
        if cell is None:
            continue
        features.append(
            {
                "type": "Feature",
                "properties": {"code": a.code, "name": a.name, "level": a.level},
                "geometry": {"type": "Polygon", "coordinates": [[[x, y] for x, y in cell.ring]]},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def write_boundaries(path: str | Path, register: Register | None = None) -> Path:
    """Write the boundaries (default: the default seed's district) as UTF-8 GeoJSON."""
    reg = register if register is not None else generate(households=0)
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(msgspec.json.format(msgspec.json.encode(township_boundaries(reg)), indent=1) + b"\n")
    return p
