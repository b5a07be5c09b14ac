"""``python -m console backup [--db URL] --to FILE``: a verified copy of a SQLite journal, taken
while the console runs (console/io/backup.py). PostgreSQL: pg_dump (docs/store.md, Backups).

``python -m console restore FROM --to NEWFILE`` (console/entry/restore.py) is ``restore_main``
here: a backup copied to a new file, never over an existing file or a live journal, verified.
Exit 0: written and verified; 1: the copy failed or did not verify; 2: refused.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from console.config import ConfigError, load

BACKUP_EXIT_CODES = (
    "exit codes: 0 the backup is written and verified; 1 the copy failed or did not verify;"
    " 2 refused (no journal there, the backup file exists, the journal is not SQLite, a bad"
    " configuration) or bad usage."
)
RESTORE_EXIT_CODES = (
    "exit codes: 0 restored and verified; 1 the copy failed or did not verify; 2 refused (no backup"
    " at FROM, NEWFILE exists or is a live journal) or bad usage."
)


def _journal_path(url: str) -> Path | None:
    from console.io.store.db import resolve

    return resolve(url)[1]


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        prog="python -m console backup", description=__doc__, epilog=BACKUP_EXIT_CODES
    )
    p.add_argument("--db", help="journal URL or SQLite path (default: the configured journal)")
    p.add_argument("--to", type=Path, required=True, help="the new backup file (must not exist)")
    args = p.parse_args(argv)
    from console.io.backup import BackupError, Refused, copy_journal

    try:
        url = args.db or load().journal_url()
    except ConfigError as exc:
        print(f"backup: {exc}", file=sys.stderr)
        return 2
    source = _journal_path(url)
    if source is None:
        print(
            "backup: this journal is not SQLite: back it up with pg_dump (docs/store.md, Backups)",
            file=sys.stderr,
        )
        return 2
    try:
        checked = copy_journal(source, args.to)
    except BackupError as exc:
        print(f"backup: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, Refused) else 1
    print(
        f"backup: {checked.path} OK, {checked.records} records, head seq {checked.head_seq} {checked.head_hash}"
    )
    return 0


def live_journals() -> list[Path]:
    """The journals a console here may be writing: the configured one and the per-user ones."""
    from console.config import Settings
    from console.paths import data_dir

    paths = [data_dir() / "journal.sqlite", data_dir() / "training.sqlite"]
    try:
        configured = _journal_path(load().journal_url())
    except ConfigError:
        configured = None
    defaults = _journal_path(Settings().journal_url())
    return [p for p in (*paths, configured, defaults) if p is not None]


def restore_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        prog="python -m console restore", description=__doc__, epilog=RESTORE_EXIT_CODES
    )
    p.add_argument("source", type=Path, metavar="FROM", help="a backup file")
    p.add_argument("--to", type=Path, required=True, help="the new journal file (must not exist)")
    args = p.parse_args(argv)
    from console.io.backup import BackupError, Refused, restore

    if not args.source.is_file():
        print(f"restore: no backup at {args.source}", file=sys.stderr)
        return 2
    try:
        checked = restore(args.source, args.to, live_journals())
    except BackupError as exc:
        print(f"restore: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, Refused) else 1
    print(
        f"restore: {checked.path} OK, {checked.records} records, head seq {checked.head_seq} {checked.head_hash}"
    )
    print(f"restore: start the console on it with --db sqlite:///{checked.path.resolve()}")
    return 0
