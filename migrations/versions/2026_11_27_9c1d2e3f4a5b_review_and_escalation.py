"""complaint.review_round (信访 复查 requested) and escalated_due_at (a lapsed 督办 reported upward)

Revision ID: 9c1d2e3f4a5b
Revises: 74f3b04ad11b
Create Date: 2026-11-27 01:10:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "9c1d2e3f4a5b"
down_revision = "74f3b04ad11b"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("complaint") as batch:
        batch.add_column(sa.Column("review_round", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("escalated_due_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("complaint") as batch:
        batch.drop_column("escalated_due_at")
        batch.drop_column("review_round")
