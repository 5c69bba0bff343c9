"""After registration: find repeats (重复诉求) and dispatch items nobody has dispatched yet."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists
from sqlmodel import Session, col, select

from complaints.errors import DomainError
from complaints.jobs.registry import every_minutes, job
from complaints.jobs.system import system_user
from complaints.models import Complaint, ComplaintLink, Event, JobRun
from complaints.runtime import Runtime
from complaints.services import repeats, routing
from workflows.events import EventKind
from workflows.vocab import Status

BATCH = 500


def _last_ok_start(session: Session, job_id: str) -> datetime | None:
    return session.exec(
        select(col(JobRun.started_at))
        .where(col(JobRun.job_id) == job_id, col(JobRun.status) == "ok")
        .order_by(col(JobRun.id).desc())
    ).first()


@job(
    "repeat_check",
    trigger=every_minutes(lambda s: s.jobs.dispatch_minutes),
    description="重复诉求检查：同一号码或摘要相近的诉求关联到先前的件并通知承办人",
)
def repeat_check(*, session: Session, runtime: Runtime, now: datetime) -> dict[str, int]:
    last = _last_ok_start(session, "repeat_check")
    since = (last or now) - (timedelta(minutes=10) if last else timedelta(days=1))
    already = exists().where(col(ComplaintLink.complaint_id) == col(Complaint.id), col(ComplaintLink.kind) == "repeat")
    items = session.exec(
        select(Complaint)
        .where(col(Complaint.registered_at) >= since, ~already)
        .order_by(col(Complaint.id))
        .limit(BATCH)
    ).all()
    actor = system_user(session=session, settings=runtime.settings)
    linked = sum(
        repeats.check_item(session=session, runtime=runtime, item=item, actor=actor, now=now) is not None
        for item in items
    )
    return {"checked": len(items), "linked": linked}


def awaiting_dispatch(now: datetime, grace: timedelta):
    """Registered, nobody assigned, never dispatched or sent back (a sent-back item is a person's call)."""
    handled = exists().where(
        col(Event.complaint_id) == col(Complaint.id),
        col(Event.action).in_((EventKind.DISPATCH, EventKind.APPROVE_SEND_BACK)),
    )
    return select(Complaint).where(
        Complaint.status == Status.REGISTERED,
        col(Complaint.handler_id).is_(None),
        Complaint.registered_at <= now - grace,
        ~handled,
    )


@job(
    "auto_dispatch",
    trigger=every_minutes(lambda s: s.jobs.dispatch_minutes),
    description="自动派单：按派单规则或在办件最少的承办人（请假者由代理人承接）",
)
def auto_dispatch(*, session: Session, runtime: Runtime, now: datetime) -> dict[str, int]:
    settings = runtime.settings.routing
    if not settings.auto_dispatch:
        return {"disabled": 1}
    actor = system_user(session=session, settings=runtime.settings)
    query = awaiting_dispatch(now, timedelta(minutes=settings.grace_minutes)).order_by(Complaint.id).limit(BATCH)
    counts: dict[str, int] = {"dispatched": 0, "no_handler": 0, "failed": 0, "repeats": 0}
    for item in session.exec(query).all():
        try:
            with session.begin_nested():  # one item's trouble leaves the others dispatched
                link = repeats.check_item(session=session, runtime=runtime, item=item, actor=actor, now=now)
                why = routing.route(session=session, runtime=runtime, actor=actor, item=item, now=now)
        except DomainError:
            counts["failed"] += 1
            continue
        counts["repeats"] += link is not None
        counts["dispatched" if why else "no_handler"] += 1
    return counts
