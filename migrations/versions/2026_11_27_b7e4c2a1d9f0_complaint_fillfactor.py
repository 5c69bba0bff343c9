"""complaint keeps 15% of each PostgreSQL page free (fillfactor 85)

The SLA sweep and most actions rewrite a complaint row without touching an indexed column; with room on
the page PostgreSQL updates it in place (a HOT update) instead of writing a new entry in each of the
table's indexes. The setting applies to pages written from now on; an existing large table takes it
everywhere after `VACUUM FULL complaint` (which locks the table) in a maintenance window.

Revision ID: b7e4c2a1d9f0
Revises: 9c1d2e3f4a5b
Create Date: 2026-11-27 03:30:00
"""

from alembic import op

revision = "b7e4c2a1d9f0"
down_revision = "9c1d2e3f4a5b"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE complaint SET (fillfactor = 85)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE complaint RESET (fillfactor)")
