"""Loading the shipped data files (checklists, risk and triage weights) into domain objects."""

from __future__ import annotations

from pathlib import Path

from console.domain.checklist import Template, parse_template
from console.domain.events import ServiceContact
from console.domain.risk import Weights
from console.domain.triage import TriageWeights


def load_templates(directory: Path) -> dict[str, Template]:
    out: dict[str, Template] = {}
    for f in sorted(directory.glob("*.toml")):
        t = parse_template(f.read_text(encoding="utf-8"))
        out[t.kind] = t
    return out


def load_weights(path: Path) -> Weights:
    return Weights.from_toml(path.read_text(encoding="utf-8"))


def load_triage(path: Path) -> TriageWeights:
    """resources/triage.toml: the weights of the storm-triage score (console/domain/triage.py) and,
    as ``.storm``, the storm rules a World holds notifications back by (console/domain/storm.py)."""
    return TriageWeights.from_toml(path.read_text(encoding="utf-8"))


def load_services(path: Path) -> dict[str, tuple[ServiceContact, ...]]:
    """escalation.toml: per escalation target (fire_119, ambulance_120, power, gas), who is
    notified and how. A target missing from it is an escalation that tells nobody: the console
    says so (an alert) and the officer phones."""
    import tomllib

    import msgspec

    from console.domain.incident import ESCALATION_TARGETS

    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    out: dict[str, tuple[ServiceContact, ...]] = {}
    for target, entries in raw.items():
        if target not in ESCALATION_TARGETS or target == "district":
            raise ValueError(
                f"{path.name}: [{target}] is not a service (one of fire_119, ambulance_120, power, gas)"
            )
        try:
            contacts = msgspec.convert(entries.get("contacts", []), tuple[ServiceContact, ...])
        except msgspec.ValidationError as exc:
            raise ValueError(f"{path.name}: [{target}] {exc}") from None
        for c in contacts:
            if not c.phone.lstrip("+").isdigit() or not set(c.channels) <= {"sms", "voice"}:
                raise ValueError(
                    f"{path.name}: [{target}] {c.name}: a phone of digits and channels sms / voice"
                )
        out[target] = contacts
    return out
