"""``python -m console run``: the officer's console (login first)."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from console.config import ConfigError, add_flags, from_args


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m console run", description="the officer's console")
    add_flags(p)
    p.add_argument("--duration", type=float, help="run this many seconds, then exit 0 (kiosk checks)")
    p.add_argument("--screenshot", type=Path, help="with --duration: save a screenshot at the end")
    args = p.parse_args(argv)
    try:
        settings = from_args(args)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    from console import bootstrap
    from console.ui.login import LoginDialog
    from console.ui.operator import Operator

    bootstrap.setup_logging()
    app = bootstrap.gui_app(settings.locale)  # first: a Qt that cannot start aborts here, nothing open
    try:
        store = bootstrap.open_store(settings.journal_url())
    except Exception as exc:  # noqa: BLE001
        print(f"cannot open the journal: {exc}", file=sys.stderr)
        return 1
    if not store.list_operators():
        print(
            "no operator accounts yet: python -m console operators add ID --name NAME --role district_officer --scope '*'",
            file=sys.stderr,
        )
        return 2
    dlg = LoginDialog(store.check_login)
    # A dialog's loop runs no Python that would notice Ctrl-C, and nothing is journaled before the
    # sign-in: there Ctrl-C ends the process at once, as the kernel does by default.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    accepted = dlg.exec() == LoginDialog.DialogCode.Accepted
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if not accepted:
        return 1
    acct = dlg.result_operator
    op = Operator(acct.id, acct.role, acct.scope, acct.name)
    if op.scope != "*":
        settings.township = settings.township or op.scope
    sink = bootstrap.ui_sink()
    core = bootstrap.build_core(settings, sink=sink, store=store)
    bootstrap.journal_login(core, op, settings.console_id)
    try:
        mode = "training" if settings.training else "live"
        return bootstrap.run_console(core, sink, op, mode, args.duration, args.screenshot)
    finally:
        del app
        core.stop()
