"""Delivering pending notifications: one message per person per run (a burst of overdue items does not
become a burst of e-mails), with retries spaced 2, 4, 8 … minutes apart and a give-up count."""

from __future__ import annotations

import html
import re
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from complaints.i18n import gettext
from complaints.models import DeliveryAttempt, Notification, User
from complaints.notify.adapters import Adapter, DeliveryError, Message
from complaints.notify.staff import channels_for
from complaints.settings import NotifySettings
from complaints.tables import id_of

_TAGS = re.compile(r"<[^>]+>")


def retry_due(settings: NotifySettings, now: datetime):
    """Pending rows whose next attempt is due: attempt k waits backoff × (2^k − 1) after creation."""
    clauses = [
        and_(
            col(Notification.attempts) == k,
            col(Notification.created_at) <= now - timedelta(minutes=settings.backoff_minutes * (2**k - 1)),
        )
        for k in range(settings.max_attempts)
    ]
    return and_(col(Notification.sent_at).is_(None), or_(*clauses))


def deliver(*, session: Session, settings: NotifySettings, adapter: Adapter, now: datetime) -> dict[str, int]:
    """Send what is due; mark each row sent, or count the attempt and keep the error."""
    rows = session.exec(
        select(Notification).where(retry_due(settings, now)).order_by(col(Notification.id)).limit(settings.batch_size)
    ).all()
    by_user: dict[int, list[Notification]] = defaultdict(list)
    for row in rows:
        by_user[row.user_id].append(row)
    counts = {"sent": 0, "failed": 0, "gave_up": 0, "messages": 0}
    for user_id, notes in by_user.items():
        user = session.get(User, user_id)
        assert user is not None, "a notice's user_id refers to a user (a foreign key)"
        for group in _groups(_wanted_by_email(session, settings, notes, now, counts)):
            _send(session, group, user, adapter, settings, now, counts)
    session.flush()
    return counts


def _wanted_by_email(
    session: Session, settings: NotifySettings, notes: list[Notification], now: datetime, counts: dict[str, int]
) -> list[Notification]:
    """The notices whose person chose e-mail for their kind; the rest stay in the app only."""
    wanted = []
    for note in notes:
        choice = channels_for(session, settings, note.user_id, note.kind)
        if "email" in choice:
            wanted.append(note)
        elif note.attempts == 0:
            note.sent_at, note.channel = now, "web"
            counts["in_app"] = counts.get("in_app", 0) + 1
    return wanted


def _groups(notes: list[Notification]) -> list[list[Notification]]:
    """A digest goes on its own (it is a page of HTML); everything else for a person goes together."""
    digests = [[n] for n in notes if n.kind == "digest"]
    others = [n for n in notes if n.kind != "digest"]
    return digests + ([others] if others else [])


def _send(
    session: Session,
    group: list[Notification],
    user: User,
    adapter: Adapter,
    settings: NotifySettings,
    now: datetime,
    counts: dict[str, int],
) -> None:
    try:
        if not user.active:
            raise DeliveryError(gettext("该用户已停用"), permanent=True)
        adapter.send(compose(group, user))
    except DeliveryError as exc:
        for note in group:
            session.add(
                DeliveryAttempt(
                    notification_id=note.id,
                    channel=adapter.name,
                    at=now,
                    outcome="rejected" if exc.permanent else "retry",
                    error=str(exc)[:500],
                )
            )
            note.attempts = settings.max_attempts if exc.permanent else note.attempts + 1
            note.last_error = str(exc)[:500]
            counts["gave_up" if note.attempts >= settings.max_attempts else "failed"] += 1
        return
    for note in group:
        note.sent_at, note.channel, note.attempts = now, adapter.name, note.attempts + 1
        note.last_error = None
        session.add(DeliveryAttempt(notification_id=note.id, channel=adapter.name, at=now, outcome="sent"))
    counts["sent"] += len(group)
    counts["messages"] += 1


def compose(group: list[Notification], user: User) -> Message:
    first = group[0]
    if first.kind == "digest":
        return Message(
            id_of(user), user.name, user.email, first.subject, html.unescape(_TAGS.sub("", first.body)), first.body
        )
    if len(group) == 1:
        return Message(id_of(user), user.name, user.email, first.subject, first.body)
    subject = gettext("您有 {n} 条新提醒", n=len(group))
    text = "\n\n".join(f"{n.subject}\n{n.body}" for n in group)
    body = "".join(f"<p><b>{html.escape(n.subject)}</b><br>{html.escape(n.body)}</p>" for n in group)
    return Message(id_of(user), user.name, user.email, subject, text, body)
