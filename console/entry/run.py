"""``python -m console run``: the officer's console (login first)."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import Any

from console.config import ConfigError, Settings, TrainingError, add_flags, from_args, training_settings


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        prog="python -m console run",
        description="the officer's console",
        epilog=(
            "exit codes: 0 the officer closed the window (or --duration ran out); 1 the journal cannot"
            " be opened, the first administrator was not created, or the sign-in was cancelled;"
            " 2 invalid settings or a refused TRAINING set-up (message on stderr)."
        ),
    )
    add_flags(p)
    p.add_argument("--duration", type=float, help="run this many seconds, then exit 0 (kiosk checks)")
    p.add_argument("--screenshot", type=Path, help="with --duration: save a screenshot at the end")
    args = p.parse_args(argv)
    try:
        settings = from_args(args)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    if settings.training:
        try:  # refused before any window or journal opens: a loopback broker, training.sqlite
            settings = training_settings(settings)
        except TrainingError as exc:
            print(f"training: {exc}", file=sys.stderr)
            return 2
    from console import bootstrap
    from console.ui.login import LoginDialog
    from console.ui.operator import Operator

    bootstrap.setup_logging()
    app = bootstrap.gui_app(settings.locale)  # first: a Qt that cannot start aborts here, nothing open
    store = open_journal(settings)
    if store is None:
        return 1
    accounts = bootstrap.accounts_for(store, settings)
    # A dialog's loop runs no Python that would notice Ctrl-C, and nothing is journaled before the
    # sign-in but the accounts' own notes: there Ctrl-C ends the process at once, as by default.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    if not accounts.has_accounts() and not first_start(accounts):
        signal.signal(signal.SIGINT, signal.default_int_handler)
        print(
            "no operator accounts and the first administrator was not created; create one here at the"
            " next start, or with: python -m console operators add ID --name NAME --role admin",
            file=sys.stderr,
        )
        store.close()
        return 1
    dlg = LoginDialog(accounts.sign_in, console=settings.console_id, district=settings.district)
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


def first_start(accounts: Any) -> bool:
    """No accounts yet: the first administrator, created in a dialog; then the operators screen,
    where they add the duty officers. False if the administrator cancelled."""
    from console.io.store.operators import MIN_PASSWORD
    from console.ui.first_admin import FirstAdminDialog
    from console.ui.operators_screen import OperatorsScreen

    dlg = FirstAdminDialog(accounts.add_first_admin, MIN_PASSWORD)
    if dlg.exec() != FirstAdminDialog.DialogCode.Accepted:
        return False
    OperatorsScreen(accounts, dlg.created.id, MIN_PASSWORD).exec()
    return True


def open_journal(settings: Settings) -> Any:
    """The journal, or None once the officer has been told why not (a message box; stderr too).
    A zero-length journal file starts a new journal only if the officer confirms it, in the box
    or beforehand with --new-journal."""
    from console import bootstrap
    from console.io.store.errors import EmptyJournal

    url = settings.journal_url()
    try:
        return bootstrap.open_store(url, new_journal=settings.new_journal)
    except EmptyJournal as exc:
        print(f"cannot open the journal: {exc}", file=sys.stderr)
        if open_failure_box(exc).exec() != _yes():
            return None
    except Exception as exc:  # noqa: BLE001
        print(f"cannot open the journal: {exc}", file=sys.stderr)
        open_failure_box(exc).exec()
        return None
    try:
        return bootstrap.open_store(url, new_journal=True)
    except Exception as exc:  # noqa: BLE001
        print(f"cannot open the journal: {exc}", file=sys.stderr)
        open_failure_box(exc).exec()
        return None


def _yes() -> Any:
    from PySide6.QtWidgets import QMessageBox

    return QMessageBox.StandardButton.Yes


def open_failure_box(exc: Exception) -> Any:
    """Why the journal did not open, for the officer. For an empty journal file it asks whether a
    new journal starts in it (Yes) or the console quits (No, the default: the file may be a
    journal that lost its contents, and is evidence)."""
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QMessageBox

    from console.app.ports import JournalError
    from console.io.store.errors import EmptyJournal

    def tr(text: str) -> str:
        return QCoreApplication.translate("Startup", text)

    box = QMessageBox()
    box.setObjectName("journalOpenFailure")
    box.setWindowTitle(tr("Guardian Console"))
    if isinstance(exc, EmptyJournal):
        box.setIcon(QMessageBox.Icon.Warning)
        box.setText(tr("The journal file is empty:") + f"\n{exc.path}")
        box.setInformativeText(
            tr(
                "It may be a journal that lost its contents. Start a new, empty journal in it only if"
                " this console is meant to start afresh; otherwise quit, leave the file as it is and"
                " call technical support."
            )
        )
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.button(QMessageBox.StandardButton.Yes).setText(tr("Start a new journal"))
        box.button(QMessageBox.StandardButton.No).setText(tr("Quit"))
    else:
        box.setIcon(QMessageBox.Icon.Critical)
        box.setText(tr("Cannot open the journal."))
        box.setInformativeText(exc.message if isinstance(exc, JournalError) else str(exc))
        box.setStandardButtons(QMessageBox.StandardButton.Close)
    return box
