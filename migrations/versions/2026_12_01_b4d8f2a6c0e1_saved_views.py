"""savedview: a person's own saved item lists (filters and sorting)

Revision ID: b4d8f2a6c0e1
Revises: a7c5e9b1d3f8
Create Date: 2026-12-01 23:55:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "b4d8f2a6c0e1"
down_revision = "a7c5e9b1d3f8"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "savedview",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("query", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "name", name="uq_savedview_name"),
    )
    op.create_index(op.f("ix_savedview_user_id"), "savedview", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_savedview_user_id"), table_name="savedview")
    op.drop_table("savedview")
