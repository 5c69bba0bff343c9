"""Provisional deadlines made definite once the calendar knows the year they fall in."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from complaints.jobs.registry import every_minutes, job
from complaints.models import Complaint, Event
from complaints.runtime import Runtime
from complaints.services import deadlines
from workflows.vocab import Status

# Items whose deadlines still follow their registration alone; any later adjustment (an extension,
# a suspension, a reassignment, a reopening) is left for a person to review rather than recomputed.
RECOMPUTABLE = (Status.REGISTERED, Status.DISPATCHED, Status.ACCEPTED)


@job("recompute_provisional", trigger=every_minutes(lambda s: 60),
     description="暂定期限复核：工作日历录入新年度后，按正式日历重算暂定的办理期限")
def recompute_provisional(*, session: Session, runtime: Runtime, now: datetime) -> dict[str, int]:
    horizon = runtime.clock.calendar.horizon()
    items = session.exec(select(Complaint).where(
        Complaint.is_open.is_(True), Complaint.due_provisional.is_(True),
        Complaint.status.in_([s.value for s in RECOMPUTABLE]), Complaint.extension_count == 0,
        Complaint.suspended_at.is_(None))).all()
    fixed = 0
    for item in items:
        before = (item.ack_due_at, item.contact_due_at, item.reply_due_at)
        deadlines.set_initial(item, runtime)
        if item.due_provisional:  # still beyond the calendar: keep the estimate, try again later
            item.ack_due_at, item.contact_due_at, item.reply_due_at = before
            deadlines.refresh_stage(item, runtime)
            item.due_provisional = True
            continue
        session.add(Event(complaint=item, at=now, action="deadline_recomputed", from_status=item.status,
                          to_status=item.status, note=f"工作日历已知至 {horizon}：暂定期限已按正式日历重算",
                          changes={"reply_due_at": [before[2].isoformat() if before[2] else None,
                                                    item.reply_due_at.isoformat()]}))
        fixed += 1
    session.flush()
    return {"provisional": len(items), "recomputed": fixed}
