"""``python -m console SUBCOMMAND``. Each subcommand lives in its own module with ``main(argv)``;
a subcommand whose module is not there yet says so and exits 2."""

from __future__ import annotations

import importlib
import sys

SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "run": ("console.launch", "run the console against the configured broker"),
    "demo": ("console.launch", "embedded broker + simulated district + console"),
    "headless": ("console.headless", "the console core (bus, engine, journal) without a window"),
    "simulate": ("console.sim.cli", "publish a synthetic district's traffic to a broker"),
    "gateway": ("console.sim.gateway", "notification-gateway simulator (SMS / voice receipts)"),
    "broker": ("console.io.broker", "run the embedded (demo/training) broker on loopback"),
    "replay": ("console.replay_cli", "replay a journal headless and report timings"),
    "drill": ("console.sim.drill", "publish a training scenario through a local broker"),
    "training": (
        "console.training",
        "a TRAINING console with its own journal on a loopback broker (+ --scenario)",
    ),
    "audit": ("console.io.store.audit", "verify / export / tail / archive the journal"),
    "import-register": ("console.io.registry_import", "import the household register (CSV/XLSX)"),
    "report": ("console.io.reports", "daily / monthly / handover reports (PDF, XLSX)"),
    "selftest": ("console.selftest", "load every resource and the map page, verify a temp journal"),
    "bench": ("console.bench", "benchmarks: ingest, journal, map, kpi, replay"),
    "operators": ("console.io.store.operators_cli", "add / list local operator accounts"),
}


def usage() -> str:
    lines = ["usage: python -m console SUBCOMMAND [options]", "", "subcommands:"]
    lines += [f"  {name:<16} {text}" for name, (_, text) in SUBCOMMANDS.items()]
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
    module_name = SUBCOMMANDS[name][0]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            print(f"{name}: not yet available in this build ({module_name} missing)", file=sys.stderr)
            return 2
        raise
    entry = getattr(module, f"main_{name.replace('-', '_')}", None) or module.main
    result = entry(rest)
    return int(result or 0)
