"""``python -m console SUBCOMMAND``: the subcommand table only. Each subcommand is a driver in
console/entry/ with ``main(argv)``; one whose module is not there yet says so and exits 2."""

from __future__ import annotations

import importlib
import sys

SUBCOMMANDS: dict[str, str] = {
    "run": "run the console against the configured broker",
    "demo": "embedded broker + simulated district + console",
    "headless": "the console core (bus, engine, journal) without a window",
    "simulate": "publish a synthetic district's traffic to a broker",
    "gateway": "the notification gateway: SMS and voice providers (Alibaba, Tencent, the simulator)",
    "bridge": "the ingest bridge: CTWing, OneNET, IoTDA and vendor MQTT pushes -> the alarm bus",
    "broker": "run the embedded (demo/training) broker on loopback",
    "replay": "replay a journal headless and report timings",
    "drill": "publish a training scenario through a local broker",
    "training": "a TRAINING console with its own journal on a loopback broker (+ --scenario)",
    "audit": "verify / export / tail / archive the journal",
    "backup": "a verified copy of the SQLite journal, while the console runs (--to FILE)",
    "restore": "a backup restored to a new journal file, verified (FROM --to NEWFILE)",
    "migrate-journal": "an old journal rewritten with heartbeats as places, verified (--to NEWFILE)",
    "import-register": "import the household register (CSV/XLSX)",
    "import-boundaries": "import the district's township boundaries (GeoJSON, optional)",
    "report": "daily / monthly / handover reports (PDF, XLSX)",
    "selftest": "load every resource and the map page, verify a temp journal",
    "bench": "benchmarks: ingest, journal, map, kpi, replay, volume, soak, …",
    "operators": "add / list local operator accounts",
    "screenshots": "the storm in the main window and wall mode, zh_CN and en, as PNGs (docs/screenshots)",
}


def module_of(name: str) -> str:
    """Each subcommand is ``console/entry/<name>.py`` (dashes become underscores)."""
    return f"console.entry.{name.replace('-', '_')}"


def usage() -> str:
    lines = ["usage: python -m console SUBCOMMAND [options]", "", "subcommands:"]
    lines += [f"  {name:<16} {text}" for name, text in SUBCOMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(usage())
        return 0 if args else 2
    if args[0] in ("--version", "-V"):
        from console import __version__

        print(__version__)
        return 0
    name, rest = args[0], args[1:]
    if name not in SUBCOMMANDS:
        print(f"unknown subcommand {name!r}\n\n{usage()}", file=sys.stderr)
        return 2
    module_name = module_of(name)
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            print(f"{name}: not yet available in this build ({module_name} missing)", file=sys.stderr)
            return 2
        raise
    result = module.main(rest)
    return int(result or 0)
