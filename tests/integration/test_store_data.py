"""Checkpoints, quarantine, operators, register persistence and projection snapshots."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from console.domain.registry import Area, Contact, Device, Household, Register, Resident
from console.io.store import SqlStore


@pytest.fixture
def store(journal_db_url: str) -> Iterator[SqlStore]:
    s = SqlStore(journal_db_url)
    yield s
    s.close()


# --- checkpoints ------------------------------------------------------------------------------


def test_checkpoint_round_trip_and_pruning(store: SqlStore) -> None:
    assert store.latest_checkpoint() is None
    recs = store.journal.append([(i, "timer", "tick", "", b"{}") for i in range(10)], "c")
    for r in recs[:5]:
        store.save_checkpoint(r.seq, r.hash, b"state-%d" % r.seq)
    assert store.latest_checkpoint() == (5, recs[4].hash, b"state-5")
    with store.engine.connect() as conn:
        assert list(conn.execute(text("SELECT seq FROM checkpoints ORDER BY seq")).scalars()) == [3, 4, 5]
    with pytest.raises(ValueError, match="checkpoint at seq 6"):
        store.save_checkpoint(6, recs[0].hash, b"wrong hash")
    with pytest.raises(ValueError, match="checkpoint at seq 99"):
        store.save_checkpoint(99, recs[0].hash, b"no such record")


def test_checkpoint_that_disagrees_with_journal_is_ignored(
    store: SqlStore, caplog: pytest.LogCaptureFixture
) -> None:
    recs = store.journal.append([(i, "timer", "tick", "", b"{}") for i in range(6)], "c")
    store.save_checkpoint(3, recs[2].hash, b"good")
    store.save_checkpoint(6, recs[5].hash, b"bad")
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE checkpoints SET hash = :h WHERE seq = 6"), {"h": "f" * 64})
    with caplog.at_level(logging.WARNING, logger="console.io.store.journal_checkpoints"):
        assert store.latest_checkpoint() == (3, recs[2].hash, b"good")
    assert "ignoring checkpoint at seq 6" in caplog.text


# --- quarantine -------------------------------------------------------------------------------


def test_quarantine_counts_and_recent(store: SqlStore) -> None:
    store.add_quarantine(
        [
            (1, "guard/v1/evt/a/b/c", "bad_json", "Expecting value", b"{nope"),
            (2, "guard/v1/evt/a/b/c", "bad_json", "", b"x" * 5000),
            (3, "other/topic", "bad_topic", "other/topic", b"{}"),
        ]
    )
    assert store.quarantine_counts() == {"bad_json": 2, "bad_topic": 1}
    recent = store.recent_quarantine(2)
    assert [r.at_ns for r in recent] == [3, 2]
    assert len(recent[1].head) == 512 and isinstance(recent[1].head, bytes)


# --- operators --------------------------------------------------------------------------------


def test_operators(store: SqlStore) -> None:
    store.add_operator("li01", "李娜", "township_officer", "500106001", "correct horse")
    store.add_operator("wang", "王强", "district_officer", "*", "battery staple")
    with pytest.raises(ValueError, match="already exists"):
        store.add_operator("li01", "x", "admin", "*", "longenough")
    with pytest.raises(ValueError, match="role must be one of"):
        store.add_operator("z", "z", "janitor", "*", "longenough")
    with pytest.raises(ValueError, match="township code"):
        store.add_operator("z", "z", "township_officer", "*", "longenough")
    with pytest.raises(ValueError, match="at least 8"):
        store.add_operator("z", "z", "admin", "*", "short")
    op = store.check_login("li01", "correct horse")
    assert op is not None and (op.name, op.role, op.scope) == ("李娜", "township_officer", "500106001")
    assert store.check_login("li01", "Correct horse") is None
    assert store.check_login("nobody", "correct horse") is None
    assert [o.id for o in store.list_operators()] == ["li01", "wang"]
    with store.engine.connect() as conn:
        stored = conn.execute(text("SELECT pw_hash FROM operators WHERE id = 'li01'")).scalar()
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    assert store.set_operator_active("li01", False)
    assert store.check_login("li01", "correct horse") is None


# --- register ---------------------------------------------------------------------------------


def make_register(n: int) -> Register:
    areas = [Area(code="500106", name="沙坪坝区", level="district")] + [
        Area(code=f"500106{t:03d}", name=f"街道{t}", level="township", parent="500106") for t in range(1, 11)
    ]
    households = []
    for i in range(n):
        code = f"H{i:06d}"
        households.append(
            Household(
                code=code,
                district="500106",
                township=f"500106{i % 10 + 1:03d}",
                community=f"C{i % 97}",
                grid=f"G{i % 311}",
                address=f"重庆市沙坪坝区某路{i}号",
                lat=29.5 + i * 1e-6,
                lon=106.4 + i * 1e-6,
                crs="gcj02" if i % 2 else "wgs84",
                fuel=("gas", "lpg", "electric")[i % 3],
                residents=(
                    Resident(
                        id=f"{code}-R1",
                        name=f"老人{i}",
                        age=70 + i % 25,
                        groups=("living_alone",),
                        id_number="",
                    ),
                ),
                contacts=(
                    Contact(id=f"{code}-C1", role="guardian", name="子女", phone=f"138{i:08d}"),
                    Contact(
                        id=f"{code}-C2",
                        role="grid_worker",
                        name="网格员",
                        phone=f"139{i:08d}",
                        lat=29.5,
                        lon=106.4,
                    ),
                ),
                devices=(
                    Device(id=f"D{i:07d}s", kind="smoke", household=code, location="kitchen"),
                    Device(id=f"D{i:07d}g", kind="gas", household=code),
                ),
            )
        )
    return Register(areas, households, version="2026-01")


def test_register_round_trip(store: SqlStore) -> None:
    assert store.load_register() is None
    assert store.register_version() is None
    reg = make_register(200)
    store.save_register(reg)
    assert store.register_version() == "2026-01"
    back = store.load_register()
    assert back is not None and back.version == "2026-01"
    assert back.areas == reg.areas
    assert back.households == reg.households
    assert back.household_of_device("D0000007g") == reg.households["H000007"]
    smaller = make_register(3)
    store.save_register(smaller)  # replaces, not merges
    again = store.load_register()
    assert again is not None and len(again) == 3


def test_register_of_30000_households_round_trips(tmp_path: object) -> None:
    """A district-sized register survives the store whole (its speed is `bench journal`'s to
    report, not a test's)."""
    store = SqlStore(f"sqlite:///{tmp_path}/journal.sqlite")
    reg = make_register(30_000)
    store.save_register(reg)
    back = store.load_register()
    store.close()
    assert back is not None and len(back) == 30_000
    assert back.households["H029999"] == reg.households["H029999"]
    assert back.households == reg.households


# --- projection -------------------------------------------------------------------------------


def test_projection_snapshot_replaced_wholesale(store: SqlStore) -> None:
    incidents = [
        {
            "id": 1,
            "household": "H1",
            "kind": "smoke",
            "state": "alerting",
            "opened_ns": 5,
            "version": 2,
            "x": [1],
        },
        {"id": 2, "household": "H2", "kind": "gas", "state": "closed", "opened_ns": 6, "version": 9},
    ]
    tickets = [{"id": "T1", "household": "H3", "kind": "low_battery", "state": "open", "opened_ns": 7}]
    store.write_projection(
        incidents,
        tickets,
        checklist=[{"incident": "1", "step": "call_elder", "state": "done", "at_ns": 9}],
        notifications=[{"req": "I1-g-sms-1", "incident": "1", "channel": "sms", "status": "delivered"}],
    )
    snap = store.read_projection()
    assert snap["incidents"] == incidents and snap["tickets"] == tickets
    assert snap["checklist"][0]["step"] == "call_elder"
    assert snap["notifications"][0]["status"] == "delivered"
    store.write_projection(incidents[1:], [])
    snap = store.read_projection()
    assert snap["incidents"] == incidents[1:] and snap["tickets"] == []
    assert len(snap["checklist"]) == 1  # left alone when not given
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT state FROM incidents WHERE id = '2'")).scalar() == "closed"
    with pytest.raises(ValueError, match="without 'id'"):
        store.write_projection([{"household": "H9"}], [])
