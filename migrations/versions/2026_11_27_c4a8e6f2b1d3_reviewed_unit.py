"""complaint.reviewed_unit_code: the county whose handling a 信访 复查 reviews, who still follow the item

Filled for items already under review from their request_review event.

Revision ID: c4a8e6f2b1d3
Revises: b7e4c2a1d9f0
Create Date: 2026-11-27 04:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "c4a8e6f2b1d3"
down_revision = "b7e4c2a1d9f0"
branch_labels = None
depends_on = None

event = sa.table(
    "event", sa.column("complaint_id", sa.Integer), sa.column("action", sa.String), sa.column("changes", sa.JSON)
)
complaint = sa.table("complaint", sa.column("id", sa.Integer), sa.column("reviewed_unit_code", sa.String))


def upgrade() -> None:
    with op.batch_alter_table("complaint") as batch:
        batch.add_column(sa.Column("reviewed_unit_code", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True))
        batch.create_index(batch.f("ix_complaint_reviewed_unit_code"), ["reviewed_unit_code"], unique=False)
    bind = op.get_bind()
    requests = bind.execute(
        sa.select(event.c.complaint_id, event.c.changes).where(event.c.action == "request_review")
    ).all()
    for complaint_id, changes in requests:
        unit = (changes or {}).get("reviewed_unit")
        if unit:
            bind.execute(complaint.update().where(complaint.c.id == complaint_id).values(reviewed_unit_code=unit))


def downgrade() -> None:
    with op.batch_alter_table("complaint") as batch:
        batch.drop_index(batch.f("ix_complaint_reviewed_unit_code"))
        batch.drop_column("reviewed_unit_code")
