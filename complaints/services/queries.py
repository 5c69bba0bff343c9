"""Finding items: one by id or tracking number, a page of a list (with its filters, sorting and search), an
item's history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from complaints.clock import utcnow
from complaints.errors import InvalidInput, NotFound
from complaints.i18n import gettext
from complaints.models import Complaint, Event, User
from complaints.runtime import Runtime
from complaints.services.scope import can_see, reviews_filter, visible_filter
from complaints.services.search import search_clause
from complaints.services.stats import kept_total  # the big lists' totals are kept counts
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


SORTS = {
    "due": (col(Complaint.next_due_at).asc(), col(Complaint.id).asc()),
    "received": (col(Complaint.received_at).asc(), col(Complaint.id).asc()),
    "-received": (col(Complaint.received_at).desc(), col(Complaint.id).desc()),
    "tracking": (col(Complaint.tracking_no).asc(),),
    "-due": (col(Complaint.next_due_at).desc(), col(Complaint.id).desc()),
    "-tracking": (col(Complaint.tracking_no).desc(),),
    "status": (col(Complaint.status).asc(), col(Complaint.id).desc()),
    "category": (col(Complaint.category).asc(), col(Complaint.id).desc()),
}


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
        return _search_page(session, where, filters, with_total)
    query = select(Complaint).where(*where).order_by(*SORTS[filters.sort]).offset(filters.offset).limit(filters.limit)
    items = list(session.exec(query))
    if not with_total:
        return items, None
    total = kept_total(session=session, runtime=runtime, actor=actor, filters=filters, now=now)
    if total is None:
        total = session.exec(select(func.count()).select_from(Complaint).where(*where)).one()
    return items, total


def _search_page(session: Session, where: list, filters: ListFilter, with_total: bool):
    """A search's page and total in one pass over its matches (found through the text index): the matches are
    sorted by their keys alone and counted on the way, then only the page's rows are read whole."""
    order = SORTS[filters.sort]
    rows = session.exec(
        select(Complaint.id, func.count().over())
        .where(*where)
        .order_by(*order)
        .offset(filters.offset)
        .limit(filters.limit)
    ).all()
    ids = [row[0] for row in rows]
    items = list(session.exec(select(Complaint).where(col(Complaint.id).in_(ids)).order_by(*order))) if ids else []
    if not with_total:
        return items, None
    if rows:
        return items, rows[0][1]
    return items, session.exec(select(func.count()).select_from(Complaint).where(*where)).one()


def _literal(text: str) -> str:
    """`text` for LIKE, matched literally: %, _ and the escape character itself are escaped."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_where(filters: ListFilter, *, actor: User, runtime: Runtime, now: datetime, dialect: str) -> list:
    """The WHERE clauses of a list: the actor's scope and each filter given."""
    where = [
        reviews_filter(actor, runtime.settings)
        if filters.reviewed
        else visible_filter(actor, runtime.settings, following=bool(filters.text))
    ]
    equal = (
        (Complaint.unit_code, filters.unit_code),
        (Complaint.handler_id, filters.handler_id),
        (Complaint.status, filters.status and Status(filters.status)),
        (Complaint.category, filters.category),
        (Complaint.channel, filters.channel and Channel(filters.channel)),
        (Complaint.kind, filters.kind and Kind(filters.kind)),
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
    if filters.text:
        where.append(search_clause(actor, runtime.settings, filters.text, dialect=dialect))
    if filters.received_from:
        where.append(col(Complaint.received_at) >= filters.received_from)
    if filters.received_to:
        where.append(col(Complaint.received_at) < filters.received_to)
    return where
