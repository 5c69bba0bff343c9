"""So that two scheduler processes never run the same job at once, nor one scheduled run twice.

- A job's lock: a PostgreSQL advisory lock (it dies with its connection), or on SQLite a lock row held
  on a short lease that a heartbeat renews while the job runs; a row whose lease ran out, or whose holder
  process on this machine is gone (a killed run), is taken over at once.
- A scheduled run (job id, due time) is claimed once in `jobslot` (its primary key): every scheduler
  process sharing the job store dispatches each due job, and the ones that find the slot taken skip it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col

from complaints.clock import utcnow
from complaints.models import JobLock, JobSlot

log = logging.getLogger("complaints.jobs")
SLOTS_KEPT = timedelta(days=7)  # claims older than this are pruned; a scheduler never looks that far back


def lock_key(job_id: str) -> int:
    """A stable signed 64-bit key for pg_try_advisory_lock."""
    digest = hashlib.sha256(f"complaints.jobs:{job_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _host() -> str:
    return socket.gethostname()[:80]


def new_holder() -> str:
    return f"{_host()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@contextmanager
def job_lock(engine: Engine, job_id: str, *, lease: timedelta) -> Iterator[bool]:
    """Yields True when this process holds the job's lock until the block ends, False if another does."""
    if engine.dialect.name == "postgresql":
        with _advisory_lock(engine, job_id) as acquired:
            yield acquired
        return
    holder = new_holder()
    if not acquire_row(engine, job_id, holder=holder, ttl=lease):
        yield False
        return
    stop = threading.Event()
    beat = threading.Thread(
        target=_heartbeat, args=(engine, job_id, holder, lease, stop), daemon=True, name=f"lock-{job_id}"
    )
    beat.start()
    try:
        yield True
    finally:
        stop.set()
        beat.join()
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


def _insert(engine: Engine):
    return postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert


def acquire_row(engine: Engine, job_id: str, *, holder: str, ttl: timedelta, now: datetime | None = None) -> bool:
    """Take the lock row unless a live holder has it: one whose lease runs and, when it runs on this
    machine, whose process still exists."""
    now = now or utcnow()
    if _take_row(engine, job_id, holder, now + ttl, JobLock.locked_until < now):
        return True
    stale = _dead_local_holder(engine, job_id)
    return stale is not None and _take_row(engine, job_id, holder, now + ttl, JobLock.holder == stale)


def _take_row(engine: Engine, job_id: str, holder: str, until: datetime, takeover) -> bool:
    statement = _insert(engine)(JobLock).values(job_id=job_id, holder=holder, locked_until=until)
    statement = statement.on_conflict_do_update(
        index_elements=["job_id"], set_={"holder": holder, "locked_until": until}, where=takeover
    ).returning(JobLock.holder)
    with engine.begin() as connection:
        row = connection.execute(statement).first()
    return row is not None and row.holder == holder


def _dead_local_holder(engine: Engine, job_id: str) -> str | None:
    """The row's holder if it ran on this machine and its process is gone (killed mid-run), else None."""
    with engine.connect() as connection:
        holder = connection.execute(select(col(JobLock.holder)).where(col(JobLock.job_id) == job_id)).scalar()
    host, _, rest = (holder or "").partition(":")
    pid = rest.partition(":")[0]
    if host != _host() or not pid.isdigit() or int(pid) == os.getpid():
        return None
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return holder
    except PermissionError:  # alive, run by another user
        return None
    return None


def renew_row(engine: Engine, job_id: str, *, holder: str, ttl: timedelta, now: datetime | None = None) -> bool:
    """Extend the holder's lease; False if the row is no longer theirs."""
    until = (now or utcnow()) + ttl
    with engine.begin() as connection:
        result = connection.execute(
            update(JobLock)
            .where(col(JobLock.job_id) == job_id, col(JobLock.holder) == holder)
            .values(locked_until=until)
        )
    return result.rowcount == 1


def _heartbeat(engine: Engine, job_id: str, holder: str, lease: timedelta, stop: threading.Event) -> None:
    while not stop.wait(lease.total_seconds() / 5):
        try:
            if not renew_row(engine, job_id, holder=holder, ttl=lease):
                log.warning("job %s: lock row taken over while running", job_id)
                return
        except Exception:  # noqa: BLE001 - e.g. the job's own write transaction held SQLite for long; retry
            log.warning("job %s: lock lease not renewed", job_id, exc_info=True)


def release_row(engine: Engine, job_id: str, *, holder: str) -> None:
    with engine.begin() as connection:
        connection.execute(delete(JobLock).where(col(JobLock.job_id) == job_id, col(JobLock.holder) == holder))


def claim_slot(engine: Engine, job_id: str, slot_at: datetime, *, holder: str | None = None) -> bool:
    """Claim the run of `job_id` due at `slot_at`; False when another process claimed it first. The
    primary key decides, on both databases, without reading first."""
    now = utcnow()
    statement = _insert(engine)(JobSlot).values(
        job_id=job_id, slot_at=slot_at, holder=holder or new_holder(), claimed_at=now
    )
    statement = statement.on_conflict_do_nothing(index_elements=["job_id", "slot_at"]).returning(JobSlot.job_id)
    with engine.begin() as connection:
        claimed = connection.execute(statement).first() is not None
        if claimed:
            connection.execute(
                delete(JobSlot).where(col(JobSlot.job_id) == job_id, col(JobSlot.claimed_at) < now - SLOTS_KEPT)
            )
    return claimed
