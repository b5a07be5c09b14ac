"""``python -m console bench NAME [--json] [options]``: prints one JSON object of figures."""

from __future__ import annotations

import importlib
import json
import sys

BENCHES = ("ingest", "journal", "map", "kpi", "replay", "bus_drain", "recover", "queue")


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in BENCHES:
        print(f"usage: python -m console bench {{{'|'.join(BENCHES)}}} [--json] [options]", file=sys.stderr)
        return 2
    name, rest = argv[0], [a for a in argv[1:] if a != "--json"]
    as_json = "--json" in argv
    try:
        module = importlib.import_module(f"console.benches.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"console.benches.{name}":
            print(f"bench {name}: not yet available", file=sys.stderr)
            return 2
        raise
    figures = module.run(rest)
    if as_json:
        print(json.dumps(figures, ensure_ascii=False))
    else:
        for k, v in figures.items():
            print(f"{k:>20}: {v}")
    return 0
