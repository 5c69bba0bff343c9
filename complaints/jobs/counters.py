"""Forget the rate counters nobody has hit for a day (services.counters keeps them in the database)."""

from __future__ import annotations

from datetime import datetime, timedelta

from apscheduler.triggers.interval import IntervalTrigger
from sqlmodel import Session

from complaints.jobs.registry import job
from complaints.runtime import Runtime
from complaints.services import counters

# longer than the longest window (an hour) and than the longest lock-out (an hour)
KEEP = timedelta(days=1)


@job("prune_counters", trigger=IntervalTrigger(hours=1), description="清理过期的限流计数")
def prune_counters(*, session: Session, runtime: Runtime, now: datetime) -> dict[str, int]:
    return {"removed": counters.prune(session, now=now, keep=KEEP)}
