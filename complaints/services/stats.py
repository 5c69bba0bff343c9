"""The measures supervisors are judged by (北京 条例 Art 32 "三率") and the volumes behind them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, case, func
from sqlmodel import Session, select

from complaints.clock import to_local, to_storage
from complaints.models import Complaint, ComplaintLink, User
from complaints.runtime import Runtime
from complaints.services.scope import visible_filter


@dataclass
class Rate:
    numerator: int
    denominator: int

    @property
    def percent(self) -> float | None:
        return round(100 * self.numerator / self.denominator, 1) if self.denominator else None


@dataclass
class Dashboard:
    start: date
    end: date
    received: int = 0
    response: Rate = field(default_factory=lambda: Rate(0, 0))  # contacted within the limit ÷ dispatched
    resolution: Rate = field(default_factory=lambda: Rate(0, 0))  # solved ÷ called back
    satisfaction: Rate = field(default_factory=lambda: Rate(0, 0))  # (满意+基本满意) ÷ called back
    on_time: Rate = field(default_factory=lambda: Rate(0, 0))  # replied by the deadline ÷ closed
    repeat: Rate = field(default_factory=lambda: Rate(0, 0))  # repeats ÷ received
    overdue_now: int = 0
    by_day: list[tuple[date, int]] = field(default_factory=list)
    by_category: list[tuple[str, int]] = field(default_factory=list)
    by_unit: list[tuple[str, int]] = field(default_factory=list)
    overdue_by_handler: list[tuple[str, int]] = field(default_factory=list)


def _count(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def dashboard(*, session: Session, runtime: Runtime, actor: User, start: date, end: date,
              unit_code: str | None = None, now: datetime) -> Dashboard:
    """Measures over items received from `start` to `end` (inclusive) that `actor` may see."""
    tz = runtime.settings.app.timezone
    low = to_storage(datetime.combine(start, time.min), tz)
    high = to_storage(datetime.combine(end + timedelta(days=1), time.min), tz)
    scope = [visible_filter(actor, runtime.settings)]
    if unit_code:
        scope.append(Complaint.unit_code == unit_code)
    period = [*scope, Complaint.received_at >= low, Complaint.received_at < high]
    called_back = Complaint.satisfaction.is_not(None) & (Complaint.satisfaction != "unreachable")
    row = session.exec(select(
        func.count(),
        _count(Complaint.dispatched_at.is_not(None)),
        _count(and_(Complaint.accepted_at.is_not(None), Complaint.accepted_at <= Complaint.contact_due_at)),
        _count(called_back),
        _count(called_back & Complaint.callback_resolved.is_(True)),
        _count(called_back & Complaint.satisfaction.in_(("satisfied", "basically"))),
        _count(Complaint.status == "closed"),
        _count((Complaint.status == "closed") & (Complaint.replied_at <= Complaint.reply_due_at)),
    ).where(*period)).one()
    received, dispatched, responded, visited, resolved, satisfied, closed, on_time = row
    repeats = session.exec(select(func.count(func.distinct(ComplaintLink.complaint_id)))
                           .join(Complaint, Complaint.id == ComplaintLink.complaint_id)
                           .where(*period, ComplaintLink.kind == "repeat")).one()
    result = Dashboard(start=start, end=end, received=received, response=Rate(responded, dispatched),
                       resolution=Rate(resolved, visited), satisfaction=Rate(satisfied, visited),
                       on_time=Rate(on_time, closed), repeat=Rate(repeats, received))
    result.overdue_now = session.exec(select(func.count()).select_from(Complaint).where(
        *scope, Complaint.is_open.is_(True), Complaint.next_due_at < now)).one()
    result.by_day = _by_day(session, period, tz, start, end)
    result.by_category = [(runtime.settings.category_map[c].name if c in runtime.settings.category_map else c, n)
                          for c, n in _grouped(session, Complaint.category, period)]
    result.by_unit = [(runtime.settings.unit_map[u].name if u in runtime.settings.unit_map else u, n)
                      for u, n in _grouped(session, Complaint.unit_code, period)]
    result.overdue_by_handler = [(name or "—", n) for name, n in session.exec(
        select(User.name, func.count()).select_from(Complaint)
        .join(User, User.id == Complaint.handler_id, isouter=True)
        .where(*scope, Complaint.is_open.is_(True), Complaint.next_due_at < now)
        .group_by(User.name).order_by(func.count().desc()).limit(15))]
    return result


def _grouped(session: Session, column, where) -> list[tuple[str, int]]:
    return list(session.exec(select(column, func.count()).where(*where).group_by(column)
                             .order_by(func.count().desc())))


def _by_day(session: Session, where, tz: str, start: date, end: date) -> list[tuple[date, int]]:
    """Items per local day; grouped in Python over one column read, since day boundaries are local."""
    counts: dict[date, int] = {}
    for received in session.exec(select(Complaint.received_at).where(*where)):
        day = to_local(received, tz).date()
        counts[day] = counts.get(day, 0) + 1
    days = (end - start).days + 1
    return [(start + timedelta(days=i), counts.get(start + timedelta(days=i), 0)) for i in range(days)]


WORKLOAD_GROUPS = {"unit": Complaint.unit_code, "handler": Complaint.handler_id, "category": Complaint.category}


def workload(*, session: Session, runtime: Runtime, actor: User, by: str, unit_code: str | None,
             now: datetime) -> list[tuple[object, int, int, int]]:
    """(group key, open, overdue, due soon) over the open items `actor` may see, largest first."""
    column = WORKLOAD_GROUPS[by]
    where = [visible_filter(actor, runtime.settings), Complaint.is_open.is_(True)]
    if unit_code:
        where.append(Complaint.unit_code == unit_code)
    late = func.coalesce(func.sum(case((Complaint.next_due_at < now, 1), else_=0)), 0)
    soon = func.coalesce(func.sum(case(((Complaint.warn_at <= now) & (Complaint.next_due_at >= now), 1),
                                       else_=0)), 0)
    query = select(column, func.count(), late, soon).where(*where).group_by(column).order_by(func.count().desc())
    return [tuple(row) for row in session.exec(query)]
