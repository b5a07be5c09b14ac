"""register versions, township boundaries, operator lockout

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

- ``register_versions``: every register a console has been given, by digest (sha256 of its
  canonical encoding, console/domain/registry.py ``digest``), compressed. The journal names the
  register in force by digest (``RegisterChanged``); replay loads it from here.
- ``boundaries``: the district's own township boundaries (GeoJSON), optional; the row named
  ``current`` is the one in force (console/io/boundaries.py).
- ``operators``: failed sign-ins in a row and the time the account is locked until.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

T = sa.Text


def upgrade() -> None:
    op.create_table(
        "register_versions",
        sa.Column("digest", T, primary_key=True),
        sa.Column("version", T, nullable=False),
        sa.Column("saved_ns", sa.BigInteger, nullable=False),
        sa.Column("households", sa.BigInteger, nullable=False),
        sa.Column("blob", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "boundaries",
        sa.Column("name", T, primary_key=True),
        sa.Column("digest", T, nullable=False),
        sa.Column("saved_ns", sa.BigInteger, nullable=False),
        sa.Column("geojson", T, nullable=False),
    )
    with op.batch_alter_table("operators") as b:
        b.add_column(sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"))
        b.add_column(sa.Column("locked_until_ns", sa.BigInteger, nullable=True))
        b.add_column(sa.Column("last_login_ns", sa.BigInteger, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("operators") as b:
        b.drop_column("last_login_ns")
        b.drop_column("locked_until_ns")
        b.drop_column("failed_logins")
    op.drop_table("boundaries")
    # register_versions is evidence for replay: dropping it loses the old registers
    op.drop_table("register_versions")
