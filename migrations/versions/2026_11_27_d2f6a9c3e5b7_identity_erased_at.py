"""complaint.identity_erased_at: when a closed item's complainant name and phone were erased at the end
of their keeping period (个人信息保护法 Art 19)

Revision ID: d2f6a9c3e5b7
Revises: c4a8e6f2b1d3
Create Date: 2026-11-27 04:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "d2f6a9c3e5b7"
down_revision = "c4a8e6f2b1d3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("complaint") as batch:
        batch.add_column(sa.Column("identity_erased_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("complaint") as batch:
        batch.drop_column("identity_erased_at")
