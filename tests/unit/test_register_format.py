"""The register's packed cells (console.domain.register_format): written and read by one module."""

from __future__ import annotations

import pytest

from console.domain import register_format as fmt
from console.domain.register_format import CellError
from console.domain.registry import Contact, Device, Resident
from console.sim.district import generate

HH = "SIM-T01-C01-000001"


def test_every_generated_household_round_trips_through_its_cells() -> None:
    reg = generate(seed=5, households=300)
    for h in reg.households.values():
        residents, r_err = fmt.unpack_residents(fmt.pack_residents(h.residents))
        contacts, c_err = fmt.unpack_contacts(fmt.pack_contacts(h.contacts))
        devices, d_err = fmt.unpack_devices(fmt.pack_devices(h.devices), h.code)
        assert (r_err, c_err, d_err) == ([], [], [])
        assert (residents, contacts, devices) == (h.residents, h.contacts, h.devices)


def test_cells_as_documented() -> None:
    r = Resident(
        id=f"{HH}-R1", name="张永", age=71, groups=("living_alone", "state_supported"), id_number="X"
    )
    assert fmt.pack_resident(r) == f"{HH}-R1:张永:71:living_alone+state_supported:X"
    placed = Contact(id="GW-1", role="grid_worker", name="李", phone="19900748941", lat=29.5, lon=106.3)
    bare = Contact(id="GD-1", role="guardian", name="孙", phone="19900796455")
    assert fmt.pack_contacts([placed, bare]) == (
        "grid_worker:李:19900748941:GW-1:29.500000:106.300000;guardian:孙:19900796455:GD-1"
    )
    d = Device(id="860049129913683", kind="smoke", household=HH, location="living_room")
    assert fmt.pack_devices([d, d]) == "860049129913683:smoke:living_room;860049129913683:smoke:living_room"
    assert fmt.pack_residents([]) == fmt.pack_contacts([]) == fmt.pack_devices([]) == ""
    assert (fmt.ENTRY_SEP, fmt.FIELD_SEP, fmt.GROUP_SEP) == (";", ":", "+")


def test_lenient_where_the_importer_always_was() -> None:
    assert fmt.entries(" a ;; b;") == ["a", "b"]
    assert fmt.unpack_resident("R1:王:80") == Resident(id="R1", name="王", age=80)
    assert fmt.unpack_resident("R1:王:80::").groups == ()
    k = fmt.unpack_contact("elder:王:199 0074 8941:EL-1")
    assert (k.phone, k.lat, k.lon) == ("19900748941", None, None)
    assert fmt.unpack_contact("cadre:周:023-6123 4567:CD-1").phone == "023-61234567"
    assert fmt.unpack_device("86001:gas", HH) == Device(id="86001", kind="gas", household=HH)
    assert fmt.parse_coordinate("29.5") == 29.5
    assert [fmt.parse_coordinate(s) for s in ("", "x", "nan", "inf", "-inf")] == [None] * 5
    assert fmt.coordinate(None) == ""


@pytest.mark.parametrize(
    ("unpack", "entry", "reason", "detail"),
    [
        (fmt.unpack_resident, "R1:王", "bad_format", "R1:王"),
        (fmt.unpack_resident, ":王:80", "bad_format", ":王:80"),
        (fmt.unpack_resident, "R1::80", "bad_format", "R1::80"),
        (fmt.unpack_resident, "R1:王:eighty", "bad_age", "R1:王:eighty"),
        (fmt.unpack_resident, "R1:王:80:living_alone+rich+poor", "unknown_group", "rich,poor"),
        (fmt.unpack_contact, "elder:王:19900748941", "bad_format", "elder:王:19900748941"),
        (
            fmt.unpack_contact,
            "elder:王:19900748941:EL-1:29.5",
            "bad_format",
            "elder:王:19900748941:EL-1:29.5",
        ),
        (fmt.unpack_contact, "elder::19900748941:EL-1", "bad_format", "elder::19900748941:EL-1"),
        (fmt.unpack_contact, "boss:王:19900748941:B-1", "unknown_role", "boss"),
        (fmt.unpack_contact, "elder:王:12345:EL-1", "bad_phone", "elder 王: 12345"),
        (
            fmt.unpack_contact,
            "elder:王:19900748941:EL-1:x:106.3",
            "bad_coordinates",
            "elder:王:19900748941:EL-1:x:106.3",
        ),
        # fields are checked in order: the first problem of an entry is the one reported
        (fmt.unpack_contact, "boss:王:12345:B-1:x:y", "unknown_role", "boss"),
        (fmt.unpack_contact, "elder:王:12345:EL-1:x:y", "bad_phone", "elder 王: 12345"),
        (fmt.unpack_device, "86001", "bad_format", "86001"),
        (fmt.unpack_device, ":smoke:kitchen", "bad_format", ":smoke:kitchen"),
        (fmt.unpack_device, "86001:steam:kitchen", "unknown_device_kind", "86001:steam:kitchen"),
    ],
)
def test_parse_errors_say_why(unpack: object, entry: str, reason: str, detail: str) -> None:
    with pytest.raises(CellError) as info:
        if unpack is fmt.unpack_device:
            fmt.unpack_device(entry, HH)
        else:
            assert callable(unpack)
            unpack(entry)
    assert (info.value.reason, info.value.detail) == (reason, detail)


def test_a_cell_keeps_its_good_entries_and_lists_the_bad_ones() -> None:
    residents, errors = fmt.unpack_residents("R1:王:80;R2:李:old;;R3:张:70:ghost")
    assert [r.id for r in residents] == ["R1"]
    assert [(e.reason, e.detail) for e in errors] == [("bad_age", "R2:李:old"), ("unknown_group", "ghost")]
    devices, errors = fmt.unpack_devices("86001:smoke;86002:steam", HH)
    assert [d.id for d in devices] == ["86001"] and [e.reason for e in errors] == ["unknown_device_kind"]
