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
from complaints import statcounts  # the flush hook that keeps the dashboard's counts
from complaints.settings import PROJECT_ROOT, Settings, load_settings

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"
PING_AFTER_IDLE = 5.0  # seconds a pooled connection may sit unused before it is checked on checkout


def make_engine(url: str, *, echo: bool = False, **options) -> Engine:
    """An engine whose pooled connections are checked after sitting idle; on SQLite, with the pragmas it
    needs for concurrent readers and real foreign keys."""
    if url.startswith("sqlite"):
        if ":memory:" not in url and "mode=memory" not in url:
            # as many kept connections as the thread pool has threads (40): SQLAlchemy's default of 5 closed each
            # connection beyond them when it was given back, and every request then opened one again (a file
            # opened, its pragmas run, its schema read): most of a registration's time under load
            options = {"pool_size": 40, "max_overflow": 20, **options}
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30}, **options)
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        # synchronous_commit on, whatever the server's default: a commit returns once its log is on disk
        options.setdefault("connect_args", {"options": "-c synchronous_commit=on"})
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
    # FULL: in WAL mode each commit syncs the log before it returns, so an item acknowledged to the caller
    # survives a power cut (NORMAL syncs only at checkpoints: the last commits could be lost)
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # reads through the operating system's page cache, shared by every connection, rather than each
    # connection's own 2 MB: a search checks thousands of rows spread over the whole table
    cursor.execute("PRAGMA mmap_size=268435456")
    cursor.close()


def engine_for(settings: Settings) -> Engine:
    return make_engine(settings.database.url, echo=settings.database.echo)


def read_engine_for(settings: Settings, primary: Engine) -> Engine:
    """The engine of read-only queries: the replica's when `[database] replica_url` is set, whose
    transactions are read-only (PostgreSQL: BEGIN READ ONLY; SQLite: PRAGMA query_only), else the primary."""
    url = settings.database.replica_url
    if not url:
        return primary
    engine = make_engine(url, echo=settings.database.echo)
    if engine.dialect.name == "sqlite":
        event.listen(
            engine, "connect", lambda dbapi_connection, _record: dbapi_connection.execute("PRAGMA query_only=ON")
        )
        return engine
    return engine.execution_options(postgresql_readonly=True)


def _query_only(dbapi_connection, _record) -> None:
    dbapi_connection.execute("PRAGMA query_only=ON")


def read_only(session: Session) -> Session:
    """Mark `session` as one for queries only (lists, dashboards, exports, searches): a flush with anything
    to write is refused, so a write can never be sent to a replica by mistake."""
    session.info["read_only"] = True
    event.listen(session, "before_flush", _refuse_writes)
    return session


def _refuse_writes(session: Session, _context, _instances) -> None:
    if session.new or session.deleted or any(session.is_modified(obj) for obj in session.dirty):
        raise RuntimeError("a read-only session (the read replica's) does not write")


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
    engine = make_engine(url)
    try:
        with Session(engine) as session, committing(session):
            if not again and statcounts.counted_zone(session) is not None:
                return None
            if timezone is None:
                timezone = load_settings(database={"url": url}).app.timezone
            take_write_turn(session, key="statcounts.rebuild")
            return statcounts.rebuild(session, timezone)
    finally:
        engine.dispose()


def ensure_sqlite_dir(url: str) -> None:
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).expanduser().parent.mkdir(parents=True, exist_ok=True)
