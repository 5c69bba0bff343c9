"""The board's indexes: the open items' deadline and warning indexes carry the columns the board groups by,
so that today's part of its counts is read from the index alone, and a partial index of the items under
复查 in received order gives the prefecture's 复查 list without walking every item.

Revision ID: d7e9f1a3b5c8
Revises: c3d5e7f9a1b2
Create Date: 2026-12-02 14:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "d7e9f1a3b5c8"
down_revision = "c3d5e7f9a1b2"
branch_labels = None
depends_on = None

GROUPS = ["unit_code", "handler_id", "category"]
WIDENED = (
    ("ix_complaint_open_warn", ["is_open", "warn_at"], ["is_open", "warn_at", "next_due_at", *GROUPS]),
    ("ix_complaint_open_due", ["is_open", "next_due_at"], ["is_open", "next_due_at", "id", "warn_at", *GROUPS]),
)
UNDER_REVIEW = sa.text("reviewed_unit_code IS NOT NULL")


def upgrade() -> None:
    for name, _, columns in WIDENED:
        op.drop_index(name, table_name="complaint")
        op.create_index(name, "complaint", columns)
    op.create_index(
        "ix_complaint_reviews_received",
        "complaint",
        ["received_at", "id"],
        sqlite_where=UNDER_REVIEW,
        postgresql_where=UNDER_REVIEW,
    )


def downgrade() -> None:
    op.drop_index("ix_complaint_reviews_received", table_name="complaint")
    for name, columns, _ in WIDENED:
        op.drop_index(name, table_name="complaint")
        op.create_index(name, "complaint", columns)
