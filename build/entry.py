"""Entry point of the frozen bundle (GuardianConsole / guardian-cli).

``GuardianConsole SUBCOMMAND ...`` is ``python -m console SUBCOMMAND ...``. Two extras only
matter frozen: ``GuardianConsole -m MODULE ...`` runs a module, because code that re-launches
itself as ``sys.executable -m console ...`` (the demo's broker, gateway and simulator children,
benches) must work when ``sys.executable`` is the bundle; and a windowed build started with no
arguments (double-click) runs the console, with its output going to a log file in the per-user
data dir since a windowed process has no stdout.
"""

from __future__ import annotations

import runpy
import sys


def _windowed_output() -> None:
    if sys.stdout is not None and sys.stderr is not None:
        return
    from console.paths import data_dir

    log = open(data_dir() / "console.log", "a", encoding="utf-8", buffering=1)  # noqa: SIM115
    if sys.stdout is None:
        sys.stdout = log
    if sys.stderr is None:
        sys.stderr = log


def main() -> int:
    args = sys.argv[1:]
    if len(args) >= 2 and args[0] == "-m":
        sys.argv = [sys.argv[0], *args[2:]]
        runpy.run_module(args[1], run_name="__main__", alter_sys=True)
        return 0
    _windowed_output()
    from console.__main__ import enable_crash_log

    enable_crash_log()  # a SIGBUS/SIGSEGV of the bundle leaves its traceback too (the -m children do it themselves)
    if not args and getattr(sys, "frozen", False):
        args = ["run"]
    from console.cli import main as cli_main

    return cli_main(args)


if __name__ == "__main__":
    raise SystemExit(main())
