"""Import the cross-department household register from CSV or XLSX (docs/register.md layout).

``python -m console import-register FILE.xlsx|FILE.csv [--db URL] [--errors OUT.csv] [--replace]``

The import itself (checking every row, one transaction, the journal note) is
console.io.registry_import; this driver opens the store, prints progress and the summary, the
first errors and the first warnings (the report ``--errors`` writes has them all, with a
``severity`` column).
Exit codes: 0 clean or warnings only (those rows are imported), 3 imported with row errors
(those rows are not), 2 file unusable, 1 store cannot be opened.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from console.io.registry_import import RegisterImportError, import_file


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        prog="python -m console import-register",
        description=__doc__.split("\n")[0],
        epilog=(
            "A console running on the same store takes the new register within seconds (no restart)."
            " exit codes: 0 imported (warnings only, or nothing to change); 3 imported with row errors"
            " (those rows were left out; see --errors); 2 the file is unusable (nothing changed);"
            " 1 the store cannot be opened."
        ),
    )
    p.add_argument("file", type=Path)
    p.add_argument(
        "--db",
        default=None,
        help="store URL or SQLite file (default: the settings' db_url, else the user's journal)",
    )
    p.add_argument(
        "--errors",
        type=Path,
        default=None,
        help="write the row-by-row report of errors and warnings here (CSV)",
    )
    p.add_argument("--replace", action="store_true", help="remove households that are not in the file")
    p.add_argument("--dry-run", action="store_true", help="validate only")
    a = p.parse_args(argv)
    from console.config import open_tool_store

    store, code = open_tool_store(a.db, "import-register")
    if store is None:
        return code

    def show(done: int, total: int, stage: str) -> None:
        if stage == "validate" and total and done and done % 5000 == 0:
            print(f"  checked {done:,}/{total:,} rows", file=sys.stderr, flush=True)

    try:
        r = import_file(
            a.file, store, replace=a.replace, errors_out=a.errors, progress=show, dry_run=a.dry_run
        )
    except RegisterImportError as exc:
        print(f"import-register: {exc}", file=sys.stderr)
        return 2
    finally:
        store.close()
    print(
        f"{r.total} rows: {r.valid} valid, {len(r.errors)} errors in {r.error_rows} rows, "
        f"{len(r.warnings)} warnings; "
        f"added {len(r.added)}, updated {len(r.updated)}, unchanged {r.unchanged}, removed {len(r.removed)}"
        + ("" if r.saved else " (nothing saved)"),
        flush=True,  # out before the row lines on stderr, in a merged stream too
    )
    for e in r.errors[:20]:
        print(f"  row {e.row} [{e.column}] {e.reason} {e.detail}", file=sys.stderr)
    if len(r.errors) > 20:
        print(
            f"  ... {len(r.errors) - 20} more" + (f" in {a.errors}" if a.errors else " (use --errors FILE)"),
            file=sys.stderr,
        )
    for w in r.warnings[:20]:
        print(f"  row {w.row} [{w.column}] warning {w.reason} {w.detail}", file=sys.stderr)
    if len(r.warnings) > 20:
        print(
            f"  ... {len(r.warnings) - 20} more warnings"
            + (f" in {a.errors}" if a.errors else " (use --errors FILE)"),
            file=sys.stderr,
        )
    return 0 if not r.errors else 3
