"""search keys: complaint.search_text / search_who (complaints.searchkeys) and each database's own index
over them — an FTS5 table kept in step by triggers on SQLite, GIN indexes over the keys as tsvectors on
PostgreSQL. Existing items get their keys here.

A later migration that rebuilds the complaint table on SQLite (batch mode) must re-create the triggers.

Revision ID: f3b9c1d7a2e4
Revises: 5e1a7c9b3d24
Create Date: 2026-12-01 23:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "f3b9c1d7a2e4"
down_revision = "5e1a7c9b3d24"
branch_labels = None
depends_on = None

FTS = "complaint_fts"
TRIGGERS = {
    "complaint_fts_ai": "AFTER INSERT ON complaint BEGIN "
    "INSERT INTO complaint_fts(rowid, search_text, search_who) "
    "VALUES (new.id, new.search_text, new.search_who); END",
    "complaint_fts_ad": "AFTER DELETE ON complaint BEGIN "
    "INSERT INTO complaint_fts(complaint_fts, rowid, search_text, search_who) "
    "VALUES ('delete', old.id, old.search_text, old.search_who); END",
    "complaint_fts_au": "AFTER UPDATE OF search_text, search_who ON complaint BEGIN "
    "INSERT INTO complaint_fts(complaint_fts, rowid, search_text, search_who) "
    "VALUES ('delete', old.id, old.search_text, old.search_who); "
    "INSERT INTO complaint_fts(rowid, search_text, search_who) "
    "VALUES (new.id, new.search_text, new.search_who); END",
}
PG_INDEXES = {"ix_complaint_search_text": "search_text", "ix_complaint_search_who": "search_who"}
BATCH = 2000


def _backfill(connection) -> None:
    from complaints.searchkeys import ACTIONS, joined, keys, row_keys

    complaint = sa.table(
        "complaint",
        *(
            sa.column(name)
            for name in (
                "id",
                "summary",
                "details",
                "school",
                "handling_notes",
                "result_text",
                "reply_text",
                "complainant_name",
                "complainant_phone",
                "search_text",
                "search_who",
            )
        ),
    )
    event = sa.table("event", sa.column("complaint_id"), sa.column("action"), sa.column("note"), sa.column("id"))
    last = 0
    while (
        rows := connection.execute(
            sa.select(complaint).where(complaint.c.id > last).order_by(complaint.c.id).limit(BATCH)
        )
        .mappings()
        .all()
    ):
        last = rows[-1]["id"]
        notes: dict[int, list[str]] = {}
        for complaint_id, note in connection.execute(
            sa.select(event.c.complaint_id, event.c.note)
            .where(
                event.c.complaint_id.in_([r["id"] for r in rows]),
                event.c.note.is_not(None),
                event.c.action.in_(sorted(ACTIONS)),
            )
            .order_by(event.c.id)
        ):
            notes.setdefault(complaint_id, []).extend(keys(note))
        values = []
        for row in rows:
            computed = row_keys(dict(row))
            values.append(
                {
                    "row_id": row["id"],
                    "search_text": joined(computed["search_text"], notes.get(row["id"], [])),
                    "search_who": computed["search_who"],
                }
            )
        connection.execute(
            complaint.update()
            .where(complaint.c.id == sa.bindparam("row_id"))
            .values(search_text=sa.bindparam("search_text"), search_who=sa.bindparam("search_who")),
            values,
        )


def upgrade() -> None:
    op.add_column("complaint", sa.Column("search_text", sa.Text(), server_default="", nullable=False))
    op.add_column("complaint", sa.Column("search_who", sa.Text(), server_default="", nullable=False))
    connection = op.get_bind()
    _backfill(connection)
    if connection.dialect.name == "sqlite":
        op.execute(
            f"CREATE VIRTUAL TABLE {FTS} USING fts5(search_text, search_who, content='complaint', "
            "content_rowid='id', tokenize='unicode61 remove_diacritics 0')"
        )
        op.execute(f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')")
        for name, body in TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")
    elif connection.dialect.name == "postgresql":
        for name, column in PG_INDEXES.items():
            op.execute(
                f"CREATE INDEX {name} ON complaint USING gin (array_to_tsvector(string_to_array({column}, ' ')))"
            )


def downgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "sqlite":
        for name in TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute(f"DROP TABLE IF EXISTS {FTS}")
    elif connection.dialect.name == "postgresql":
        for name in PG_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
    with op.batch_alter_table("complaint") as batch:
        batch.drop_column("search_who")
        batch.drop_column("search_text")
