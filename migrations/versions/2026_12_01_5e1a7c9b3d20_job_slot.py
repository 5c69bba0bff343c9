"""job_slot: each scheduled run of a job (job id, due time) is claimed once, so that several scheduler
processes sharing the job store run it once

Revision ID: 5e1a7c9b3d20
Revises: e8a1f0c2d4b6
Create Date: 2026-12-01 00:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "5e1a7c9b3d20"
down_revision = "e8a1f0c2d4b6"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "jobslot",
        sa.Column("job_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("slot_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("holder", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("claimed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("job_id", "slot_at"),
    )
    op.create_index(op.f("ix_jobslot_claimed_at"), "jobslot", ["claimed_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_jobslot_claimed_at"), table_name="jobslot")
    op.drop_table("jobslot")
