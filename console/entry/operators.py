"""``python -m console operators add|list|disable|enable`` — local operator accounts."""

from __future__ import annotations

import argparse
import getpass
import sys

from console.bootstrap import open_store
from console.io.store.errors import JournalError
from console.io.store.operators import ROLES


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", help="database URL or SQLite path (default: the per-user journal)")
    p = argparse.ArgumentParser(prog="python -m console operators")
    sub = p.add_subparsers(dest="command", required=True)
    a = sub.add_parser("add", parents=[common], help="add an operator")
    a.add_argument("id")
    a.add_argument("--name", required=True)
    a.add_argument("--role", required=True, choices=ROLES)
    a.add_argument("--scope", default=None, help="township code (township_officer) or * (default for others)")
    a.add_argument("--password", help="omit to be prompted (keeps it out of shell history)")
    sub.add_parser("list", parents=[common], help="list operators")
    for name in ("disable", "enable"):
        s = sub.add_parser(name, parents=[common], help=f"{name} an operator")
        s.add_argument("id")
    return p


def main(argv: list[str]) -> int:
    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    try:
        with open_store(args.db) as store:
            if args.command == "add":
                scope = (
                    args.scope if args.scope is not None else ("*" if args.role != "township_officer" else "")
                )
                password = args.password
                if password is None:
                    password = getpass.getpass("password: ")
                    if getpass.getpass("again: ") != password:
                        print("operators add: passwords differ", file=sys.stderr)
                        return 2
                op = store.add_operator(args.id, args.name, args.role, scope, password)
                print(f"added {op.id} ({op.name}) role {op.role} scope {op.scope}")
            elif args.command == "list":
                for op in store.list_operators():
                    state = "" if op.active else "  (disabled)"
                    print(f"{op.id:<16} {op.role:<17} {op.scope:<12} {op.name}{state}")
            else:
                if not store.set_operator_active(args.id, args.command == "enable"):
                    print(f"operators {args.command}: no operator {args.id!r}", file=sys.stderr)
                    return 2
                print(f"{args.command}d {args.id}")
    except ValueError as exc:
        print(f"operators {args.command}: {exc}", file=sys.stderr)
        return 2
    except JournalError as exc:
        print(f"operators {args.command}: journal error ({exc.kind}): {exc.message}", file=sys.stderr)
        return 2
    return 0
