"""journal, quarantine, checkpoints, operators

Revision ID: 0001
Revises:
Create Date: 2025-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "journal",
        sa.Column("seq", Seq, primary_key=True, autoincrement=False),
        sa.Column("at_ns", sa.BigInteger, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("console", sa.Text, nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
        sa.Column("prev", sa.Text, nullable=False),
        sa.Column("hash", sa.Text, nullable=False),
    )
    op.create_index("ix_journal_key", "journal", ["key"])
    op.create_index("ix_journal_at_ns", "journal", ["at_ns"])
    op.create_table(
        "quarantine",
        sa.Column("id", Seq, primary_key=True, autoincrement=True),
        sa.Column("at_ns", sa.BigInteger, nullable=False),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("head", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_quarantine_reason", "quarantine", ["reason"])
    op.create_table(
        "checkpoints",
        sa.Column("seq", Seq, primary_key=True, autoincrement=False),
        sa.Column("hash", sa.Text, nullable=False),
        sa.Column("saved_ns", sa.BigInteger, nullable=False),
        sa.Column("blob", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "operators",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("scope", sa.Text, nullable=False),
        sa.Column("pw_hash", sa.Text, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_ns", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    # The journal is kept at least a year (GB 50440): no downgrade drops it.
    raise NotImplementedError("downgrading below 0001 would drop the journal")
