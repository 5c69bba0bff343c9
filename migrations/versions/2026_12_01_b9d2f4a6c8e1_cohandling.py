"""cohandling: 主办/协办 — outside bodies kept as contacts, cooperating units' sub-tasks with their own
deadlines and written input, and the item's cooperating units for the visibility rules

Revision ID: b9d2f4a6c8e1
Revises: a7c3e9f1b2d4
Create Date: 2026-12-01 23:10:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "b9d2f4a6c8e1"
down_revision = "a7c3e9f1b2d4"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outsidebody",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("contact", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "cotask",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
        sa.Column("body_id", sa.Integer(), nullable=True),
        sa.Column("task", sa.Text(), nullable=False),
        sa.Column("due_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("grant_identity", sa.Boolean(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("input_text", sa.Text(), nullable=True),
        sa.Column("answered_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("warned_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("overdue_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["answered_by_id"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["body_id"],
            ["outsidebody.id"],
        ),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaint.id"],
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("cotask", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cotask_complaint_id"), ["complaint_id"], unique=False)
        batch_op.create_index("ix_cotask_open_due", ["status", "due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_cotask_unit_code"), ["unit_code"], unique=False)

    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.add_column(sa.Column("co_units", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch_op.add_column(sa.Column("co_identity_units", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.drop_column("co_identity_units")
        batch_op.drop_column("co_units")

    with op.batch_alter_table("cotask", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cotask_unit_code"))
        batch_op.drop_index("ix_cotask_open_due")
        batch_op.drop_index(batch_op.f("ix_cotask_complaint_id"))

    op.drop_table("cotask")
    op.drop_table("outsidebody")
