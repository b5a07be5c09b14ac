"""``python -m console bench NAME [--json] [options]``: prints one JSON object of figures."""

from __future__ import annotations

import importlib
import json
import sys

BENCHES = (
    "ingest",
    "journal",
    "map",
    "kpi",
    "replay",
    "bus_drain",
    "recover",
    "queue",
    "notify",
    "bridge",
    "volume",
    "soak",
)
EXIT_CODES = "exit codes: 0 the figures are printed; 2 no or an unknown bench name, or bad usage."


def usage() -> str:
    return f"usage: python -m console bench {{{'|'.join(BENCHES)}}} [--json] [options]"


def main(argv: list[str]) -> int:
    if argv[:1] in (["-h"], ["--help"]):
        print(f"{usage()}\n\nbench NAME --help lists a bench's options.\n\n{EXIT_CODES}")
        return 0
    if not argv or argv[0] not in BENCHES:
        print(f"{usage()}\n\n{EXIT_CODES}", file=sys.stderr)
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
