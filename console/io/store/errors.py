"""Journal failures sorted into the few kinds an officer (and the engine) can act on: the
store's driver errors become the port's ``JournalError`` (declared in console/app/ports.py)."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path
from typing import Final

from console.app.ports import JOURNAL_ERROR_KINDS, JournalError

__all__ = ["KINDS", "EmptyJournal", "JournalError", "classify"]

KINDS: Final = JOURNAL_ERROR_KINDS


class EmptyJournal(JournalError):
    """A journal file that exists but holds zero bytes. SQLite would take it as a new, empty
    database; it may be a journal that lost its contents, so it is refused (left untouched)
    unless the officer confirms a new journal (``SqlStore(new_journal=True)``, ``--new-journal``).
    Kind ``corrupt``: the port's kinds (console/app/ports.py) have no word for "empty"."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            "corrupt",
            f"the journal file {path} is empty (0 bytes): it may be a journal that lost its contents;"
            " left untouched. To start a new journal in it, confirm with --new-journal",
        )
        self.path = path


_SQLITE: Final[dict[str, str]] = {
    "SQLITE_FULL": "disk_full",
    "SQLITE_READONLY": "read_only",
    "SQLITE_BUSY": "locked",
    "SQLITE_LOCKED": "locked",
    "SQLITE_CORRUPT": "corrupt",
    "SQLITE_NOTADB": "corrupt",
    "SQLITE_PERM": "read_only",
    "SQLITE_AUTH": "read_only",
}

# PostgreSQL SQLSTATE (class or full code) -> kind.
_PG: Final[dict[str, str]] = {
    "53100": "disk_full",  # disk_full
    "53200": "disk_full",  # out_of_memory: the server cannot take more either way
    "25006": "read_only",  # read_only_sql_transaction (a standby, default_transaction_read_only)
    "42501": "read_only",  # insufficient_privilege
    "55P03": "locked",  # lock_not_available
    "40P01": "locked",  # deadlock_detected
    "57014": "locked",  # query_canceled (statement / lock timeout)
    "XX001": "corrupt",  # data_corrupted
    "XX002": "corrupt",  # index_corrupted
}

_ERRNO: Final[dict[int, str]] = {
    errno.ENOSPC: "disk_full",
    errno.EDQUOT: "disk_full",
    errno.EROFS: "read_only",
    errno.EACCES: "read_only",
    errno.EPERM: "read_only",
}


def _sqlite_kind(exc: sqlite3.Error) -> str | None:
    name = getattr(exc, "sqlite_errorname", "") or ""
    base = name.split("_")[0:2]
    key = "_".join(base) if len(base) == 2 else name
    kind = _SQLITE.get(name) or _SQLITE.get(key)
    if kind:
        return kind
    text = str(exc).lower()
    if "disk is full" in text or "database or disk is full" in text:
        return "disk_full"
    if "readonly" in text or "read-only" in text:
        return "read_only"
    if "locked" in text or "busy" in text:
        return "locked"
    if "malformed" in text or "not a database" in text:
        return "corrupt"
    return None


def _pg_kind(exc: BaseException) -> str | None:
    code = getattr(exc, "pgcode", None)
    if not isinstance(code, str):
        return None
    return _PG.get(code) or ("io" if code.startswith("08") or code.startswith("58") else None)


def classify(exc: BaseException) -> JournalError:
    """Turn a driver / SQLAlchemy / OS exception into a JournalError (``io`` when unknown)."""
    if isinstance(exc, JournalError):
        return exc
    orig: BaseException = getattr(exc, "orig", None) or exc
    kind: str | None = None
    if isinstance(orig, sqlite3.Error):
        kind = _sqlite_kind(orig)
    elif isinstance(orig, OSError) and orig.errno is not None:
        kind = _ERRNO.get(orig.errno)
    else:
        kind = _pg_kind(orig)
    message = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    if kind == "read_only" and "read-only" not in message:
        message = f"the journal is read-only ({message})"  # SQLite says "readonly database"
    return JournalError(kind or "io", message)
