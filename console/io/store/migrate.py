"""Alembic, run from code on open: ``SqlStore`` upgrades to head inside one locked transaction,
so two consoles opening a fresh shared database at once do not both create the tables."""

from __future__ import annotations

from typing import Final

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine, text

from console.io.store.db import BEGIN_OPTION
from console.io.store.errors import JournalError

MIGRATION_LOCK: Final = 0x6D696772617465  # "migrate": an advisory-lock key distinct from the journal's


def config(connection: Connection | None = None) -> Config:
    from console.paths import migrations_dir

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(config()).get_current_head()
    assert head is not None
    return head


def current_revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Upgrade to ``revision`` holding the write lock (SQLite IMMEDIATE / PostgreSQL advisory)."""
    with engine.connect() as conn:
        conn = conn.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})
            try:
                command.upgrade(config(conn), revision)
            except CommandError as exc:
                # e.g. a database written by a newer console: never guess, never touch it
                raise JournalError("io", f"cannot migrate the database schema: {exc}") from exc
