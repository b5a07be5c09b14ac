"""The store: SQLAlchemy tables, the hash-chained journal, checkpoints, quarantine, operators,
the register and projection snapshots. SQLite by default, PostgreSQL by URL."""

from console.io.store.errors import JournalError
from console.io.store.journal import SqlJournal
from console.io.store.operators import Account
from console.io.store.quarantine import QuarantineRow
from console.io.store.store import SqlStore
from console.io.store.verify import VerifyResult, verify_engine

__all__ = [
    "Account",
    "JournalError",
    "QuarantineRow",
    "SqlJournal",
    "SqlStore",
    "VerifyResult",
    "verify_engine",
]
