"""Warn the admins before the working-day calendar runs out (next year's 调休 must be loaded first)."""

from __future__ import annotations

from datetime import datetime, time

from sqlmodel import Session, col, select

from complaints.clock import to_local, to_storage
from complaints.i18n import gettext
from complaints.jobs.registry import daily_at, job
from complaints.models import Notification, User
from complaints.runtime import Runtime
from complaints.services.routing import has_role
from complaints.tables import id_of


@job(
    "calendar_horizon",
    trigger=daily_at(lambda s: s.jobs.calendar_check_time),
    description="工作日历到期预警（提醒管理员录入下一年节假日与调休）",
)
def calendar_horizon(*, session: Session, runtime: Runtime, now: datetime) -> dict[str, int]:
    tz = runtime.settings.app.timezone
    today = to_local(now, tz).date()
    horizon = min(
        (runtime.clock_for(u.code).calendar.horizon() for u in runtime.settings.units),
        default=runtime.clock.calendar.horizon(),
    )  # the unit whose layers end first
    days_left = (horizon - today).days
    if days_left > runtime.settings.calendar.horizon_warning_days:
        return {"days_left": days_left, "notified": 0}
    start_of_day = to_storage(datetime.combine(today, time.min), tz)
    already = set(
        session.exec(
            select(col(Notification.user_id)).where(
                col(Notification.kind) == "calendar", col(Notification.created_at) >= start_of_day
            )
        ).all()
    )
    admins = session.exec(
        select(User).where(col(User.active).is_(True), has_role("admin")).order_by(col(User.id))
    ).all()
    subject = gettext("工作日历将于 {date} 到期", date=horizon.isoformat())
    body = gettext(
        "工作日历只知道 {date} 之前的工作日（还剩 {days} 天）。请在此之前录入 {year} 年的节假日和调休安排"
        "（国务院办公厅通知及自治区通知），否则之后的办理期限只能估算。",
        date=horizon.isoformat(),
        days=max(days_left, 0),
        year=horizon.year + 1,
    )
    notified = 0
    for admin in admins:
        if admin.id not in already:
            session.add(Notification(user_id=id_of(admin), kind="calendar", subject=subject, body=body, created_at=now))
            notified += 1
    session.flush()
    return {"days_left": days_left, "notified": notified}
