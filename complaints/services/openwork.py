"""The open work: how many items are open, overdue and due soon, in all or by unit, handler or category, for
the prefecture board, the workload table and the big lists' totals.

From the kept counts (complaints.statcounts: the open items by the day their deadline runs out) and the few
items whose state changed earlier today, read through their deadline indexes; from the items themselves
when the counts are not built. Read once per session for one viewer and moment (the board asks for five
groupings): the figures are remembered in `session.info` and forgotten at every flush, commit and rollback.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, event, func
from sqlalchemy.orm import Mapped
from sqlmodel import Session, col, select

from complaints import statcounts
from complaints.models import Complaint, StatCount, User
from complaints.runtime import Runtime
from complaints.services.scope import visible_filter
from complaints.services.stats import Today, group_value, kept, ordered, stat_column, today_of

WORKLOAD_GROUPS: dict[str, Mapped[Any]] = {
    "unit": col(Complaint.unit_code),
    "handler": col(Complaint.handler_id),
    "category": col(Complaint.category),
}


def query_workload(
    *, session: Session, runtime: Runtime, actor: User, by: str, unit_code: str | None, now: datetime
) -> list[tuple[object, int, int, int]]:
    """(group key, open, overdue, due soon) over the open items `actor` may see, counted from the items."""
    column = WORKLOAD_GROUPS[by]
    where = [visible_filter(actor, runtime.settings), col(Complaint.is_open).is_(True)]
    if unit_code:
        where.append(col(Complaint.unit_code) == unit_code)
    late = func.coalesce(func.sum(case((col(Complaint.next_due_at) < now, 1), else_=0)), 0)
    soon = func.coalesce(
        func.sum(case(((col(Complaint.warn_at) <= now) & (col(Complaint.next_due_at) >= now), 1), else_=0)), 0
    )
    query = select(column, func.count(), late, soon).where(*where).group_by(column).order_by(func.count().desc())
    return [tuple(row) for row in session.exec(query)]


def open_figures(
    *, session: Session, runtime: Runtime, actor: User, unit_code: str | None, now: datetime, by: str | None = None
) -> dict[object, tuple[int, int, int]] | None:
    """{group: (open, overdue, due soon)} over the open items `actor` may see (group None without `by`, else
    a WORKLOAD_GROUPS key), from the kept counts and the few items whose state changed earlier today (read
    once per session, `now` and scope: the board asks for five groupings); None when the counts are not built
    in the deployment's zone."""
    tz = runtime.settings.app.timezone
    if not kept(session, tz):
        return None
    memo = session.info.setdefault(OPEN_MEMO, {})
    key = (*_viewing(actor, unit_code, now), by)
    if key in memo:
        return memo[key]
    column = WORKLOAD_GROUPS[by] if by else None
    today = today_of(now, tz)
    who = statcounts.scope_of(actor, runtime.settings)
    grain, where = statcounts.open_grain(who, unit_code, by)
    found = statcounts.open_sums(session, grain=grain, where=where, today=today.day, by=stat_column(column))
    figures = {group_value(column, group): list(values) for group, values in found.items()}
    position = list(WORKLOAD_GROUPS).index(by) if by else None
    for groups, (late, soon) in _changed_today(session, runtime, actor, unit_code, now, today).items():
        group = None if position is None else group_value(column, groups[position])
        values = figures.setdefault(group, [0, 0, 0])
        values[1] += late
        values[2] += soon
    memo[key] = result = {group: tuple(values) for group, values in figures.items()}
    return result


OPEN_MEMO = "openwork.open_figures"  # session.info: forgotten at every flush, commit and rollback


def _viewing(actor: User, unit_code: str | None, now: datetime) -> tuple:
    """What the open figures depend on besides the grouping: who looks (their scope), at which unit, when."""
    return (actor.id, actor.unit_code, actor.roles, actor.active, unit_code, now)


@event.listens_for(Session, "before_flush")
@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _forget_open_figures(session: Session, *_) -> None:
    session.info.pop(OPEN_MEMO, None)


def _changed_today(
    session: Session, runtime: Runtime, actor: User, unit_code: str | None, now: datetime, today: Today
) -> dict[tuple, tuple[int, int]]:
    """{(unit, handler, category): (overdue, due soon)} of the open items the kept counts (by day) cannot
    place yet: those overdue since earlier today, and those due soon since earlier today or due later
    today. The second is two disjoint ranges rather than an OR, so that each is read through its own index
    (ix_complaint_open_warn, ix_complaint_open_due) instead of every open item's warning time."""
    memo = session.info.setdefault(OPEN_MEMO, {})
    key = ("changed today", *_viewing(actor, unit_code, now))
    if key in memo:
        return memo[key]
    scope = [visible_filter(actor, runtime.settings), col(Complaint.is_open).is_(True)]
    if unit_code:
        scope.append(col(Complaint.unit_code) == unit_code)
    due, warn = col(Complaint.next_due_at), col(Complaint.warn_at)
    late = [*scope, due >= today.start, due < now]
    soon_since_today = [*scope, warn >= today.start, warn <= now, due >= now]
    soon_due_today = [*scope, warn < today.start, due >= now, due < today.end]
    unit, handler, category = WORKLOAD_GROUPS["unit"], WORKLOAD_GROUPS["handler"], WORKLOAD_GROUPS["category"]
    out: dict[tuple, list[int]] = {}
    for index, where in ((0, late), (1, soon_since_today), (1, soon_due_today)):
        query = select(unit, handler, category, func.count()).where(*where).group_by(unit, handler, category)
        for *groups, n in session.exec(query).all():
            out.setdefault(tuple(groups), [0, 0])[index] += n
    memo[key] = result = {groups: (late_n, soon_n) for groups, (late_n, soon_n) in out.items()}
    return result


def workload(
    *, session: Session, runtime: Runtime, actor: User, by: str, unit_code: str | None, now: datetime
) -> list[tuple[object, int, int, int]]:
    """(group key, open, overdue, due soon) over the open items `actor` may see, largest first."""
    figures = open_figures(session=session, runtime=runtime, actor=actor, unit_code=unit_code, now=now, by=by)
    if figures is None:
        return query_workload(session=session, runtime=runtime, actor=actor, by=by, unit_code=unit_code, now=now)
    rows = [(group, *values) for group, values in figures.items() if values[0]]
    return sorted(rows, key=lambda row: (-row[1], str(row[0])))


def overdue_groups(
    *, session: Session, runtime: Runtime, actor: User, unit_code: str | None, now: datetime
) -> dict[str, list[tuple[object, int]]]:
    """The board's overdue items by unit, handler and category, largest first."""
    out: dict[str, list[tuple[object, int]]] = {}
    for name in ("unit", "handler", "category"):
        figures = open_figures(session=session, runtime=runtime, actor=actor, unit_code=unit_code, now=now, by=name)
        if figures is None:
            column = WORKLOAD_GROUPS[name]
            scope = [
                visible_filter(actor, runtime.settings),
                col(Complaint.is_open).is_(True),
                col(Complaint.next_due_at) < now,
            ]
            if unit_code:
                scope.append(col(Complaint.unit_code) == unit_code)
            query = select(column, func.count()).where(*scope).group_by(column).order_by(func.count().desc())
            out[name] = [(group, n) for group, n in session.exec(query).all()]
        else:
            out[name] = ordered({group: values[1] for group, values in figures.items()})
    return out


def kept_total(*, session: Session, runtime: Runtime, actor: User, filters, now: datetime) -> int | None:
    """A list's total from the kept counts, for the lists that would count a great many items (all of them,
    the open, overdue or due-soon ones, by unit or not); None for any other list."""

    others = (
        filters.text,
        filters.reviewed,
        filters.handler_id,
        filters.status,
        filters.category,
        filters.channel,
        filters.kind,
        filters.school,
        filters.received_from,
        filters.received_to,
    )
    if any(others) or (filters.overdue and filters.due_soon):
        return None
    unit = filters.unit_code or None
    if filters.overdue or filters.due_soon or filters.open_only:
        figures = open_figures(session=session, runtime=runtime, actor=actor, unit_code=unit, now=now)
        if figures is None:
            return None
        counted, late, soon = figures.get(None, (0, 0, 0))
        return late if filters.overdue else soon if filters.due_soon else counted
    if not kept(session, runtime.settings.app.timezone):
        return None
    grain, where = statcounts.grain_for(statcounts.scope_of(actor, runtime.settings), unit)
    if grain != "u":
        return None
    query = select(func.coalesce(func.sum(StatCount.n), 0)).where(
        StatCount.grain == "u", StatCount.measure == "rcv", *where
    )
    return int(session.exec(query).one())
