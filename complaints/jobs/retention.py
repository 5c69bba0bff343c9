"""Personal information kept only as long as needed (个人信息保护法 Art 19): a closed item's complainant
name and phone are erased once its track's keeping period has passed since it was closed (or last
touched), with an event in its history; as `[privacy] attachments` says, its attachments' files go too
(letters and recordings carry the name, the voice and the number). What the item was about and how it was
handled stay, for the ledgers and the 三率 figures."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, insert, or_, select, update
from sqlmodel import Session, col

from complaints.attachments.storage import storage_for
from complaints.i18n import gettext
from complaints.jobs.registry import daily_at, job
from complaints.jobs.system import system_user
from complaints.models import Attachment, Complaint, Event
from complaints.runtime import Runtime
from workflows.events import EventKind
from workflows.vocab import Track

C = Complaint
BATCH = 1000


def due_for_erasure(track: str, cutoff: datetime):
    """Closed items of `track` that still hold a name or phone and have been closed since before `cutoff`."""
    return (
        C.track == track,
        col(C.is_open).is_(False),
        col(C.identity_erased_at).is_(None),
        or_(col(C.complainant_name).is_not(None), col(C.complainant_phone).is_not(None)),
        func.coalesce(C.closed_at, C.updated_at) <= cutoff,
    )


def erase_attachments(*, session: Session, runtime: Runtime, complaint_ids: list[int], now: datetime) -> int:
    """The files of items whose identity is erased are deleted from storage; their rows say when."""
    rows = session.execute(
        select(col(Attachment.id), col(Attachment.storage_key)).where(
            col(Attachment.complaint_id).in_(complaint_ids), col(Attachment.erased_at).is_(None)
        )
    ).all()
    if not rows:
        return 0
    storage = storage_for(runtime.settings)
    for _, key in rows:
        storage.delete(key)  # before the commit: a failed run leaves the files gone and is done again next night
    session.execute(update(Attachment).where(col(Attachment.id).in_([i for i, _ in rows])).values(erased_at=now))
    return len(rows)


@job(
    "erase_identity",
    trigger=daily_at(lambda s: s.privacy.erase_time),
    description="个人信息到期删除：办结满保存期限的诉求件删除诉求人姓名和电话",
)
def erase_identity(*, session: Session, runtime: Runtime, now: datetime) -> dict[str, int]:
    privacy = runtime.settings.privacy
    actor_id = None
    counts: dict[str, int] = {}
    for track in Track:
        days = privacy.days_for(track)
        counts[track.value] = 0
        if not days:
            continue
        actor_id = actor_id or system_user(session=session, settings=runtime.settings).id
        note = gettext("诉求人姓名、电话已按个人信息保存期限删除（办结满 {days} 日）", days=days)
        where, last_id = due_for_erasure(track, now - timedelta(days=days)), 0
        while ids := session.execute(
            select(col(C.id), col(C.status))
            .where(*where, col(C.id) > last_id)
            .order_by(col(C.id))
            .limit(BATCH)
            .with_for_update()
        ).all():
            last_id = ids[-1][0]
            session.execute(
                update(C)
                .where(col(C.id).in_([i for i, _ in ids]))
                .values(complainant_name=None, complainant_phone=None, search_who="", identity_erased_at=now)
            )
            session.execute(
                insert(Event),
                [
                    {
                        "complaint_id": i,
                        "at": now,
                        "actor_id": actor_id,
                        "action": EventKind.IDENTITY_ERASED,
                        "from_status": status,
                        "to_status": status,
                        "note": note,
                        "changes": {"erased": ["complainant_name", "complainant_phone"], "after_days": days},
                    }
                    for i, status in ids
                ],
            )
            counts[track.value] += len(ids)
            erased = (
                erase_attachments(session=session, runtime=runtime, complaint_ids=[i for i, _ in ids], now=now)
                if privacy.attachments == "erase"
                else 0
            )
            if erased:
                counts["attachments"] = counts.get("attachments", 0) + erased
    session.expire_all()  # the rows changed under the ORM's feet
    return counts
