"""callbackround: every callback (回访) kept; complaint.reopen_count, decision_escalated_at, decisions

Revision ID: 5e1c7a9b3d20
Revises: b9d2f4a6c8e1
Create Date: 2026-12-01 23:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "5e1c7a9b3d20"
down_revision = "b9d2f4a6c8e1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "callbackround",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("reached", sa.Boolean(), nullable=False),
        sa.Column("resolved", sa.Boolean(), nullable=True),
        sa.Column("satisfaction", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("comment", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["complaint_id"], ["complaint.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_callbackround_complaint_id", "callbackround", ["complaint_id"])
    op.create_index("ix_callbackround_at", "callbackround", ["at"])
    with op.batch_alter_table("complaint") as batch:
        batch.add_column(sa.Column("reopen_count", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("decision_escalated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("decisions", sa.Text(), nullable=False, server_default=""))
    # the callbacks recorded before rounds were kept: one round each, from the item's own fields
    op.execute(
        "INSERT INTO callbackround (complaint_id, round, at, actor_id, reached, resolved, satisfaction, comment) "
        "SELECT e.complaint_id, 1, e.at, e.actor_id, c.satisfaction <> 'unreachable', c.callback_resolved, "
        "c.satisfaction, c.callback_note FROM event e JOIN complaint c ON c.id = e.complaint_id "
        "WHERE e.action = 'callback' AND c.satisfaction IS NOT NULL AND e.id = "
        "(SELECT max(e2.id) FROM event e2 WHERE e2.complaint_id = e.complaint_id AND e2.action = 'callback')"
    )


def downgrade() -> None:
    with op.batch_alter_table("complaint") as batch:
        batch.drop_column("decisions")
        batch.drop_column("decision_escalated_at")
        batch.drop_column("reopen_count")
    op.drop_index("ix_callbackround_at", table_name="callbackround")
    op.drop_index("ix_callbackround_complaint_id", table_name="callbackround")
    op.drop_table("callbackround")
