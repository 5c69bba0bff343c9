"""Calendar layers: declared years as versioned declarations with their source, overrides per unit;
complaint.reply_period_end (the unrolled last day of a calendar-day period) and acknowledged_at (受理告知)

Revision ID: 5e1c0a7d9b24
Revises: b4d8f2a6c0e1
Create Date: 2026-12-01 23:30:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "5e1c0a7d9b24"
down_revision = "b4d8f2a6c0e1"
branch_labels = None
depends_on = None

_NOTE = "管理员载入全年安排（迁移前录入，来源未记录）"


def upgrade() -> None:
    op.create_table(
        "calendardeclaration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("layer", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("number", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column("days", sa.JSON(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("ended_by_id", sa.Integer(), nullable=True),
        sa.Column("ended_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("end_reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["ended_by_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("layer", "year", "version", name="uq_calendar_declaration"),
    )
    op.create_table(
        "calendaroverride",
        sa.Column("unit_code", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("working", sa.Boolean(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("unit_code", "day"),
    )
    _move_days_up()
    op.drop_table("calendarentry")
    op.drop_table("calendaryear")
    with op.batch_alter_table("complaint") as batch:
        batch.add_column(sa.Column("reply_period_end", sa.Date(), nullable=True))
        batch.add_column(sa.Column("acknowledged_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def _move_days_up() -> None:
    """Days entered before: a loaded year's holidays and 调休 become its national declaration; every other
    day becomes an override for all units, so that nothing an admin entered is lost."""
    bind = op.get_bind()
    years = {row.year: row for row in bind.execute(sa.text("SELECT year, created_at FROM calendaryear"))}
    entries = list(bind.execute(sa.text("SELECT day, kind, note, created_by_id, created_at FROM calendarentry")))
    declaration = sa.table(
        "calendardeclaration",
        *(
            sa.column(c)
            for c in (
                "layer",
                "year",
                "version",
                "status",
                "title",
                "number",
                "days",
                "note",
                "end_reason",
                "created_at",
            )
        ),
    )
    override = sa.table(
        "calendaroverride",
        *(sa.column(c) for c in ("unit_code", "day", "working", "reason", "created_by_id", "created_at")),
    )
    days_of: dict[int, list] = {year: [] for year in years}
    for entry in entries:
        day = entry.day if not isinstance(entry.day, str) else sa.Date().python_type.fromisoformat(entry.day)
        if entry.kind in ("holiday", "makeup_workday") and day.year in years:
            days_of[day.year].append([day.isoformat(), entry.kind == "makeup_workday", entry.note or ""])
        else:
            working = entry.kind in ("workday", "makeup_workday")
            op.bulk_insert(
                override,
                [
                    {
                        "unit_code": "",
                        "day": day,
                        "working": working,
                        "reason": entry.note or "",
                        "created_by_id": entry.created_by_id,
                        "created_at": entry.created_at,
                    }
                ],
            )
    for year, row in years.items():
        op.bulk_insert(
            declaration,
            [
                {
                    "layer": "national",
                    "year": year,
                    "version": 1,
                    "status": "active",
                    "title": _NOTE,
                    "number": "",
                    "days": sorted(days_of[year]),
                    "note": "",
                    "end_reason": "",
                    "created_at": row.created_at,
                }
            ],
        )


def downgrade() -> None:
    with op.batch_alter_table("complaint") as batch:
        batch.drop_column("acknowledged_at")
        batch.drop_column("reply_period_end")
    op.create_table(
        "calendaryear",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("year"),
    )
    op.create_table(
        "calendarentry",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("day"),
    )
    op.drop_table("calendaroverride")
    op.drop_table("calendardeclaration")
