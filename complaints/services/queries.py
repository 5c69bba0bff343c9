"""Finding items: one by id or tracking number, a page of a list (with its filters, sorting and search), an
item's history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import UnaryExpression, func
from sqlalchemy import select as sa_select
from sqlalchemy.sql import operators
from sqlmodel import Session, col, select

from complaints.clock import utcnow
from complaints.errors import InvalidInput, NotFound
from complaints.i18n import gettext
from complaints.models import Complaint, Event, User
from complaints.runtime import Runtime
from complaints.services.openwork import kept_total  # the big lists' totals are kept counts
from complaints.services.scope import can_see, reviews_filter, visible_filter
from complaints.services.search import search_clause
from workflows.vocab import Channel, Kind, Status

MAX_PAGE = 200


def get(*, session: Session, runtime: Runtime, actor: User, ref: int | str) -> Complaint:
    """An item by id or tracking number, or NotFound when it does not exist or is not visible."""
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isascii() and ref.isdigit()):
        number = int(ref)  # ids are 32-bit: a larger number is no item (and could overflow the database's integer)
        item = session.get(Complaint, number) if 0 < number <= 2**31 - 1 else None
    else:
        item = session.exec(select(Complaint).where(col(Complaint.tracking_no) == ref.strip().upper())).first()
    if item is None or not can_see(actor, item, runtime.settings):
        raise NotFound(gettext("找不到诉求件：{ref}", ref=str(ref)[:40]), field="complaint")
    return item


def history(*, session: Session, item: Complaint) -> list[Event]:
    """The item's events, oldest first."""
    if item.id is None:
        session.flush()
    return list(session.exec(select(Event).where(col(Event.complaint_id) == item.id).order_by(col(Event.id))))


@dataclass
class ListFilter:
    unit_code: str | None = None
    handler_id: int | None = None
    status: str | None = None
    category: str | None = None
    overdue: bool = False
    due_soon: bool = False
    open_only: bool = False
    reviewed: bool = False  # 信访 复查 only (a county sees those of its own handling)
    text: str | None = None
    channel: str | None = None
    kind: str | None = None
    school: str | None = None  # part of the school's name
    received_from: datetime | None = None
    received_to: datetime | None = None
    sort: str = "due"  # a key of SORTS
    offset: int = 0
    limit: int = 50


SORTS: dict[str, tuple[UnaryExpression[Any], ...]] = {
    "due": (col(Complaint.next_due_at).asc(), col(Complaint.id).asc()),
    "received": (col(Complaint.received_at).asc(), col(Complaint.id).asc()),
    "-received": (col(Complaint.received_at).desc(), col(Complaint.id).desc()),
    "tracking": (col(Complaint.tracking_no).asc(),),
    "-due": (col(Complaint.next_due_at).desc(), col(Complaint.id).desc()),
    "-tracking": (col(Complaint.tracking_no).desc(),),
    "status": (col(Complaint.status).asc(), col(Complaint.id).desc()),
    "category": (col(Complaint.category).asc(), col(Complaint.id).desc()),
}


COUNT_CAP = 1000  # a search counts its matches up to here (and at least a page past the one shown): "1,000+"
WALKED = frozenset({"received", "-received"})  # orders an index gives (ix_complaint_received)
# PostgreSQL: a search sorts and counts up to this many matches; beyond, in received order, it takes its page
# from the matches received in windows at the list's end, in turn
SORTED_AT_MOST = 20_000
RECENT_WINDOWS = (timedelta(days=31), timedelta(days=183), timedelta(days=731))


class Count(int):
    """A number of items. `exact` is False when a search stopped counting at a cap: there are more."""

    exact: bool

    def __new__(cls, value: int, *, exact: bool = True) -> Count:
        count = super().__new__(cls, value)
        count.exact = exact
        return count


def _sort_key(clause: UnaryExpression[Any]) -> str:
    """The column name a SORTS clause orders by."""
    key = clause.element.key
    if key is None:
        raise RuntimeError(f"{clause} orders by no named column")
    return key


def list_complaints(
    *,
    session: Session,
    runtime: Runtime,
    actor: User,
    filters: ListFilter,
    now: datetime | None = None,
    with_total: bool = True,
) -> tuple[list[Complaint], int | None]:
    """One page of the items `actor` may see, with the total count."""
    now = now or utcnow()
    if not 1 <= filters.limit <= MAX_PAGE or filters.offset < 0:
        raise InvalidInput(gettext("每页条数应为 1–{max}", max=MAX_PAGE), field="limit")
    if filters.sort not in SORTS:
        raise InvalidInput(
            gettext("未知排序：{sort}；可选：{valid}", sort=str(filters.sort)[:32], valid=", ".join(SORTS)),
            field="sort",
        )
    where = list_where(filters, actor=actor, runtime=runtime, now=now, dialect=session.get_bind().dialect.name)
    if filters.text:
        return _search_page(session, runtime, actor, filters, where, now, with_total)
    query = select(Complaint).where(*where).order_by(*SORTS[filters.sort]).offset(filters.offset).limit(filters.limit)
    items = list(session.exec(query))
    if not with_total:
        return items, None
    total = kept_total(session=session, runtime=runtime, actor=actor, filters=filters, now=now)
    if total is None:
        total = session.exec(select(func.count()).select_from(Complaint).where(*where)).one()
    return items, total


def _search_page(session: Session, runtime: Runtime, actor: User, filters: ListFilter, where: list, now, with_total):
    """A search's page and its count on SQLite (PostgreSQL: _search_page_counting_all). The matches the user may
    see are taken up to COUNT_CAP of them (at least one page past the one asked for), in the text index's own
    order, then sorted and counted: when that is all
    of them, the page and an exact count come from them. Otherwise the count says "more than the cap" and the
    page is read by walking the list's order and keeping the matches (a few thousand rows at most) rather
    than by sorting every match."""
    order = SORTS[filters.sort]
    if session.get_bind().dialect.name == "postgresql":
        return _search_page_counting_all(session, where, filters, with_total)
    cap = max(COUNT_CAP, filters.offset + filters.limit)
    found = (
        sa_select(col(Complaint.id), *{c.element for c in order if c.element.key != "id"})
        .where(*where)
        .limit(cap + 1)
        .subquery()
    )
    first = [getattr(found.c, _sort_key(c)) for c in order]
    sort = [f.desc() if c.modifier is operators.desc_op else f.asc() for f, c in zip(first, order, strict=True)]
    rows = session.execute(
        sa_select(found.c.id, func.count().over()).order_by(*sort).offset(filters.offset).limit(filters.limit)
    ).all()
    counted = rows[0][1] if rows else session.execute(sa_select(func.count()).select_from(found)).scalar_one()
    many = counted > cap
    if many:
        if filters.sort in WALKED:
            dialect = session.get_bind().dialect.name
            where = list_where(filters, actor=actor, runtime=runtime, now=now, dialect=dialect, walk=True)
        query = select(Complaint.id).where(*where).order_by(*order).offset(filters.offset).limit(filters.limit)
        ids = list(session.exec(query))
    else:
        ids = [row[0] for row in rows]
    items = list(session.exec(select(Complaint).where(col(Complaint.id).in_(ids)).order_by(*order))) if ids else []
    if not with_total:
        return items, None
    return items, Count(cap, exact=False) if many else Count(counted)


def _search_page_counting_all(session: Session, where: list, filters: ListFilter, with_total: bool):
    """PostgreSQL: the matches found through the GIN index (a MATERIALIZED CTE, so that the planner never walks
    a sort index over the whole table instead: each row walked would have its keys built again), up to
    SORTED_AT_MOST of them sorted by their keys alone and counted exactly on the way, then only the page's
    rows read whole.

    A word matching more than that (a common word over years of items) is not sorted whole to show its
    newest 50: in received order (the search box's) the page is taken from the matches received in the
    last month at the list's end (the GIN index and the received index together), the window widened
    (RECENT_WINDOWS) only when the page lies beyond it, and the count says "more than COUNT_CAP", as on
    SQLite. Other orders sort every match, counted exactly."""
    order = SORTS[filters.sort]
    received = col(Complaint.received_at)
    newest = filters.sort == "-received"

    def page(bound: list, limit: int | None) -> list[tuple[Any, int]]:
        matches = sa_select(col(Complaint.id), *{c.element for c in order if c.element.key != "id"}).where(
            *where, *bound
        )
        found = (matches if limit is None else matches.limit(limit)).cte("matches").prefix_with("MATERIALIZED")
        first = [getattr(found.c, _sort_key(c)) for c in order]
        sort = [f.desc() if c.modifier is operators.desc_op else f.asc() for f, c in zip(first, order, strict=True)]
        query = sa_select(found.c.id, func.count().over()).order_by(*sort).offset(filters.offset).limit(filters.limit)
        rows: list[tuple[Any, int]] = [(row[0], row[1]) for row in session.execute(query)]
        if not rows and filters.offset:  # a page past the end: the number of matches all the same
            rows = [(None, session.execute(sa_select(func.count()).select_from(found)).scalar_one())]
        return rows

    many = False
    if filters.sort not in WALKED:
        rows = page([], None)
    else:
        most = max(SORTED_AT_MOST, filters.offset + filters.limit)
        rows = page([], most + 1)
        many = bool(rows) and rows[0][1] > most
    if many:
        edge = session.execute(sa_select(func.max(received) if newest else func.min(received))).scalar_one()
        for width in (*RECENT_WINDOWS, None):
            bound = [] if width is None else [received >= edge - width] if newest else [received <= edge + width]
            rows = page(bound, None)
            if width is None or (rows and rows[0][1] >= filters.offset + filters.limit):
                break
    ids = [row[0] for row in rows if row[0] is not None]
    items = list(session.exec(select(Complaint).where(col(Complaint.id).in_(ids)).order_by(*order))) if ids else []
    if not with_total:
        return items, None
    if many:
        return items, Count(max(COUNT_CAP, filters.offset + filters.limit), exact=False)
    return items, Count(rows[0][1] if rows else 0)


def _literal(text: str) -> str:
    """`text` for LIKE, matched literally: %, _ and the escape character itself are escaped."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_where(
    filters: ListFilter, *, actor: User, runtime: Runtime, now: datetime, dialect: str, walk: bool = False
) -> list:
    """The WHERE clauses of a list: the search (first: see services.search), the actor's scope and each
    filter given (`walk`: services.search)."""
    where = [search_clause(actor, runtime.settings, filters.text, dialect=dialect, walk=walk)] if filters.text else []
    where += [
        reviews_filter(actor, runtime.settings)
        if filters.reviewed
        else visible_filter(actor, runtime.settings, following=bool(filters.text))
    ]
    equal = (
        (col(Complaint.unit_code), filters.unit_code),
        (col(Complaint.handler_id), filters.handler_id),
        (col(Complaint.status), filters.status and Status(filters.status)),
        (col(Complaint.category), filters.category),
        (col(Complaint.channel), filters.channel and Channel(filters.channel)),
        (col(Complaint.kind), filters.kind and Kind(filters.kind)),
    )
    where.extend(column == value for column, value in equal if value is not None and value != "")
    if filters.school:
        where.append(col(Complaint.school).like(f"%{_literal(filters.school[:100])}%", escape="\\"))
    if filters.open_only or filters.overdue or filters.due_soon:
        where.append(col(Complaint.is_open).is_(True))
    if filters.overdue:
        where.append(col(Complaint.next_due_at) < now)
    if filters.due_soon:
        where.extend([col(Complaint.warn_at) <= now, col(Complaint.next_due_at) >= now])
    if filters.received_from:
        where.append(col(Complaint.received_at) >= filters.received_from)
    if filters.received_to:
        where.append(col(Complaint.received_at) < filters.received_to)
    return where
