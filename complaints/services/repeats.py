"""重复诉求: an item from the same phone, or with a near-identical summary in the same unit, within the
configured window, is linked to the earlier one and its handler is told. A supervisor merges it with
the ordinary mark_duplicate action."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from difflib import SequenceMatcher

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from complaints.errors import InvalidInput
from complaints.i18n import N_, gettext
from complaints.models import Complaint, ComplaintLink, Event, Notification, User
from complaints.privacy import normalise_phone
from complaints.runtime import Runtime
from complaints.services.routing import has_role
from complaints.tables import id_of, stored_ids
from workflows.events import EventKind
from workflows.vocab import Status

SUMMARY_CANDIDATES = 5000  # the unit's most recent items compared by summary
_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)


def similarity(a: str, b: str) -> float:
    """difflib's ratio over the summaries without spaces and punctuation."""
    a, b = _NOISE.sub("", a), _NOISE.sub("", b)
    if not a or not b:
        return 0.0
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    return matcher.ratio()


def _phone(raw: str | None) -> str | None:
    try:
        return normalise_phone(raw)
    except InvalidInput:
        return None  # a half-typed number in the intake form matches nothing


def find_repeats(
    *,
    session: Session,
    runtime: Runtime,
    unit_code: str,
    phone: str | None,
    summary: str,
    now: datetime,
    before_id: int | None = None,
    confidential: bool = False,
    scope: ColumnElement[bool] | None = None,
) -> list[Complaint]:
    """Earlier items this one may repeat: open ones first, then the most recent; within `scope` (what the
    person asking may see) when given.

    A confidential reporter (举报人) is never matched by phone, either way: that would tell whoever
    handles the other item who made the report (信访工作条例 Art 30). Their items are matched only by
    summary, within the unit."""
    settings = runtime.settings.repeats
    since = now - timedelta(days=settings.window_days)
    base = [col(Complaint.received_at) >= since, col(Complaint.status) != Status.DUPLICATE]
    if before_id is not None:
        base.append(col(Complaint.id) < before_id)
    if scope is not None:
        base.append(scope)
    found: dict[int, Complaint] = {}
    normalised = None if confidential else _phone(phone)
    if normalised:
        for item in session.exec(
            select(Complaint)
            .where(*base, col(Complaint.complainant_phone) == normalised, col(Complaint.confidential).is_(False))
            .order_by(col(Complaint.id).desc())
            .limit(50)
        ):
            found[id_of(item)] = item
    if summary and len(summary.strip()) >= 4:
        rows = session.exec(
            select(Complaint.id, Complaint.summary)
            .where(*base, col(Complaint.unit_code) == unit_code)
            .order_by(col(Complaint.id).desc())
            .limit(SUMMARY_CANDIDATES)
        ).all()
        similar = [
            i
            for i, text in rows
            if i not in found
            and _quick(summary, text) >= settings.summary_similarity
            and similarity(summary, text) >= settings.summary_similarity
        ]
        for item in session.exec(select(Complaint).where(col(Complaint.id).in_(similar))) if similar else ():
            found[id_of(item)] = item
    return sorted(found.values(), key=lambda c: (not c.is_open, -id_of(c)))


def _quick(a: str, b: str) -> float:
    """An upper bound of the ratio, cheap enough to skip most pairs."""
    return SequenceMatcher(None, a, b, autojunk=False).real_quick_ratio()


def check_item(
    *, session: Session, runtime: Runtime, item: Complaint, actor: User, now: datetime
) -> ComplaintLink | None:
    """Link `item` to the earlier item it repeats, if any and not linked already."""
    if item.id is None:
        session.flush()
    candidates = find_repeats(
        session=session,
        runtime=runtime,
        unit_code=item.unit_code,
        phone=item.complainant_phone,
        summary=item.summary,
        now=item.received_at,
        before_id=item.id,
        confidential=item.confidential,
    )
    if not candidates:
        return None
    return link_repeat(session=session, item=item, earlier=candidates[0], actor=actor, now=now)


def link_repeat(
    *, session: Session, item: Complaint, earlier: Complaint, actor: User, now: datetime
) -> ComplaintLink | None:
    """The link, an event on both items and a notice to whoever handles the earlier one."""
    exists = session.exec(
        select(ComplaintLink).where(
            col(ComplaintLink.complaint_id) == item.id,
            col(ComplaintLink.other_id) == earlier.id,
            col(ComplaintLink.kind) == "repeat",
        )
    ).first()
    if exists is not None:
        return None
    same_phone = (
        bool(item.complainant_phone)
        and item.complainant_phone == earlier.complainant_phone
        and not (item.confidential or earlier.confidential)
    )
    reason = gettext("同一来电号码") if same_phone else gettext("摘要相近")
    link = ComplaintLink(complaint_id=id_of(item), other_id=id_of(earlier), kind="repeat", created_at=now)
    session.add(link)
    for subject, other, text in (
        (item, earlier, N_("疑似重复诉求：与 {other} 相关（{reason}）")),
        (earlier, item, N_("收到疑似重复诉求 {other}（{reason}）")),
    ):
        session.add(
            Event(
                complaint_id=id_of(subject),
                at=now,
                actor_id=actor.id,
                action=EventKind.REPEAT_LINK,
                from_status=subject.status,
                to_status=subject.status,
                note=gettext(text, other=other.tracking_no, reason=reason),
                changes={"repeat_of" if subject is item else "repeated_by": other.id},
            )
        )
    _tell(session, item, earlier, reason, now)
    session.flush()
    return link


def _tell(session: Session, item: Complaint, earlier: Complaint, reason: str, now: datetime) -> None:
    """The earlier item's handler; if nobody handles it, the supervisors of its unit."""
    if earlier.handler_id is not None:
        people = [earlier.handler_id]
    else:
        people = stored_ids(
            session.exec(
                select(col(User.id)).where(
                    col(User.unit_code) == earlier.unit_code, col(User.active).is_(True), has_role("supervisor")
                )
            )
        )
    subject = gettext("重复诉求：{new} 与 {old}", new=item.tracking_no, old=earlier.tracking_no)
    body = gettext(
        "新登记的 {new}（{summary}）疑似重复 {old}（{reason}）。可答复办理进展，或由督办人并单处理。",
        new=item.tracking_no,
        summary=item.summary,
        old=earlier.tracking_no,
        reason=reason,
    )
    for user_id in people:
        session.add(
            Notification(
                user_id=user_id, complaint_id=item.id, kind="repeat", subject=subject, body=body, created_at=now
            )
        )
