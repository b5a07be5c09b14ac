"""fold checkpoints (saved KPI folds)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
T = sa.Text


def upgrade() -> None:
    op.create_table(
        "fold_checkpoints",
        sa.Column("id", Seq, primary_key=True, autoincrement=True),
        sa.Column("name", T, nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("hash", T, nullable=False),
        sa.Column("max_at", sa.BigInteger, nullable=False),
        sa.Column("records", sa.BigInteger, nullable=False),
        sa.Column("fold_version", T, nullable=False),
        sa.Column("register_version", T, nullable=False),
        sa.Column("saved_ns", sa.BigInteger, nullable=False),
        sa.Column("blob", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_fold_checkpoints_name_seq", "fold_checkpoints", ["name", "seq"], unique=True)


def downgrade() -> None:
    # Only derived data: every fold checkpoint can be recomputed from the journal.
    op.drop_table("fold_checkpoints")
