"""Small builders for unit tests: a hand-made register, the shipped templates, a world."""

from __future__ import annotations

from pathlib import Path

from console.app.data import load_templates, load_weights
from console.domain import events as ev
from console.domain.effects import Alert, CommandRefused, PublishRequest
from console.domain.registry import Area, Contact, Device, Household, Register, Resident
from console.domain.world import World
from tests.support import NS as NS  # the epoch and the second live in tests/support.py (shared);
from tests.support import T0 as T0  # re-exported here for the unit tests that import them from us

ROOT = Path(__file__).resolve().parents[2]


def household(
    code: str, township: str = "T1", devices: tuple[str, ...] = ("smoke", "co", "gas")
) -> Household:
    return Household(
        code=code,
        district="SIM",
        township=township,
        community="C1",
        grid="G1",
        address=f"示范路{code}号",
        lat=29.5,
        lon=106.5,
        residents=(Resident(id=f"{code}-r1", name="测试老人", age=86, groups=("living_alone",)),),
        contacts=(
            Contact(id=f"{code}-e", role="elder", name="老人", phone="19900000001"),
            Contact(id=f"{code}-g", role="guardian", name="监护人", phone="19900000002"),
            Contact(id="GW1", role="grid_worker", name="网格员", phone="19900000003", lat=29.501, lon=106.5),
            Contact(id="CA1", role="cadre", name="社区干部", phone="19900000004", lat=29.502, lon=106.5),
        ),
        devices=tuple(Device(id=f"{code}-{k}", kind=k, household=code) for k in devices),
    )


def register(n: int = 3) -> Register:
    areas = [
        Area(code="SIM", name="模拟区", level="district"),
        Area(code="T1", name="示范街道一", level="street", parent="SIM"),
        Area(code="T2", name="示范镇二", level="township", parent="SIM"),
    ]
    hs = [household(f"H{i}", "T1" if i % 2 else "T2") for i in range(1, n + 1)]
    return Register(areas, hs, version="test")


def world(n: int = 3) -> World:
    return World(
        register(n),
        load_templates(ROOT / "resources" / "checklists"),
        load_weights(ROOT / "resources" / "risk.toml"),
    )


def alarm(
    dev: str, at: int, id_: str = "e1", kind: str = "smoke", evt: str = "alarm", township: str = "T1"
) -> ev.DeviceEvent:
    return ev.DeviceEvent(
        at=at, district="SIM", township=township, dev=dev, id=id_, kind=kind, evt=evt, ts=at
    )


def login(
    w: World,
    at: int,
    console: str = "c1",
    operator: str = "op1",
    role: str = "district_officer",
    scope: str = "*",
) -> None:
    w.apply(ev.Login(at=at, operator=operator, console=console, role=role, scope=scope))


def step(
    incident: int,
    step_id: str,
    at: int,
    values: dict[str, str] | None = None,
    operator: str = "op1",
    console: str = "c1",
) -> ev.CompleteStep:
    return ev.CompleteStep(
        at=at, operator=operator, console=console, incident=incident, step=step_id, values=values or {}
    )


# --- added for the domain suite --------------------------------------------------------------

# Values each step of the shipped checklists records (a real-fire walk-through).
STEP_VALUES: dict[str, dict[str, str]] = {
    "call_elder": {"outcome": "answered"},
    "dispatch": {"responder": "GW1"},
    "resolve": {"cause": "real_fire"},
    "close": {"feedback": "elder safe"},
}
FULL_WALK = ("ack", "dispatch", "on_site", "resolve", "inform", "close")


def notifies(effects: list[object]) -> list[PublishRequest]:
    return [f for f in effects if isinstance(f, PublishRequest)]


def alerts(effects: list[object], kind: str | None = None) -> list[Alert]:
    return [f for f in effects if isinstance(f, Alert) and (kind is None or f.kind == kind)]


def refused(effects: list[object]) -> list[CommandRefused]:
    return [f for f in effects if isinstance(f, CommandRefused)]


def publish(w: World, effects: list[object], at: int) -> list[str]:
    """Do what the engine does after publishing: record a NotifyPublished."""
    reqs = tuple(n.request.req for n in notifies(effects))
    if reqs:
        w.apply(ev.NotifyPublished(at=at, reqs=reqs))
    return list(reqs)


def accept(w: World, reqs: list[str], at: int, provider: str = "sim") -> None:
    """What the gateway answers when a provider took the sends: an ``accepted`` receipt each."""
    for req in reqs:
        w.apply(ev.NotifyReceipt(at=at, req=req, status="accepted", provider=provider))


def open_incident(w: World, dev: str = "H1-smoke", at: int = T0, kind: str = "smoke", id_: str = "e1") -> int:
    """An alarm whose notifications went out at once (published, and accepted by a provider);
    returns the incident id."""
    before = set(w.incidents)
    fx = w.apply(alarm(dev, at, id_=id_, kind=kind))
    accept(w, publish(w, fx, at), at)
    new = set(w.incidents) - before
    assert len(new) == 1, "expected a new incident"
    return new.pop()


def do(w: World, iid: int, step_id: str, at: int, values: dict[str, str] | None = None) -> list[object]:
    """Complete one step; values default to STEP_VALUES."""
    vals = STEP_VALUES.get(step_id, {}) if values is None else values
    return list(w.apply(step(iid, step_id, at, vals)))
