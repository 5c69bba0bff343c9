"""Telling staff: `staff()` is the one way in for every notice about an item, from any domain.

    from complaints import notify
    notify.staff(session=session, runtime=runtime, kind="sign_off_request", user=signer, item=item,
                 actor=handler, note=None)

The notice is written to the outbox (Notification) in the caller's transaction, so it exists exactly
when the action does; the app shows it at once, and the delivery jobs send it by e-mail, 企业微信 or
钉钉 as the person chose for that kind. Sending never happens here, so a failing channel can neither
block nor undo the action. A second identical notice within `notify.dedupe_minutes` is dropped."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from complaints.clock import utcnow
from complaints.errors import InvalidInput
from complaints.i18n import gettext
from complaints.models import ChatHandle, Complaint, NoticePreference, Notification, User
from complaints.notify.kinds import CHANNELS, KIND_MAP, compose
from complaints.presenters import local_text
from complaints.runtime import Runtime
from complaints.settings import NotifySettings, Settings
from complaints.tables import id_of


def staff(
    *,
    session: Session,
    runtime: Runtime,
    kind: str,
    user: User | int,
    item: Complaint | None = None,
    actor: User | None = None,
    note: str | None = None,
    decision: str | None = None,
    now: datetime | None = None,
) -> Notification | None:
    """Write one notice for `user` (None when they are inactive, are the actor, or were just told)."""
    if kind not in KIND_MAP or not KIND_MAP[kind].templated:
        raise ValueError(f"unknown notice kind {kind!r}")
    person = session.get(User, user) if isinstance(user, int) else user
    if person is None or not person.active or (actor is not None and actor.id == person.id):
        return None
    now = now or utcnow()
    values = _values(runtime.settings, item, actor, note, decision)
    subject, body = compose(session, kind, values)
    if item is not None and item.id is None:
        session.flush()
    if _told_recently(session, runtime.settings, id_of(person), kind, item, subject, now):
        return None
    notice = Notification(
        user_id=id_of(person),
        complaint_id=item.id if item else None,
        kind=kind,
        subject=subject,
        body=body,
        created_at=now,
    )
    session.add(notice)
    session.flush()
    return notice


def _values(
    settings: Settings, item: Complaint | None, actor: User | None, note: str | None, decision: str | None
) -> dict:
    tz = settings.app.timezone
    values = {"actor": actor.name if actor else gettext("系统"), "note": note or "", "decision": decision or ""}
    if item is not None:
        unit = settings.unit_map.get(item.unit_code)
        # a confidential report's summary may name the reporter: the number is enough to find it
        values.update(
            tracking_no=item.tracking_no,
            summary=gettext("保密件") if item.confidential else item.summary,
            due=local_text(item.next_due_at, tz),
            supervise_due=local_text(item.supervise_due_at, tz),
            unit=unit.name if unit else item.unit_code,
        )
    return values


def _told_recently(
    session: Session, settings: Settings, user_id: int, kind: str, item: Complaint | None, subject: str, now: datetime
) -> bool:
    minutes = settings.notify.dedupe_minutes
    if not minutes:
        return False
    same_item = col(Notification.complaint_id) == item.id if item else col(Notification.complaint_id).is_(None)
    query = select(Notification.id).where(
        Notification.user_id == user_id,
        Notification.kind == kind,
        Notification.subject == subject,
        Notification.created_at >= now - timedelta(minutes=minutes),
        same_item,
    )
    return session.exec(query.limit(1)).first() is not None


def channels_for(session: Session, settings: NotifySettings, user_id: int, kind: str) -> list[str]:
    """The channels besides the app that `user_id` chose for `kind` (the deployment's default otherwise)."""
    row = session.get(NoticePreference, (user_id, kind))
    return list(row.channels) if row is not None else list(settings.default_channels)


def preferences(*, session: Session, settings: Settings, user: User) -> dict[str, list[str]]:
    return {code: channels_for(session, settings.notify, id_of(user), code) for code in KIND_MAP}


def set_preferences(
    *, session: Session, user: User, choices: dict[str, list[str]], handles: dict[str, str] | None = None
) -> None:
    """A person's own choice of channels per kind, and their 企业微信 / 钉钉 user ids."""
    for kind, channels in choices.items():
        if kind not in KIND_MAP:
            raise InvalidInput(gettext("未知提醒类型：{kind}", kind=str(kind)[:32]), field="kind")
        unknown = set(channels) - set(CHANNELS)
        if unknown:
            raise InvalidInput(gettext("未知渠道：{channel}", channel="、".join(sorted(unknown))[:64]), field=kind)
        row = session.get(NoticePreference, (user.id, kind)) or NoticePreference(user_id=id_of(user), kind=kind)
        row.channels = [c for c in CHANNELS if c in channels]
        session.add(row)
    for channel, handle in (handles or {}).items():
        set_handle(session=session, user=user, channel=channel, handle=handle)
    session.flush()


def set_handle(*, session: Session, user: User, channel: str, handle: str) -> None:
    if channel not in ("wecom", "dingtalk"):
        raise InvalidInput(gettext("未知渠道：{channel}", channel=channel[:16]), field="channel")
    handle = handle.strip()
    if len(handle) > 64 or any(ch.isspace() for ch in handle):
        raise InvalidInput(gettext("账号应为不含空格的64个字符以内"), field=f"{channel}_handle")
    row = session.get(ChatHandle, (user.id, channel))
    if not handle:
        if row is not None:
            session.delete(row)
        return
    row = row or ChatHandle(user_id=id_of(user), channel=channel, handle=handle)
    row.handle = handle
    session.add(row)


def handle_of(session: Session, user_id: int, channel: str) -> str | None:
    row = session.get(ChatHandle, (user_id, channel))
    return row.handle if row else None
