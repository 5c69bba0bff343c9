"""Counters kept in the database, so that every API process counts together.

A limit of `limit` hits per `window` seconds is kept in `SLOTS` slots per window: a hit adds one to the
current slot, and the hits of the last SLOTS slots are what counts. That is a sliding window to within a
tenth of its width, the same in one process as in many. Two processes checking the same key at the same
instant may each let one hit through: a limit can be exceeded by at most the number of writes that run at
once (`database.concurrent_writes`), never multiplied by the number of processes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import CursorResult
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, delete, select

from complaints.models import RateCounter
from complaints.tables import table_of

SLOTS = 10
KEY_MAX = 128


@dataclass(frozen=True)
class Limit:
    """At most `limit` hits per `window` seconds for each key of `scope`."""

    scope: str
    limit: int
    window: int

    @property
    def width(self) -> float:
        return self.window / SLOTS


def _upsert(session: Session, *, scope: str, key: str, slot: int, now: datetime) -> None:
    """One more hit in (scope, key, slot), in one statement whichever process gets there first."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    table = table_of(RateCounter)
    statement = insert(table).values(scope=scope, key=key, slot=slot, hits=1, last_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=["scope", "key", "slot"], set_={"hits": table.c.hits + 1, "last_at": now}
    )
    session.execute(statement)


def retry_after(session: Session, rule: Limit, key: str, *, now: datetime) -> int | None:
    """Seconds until `key` may hit again, or None while it is under its limit."""
    current = int(now.timestamp() // rule.width)
    rows = session.exec(
        select(RateCounter.slot, RateCounter.hits).where(
            col(RateCounter.scope) == rule.scope,
            col(RateCounter.key) == key[:KEY_MAX],
            col(RateCounter.slot) > current - SLOTS,
            col(RateCounter.slot) <= current,
        )
    ).all()
    if sum(hits for _, hits in rows) < rule.limit:
        return None
    oldest = min(slot for slot, hits in rows if hits)
    return max(1, math.ceil((oldest + SLOTS) * rule.width - now.timestamp()))


def hit(session: Session, rule: Limit, key: str, *, now: datetime) -> None:
    """Count one hit of `key` (flushed with the caller's transaction)."""
    _upsert(session, scope=rule.scope, key=key[:KEY_MAX], slot=int(now.timestamp() // rule.width), now=now)


def running_count(session: Session, scope: str, key: str) -> tuple[int, datetime | None]:
    """(hits, time of the last) of a count that has no window, such as failed logins of one name."""
    row = session.exec(
        select(RateCounter.hits, RateCounter.last_at).where(
            col(RateCounter.scope) == scope, col(RateCounter.key) == key[:KEY_MAX], col(RateCounter.slot) == 0
        )
    ).first()
    return (row[0], row[1]) if row else (0, None)


def add_to_running_count(session: Session, scope: str, key: str, *, now: datetime) -> None:
    _upsert(session, scope=scope, key=key[:KEY_MAX], slot=0, now=now)


def prune(session: Session, *, now: datetime, keep: timedelta) -> int:
    """Forget counters not hit for `keep`: windows long past, and running counts left alone that long."""
    result = session.execute(delete(RateCounter).where(col(RateCounter.last_at) < now - keep))
    if not isinstance(result, CursorResult):  # what a DELETE returns
        raise RuntimeError(f"a DELETE returned {type(result).__name__}")
    return result.rowcount or 0
