"""Engines and sessions: SQLite (WAL) for a laptop, PostgreSQL for several processes."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, event, exc, text
from sqlmodel import Session, create_engine

import complaints.searchkeys  # noqa: F401  (the flush hook that keeps every item's search keys)
import complaints.statcounts  # noqa: F401  (the flush hook that keeps the dashboard's counts)
from complaints.settings import PROJECT_ROOT, Settings

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"
PING_AFTER_IDLE = 5.0  # seconds a pooled connection may sit unused before it is checked on checkout


def make_engine(url: str, *, echo: bool = False, **options) -> Engine:
    """An engine whose pooled connections are checked after sitting idle; on SQLite, with the pragmas it
    needs for concurrent readers and real foreign keys."""
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30}, **options)
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, echo=echo, **{"pool_size": 20, "max_overflow": 20, **options})
    event.listen(engine, "checkin", _mark_idle)
    dialect = engine.dialect

    def ping_if_idle(dbapi_connection, record, _proxy) -> None:
        _ping_if_idle(dialect, dbapi_connection, record)

    event.listen(engine, "checkout", ping_if_idle)
    return engine


def _mark_idle(_dbapi_connection, record) -> None:
    if record is not None:
        record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dialect, dbapi_connection, record) -> None:
    """Pessimistic disconnect handling, but only for a connection that has sat idle in the pool.

    SQLAlchemy's pool_pre_ping pings on every checkout: a round trip per request (two for a registration)
    even under load, when the connection was in use moments ago. A connection idle longer than
    PING_AFTER_IDLE (a database restart, a firewall dropping quiet connections) is pinged first and, if
    dead, replaced: the pool retries the checkout with a fresh connection. A connection that dies while in
    use fails its request (rolled back, 503) and SQLAlchemy then discards the rest of the pool.
    """
    idle_since = record.info.get("idle_since")
    if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE:
        return
    try:
        dialect.do_ping(dbapi_connection)  # the round trip pool_pre_ping makes
    except dialect.loaded_dbapi.Error as error:
        raise exc.DisconnectionError("stale pooled connection") from error  # the pool retries with a new one


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # reads through the operating system's page cache, shared by every connection, rather than each
    # connection's own 2 MB: a search checks thousands of rows spread over the whole table
    cursor.execute("PRAGMA mmap_size=268435456")
    cursor.close()


def engine_for(settings: Settings) -> Engine:
    return make_engine(settings.database.url, echo=settings.database.echo)


@contextmanager
def committing(session: Session) -> Iterator[Session]:
    """Commit when the block ends normally, roll back otherwise: whoever opens the session commits it."""
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Session]:
    """A new session that commits when the block ends normally and rolls back otherwise."""
    with Session(engine, expire_on_commit=False) as session, committing(session):
        yield session


def take_write_turn(session: Session, *, key: str) -> None:
    """Before a check-then-insert that must not race another process doing the same (an import of
    overlapping rows): the turn is held to the end of the session's transaction.

    On SQLite, the database's write lock, taken now (BEGIN IMMEDIATE, waiting out busy_timeout). pysqlite
    would begin only at the first INSERT, after the reads had seen an older snapshot ("database is
    locked"); and a SAVEPOINT issued first would be the outermost transaction, committed by its RELEASE.
    On PostgreSQL, an advisory lock on `key`."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        driver = connection.connection.driver_connection
        assert driver is not None, "a checked-out connection has its driver connection"
        if not driver.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        return
    digest = hashlib.sha256(f"complaints.write:{key}".encode()).digest()
    connection.execute(
        text("SELECT pg_advisory_xact_lock(:key)"), {"key": int.from_bytes(digest[:8], "big", signed=True)}
    )


def alembic_config(url: str):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head", *, timezone: str | None = None) -> None:
    """Bring the database schema up to `revision` with Alembic (never create_all); at the head, build the
    kept counts (complaints.statcounts) if they are not built yet, their days in `timezone` (default: the
    configured one)."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)
    if revision == "head":
        build_counts(url, timezone=timezone)


def build_counts(url: str, *, timezone: str | None = None, again: bool = False) -> int | None:
    """Count every item into the kept counts if they are not built (or `again`); the items counted, or None
    if they were built already."""
    from complaints import statcounts

    engine = make_engine(url)
    try:
        with Session(engine) as session, committing(session):
            if not again and statcounts.counted_zone(session) is not None:
                return None
            if timezone is None:
                from complaints.settings import load_settings

                timezone = load_settings(database={"url": url}).app.timezone
            take_write_turn(session, key="statcounts.rebuild")
            return statcounts.rebuild(session, timezone)
    finally:
        engine.dispose()


def ensure_sqlite_dir(url: str) -> None:
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).expanduser().parent.mkdir(parents=True, exist_ok=True)
