"""Engines: URL handling, SQLite pragmas and transaction mode, the corrupt-file check.

SQLite runs with pysqlite's own transaction handling switched off so that we emit ``BEGIN``
ourselves: ``BEGIN IMMEDIATE`` for the journal writer (take the write lock *before* reading the
chain head), plain ``BEGIN`` for everything else. See the SQLAlchemy "pysqlite serializable" recipe.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import QueuePool

from console.io.store.errors import EmptyJournal, JournalError

SQLITE_HEADER: Final = b"SQLite format 3\x00"
DEFAULT_BUSY_MS: Final = 5000
BEGIN_OPTION: Final = "guardian_sqlite_begin"  # execution option: "IMMEDIATE" for writers


def default_path() -> Path:
    from console.paths import data_dir

    return data_dir() / "journal.sqlite"


def resolve(url: str | Path | None) -> tuple[str, Path | None]:
    """(URL, SQLite file or None). None -> the per-user journal; a bare path is a SQLite file
    (kept as a Path: '#' or '?' in a folder name must not be read as URL syntax)."""
    if url is None:
        path = default_path()
    elif isinstance(url, Path) or "://" not in url:
        path = Path(url).expanduser().resolve()
    else:
        return url, sqlite_path(url)
    return f"sqlite:///{path}", path


def normalise_url(url: str | Path | None) -> str:
    return resolve(url)[0]


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL (None for other databases and in-memory SQLite)."""
    u = make_url(url)
    if u.get_backend_name() != "sqlite":
        return None
    db = u.database or ""
    if not db or db == ":memory:" or db.startswith("file::memory:"):
        return None
    if db.startswith("file:"):
        db = db[5:].split("?", 1)[0]
    return Path(db)


def _set_wal(cur: sqlite3.Cursor, timeout_s: float) -> None:
    """``PRAGMA journal_mode=WAL``, retried: switching a fresh file to WAL needs an exclusive lock,
    and SQLite answers "database is locked" at once, without its busy handler, when another
    process opening the same fresh file holds a lock (two consoles starting on one new file; a
    flake seen once in CI, tests/integration/test_journal_crash.py's two writer processes)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            # WAL is a property of the file: once set, nothing to convert and no lock to take
            row = cur.execute("PRAGMA journal_mode").fetchone()
            if row is not None and str(row[0]).lower() == "wal":
                return
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)  # the other opener holds the lock for milliseconds


def sqlite_uri(path: Path, mode: str = "") -> str:
    """``file:`` URI for ``path`` (also right for Windows drive paths: ``file:C:/...``)."""
    uri = "file:" + quote(Path(path).as_posix(), safe="/:")
    return f"{uri}?mode={mode}" if mode else uri


def redact(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def side_files(path: Path) -> tuple[Path, Path]:
    """The write-ahead log and the shared-memory file SQLite keeps next to a WAL journal."""
    return path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")


# ``quick_check`` reads every page: ~0.5 s for this size, ~30 s for a year's 15 GB journal, at
# every start. Past it, a start only probes (the schema and the journal's newest records, the
# pages a start reads); every page is still checked daily by the backup's integrity_check of its
# copy (console/io/backup.py) and the chain by ``audit verify``.
QUICK_CHECK_MAX_BYTES: Final = 256 * 1024 * 1024


def _probe(conn: sqlite3.Connection) -> list[tuple[str]]:
    """A large file's check at open: its schema, and the journal's last records read through
    its index (a damaged page there raises SQLITE_CORRUPT, as quick_check would)."""
    conn.execute("SELECT count(*) FROM sqlite_master").fetchall()
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "journal" in tables:
        conn.execute("SELECT seq, hash, body FROM journal ORDER BY seq DESC LIMIT 1000").fetchall()
    return [("ok",)]


def check_sqlite_file(path: Path, *, allow_empty: bool = False) -> None:
    """Raise JournalError('corrupt') if ``path`` is not a healthy SQLite database, and
    ``EmptyJournal`` if it is zero bytes long (unless ``allow_empty``: the officer confirmed a new
    journal). A file that does not exist is fine: the first start creates it.

    Read-only by construction: a header read, then ``PRAGMA quick_check`` (a file past
    QUICK_CHECK_MAX_BYTES: ``_probe``) on a ``mode=ro`` connection, so a damaged journal is left
    byte for byte as it was found (it is evidence).
    """
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return
    except OSError as exc:
        raise JournalError("io", f"cannot stat {path}: {exc}") from exc
    if size == 0:
        if not allow_empty:
            raise EmptyJournal(path)
        return
    try:
        with path.open("rb") as f:
            head = f.read(100)
    except OSError as exc:
        raise JournalError("io", f"cannot read {path}: {exc}") from exc
    if len(head) < 100 or not head.startswith(SQLITE_HEADER):
        raise JournalError("corrupt", f"{path} is not a SQLite database (bad header); left untouched")
    uri = sqlite_uri(path, "ro")
    try:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None)
    except sqlite3.Error:
        return  # cannot even open read-only (e.g. permissions): let the real open report it
    try:
        if size <= QUICK_CHECK_MAX_BYTES:
            rows = conn.execute("PRAGMA quick_check").fetchall()
        else:
            rows = _probe(conn)
    except sqlite3.DatabaseError as exc:
        name = getattr(exc, "sqlite_errorname", "")
        if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
            raise JournalError("corrupt", f"{path}: {exc}; left untouched") from exc
        return
    finally:
        conn.close()
    if rows != [("ok",)]:
        first = "; ".join(str(r[0]) for r in rows[:3])
        raise JournalError("corrupt", f"{path} failed quick_check: {first}; left untouched")


_READ_ONLY_ERRNOS: Final = (errno.EACCES, errno.EPERM, errno.EROFS)


def _read_only(what: str, path: Path) -> JournalError:
    return JournalError("read_only", f"{what} {path} is read-only: the console must write it")


def check_writable(path: Path) -> None:
    """Raise JournalError('read_only') naming the file or folder when SQLite could not write the
    journal at ``path``: the file itself, its -wal and -shm side files, or the folder they must be
    created in. SQLite reports some of these only as "disk I/O error" or "unable to open database
    file", and a -shm it has mapped into memory and cannot write can end the process by SIGBUS
    (seen in the fault checks), so this looks first. Nothing is written, and no descriptor of those files is opened and closed: closing one
    would drop the POSIX locks this process's other connections to the journal hold.
    ``os.access`` answers for the real user, as the kernel will (root only when it may override
    file modes; a read-only file system refuses everyone)."""
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        if exc.errno in _READ_ONLY_ERRNOS:
            raise JournalError(
                "read_only", f"the journal's folder {folder} cannot be created: read-only ({exc.strerror})"
            ) from exc
        raise JournalError("io", f"cannot create the journal's folder {folder} ({exc.strerror})") from exc
    wal, shm = side_files(path)
    for what, p in (
        ("the journal file", path),
        ("the journal's write-ahead log", wal),
        ("the journal's shared-memory file", shm),
    ):
        if p.exists() and not os.access(p, os.W_OK):
            raise _read_only(what, p)
    missing = [p.name for p in (path, wal, shm) if not p.exists()]
    if missing and not os.access(folder, os.W_OK | os.X_OK):
        raise JournalError(
            "read_only",
            f"the journal's folder {folder} is read-only: SQLite must create {', '.join(missing)} there",
        )


def make_engine(
    target: str | Path | None,
    *,
    readonly: bool = False,
    busy_timeout_ms: int = DEFAULT_BUSY_MS,
    pragmas: Mapping[str, str | int] | None = None,
) -> Engine:
    """An engine for ``url``. SQLite: WAL, synchronous=FULL, busy_timeout, foreign keys."""
    url, path = resolve(target)
    u = make_url(url)
    if u.get_backend_name() != "sqlite":
        kwargs: dict[str, Any] = {"pool_pre_ping": True}
        if readonly:
            kwargs["connect_args"] = {"options": "-c default_transaction_read_only=on"}
        return create_engine(url, **kwargs)
    if path is None:
        engine = create_engine(url, connect_args={"timeout": busy_timeout_ms / 1000})
    else:
        if not readonly:
            path.parent.mkdir(parents=True, exist_ok=True)
        # Connect through our own file: URI rather than SQLAlchemy's URL parsing, which
        # unquotes '#', '?' and '%' in paths (a '#' in a folder name silently moved the file).
        uri = sqlite_uri(path, "ro" if readonly else "rwc")
        timeout = busy_timeout_ms / 1000

        def _connect() -> sqlite3.Connection:
            return sqlite3.connect(uri, uri=True, timeout=timeout, check_same_thread=False)

        engine = create_engine("sqlite://", creator=_connect, poolclass=QueuePool)
    extra = dict(pragmas or {})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (see _on_begin)
        cur = dbapi_conn.cursor()
        try:
            cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            if not readonly:
                _set_wal(cur, busy_timeout_ms / 1000)
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            for name, value in extra.items():
                if not name.replace("_", "").isalnum():
                    raise ValueError(f"bad pragma name {name!r}")
                cur.execute(f"PRAGMA {name}={int(value) if isinstance(value, int) else value}")
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get(BEGIN_OPTION, "")
        conn.exec_driver_sql(f"BEGIN {mode}" if mode in ("IMMEDIATE", "EXCLUSIVE") else "BEGIN")

    return engine
