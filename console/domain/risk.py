"""Household risk score and band, weights from resources/risk.toml.

Bands: critical (an open alarm incident) > unprotected (a required device missing or offline)
> high > medium > low by score. The reasons list says why, for the safety file.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from typing import Any, Final

import msgspec

from console.domain.registry import Household
from console.domain.supervision import Health

BANDS: Final = ("critical", "unprotected", "high", "medium", "low")


class Weights(msgspec.Struct, frozen=True, kw_only=True):
    vulnerability: dict[str, int]
    protection: dict[str, int]
    history: dict[str, int]
    bands: dict[str, int]
    required: dict[str, list[str]]

    @staticmethod
    def from_toml(text: str) -> Weights:
        raw: dict[str, Any] = tomllib.loads(text)
        return msgspec.convert(raw, Weights)


class Risk(msgspec.Struct, frozen=True):
    score: int
    band: str
    reasons: tuple[str, ...]  # codes like "group:living_alone", "offline:<dev>"


def assess(
    h: Household,
    w: Weights,
    health: dict[str, Health],
    open_incident: bool,
    incidents_90d: int,
    real_fires_365d: int,
) -> Risk:
    score = 0
    reasons: list[str] = []
    v = w.vulnerability
    for g in sorted(h.groups()):
        if g in v:
            score += v[g]
            reasons.append(f"group:{g}")
    for r in h.residents:
        if r.age >= 80:
            score += v.get("age_80", 0)
            reasons.append(f"age80:{r.id}")
        if r.age >= 90:
            score += v.get("age_90", 0)
    p = w.protection
    kinds = {d.kind for d in h.devices}
    unprotected = False
    for kind in w.required.get(h.fuel, ["smoke"]):
        if kind not in kinds:
            unprotected = True
            reasons.append(f"missing:{kind}")
    for d in h.devices:
        st = health.get(d.id)
        if st is None:
            continue
        if not st.online:
            if d.kind in w.required.get(h.fuel, ["smoke"]):
                unprotected = True
            reasons.append(f"offline:{d.id}")
        for flag in ("low_battery", "fault", "tamper"):
            if getattr(st, flag):
                score += p.get(flag, 0)
                reasons.append(f"{flag}:{d.id}")
    if h.fuel in ("gas", "lpg") and "co" not in kinds:
        score += p.get("no_co_with_gas", 0)
        reasons.append("no_co_with_gas")
    if incidents_90d:
        score += incidents_90d * w.history.get("incident_90d", 0)
        reasons.append(f"incidents_90d:{incidents_90d}")
    if real_fires_365d:
        score += real_fires_365d * w.history.get("real_fire_365d", 0)
        reasons.append(f"real_fires_365d:{real_fires_365d}")
    if open_incident:
        band = "critical"
    elif unprotected:
        band = "unprotected"
    elif score >= w.bands.get("high", 60):
        band = "high"
    elif score >= w.bands.get("medium", 30):
        band = "medium"
    else:
        band = "low"
    return Risk(score, band, tuple(reasons))


def band_counts(bands: Iterable[str]) -> dict[str, int]:
    out = dict.fromkeys(BANDS, 0)
    for b in bands:
        out[b] = out.get(b, 0) + 1
    return out
