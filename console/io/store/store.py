"""``SqlStore``: one database (SQLite file by default, PostgreSQL by URL) holding the journal,
checkpoints, quarantine, operators, the register and projection snapshots.

Opening checks a SQLite file for corruption *before* anything writes to it (and refuses a
zero-length one unless a new journal is confirmed), then that it, its side files and its folder
are writable, then migrates to the latest schema, then proves the store is writable, so a
read-only, empty or damaged journal is reported at start-up rather than at the first alarm.
"""

from __future__ import annotations

import copy
import logging
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from console.domain.registry import Register
from console.io.store import (
    boundaries_store,
    journal_checkpoints,
    migrate,
    operators,
    projection,
    quarantine,
    register_store,
)
from console.io.store.db import (
    DEFAULT_BUSY_MS,
    check_sqlite_file,
    check_writable,
    make_engine,
    redact,
    resolve,
)
from console.io.store.errors import JournalError, classify
from console.io.store.journal import SqlJournal
from console.io.store.operators import Account, LoginResult
from console.io.store.quarantine import QuarantineRow

log = logging.getLogger(__name__)


class SqlStore:
    def __init__(
        self,
        url: str | Path | None = None,
        *,
        readonly: bool = False,
        busy_timeout_ms: int = DEFAULT_BUSY_MS,
        pragmas: Mapping[str, str | int] | None = None,
        upgrade: bool = True,
        new_journal: bool = False,
    ) -> None:
        """Open (creating and migrating unless ``readonly``). Raises JournalError on failure.

        A SQLite file that exists with zero bytes is refused (``EmptyJournal``) unless
        ``new_journal``: the officer confirmed that a new journal starts in it. A file that does
        not exist is always created (the first start). ``new_journal`` never clears a journal."""
        self.url, self.path = resolve(url)
        self.readonly = readonly
        self._registers: register_store.Versions | None = None
        if self.path is not None:
            check_sqlite_file(self.path, allow_empty=new_journal and not readonly)
            if readonly and not self.path.exists():
                raise JournalError("io", f"no journal at {self.path}")
            if not readonly:
                check_writable(self.path)
                if new_journal and self.path.exists() and self.path.stat().st_size == 0:
                    log.warning("starting a new journal in the empty file %s, as confirmed", self.path)
        try:
            self.engine: Engine = make_engine(
                self.path or self.url, readonly=readonly, busy_timeout_ms=busy_timeout_ms, pragmas=pragmas
            )
        except OSError as exc:
            raise self._explained(classify(exc)) from exc
        try:
            if upgrade and not readonly:
                migrate.upgrade(self.engine)
                self._probe_writable()
        except JournalError as exc:
            self.engine.dispose()
            explained = self._explained(exc)
            if explained is exc:
                raise
            raise explained from exc
        except (DBAPIError, OSError) as exc:
            self.engine.dispose()
            raise self._explained(classify(exc)) from exc
        self.journal = SqlJournal(self.engine)
        log.info("store open: %s%s", redact(self.url), " (read-only)" if readonly else "")

    @classmethod
    def open(cls, url: str | Path | None = None, **kwargs: Any) -> SqlStore:
        return cls(url, **kwargs)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def _explained(self, exc: JournalError) -> JournalError:
        """An open failure with the file it concerns: SQLite says "disk I/O error" or "unable to
        open database file" when a side file cannot be made (a folder turned read-only since the
        check, a full disk)."""
        if self.path is None:
            return exc
        if exc.kind in ("io", "read_only") and not self.readonly:
            try:
                check_writable(self.path)
            except JournalError as again:
                return again
        if exc.kind == "io" and not self.readonly:
            try:
                free = shutil.disk_usage(self.path.parent).free
            except OSError:
                free = None
            if free is not None and free < 1 << 20:
                return JournalError(
                    "disk_full", f"no room for the journal {self.path} ({free} bytes free): {exc.message}"
                )
        if str(self.path) in exc.message:
            return exc
        return JournalError(exc.kind, f"{self.path}: {exc.message}")

    def _probe_writable(self) -> None:
        """A real (no-op) write, so a read-only file or server fails here, clearly, at open."""
        with self.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = version_num"))

    def revision(self) -> str | None:
        with self.engine.connect() as conn:
            return migrate.current_revision(conn)

    # --- checkpoints ---------------------------------------------------------------------

    def save_checkpoint(self, seq: int, hash_: str, blob: bytes) -> None:
        journal_checkpoints.save_checkpoint(self.engine, seq, hash_, blob)

    def latest_checkpoint(self) -> tuple[int, str, bytes] | None:
        return journal_checkpoints.latest_checkpoint(self.engine)

    # --- quarantine ----------------------------------------------------------------------

    def add_quarantine(self, rows: Sequence[tuple[int, str, str, str, bytes]]) -> None:
        quarantine.add_quarantine(self.engine, rows)

    def quarantine_counts(self) -> dict[str, int]:
        return quarantine.quarantine_counts(self.engine)

    def recent_quarantine(self, limit: int = 100) -> list[QuarantineRow]:
        return quarantine.recent_quarantine(self.engine, limit)

    # --- operators -----------------------------------------------------------------------

    def add_operator(self, id_: str, name: str, role: str, scope: str, password: str) -> Account:
        return operators.add_operator(self.engine, id_, name, role, scope, password)

    def check_login(self, id_: str, password: str) -> Account | None:
        return operators.check_login(self.engine, id_, password)

    def login(
        self,
        id_: str,
        password: str,
        *,
        now_ns: int,
        max_failures: int = operators.DEFAULT_MAX_FAILURES,
        lock_ns: int = operators.DEFAULT_LOCK_NS,
        session: bool = False,
    ) -> LoginResult:
        return operators.login(
            self.engine,
            id_,
            password,
            now_ns=now_ns,
            max_failures=max_failures,
            lock_ns=lock_ns,
            session=session,
        )

    def get_operator(self, id_: str) -> Account | None:
        return operators.get_operator(self.engine, id_)

    def reset_operator_password(self, id_: str, password: str) -> bool:
        return operators.reset_password(self.engine, id_, password)

    def set_operator_role(self, id_: str, role: str, scope: str) -> bool:
        return operators.set_role(self.engine, id_, role, scope)

    def unlock_operator(self, id_: str) -> bool:
        return operators.unlock(self.engine, id_)

    def list_operators(self) -> list[Account]:
        return operators.list_operators(self.engine)

    def set_operator_active(self, id_: str, active: bool) -> bool:
        return operators.set_active(self.engine, id_, active)

    # --- register and projections --------------------------------------------------------

    def save_register(self, register: Register) -> None:
        register_store.save_register(self.engine, register)

    def register_version(self) -> str | None:
        return register_store.register_version(self.engine)

    def register_digest(self) -> str | None:
        return register_store.register_digest(self.engine)

    def keep_register_version(self, register: Register) -> None:
        register_store.keep_version(self.engine, register)

    @property
    def registers(self) -> register_store.Versions:
        """Registers by digest (``register_versions``), the last few cached: a World's
        ``registers``."""
        if self._registers is None:
            self._registers = register_store.Versions(self.engine)
        return self._registers

    def first_register(self) -> Register | None:
        """The register a fold of the journal starts with: the one its first RegisterChanged
        names; None when it names none (a new journal, or one older than RegisterChanged)."""
        digest = register_store.first_named(self.engine)
        return self.registers(digest) if digest is not None else None

    def load_register(self) -> Register | None:
        """The register in force. Read from its kept version (one blob, checked against its
        digest: ~1.2 s for 29k households) rather than from the rows (~3.1 s); the same object
        ``first_register`` and a World's ``registers`` then find in the cache, with the label
        of the rows. From the rows when no version is kept (a store older than versions)."""
        digest = register_store.register_digest(self.engine)
        kept = self.registers(digest) if digest is not None else None
        if kept is None:
            return register_store.load_register(self.engine)
        version = register_store.register_version(self.engine)
        if version is None or version == kept.version:
            return kept
        labelled = copy.copy(kept)  # the same content under the label this save gave it
        labelled.version = version
        return labelled

    # --- township boundaries (console/io/boundaries.py validates them) --------------------

    def save_boundaries(self, geojson: dict[str, Any]) -> str:
        """Put the outlines in force; their digest."""
        return boundaries_store.save_boundaries(self.engine, geojson)

    def load_boundaries(self) -> dict[str, Any] | None:
        return boundaries_store.load_boundaries(self.engine)

    def boundaries_digest(self) -> str | None:
        return boundaries_store.boundaries_digest(self.engine)

    def write_projection(
        self,
        incidents: Sequence[Mapping[str, Any]],
        tickets: Sequence[Mapping[str, Any]],
        *,
        checklist: Sequence[Mapping[str, Any]] | None = None,
        notifications: Sequence[Mapping[str, Any]] | None = None,
    ) -> None:
        projection.write_projection(
            self.engine, incidents, tickets, checklist=checklist, notifications=notifications
        )

    def read_projection(self) -> dict[str, list[dict[str, Any]]]:
        return projection.read_projection(self.engine)

    # --- lifecycle -----------------------------------------------------------------------

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> SqlStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
