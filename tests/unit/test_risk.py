"""Risk bands and the reasons behind them, with the shipped weights."""

from __future__ import annotations

from console.app.data import load_weights
from console.domain.registry import Device, Household, Resident
from console.domain.risk import BANDS, Weights, assess, band_counts
from console.domain.supervision import Health
from tests.unit.helpers import ROOT, T0, alarm, household, world

W = load_weights(ROOT / "resources" / "risk.toml")


def home(
    kinds: tuple[str, ...] = ("smoke", "co", "gas"),
    groups: tuple[str, ...] = (),
    ages: tuple[int, ...] = (70,),
    fuel: str = "gas",
) -> Household:
    return Household(
        code="H",
        district="SIM",
        township="T1",
        community="C",
        grid="G",
        address="a",
        lat=0.0,
        lon=0.0,
        fuel=fuel,
        residents=tuple(Resident(id=f"r{i}", name="n", age=a, groups=groups) for i, a in enumerate(ages)),
        devices=tuple(Device(id=f"H-{k}", kind=k, household="H") for k in kinds),
    )


def health(dev: str, kind: str, **flags: bool) -> dict[str, Health]:
    return {dev: Health(dev=dev, kind=kind, household="H", **flags)}


def test_shipped_weights() -> None:
    assert W.bands == {"high": 60, "medium": 30}
    assert W.required["gas"] == ["smoke", "gas"] and W.required["electric"] == ["smoke"]


def test_low_when_fully_protected_and_not_vulnerable() -> None:
    r = assess(home(), W, {}, False, 0, 0)
    assert (r.score, r.band, r.reasons) == (0, "low", ())


def test_critical_beats_everything_while_an_incident_is_open() -> None:
    r = assess(home(kinds=()), W, {}, True, 0, 0)
    assert r.band == "critical"
    assert "missing:smoke" in r.reasons


def test_unprotected_when_a_required_device_is_missing() -> None:
    r = assess(home(kinds=("smoke", "co")), W, {}, False, 0, 0)
    assert r.band == "unprotected" and "missing:gas" in r.reasons


def test_electric_home_needs_only_smoke() -> None:
    assert assess(home(kinds=("smoke",), fuel="electric"), W, {}, False, 0, 0).band == "low"
    r = assess(home(kinds=("co",), fuel="electric"), W, {}, False, 0, 0)
    assert r.band == "unprotected" and r.reasons == ("missing:smoke",)


def test_unprotected_when_a_required_device_is_offline_but_not_an_optional_one() -> None:
    r = assess(home(), W, health("H-gas", "gas", online=False), False, 0, 0)
    assert r.band == "unprotected" and "offline:H-gas" in r.reasons
    r = assess(home(), W, health("H-co", "co", online=False), False, 0, 0)
    assert r.band == "low" and "offline:H-co" in r.reasons


def test_bands_by_score_with_reasons() -> None:
    medium = assess(home(groups=("living_alone",), ages=(85,)), W, {}, False, 0, 0)
    assert (medium.score, medium.band) == (25, "low")
    assert medium.reasons == ("group:living_alone", "age80:r0")
    medium = assess(home(groups=("living_alone",), ages=(92,)), W, {}, False, 0, 0)
    assert (medium.score, medium.band) == (35, "medium")
    high = assess(home(groups=("severely_disabled", "living_alone")), W, {}, False, 1, 0)
    assert (high.score, high.band) == (55, "medium")
    high = assess(home(groups=("severely_disabled", "living_alone")), W, {}, False, 0, 1)
    assert (high.score, high.band) == (70, "high")
    assert high.reasons[-1] == "real_fires_365d:1"


def test_device_trouble_and_gas_without_co_add_score() -> None:
    r = assess(
        home(kinds=("smoke", "gas")),
        W,
        health("H-smoke", "smoke", low_battery=True, tamper=True),
        False,
        0,
        0,
    )
    assert r.score == 10 + 15 + 10
    assert set(r.reasons) == {"low_battery:H-smoke", "tamper:H-smoke", "no_co_with_gas"}
    assert r.band == "medium"


def test_incidents_in_the_last_90_days_count() -> None:
    r = assess(home(), W, {}, False, 3, 0)
    assert (r.score, r.band, r.reasons) == (30, "medium", ("incidents_90d:3",))


def test_band_counts() -> None:
    assert band_counts(["low", "low", "critical"]) == {b: {"low": 2, "critical": 1}.get(b, 0) for b in BANDS}


def test_weights_from_toml() -> None:
    w = Weights.from_toml(
        "[vulnerability]\n[protection]\n[history]\n[bands]\nhigh = 5\nmedium = 1\n[required]\ngas = ['gas']\n"
    )
    assert assess(home(groups=("living_alone",)), w, {}, False, 0, 0).band == "low"  # no weight for it
    assert assess(home(), w, {}, False, 1, 0).band == "low"


def test_world_risk_follows_incidents_and_history() -> None:
    w = world(1)
    assert w.band_of("H1") == "low"
    w.apply(alarm("H1-smoke", T0))
    assert w.band_of("H1") == "critical"
    assert w.band_of("NOPE") == "critical"  # unknown code: never shown as safe
    r = w.risk_of("H1")
    assert r is not None and "incidents_90d:1" in r.reasons
    assert w.risk_of("NOPE") is None
    assert household("X").fuel == "gas"
