"""register, projection snapshot and archive-mark tables

Revision ID: 0002
Revises: 0001
Create Date: 2025-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
T = sa.Text


def _projection(name: str) -> None:
    op.create_table(
        name,
        sa.Column("id", T, primary_key=True),
        sa.Column("household", T, nullable=False),
        sa.Column("kind", T, nullable=False),
        sa.Column("state", T, nullable=False),
        sa.Column("opened_ns", sa.BigInteger, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("body", T, nullable=False),
    )
    op.create_index(f"ix_{name}_state", name, ["state"])


def upgrade() -> None:
    op.create_table(
        "areas",
        sa.Column("code", T, primary_key=True),
        sa.Column("name", T, nullable=False),
        sa.Column("level", T, nullable=False),
        sa.Column("parent", T, nullable=False),
    )
    op.create_table(
        "households",
        sa.Column("code", T, primary_key=True),
        sa.Column("district", T, nullable=False),
        sa.Column("township", T, nullable=False),
        sa.Column("community", T, nullable=False),
        sa.Column("grid", T, nullable=False),
        sa.Column("address", T, nullable=False),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("lon", sa.Float, nullable=False),
        sa.Column("crs", T, nullable=False),
        sa.Column("fuel", T, nullable=False),
    )
    op.create_index("ix_households_township", "households", ["township"])
    op.create_table(
        "residents",
        sa.Column("rid", Seq, primary_key=True, autoincrement=True),
        sa.Column("household", T, sa.ForeignKey("households.code"), nullable=False),
        sa.Column("pos", sa.Integer, nullable=False),
        sa.Column("id", T, nullable=False),
        sa.Column("name", T, nullable=False),
        sa.Column("age", sa.Integer, nullable=False),
        sa.Column("groups", T, nullable=False),
        sa.Column("id_number", T, nullable=False),
    )
    op.create_index("ix_residents_household", "residents", ["household"])
    op.create_table(
        "contacts",
        sa.Column("rid", Seq, primary_key=True, autoincrement=True),
        sa.Column("household", T, sa.ForeignKey("households.code"), nullable=False),
        sa.Column("pos", sa.Integer, nullable=False),
        sa.Column("id", T, nullable=False),
        sa.Column("role", T, nullable=False),
        sa.Column("name", T, nullable=False),
        sa.Column("phone", T, nullable=False),
        sa.Column("lat", sa.Float, nullable=True),
        sa.Column("lon", sa.Float, nullable=True),
    )
    op.create_index("ix_contacts_household", "contacts", ["household"])
    op.create_table(
        "devices",
        sa.Column("rid", Seq, primary_key=True, autoincrement=True),
        sa.Column("household", T, sa.ForeignKey("households.code"), nullable=False),
        sa.Column("pos", sa.Integer, nullable=False),
        sa.Column("id", T, nullable=False),
        sa.Column("kind", T, nullable=False),
        sa.Column("location", T, nullable=False),
    )
    op.create_index("ix_devices_household", "devices", ["household"])
    op.create_index("ix_devices_id", "devices", ["id"])
    op.create_table(
        "register_meta",
        sa.Column("key", T, primary_key=True),
        sa.Column("value", T, nullable=False),
    )
    _projection("incidents")
    _projection("tickets")
    op.create_table(
        "checklist_progress",
        sa.Column("incident", T, primary_key=True),
        sa.Column("step", T, primary_key=True),
        sa.Column("state", T, nullable=False),
        sa.Column("at_ns", sa.BigInteger, nullable=False),
        sa.Column("body", T, nullable=False),
    )
    op.create_table(
        "notifications",
        sa.Column("req", T, primary_key=True),
        sa.Column("incident", T, nullable=False),
        sa.Column("channel", T, nullable=False),
        sa.Column("role", T, nullable=False),
        sa.Column("status", T, nullable=False),
        sa.Column("at_ns", sa.BigInteger, nullable=False),
        sa.Column("body", T, nullable=False),
    )
    op.create_index("ix_notifications_incident", "notifications", ["incident"])
    op.create_table(
        "archive_marks",
        sa.Column("id", Seq, primary_key=True, autoincrement=True),
        sa.Column("first_seq", sa.BigInteger, nullable=False),
        sa.Column("last_seq", sa.BigInteger, nullable=False),
        sa.Column("prev_hash", T, nullable=False),
        sa.Column("last_hash", T, nullable=False),
        sa.Column("rows", sa.BigInteger, nullable=False),
        sa.Column("file_name", T, nullable=False),
        sa.Column("file_sha256", T, nullable=False),
        sa.Column("created_ns", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    for name in (
        "archive_marks",
        "notifications",
        "checklist_progress",
        "tickets",
        "incidents",
        "register_meta",
        "devices",
        "contacts",
        "residents",
        "households",
        "areas",
    ):
        op.drop_table(name)
