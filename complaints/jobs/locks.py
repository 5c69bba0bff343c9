"""So that two scheduler processes never run the same job at once: a PostgreSQL advisory lock, or on
SQLite a lock row that expires (a crashed holder cannot block the job for ever)."""

from __future__ import annotations

import hashlib
import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, text
from sqlalchemy.dialects import postgresql, sqlite

from complaints.clock import utcnow
from complaints.models import JobLock


def lock_key(job_id: str) -> int:
    """A stable signed 64-bit key for pg_try_advisory_lock."""
    digest = hashlib.sha256(f"complaints.jobs:{job_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def new_holder() -> str:
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@contextmanager
def job_lock(engine: Engine, job_id: str, *, ttl: timedelta) -> Iterator[bool]:
    """Yields True when this process holds the job's lock until the block ends, False if another does."""
    if engine.dialect.name == "postgresql":
        with _advisory_lock(engine, job_id) as acquired:
            yield acquired
        return
    holder = new_holder()
    acquired = acquire_row(engine, job_id, holder=holder, ttl=ttl)
    try:
        yield acquired
    finally:
        if acquired:
            release_row(engine, job_id, holder=holder)


@contextmanager
def _advisory_lock(engine: Engine, job_id: str) -> Iterator[bool]:
    """A session-level advisory lock on a connection kept for the run; it dies with the connection."""
    key = lock_key(job_id)
    with engine.connect() as connection:
        acquired = bool(connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar())
        connection.commit()
        try:
            yield acquired
        finally:
            if acquired:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                connection.commit()


def acquire_row(engine: Engine, job_id: str, *, holder: str, ttl: timedelta,
                now: datetime | None = None) -> bool:
    """Take the lock row unless a holder whose lock has not expired has it."""
    now = now or utcnow()
    insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    statement = insert(JobLock).values(job_id=job_id, holder=holder, locked_until=now + ttl)
    statement = statement.on_conflict_do_update(
        index_elements=["job_id"], set_={"holder": holder, "locked_until": now + ttl},
        where=JobLock.locked_until < now).returning(JobLock.holder)
    with engine.begin() as connection:
        row = connection.execute(statement).first()
    return row is not None and row.holder == holder


def release_row(engine: Engine, job_id: str, *, holder: str) -> None:
    with engine.begin() as connection:
        connection.execute(delete(JobLock).where(JobLock.job_id == job_id, JobLock.holder == holder))
