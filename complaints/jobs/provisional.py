"""Provisional deadlines made definite once the calendar knows the year they fall in."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from complaints.i18n import gettext
from complaints.jobs.registry import every_minutes, job
from complaints.models import Complaint, Event, Notification
from complaints.notify import webhooks
from complaints.runtime import Runtime
from complaints.services import deadlines
from complaints.tables import id_of
from workflows.events import EventKind

BATCH = 500


@job(
    "recompute_provisional",
    trigger=every_minutes(lambda s: 60),
    description="暂定期限复核：工作日历录入新年度后，按正式日历重算暂定的办理期限",
)
def recompute_provisional(*, session: Session, runtime: Runtime, now: datetime) -> dict[str, int]:
    """Every open item with a provisional deadline is recomputed from its history (deadlines.replay):
    registration, then its reassignments, extensions, suspensions, supervisions and reopenings.

    An item whose deadlines come out the same is left alone; one that changed gets a history event
    naming each deadline's old and new value, so the handler sees why the date moved.
    """
    horizon = (
        min(runtime.clock_for(u.code).calendar.horizon() for u in runtime.settings.units)
        if runtime.settings.units
        else runtime.clock.calendar.horizon()
    )
    query = select(Complaint).where(col(Complaint.is_open).is_(True), col(Complaint.due_provisional).is_(True))
    seen = fixed = 0
    last_id = 0
    while batch := session.exec(
        query.where(col(Complaint.id) > last_id).order_by(col(Complaint.id)).limit(BATCH)
    ).all():
        last_id = id_of(batch[-1])
        history: dict[int, list[Event]] = {}
        for event in session.exec(
            select(Event).where(col(Event.complaint_id).in_([i.id for i in batch])).order_by(col(Event.id))
        ):
            history.setdefault(event.complaint_id, []).append(event)
        for item in batch:
            seen += 1
            before = {name: getattr(item, name) for name in deadlines.STORED}
            deadlines.replay(item, history.get(id_of(item), []), runtime)
            moved: dict[str, list[str | bool | None]] = {
                name: [_iso(before[name]), _iso(getattr(item, name))]
                for name in deadlines.STORED
                if before[name] != getattr(item, name)
            }
            if not moved and item.due_provisional:
                continue
            moved["due_provisional"] = [True, item.due_provisional]
            note = gettext("工作日历已知至 {horizon}：暂定期限已按正式日历重算", horizon=horizon.isoformat())
            if item.due_provisional:
                note = gettext(
                    "工作日历已知至 {horizon}：期限已重算，仍有部分落在日历之外（暂定）", horizon=horizon.isoformat()
                )
            session.add(
                Event(
                    complaint_id=id_of(item),
                    complaint=item,
                    at=now,
                    action=EventKind.DEADLINE_RECOMPUTED,
                    from_status=item.status,
                    to_status=item.status,
                    note=note,
                    changes=moved,
                )
            )
            webhooks.item_changed(
                session=session,
                runtime=runtime,
                item=item,
                changes=moved,
                action=EventKind.DEADLINE_RECOMPUTED,
                now=now,
            )
            if item.handler_id is not None and len(moved) > 1:  # a date moved, not only the provisional mark
                session.add(
                    Notification(
                        user_id=item.handler_id,
                        complaint_id=item.id,
                        kind="deadline_moved",
                        created_at=now,
                        body=note,
                        subject=gettext("{no} 的办理期限已调整", no=item.tracking_no),
                    )
                )
            fixed += 1
        session.flush()
    return {"provisional": seen, "recomputed": fixed}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
