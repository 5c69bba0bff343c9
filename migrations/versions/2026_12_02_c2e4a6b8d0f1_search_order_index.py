"""complaint (received_at, id): a search finding many reads its first page by walking this order and keeping
the matches, rather than sorting every match (services.complaints._search_page)

Revision ID: c2e4a6b8d0f1
Revises: 5e1c0a7d9b24
Create Date: 2026-12-02 03:10:00
"""

from alembic import op

revision = "c2e4a6b8d0f1"
down_revision = "5e1c0a7d9b24"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_complaint_received", "complaint", ["received_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_complaint_received", table_name="complaint")
