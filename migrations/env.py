"""Alembic environment: the URL comes from the caller's config or from the project's settings."""

from alembic import context
from sqlmodel import SQLModel

import complaints.models  # noqa: F401  (registers the tables)
from complaints.db import make_engine

config = context.config
target_metadata = SQLModel.metadata
SEARCH_INDEXES = frozenset({"ix_complaint_search_text", "ix_complaint_search_who"})


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Leave APScheduler's own job-store table alone: the scheduler creates and owns it. The search indexes
    are each database's own (an FTS5 table and its shadow tables on SQLite, GIN expression indexes on
    PostgreSQL), made by their migration and not described by the models."""
    if type_ == "table" and (name == "apscheduler_jobs" or name.startswith("complaint_fts")):
        return False
    return not (type_ == "index" and name in SEARCH_INDEXES)


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from complaints.settings import load_settings

    return load_settings().database.url


def run_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    engine = make_engine(_url())
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            compare_type=True,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
