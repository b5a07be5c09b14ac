"""The tables, as SQLAlchemy Core. Migrations in db/versions create them; this is what code reads.

Core rather than ORM: the journal is rows of bytes and the hot paths (append, verify, bulk
register save) want tuples, not objects.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
)

metadata = MetaData()

# SQLite only aliases the rowid for exactly "INTEGER PRIMARY KEY": keep that there, BIGINT elsewhere.
SeqType = BigInteger().with_variant(Integer(), "sqlite")

# --- revision 0001 ---------------------------------------------------------------------------

journal = Table(
    "journal",
    metadata,
    Column("seq", SeqType, primary_key=True, autoincrement=False),
    Column("at_ns", BigInteger, nullable=False),
    Column("source", Text, nullable=False),
    Column("type", Text, nullable=False),
    Column("key", Text, nullable=False),
    Column("console", Text, nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("prev", Text, nullable=False),
    Column("hash", Text, nullable=False),
    Index("ix_journal_key", "key"),
    Index("ix_journal_at_ns", "at_ns"),
)

JOURNAL_COLUMNS = ("seq", "at_ns", "source", "type", "key", "console", "body", "prev", "hash")

quarantine = Table(
    "quarantine",
    metadata,
    Column("id", SeqType, primary_key=True, autoincrement=True),
    Column("at_ns", BigInteger, nullable=False),
    Column("topic", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("detail", Text, nullable=False),
    Column("head", LargeBinary, nullable=False),
    Index("ix_quarantine_reason", "reason"),
)

checkpoints = Table(
    "checkpoints",
    metadata,
    Column("seq", SeqType, primary_key=True, autoincrement=False),
    Column("hash", Text, nullable=False),
    Column("saved_ns", BigInteger, nullable=False),
    Column("blob", LargeBinary, nullable=False),
)

operators = Table(
    "operators",
    metadata,
    Column("id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("scope", Text, nullable=False),
    Column("pw_hash", Text, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_ns", BigInteger, nullable=False),
    # revision 0004: failed sign-ins in a row, locked until (ns), last good sign-in (ns)
    Column("failed_logins", Integer, nullable=False, server_default="0"),
    Column("locked_until_ns", BigInteger, nullable=True),
    Column("last_login_ns", BigInteger, nullable=True),
)

# --- revision 0002 ---------------------------------------------------------------------------

areas = Table(
    "areas",
    metadata,
    Column("code", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("level", Text, nullable=False),
    Column("parent", Text, nullable=False),
)

households = Table(
    "households",
    metadata,
    Column("code", Text, primary_key=True),
    Column("district", Text, nullable=False),
    Column("township", Text, nullable=False),
    Column("community", Text, nullable=False),
    Column("grid", Text, nullable=False),
    Column("address", Text, nullable=False),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("crs", Text, nullable=False),
    Column("fuel", Text, nullable=False),
    Index("ix_households_township", "township"),
)

_hh_fk = "households.code"

residents = Table(
    "residents",
    metadata,
    Column("rid", SeqType, primary_key=True, autoincrement=True),
    Column("household", Text, ForeignKey(_hh_fk), nullable=False),
    Column("pos", Integer, nullable=False),
    Column("id", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("age", Integer, nullable=False),
    Column("groups", Text, nullable=False),  # JSON list
    Column("id_number", Text, nullable=False),
    Index("ix_residents_household", "household"),
)

contacts = Table(
    "contacts",
    metadata,
    Column("rid", SeqType, primary_key=True, autoincrement=True),
    Column("household", Text, ForeignKey(_hh_fk), nullable=False),
    Column("pos", Integer, nullable=False),
    Column("id", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("phone", Text, nullable=False),
    Column("lat", Float, nullable=True),
    Column("lon", Float, nullable=True),
    Index("ix_contacts_household", "household"),
)

devices = Table(
    "devices",
    metadata,
    Column("rid", SeqType, primary_key=True, autoincrement=True),
    Column("household", Text, ForeignKey(_hh_fk), nullable=False),
    Column("pos", Integer, nullable=False),
    Column("id", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("location", Text, nullable=False),
    Index("ix_devices_household", "household"),
    Index("ix_devices_id", "id"),
)

register_meta = Table(
    "register_meta",
    metadata,
    Column("key", Text, primary_key=True),
    Column("value", Text, nullable=False),
)


def _projection(name: str) -> Table:
    return Table(
        name,
        metadata,
        Column("id", Text, primary_key=True),
        Column("household", Text, nullable=False),
        Column("kind", Text, nullable=False),
        Column("state", Text, nullable=False),
        Column("opened_ns", BigInteger, nullable=False),
        Column("version", Integer, nullable=False),
        Column("body", Text, nullable=False),  # JSON of the whole row
        Index(f"ix_{name}_state", "state"),
    )


incidents = _projection("incidents")
tickets = _projection("tickets")

checklist_progress = Table(
    "checklist_progress",
    metadata,
    Column("incident", Text, primary_key=True),
    Column("step", Text, primary_key=True),
    Column("state", Text, nullable=False),
    Column("at_ns", BigInteger, nullable=False),
    Column("body", Text, nullable=False),
)

notifications = Table(
    "notifications",
    metadata,
    Column("req", Text, primary_key=True),
    Column("incident", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("at_ns", BigInteger, nullable=False),
    Column("body", Text, nullable=False),
    Index("ix_notifications_incident", "incident"),
)

archive_marks = Table(
    "archive_marks",
    metadata,
    Column("id", SeqType, primary_key=True, autoincrement=True),
    Column("first_seq", BigInteger, nullable=False),
    Column("last_seq", BigInteger, nullable=False),
    Column("prev_hash", Text, nullable=False),
    Column("last_hash", Text, nullable=False),
    Column("rows", BigInteger, nullable=False),
    Column("file_name", Text, nullable=False),
    Column("file_sha256", Text, nullable=False),
    Column("created_ns", BigInteger, nullable=False),
)

# --- revision 0003 ---------------------------------------------------------------------------

# Saved folds of the journal (the KPI fold), each naming the record it has folded up to by (seq,
# hash) and the largest record time it has seen; console/io/store/fold_checkpoints.py.
fold_checkpoints = Table(
    "fold_checkpoints",
    metadata,
    Column("id", SeqType, primary_key=True, autoincrement=True),
    Column("name", Text, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("hash", Text, nullable=False),
    Column("max_at", BigInteger, nullable=False),
    Column("records", BigInteger, nullable=False),
    Column("fold_version", Text, nullable=False),
    Column("register_version", Text, nullable=False),
    Column("saved_ns", BigInteger, nullable=False),
    Column("blob", LargeBinary, nullable=False),
    Index("ix_fold_checkpoints_name_seq", "name", "seq", unique=True),
)

# --- revision 0004 ---------------------------------------------------------------------------

# Every register a console was given, by digest (console/domain/registry.py ``digest``), its
# canonical encoding zlib-compressed: the journal names the register in force by digest
# (``RegisterChanged``) and replay loads it from here.
register_versions = Table(
    "register_versions",
    metadata,
    Column("digest", Text, primary_key=True),
    Column("version", Text, nullable=False),
    Column("saved_ns", BigInteger, nullable=False),
    Column("households", BigInteger, nullable=False),
    Column("blob", LargeBinary, nullable=False),
)

# The district's own township boundaries (GeoJSON FeatureCollection), optional; the row named
# "current" is in force (console/io/boundaries.py).
boundaries = Table(
    "boundaries",
    metadata,
    Column("name", Text, primary_key=True),
    Column("digest", Text, nullable=False),
    Column("saved_ns", BigInteger, nullable=False),
    Column("geojson", Text, nullable=False),
)
