"""Loading the shipped data files (checklists, risk and triage weights) into domain objects."""

from __future__ import annotations

from pathlib import Path

from console.domain.checklist import Template, parse_template
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
