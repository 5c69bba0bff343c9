"""Replies signed off (审签) and official letters: complaint.reply_draft / reply_approved_by_id /
reply_approved_at; letter (issued letters with their 文号) and lettercounter (per unit and year)

Revision ID: 5e1a7c9b3d24
Revises: 8b2d4f6a1c39
Create Date: 2026-12-01 23:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "5e1a7c9b3d24"
down_revision = "8b2d4f6a1c39"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("complaint") as batch:
        batch.add_column(sa.Column("reply_draft", sa.Text(), nullable=True))
        batch.add_column(sa.Column("reply_approved_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("reply_approved_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.create_foreign_key("fk_complaint_reply_approved_by", "user", ["reply_approved_by_id"], ["id"])
    op.create_table(
        "lettercounter",
        sa.Column("unit_code", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("unit_code", "year"),
    )
    op.create_table(
        "letter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("source_event_id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("doc_no", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("issued_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["complaint_id"], ["complaint.id"]),
        sa.ForeignKeyConstraint(["source_event_id"], ["event.id"]),
        sa.ForeignKeyConstraint(["issued_by_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("complaint_id", "kind", "source_event_id", name="uq_letter_source"),
        sa.UniqueConstraint("unit_code", "year", "seq", name="uq_letter_number"),
    )
    op.create_index("ix_letter_complaint_id", "letter", ["complaint_id"])


def downgrade() -> None:
    op.drop_index("ix_letter_complaint_id", table_name="letter")
    op.drop_table("letter")
    op.drop_table("lettercounter")
    with op.batch_alter_table("complaint") as batch:
        batch.drop_constraint("fk_complaint_reply_approved_by", type_="foreignkey")
        batch.drop_column("reply_approved_at")
        batch.drop_column("reply_approved_by_id")
        batch.drop_column("reply_draft")
