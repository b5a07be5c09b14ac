"""The shipped resources generated from the synthetic district (``simulate --write-resources``):
map boundaries, the register template and sample CSVs, the drill scenarios. The unit tests
fail when a shipped file no longer matches what this writes."""

from __future__ import annotations

from pathlib import Path

from console.sim import district, drill
from console.sim.register_csv import write_register_csv


def write_resources(root: Path) -> list[Path]:
    """resources/map/boundaries.geojson, register/{template,sample}.csv, scenarios/*.jsonl."""
    written = [district.write_boundaries(root / "map" / "boundaries.geojson")]
    small = district.generate(seed=7, households=1000)
    written.append(write_register_csv(small, root / "register" / "sample.csv"))
    written.append(write_register_csv(small, root / "register" / "template.csv", limit=1))
    written += drill.write_scenarios(root / "scenarios", district.generate())
    return written
