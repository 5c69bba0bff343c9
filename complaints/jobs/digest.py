"""每日汇总: per handler (their items) and per supervisor (their unit; the prefecture's see every unit):
new today, due soon, overdue, closed today. Kept as a Digest and sent through the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import ColumnElement, func, true
from sqlalchemy.orm import Mapped
from sqlmodel import Session, col, select

from complaints.clock import to_local, to_storage
from complaints.i18n import gettext
from complaints.jobs.registry import daily_at, job
from complaints.models import Complaint, Digest, Notification, User
from complaints.presenters import due_text, status_label
from complaints.runtime import Runtime
from complaints.services.routing import has_role
from complaints.services.scope import roles_of, sees_all_units
from complaints.tables import id_of
from workflows.vocab import Role, Status

C = Complaint
ROWS_SHOWN = 20


@dataclass
class Section:
    label: str
    total: int
    rows: list[list[str]]


@cache
def _environment() -> Environment:
    folder = Path(__file__).parent / "templates"
    return Environment(loader=FileSystemLoader(folder), autoescape=select_autoescape(["html"]))


@job(
    "daily_digest",
    trigger=daily_at(lambda s: s.jobs.digest_time),
    description="每日汇总：承办人与督办人当天新增、即将超期、已超期、已办结",
)
def daily_digest(*, session: Session, runtime: Runtime, now: datetime) -> dict[str, int]:
    day = to_local(now, runtime.settings.app.timezone).date()
    if not runtime.clock.calendar.is_workday(day):
        return {"skipped_non_workday": 1}
    done = set(session.exec(select(Digest.user_id).where(Digest.day == day)).all())
    people = session.exec(
        select(User)
        .where(col(User.active).is_(True), has_role("handler") | has_role("supervisor"))
        .order_by(col(User.id))
    ).all()
    counts = {"digests": 0, "empty": 0, "already": 0}
    for person in people:
        if person.id in done:
            counts["already"] += 1
        elif make_digest(session=session, runtime=runtime, user=person, day=day, now=now) is None:
            counts["empty"] += 1
        else:
            counts["digests"] += 1
    session.flush()
    return counts


def make_digest(*, session: Session, runtime: Runtime, user: User, day: date, now: datetime) -> Digest | None:
    """The person's digest for `day`, stored and queued for sending; None when there is nothing to say."""
    sections = digest_sections(session=session, runtime=runtime, user=user, day=day, now=now)
    if not any(section.total for section in sections):
        return None
    html = render_digest(runtime=runtime, user=user, day=day, sections=sections)
    digest = Digest(user_id=id_of(user), day=day, html=html, created_at=now)
    session.add(digest)
    session.add(Notification(user_id=id_of(user), kind="digest", subject=_title(day), body=html, created_at=now))
    return digest


def _scope(user: User, runtime: Runtime) -> tuple[ColumnElement[bool], Mapped[datetime] | Mapped[datetime | None]]:
    """Which items the digest covers, and what "new today" is counted from."""
    if Role.SUPERVISOR in roles_of(user):
        unit = true() if sees_all_units(user, runtime.settings) else col(C.unit_code) == user.unit_code
        return unit, col(C.registered_at)
    return col(C.handler_id) == user.id, col(C.dispatched_at)


def digest_sections(*, session: Session, runtime: Runtime, user: User, day: date, now: datetime) -> list[Section]:
    tz = runtime.settings.app.timezone
    start = to_storage(datetime.combine(day, time.min), tz)
    end = start + timedelta(days=1)
    scope, arrived = _scope(user, runtime)
    is_open = col(C.is_open).is_(True)
    wanted = [
        (gettext("今日新增"), [arrived >= start, arrived < end], C.id),
        (gettext("即将超期"), [is_open, col(C.warn_at) <= now, col(C.next_due_at) > now], col(C.next_due_at)),
        (gettext("已超期"), [is_open, col(C.next_due_at) <= now], col(C.next_due_at)),
        (
            gettext("今日办结"),
            [col(C.closed_at) >= start, col(C.closed_at) < end, col(C.status) == Status.CLOSED],
            col(C.closed_at),
        ),
    ]
    return [_section(session, runtime, label, [scope, *where], order) for label, where, order in wanted]


def _section(session: Session, runtime: Runtime, label: str, where: list, order) -> Section:
    tz = runtime.settings.app.timezone
    total = session.exec(select(func.count()).select_from(C).where(*where)).one()
    items = session.exec(select(C).where(*where).order_by(order, col(C.id)).limit(ROWS_SHOWN)).all() if total else []
    rows = [
        [item.tracking_no, item.unit_code, item.summary[:40], status_label(item.status), due_text(item.next_due_at, tz)]
        for item in items
    ]
    return Section(label=label, total=total, rows=rows)


def _title(day: date) -> str:
    return gettext("每日汇总 {date}", date=day.isoformat())


def render_digest(*, runtime: Runtime, user: User, day: date, sections: list[Section]) -> str:
    return (
        _environment()
        .get_template("digest.html")
        .render(
            title=_title(day),
            greeting=gettext("{name}，您好！以下是今天的诉求办理情况：", name=user.name),
            sections=sections,
            headings=[gettext("受理编号"), gettext("单位"), gettext("摘要"), gettext("状态"), gettext("当前期限")],
            more_text=gettext("另有 {n} 件未列出，请登录系统查看。"),
            footer=gettext("本邮件由{app}自动发送。", app=runtime.settings.app.name),
        )
    )
