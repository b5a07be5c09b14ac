"""``python -m console operators add|list|disable|enable|reset-password|set-role|unlock`` — local
operator accounts, for scripted installs (the console's operators screen does the same for an
administrator). Every change is journaled as a SystemNote with ``by`` "cli" (never a password).

Exit codes: 0 done; 2 refused: bad arguments, no such operator, an invalid role, scope or
password, passwords that differ, or the last active administrator disabled or demoted; 3 the
journal or database failed (nothing was changed, or the change was made but not journaled: the
message says which)."""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import datetime

from console.bootstrap import accounts_for, open_store
from console.config import Settings, store_url
from console.io.store.errors import JournalError
from console.io.store.operators import ROLES

BY = "cli"
EPILOG = (
    "exit codes: 0 done; 2 refused (bad arguments, no such operator, invalid role/scope/password,"
    " passwords differ, last active administrator); 3 journal or database error"
)


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db", help="database URL or SQLite path (default: the settings' db_url, else the per-user journal)"
    )
    p = argparse.ArgumentParser(prog="python -m console operators", epilog=EPILOG)
    sub = p.add_subparsers(dest="command", required=True)
    a = sub.add_parser("add", parents=[common], help="add an operator", epilog=EPILOG)
    a.add_argument("id")
    a.add_argument("--name", required=True)
    a.add_argument("--role", required=True, choices=ROLES)
    a.add_argument("--scope", default=None, help="township code (township_officer) or * (default for others)")
    a.add_argument("--password", help="omit to be prompted (keeps it out of shell history)")
    sub.add_parser("list", parents=[common], help="list operators", epilog=EPILOG)
    for name, what in (
        ("disable", "disable an operator (no sign-in until enabled)"),
        ("enable", "enable a disabled operator"),
        ("unlock", "clear an operator's failed sign-ins and lock"),
    ):
        s = sub.add_parser(name, parents=[common], help=what, epilog=EPILOG)
        s.add_argument("id")
    r = sub.add_parser("reset-password", parents=[common], help="set a new password", epilog=EPILOG)
    r.add_argument("id")
    r.add_argument("--password", help="omit to be prompted (keeps it out of shell history)")
    s = sub.add_parser(
        "set-role", parents=[common], help="change an operator's role and scope", epilog=EPILOG
    )
    s.add_argument("id")
    s.add_argument("--role", required=True, choices=ROLES)
    s.add_argument("--scope", default=None, help="township code (township_officer) or * (default for others)")
    return p


def _scope(role: str, scope: str | None) -> str:
    return scope if scope is not None else ("*" if role != "township_officer" else "")


def _password(given: str | None) -> str | None:
    """The password given, or typed twice; None if the two differ."""
    if given is not None:
        return given
    password = getpass.getpass("password: ")
    return password if getpass.getpass("again: ") == password else None


def main(argv: list[str]) -> int:
    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    cmd = args.command
    try:
        with open_store(store_url(args.db)) as store:
            accounts = accounts_for(store, Settings())
            if cmd == "list":
                now = accounts.now_ns()
                for op in accounts.accounts():
                    state = "" if op.active else "  (disabled)"
                    if op.locked_until_ns is not None and op.locked_until_ns > now:
                        until = datetime.fromtimestamp(op.locked_until_ns / 1e9).strftime("%Y-%m-%d %H:%M")
                        state += f"  (locked until {until})"
                    print(f"{op.id:<16} {op.role:<17} {op.scope:<12} {op.name}{state}")
                return 0
            if cmd in ("add", "reset-password"):
                password = _password(args.password)
                if password is None:
                    print(f"operators {cmd}: passwords differ", file=sys.stderr)
                    return 2
                if cmd == "add":
                    op = accounts.add(
                        BY, args.id, args.name, args.role, _scope(args.role, args.scope), password
                    )
                    print(f"added {op.id} ({op.name}) role {op.role} scope {op.scope}")
                else:
                    accounts.reset_password(BY, args.id, password)
                    print(f"password reset for {args.id}")
            elif cmd == "set-role":
                scope = _scope(args.role, args.scope)
                accounts.set_role(BY, args.id, args.role, scope)
                print(f"{args.id}: role {args.role} scope {scope}")
            elif cmd == "unlock":
                accounts.unlock(BY, args.id)
                print(f"unlocked {args.id}")
            else:
                accounts.set_active(BY, args.id, cmd == "enable")
                print(f"{cmd}d {args.id}")
    except ValueError as exc:
        print(f"operators {cmd}: {exc}", file=sys.stderr)
        return 2
    except JournalError as exc:
        print(f"operators {cmd}: journal error ({exc.kind}): {exc.message}", file=sys.stderr)
        return 3
    return 0
