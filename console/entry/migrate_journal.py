"""``python -m console migrate-journal [--db URL] --to NEWFILE``: a journal written before
heartbeats were journaled as places, rewritten into a new SQLite file in the compact form and
verified (console/io/journal_rewrite.py); the old journal is not changed. Stop the console
first (what it writes after the copy is not in the new file), then point it at NEWFILE
(docs/store.md, "Journal volume").
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from console.config import ConfigError, load

EXIT_CODES = (
    "exit codes: 0 rewritten and verified; 1 the old journal's chain is broken, or the rewrite"
    " failed or did not verify (no NEWFILE is left); 2 refused (no journal there, NEWFILE exists,"
    " a PostgreSQL journal, a bad configuration) or bad usage."
)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        prog="python -m console migrate-journal", description=__doc__, epilog=EXIT_CODES
    )
    p.add_argument("--db", help="the old journal: URL or SQLite path (default: the configured journal)")
    p.add_argument("--to", type=Path, required=True, help="the new journal file (must not exist)")
    args = p.parse_args(argv)
    from console.bootstrap import make_world
    from console.entry.backup import _journal_path
    from console.io.backup import BackupError, Refused
    from console.io.journal_rewrite import rewrite_journal

    try:
        url = args.db or load().journal_url()
    except ConfigError as exc:
        print(f"migrate-journal: {exc}", file=sys.stderr)
        return 2
    source = _journal_path(url)
    if source is None:
        print("migrate-journal: only SQLite journals are rewritten by this command", file=sys.stderr)
        return 2
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] >= 1.0 or done == total:
            last[0] = now
            print(f"migrate-journal: {done} of {total} records", file=sys.stderr, flush=True)

    def world(store: Any) -> Any:
        from console.domain.registry import Register

        initial = store.first_register() or store.load_register() or Register([], [], version="empty")
        return make_world(initial, registers=store.registers)

    try:
        r = rewrite_journal(source, args.to, world, progress)
    except BackupError as exc:
        print(f"migrate-journal: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, Refused) else 1
    print(
        f"migrate-journal: {r.path} OK: {r.old_records} records ({r.old_heartbeat_records} of heartbeats)"
        f" -> {r.new_records}; {r.old_bytes / 1e6:.1f} MB -> {r.new_bytes / 1e6:.1f} MB;"
        f" head seq {r.head_seq} {r.head_hash}; {r.seconds:.1f} s"
        + (
            f"; {r.unreadable} records kept as they were (this build cannot read them)"
            if r.unreadable
            else ""
        )
    )
    return 0
