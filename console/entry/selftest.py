"""``python -m console selftest``: prove this build (source tree or frozen bundle) has everything
it needs before an officer depends on it. The checks are in console/diagnostics/selftest.py.
Exit code 0 when every selected check passed, 1 otherwise, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

from console import paths
from console.diagnostics.selftest import CHECKS, Context, Result, run_check, use_resources

EXIT_CODES = (
    "exit codes: 0 every selected check passed (or --list); 1 a check failed; 2 bad usage (an unknown check)."
)


def _names(text: str | None) -> list[str]:
    if not text:
        return []
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in CHECKS]
    if unknown:
        raise SystemExit(f"selftest: unknown check(s) {', '.join(unknown)}; known: {', '.join(CHECKS)}")
    return names


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m console selftest", description=__doc__.splitlines()[0], epilog=EXIT_CODES
    )
    p.add_argument("--json", action="store_true", help="print one JSON document instead of lines")
    p.add_argument("--only", help="comma-separated checks to run (default: all)")
    p.add_argument("--skip", help="comma-separated checks to leave out")
    p.add_argument("--resources", type=Path, help="check this resources directory instead of the shipped one")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the map page / broker")
    p.add_argument("--list", action="store_true", help="list the checks and exit")
    return p


def main(argv: list[str]) -> int:
    try:
        args = parser().parse_args(argv)
        only, skip = _names(args.only), _names(args.skip)
    except SystemExit as exc:
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
            return 2
        return int(exc.code or 0)
    if args.list:
        print("\n".join(CHECKS))
        return 0
    if args.resources is not None:
        use_resources(args.resources.resolve())
    selected = [n for n in (only or list(CHECKS)) if n not in skip]
    workdir = Path(tempfile.mkdtemp(prefix="guardian-selftest-"))
    ctx = Context(paths.resources_dir(), paths.migrations_dir(), workdir, args.timeout)
    frozen = bool(getattr(sys, "frozen", False))
    if not args.json:
        print(f"selftest ({'frozen bundle' if frozen else 'source'}): {len(selected)} checks", flush=True)
    results: list[Result] = []
    try:
        for name in selected:
            r = run_check(name, ctx)
            results.append(r)
            if not args.json:
                status = "PASS" if r.ok else "FAIL"
                print(f"{status}  {r.name:<14} {r.detail}  ({r.seconds:.2f} s)", flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    failed = [r.name for r in results if not r.ok]
    if args.json:
        doc = {
            "ok": not failed,
            "frozen": frozen,
            "resources": str(ctx.resources),
            "checks": [asdict(r) for r in results],
            "failed": failed,
            "notes": ctx.notes,
        }
        print(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        for note in ctx.notes:
            print(f"note  {note}")
        summary = f"selftest: {len(results) - len(failed)} passed, {len(failed)} failed"
        print(summary + (f" ({', '.join(failed)})" if failed else ""), flush=True)
    return 1 if failed else 0
