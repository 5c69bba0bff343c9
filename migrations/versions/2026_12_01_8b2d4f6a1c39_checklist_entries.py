"""checklistentry: a county's 落实举措 and 检查结论 per 附件1 row and reporting period, with history

Revision ID: 8b2d4f6a1c39
Revises: 5e1c7a9b3d20
Create Date: 2026-12-01 23:30:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "8b2d4f6a1c39"
down_revision = "5e1c7a9b3d20"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "checklistentry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("measures", sa.Text(), nullable=False),
        sa.Column("conclusion", sa.Text(), nullable=False),
        sa.Column("written_by_id", sa.Integer(), nullable=True),
        sa.Column("written_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["written_by_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_checklist_unit_period", "checklistentry", ["unit_code", "period_start", "period_end", "row"])


def downgrade() -> None:
    op.drop_index("ix_checklist_unit_period", table_name="checklistentry")
    op.drop_table("checklistentry")
