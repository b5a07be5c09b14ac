"""The synthetic district register: deterministic, plausible, consistent with its map."""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections import Counter

import pytest

from console.domain import registry
from console.domain.registry import GROUPS, Register
from console.paths import resource
from console.sim import district
from console.sim.district import generate, luhn_digit, point_in_ring, township_boundaries
from console.sim.register_csv import register_csv


@pytest.fixture(scope="module")
def big() -> Register:
    return generate()  # the default: seed 7, 30,000 households (must stay well under 5 s)


@pytest.fixture(scope="module")
def small() -> Register:
    return generate(seed=11, households=2000)


def test_same_seed_same_bytes_other_seed_other_bytes() -> None:
    a = registry.dumps(generate(seed=3, households=500))
    assert a == registry.dumps(generate(seed=3, households=500))
    assert a != registry.dumps(generate(seed=4, households=500))
    assert registry.loads(a).version == "sim-3-500"


def test_default_district_counts(big: Register) -> None:
    assert len(big) == 30_000
    assert not big.duplicates
    levels = Counter(a.level for a in big.areas.values())
    assert levels["district"] == 1
    assert levels["street"] == 8
    assert levels["township"] == 14
    assert levels["community"] >= 8 * 5 and levels["village"] >= 14 * 4
    assert levels["grid"] >= levels["community"] + levels["village"]
    assert big.area_name("SIM") == "模拟区 (Simulated District)"
    # streets are dense: about three times the households of a town
    per = Counter(h.township for h in big.households.values())
    streets = [per[a.code] for a in big.areas.values() if a.level == "street"]
    towns = [per[a.code] for a in big.areas.values() if a.level == "township"]
    assert min(streets) > 2 * max(towns)


def test_area_hierarchy_and_codes(small: Register) -> None:
    for h in small.households.values():
        assert h.code.startswith(f"SIM-{h.community}-") and len(h.code.rsplit("-", 1)[1]) == 6
        assert small.areas[h.grid].parent == h.community
        assert small.areas[h.community].parent == h.township
        assert small.areas[h.township].parent == "SIM"
        assert h.crs == "wgs84"
        assert 29.25 < h.lat < 29.95 and 106.15 < h.lon < 106.95


def test_device_ids_unique_imei_like(big: Register) -> None:
    ids = [d.id for h in big.households.values() for d in h.devices]
    assert len(ids) == len(set(ids)) == len(big.device_index)
    for dev in ids[:5000]:
        assert len(dev) == 15 and dev.isdigit()
        assert luhn_digit(dev[:14]) == dev[14]


def test_every_household_inside_its_township_polygon(big: Register) -> None:
    rings = {
        f["properties"]["code"]: f["geometry"]["coordinates"][0] for f in township_boundaries(big)["features"]
    }
    assert set(rings) == {a.code for a in big.townships()}
    outside = [h.code for h in big.households.values() if not point_in_ring(h.lon, h.lat, rings[h.township])]
    assert outside == []


def test_polygons_do_not_claim_each_others_households(small: Register) -> None:
    rings = {c.code: c.ring for c in district.layout()}
    for h in list(small.households.values())[::5]:
        owners = [code for code, ring in rings.items() if point_in_ring(h.lon, h.lat, ring)]
        assert owners == [h.township]


def test_boundaries_are_valid_geojson_and_shipped_file_is_current() -> None:
    fc = township_boundaries(generate(households=0))
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 22
    for f in fc["features"]:
        ring = f["geometry"]["coordinates"][0]
        assert ring[0] == ring[-1] and len(ring) >= 4
        area2 = sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in itertools.pairwise(ring))
        assert area2 > 0  # counter-clockwise exterior ring (RFC 7946)
        assert set(f["properties"]) == {"code", "name", "level"}
    shipped = json.loads(resource("map", "boundaries.geojson").read_text(encoding="utf-8"))
    assert shipped == json.loads(json.dumps(fc))


def test_residents_groups_and_fake_ids(big: Register) -> None:
    homes = list(big.households.values())
    n = len(homes)
    groups = Counter(g for h in homes for g in h.groups())
    assert set(groups) <= set(GROUPS)
    assert 0.70 < groups["living_alone"] / n < 0.97
    assert 0.05 < groups["severely_disabled"] / n < 0.20
    assert 0.02 < groups["disabled_dementia"] / n < 0.15
    assert 0.03 < groups["state_supported"] / n < 0.12
    assert all(h.groups() for h in homes)  # on the register because of at least one group
    sizes = Counter(len(h.residents) for h in homes)
    assert set(sizes) == {1, 2} and 0.15 < sizes[2] / n < 0.30
    for h in homes[:3000]:
        for r in h.residents:
            assert 60 <= r.age <= 99
            assert r.id_number.startswith("000000") and len(r.id_number) == 18
    ages = [r.age for h in homes for r in h.residents]
    assert sum(1 for a in ages if a >= 80) / len(ages) > 0.1


def test_contacts_roles_shared_responders_and_locations(small: Register) -> None:
    grid_worker: dict[str, set[str]] = {}
    cadre: dict[str, set[str]] = {}
    for h in small.households.values():
        roles = Counter(c.role for c in h.contacts)
        assert roles["grid_worker"] == roles["cadre"] == roles["courtyard_head"] == roles["neighbour"] == 1
        assert 1 <= roles["guardian"] <= 2 and roles["elder"] <= 2
        for c in h.contacts:
            assert c.phone.startswith("19900") and len(c.phone) == 11
            if c.role in registry.RESPONDER_ROLES:
                assert c.lat is not None and c.lon is not None
                km = ((c.lat - h.lat) ** 2 + (c.lon - h.lon) ** 2) ** 0.5 * 111
                assert km < 8.0, (h.code, c)
        grid_worker.setdefault(h.grid, set()).add(h.contacts_by_role("grid_worker")[0].id)
        cadre.setdefault(h.community, set()).add(h.contacts_by_role("cadre")[0].id)
        neighbour = h.contacts_by_role("neighbour")[0]
        assert neighbour.lat is not None and abs(neighbour.lat - h.lat) < 0.005
    assert all(len(ids) == 1 for ids in grid_worker.values())
    assert all(len(ids) == 1 for ids in cadre.values())
    households_per_worker = Counter(
        h.contacts_by_role("grid_worker")[0].id for h in small.households.values()
    ).most_common(1)[0][1]
    assert households_per_worker > 5


def test_devices_by_fuel_and_a_few_unprotected(big: Register) -> None:
    homes = list(big.households.values())
    unprotected = 0
    for h in homes:
        kinds = Counter(d.kind for d in h.devices)
        assert all(v == 1 for v in kinds.values())
        required = ["smoke", "gas"] if h.fuel in ("gas", "lpg") else ["smoke"]
        if any(k not in kinds for k in required):
            unprotected += 1
        if h.fuel == "electric":
            assert "gas" not in kinds
        assert all(d.household == h.code for d in h.devices)
    assert 0.005 < unprotected / len(homes) < 0.05
    kinds = Counter(d.kind for h in homes for d in h.devices)
    assert kinds["smoke"] > 0.95 * len(homes)
    assert 0.6 < kinds["co"] / len(homes) < 0.95
    assert 0.7 < kinds["electric"] / len(homes) < 0.95
    fuels = Counter(h.fuel for h in homes)
    assert fuels["gas"] > fuels["lpg"] > 0 and fuels["electric"] > 0


def _parse_row(row: dict[str, str]) -> registry.Household:
    """A reader written from docs/register.md: keeps the documented layout honest."""
    residents = []
    for part in row["residents"].split(";"):
        rid, name, age, groups, id_number = part.split(":")
        residents.append(
            registry.Resident(
                id=rid,
                name=name,
                age=int(age),
                groups=tuple(g for g in groups.split("+") if g),
                id_number=id_number,
            )
        )
    contacts = []
    for part in row["contacts"].split(";"):
        f = part.split(":") + [""] * 3
        contacts.append(
            registry.Contact(
                role=f[0],
                name=f[1],
                phone=f[2],
                id=f[3],
                lat=float(f[4]) if f[4] else None,
                lon=float(f[5]) if f[5] else None,
            )
        )
    devices = []
    for part in row["devices"].split(";"):
        dev, kind, location = part.split(":")
        devices.append(registry.Device(id=dev, kind=kind, household=row["code"], location=location))
    return registry.Household(
        code=row["code"],
        district=row["district"],
        township=row["township"],
        community=row["community"],
        grid=row["grid"],
        address=row["address"],
        lat=float(row["lat"]),
        lon=float(row["lon"]),
        crs=row["crs"],
        fuel=row["fuel"],
        residents=tuple(residents),
        contacts=tuple(contacts),
        devices=tuple(devices),
    )


def test_sample_csv_is_current_and_round_trips() -> None:
    reg = generate(seed=7, households=1000)
    raw = resource("register", "sample.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel
    text = raw.decode("utf-8-sig")
    assert text == register_csv(reg)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 1000
    assert tuple(rows[0]) == registry.CSV_COLUMNS
    for row in rows:
        assert _parse_row(row) == reg.households[row["code"]]
        assert row["township_name"] == reg.area_name(row["township"])


def test_template_csv_header_and_one_example() -> None:
    text = resource("register", "template.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 2
    assert tuple(rows[0]) == registry.CSV_COLUMNS
    assert len(rows[1]) == len(registry.CSV_COLUMNS)
