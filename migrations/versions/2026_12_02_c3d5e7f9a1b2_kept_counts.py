"""Kept counts behind the dashboard, the ranking and the board (complaints.statcounts), and the complaint
indexes of the prefecture's lists and of today's part of the counts.

The counts are filled by `complaints stats rebuild`, which complaints.db.upgrade runs after migrating when
they are not built yet (an `alembic upgrade` on its own leaves them empty: the figures are then read from the
items, as before, until the rebuild has run).

Revision ID: c3d5e7f9a1b2
Revises: 5e1c0a7d9b24
Create Date: 2026-12-02 03:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "c3d5e7f9a1b2"
down_revision = "5e1c0a7d9b24"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_complaint_open_due", ["is_open", "next_due_at"]),
    ("ix_complaint_open_reply_due", ["is_open", "reply_due_at"]),
    ("ix_complaint_uncontacted_due", ["accepted_at", "contact_due_at"]),
    ("ix_complaint_received", ["received_at", "id"]),
)


def upgrade() -> None:
    op.create_table(
        "statcount",
        sa.Column("grain", sqlmodel.sql.sqltypes.AutoString(length=1), nullable=False),
        sa.Column("measure", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("until", sa.Date(), nullable=False),
        sa.Column("unit_code", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("handler_id", sa.Integer(), nullable=False),
        sa.Column("reg_unit", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("grain", "measure", "day", "until", "unit_code", "handler_id", "reg_unit", "category"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "statstate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("timezone", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("built_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    for name, columns in INDEXES:
        op.create_index(name, "complaint", columns)


def downgrade() -> None:
    for name, _ in INDEXES:
        op.drop_index(name, table_name="complaint")
    op.drop_table("statstate")
    op.drop_table("statcount")
