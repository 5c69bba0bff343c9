"""rate_counter: the public lookup's limits and failed logins of unknown names, counted in the database so
that every API process counts together

Revision ID: e8a1f0c2d4b6
Revises: d2f6a9c3e5b7
Create Date: 2026-12-01 23:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "e8a1f0c2d4b6"
down_revision = "d2f6a9c3e5b7"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ratecounter",
        sa.Column("scope", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("slot", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("last_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key", "slot"),
    )
    op.create_index(op.f("ix_ratecounter_last_at"), "ratecounter", ["last_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_ratecounter_last_at"), table_name="ratecounter")
    op.drop_table("ratecounter")
