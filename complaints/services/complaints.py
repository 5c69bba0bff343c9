"""Registering, finding and listing complaint items."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import URL, Engine, bindparam, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from complaints.clock import to_local, to_storage, utcnow
from complaints.errors import ActionNotAllowed, InvalidInput, NotFound, validate
from complaints.i18n import gettext
from complaints.models import DETAILS_MAX, SUMMARY_MAX, Complaint, Event, TrackingCounter, User
from complaints.privacy import normalise_phone
from complaints.runtime import Runtime
from complaints.services import deadlines
from complaints.services.flows import registered
from complaints.services.guard import fire_or_refuse
from complaints.services.people import check_unit
from complaints.services.scope import can_see, reviews_filter, roles_of, visible_filter
from complaints.services.search import search_clause
from workflows.lifecycle import Action
from workflows.vocab import Channel, Kind, Status, Track, Urgency

XINFANG_CHANNELS = {Channel.LETTER, Channel.VISIT}
MAX_PAGE = 200


class ComplaintIn(BaseModel):
    """What an operator types (or an import supplies) to register an item."""

    model_config = {"extra": "forbid", "str_strip_whitespace": True}

    channel: Channel
    kind: Kind
    unit_code: str = Field(max_length=8)
    category: str | None = Field(default=None, max_length=32)
    summary: str = Field(min_length=2, max_length=SUMMARY_MAX)
    details: str = Field(default="", max_length=DETAILS_MAX)
    school: str | None = Field(default=None, max_length=100)
    urgency: Urgency = Urgency.NORMAL
    track: Track | None = None
    received_at: datetime | None = None
    complainant_name: str | None = Field(default=None, max_length=64)
    complainant_phone: str | None = Field(default=None, max_length=40)
    anonymous: bool = False
    confidential: bool = False
    sms_consent: bool | None = Field(
        default=None,
        description="texts to the complainant: false when they "
        "decline; a confidential reporter is texted only when true",
    )
    source: str | None = Field(default=None, max_length=32)
    external_ref: str | None = Field(default=None, max_length=100)

    @field_validator("summary", "details", "complainant_name", "school", mode="before")
    @classmethod
    def _no_control_chars(cls, value: str | None) -> str | None:
        if not isinstance(value, str):
            return value
        return "".join(ch for ch in value if ch in "\n\t" or ch.isprintable()).strip()


def parse_input(data: dict) -> ComplaintIn:
    """Validate raw input into ComplaintIn, or InvalidInput naming the first bad field."""
    return validate(ComplaintIn, data)


@cache
def _counter_statement(dialect: str):
    """The counter's upsert, built once per dialect (it runs for every registration)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(TrackingCounter).values(unit_code=bindparam("unit"), year=bindparam("year"), value=1)
    return statement.on_conflict_do_update(
        index_elements=["unit_code", "year"], set_={"value": TrackingCounter.value + 1}
    ).returning(TrackingCounter.value)


@cache
def _counter_engine(url: URL) -> Engine:
    """Connections that only ever take tracking numbers, each increment committed on its own.

    They commit without waiting for the disk (synchronous_commit off): the registration that uses the
    number commits durably afterwards, and PostgreSQL writes its log in order, so that commit also makes
    the increment durable. A crash in between loses only an increment whose number no saved item holds.
    """
    from complaints.db import make_engine

    return make_engine(
        url.render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
        pool_size=5,
        connect_args={"options": "-c synchronous_commit=off"},
    )


def next_tracking_no(*, session: Session, unit_code: str, year: int) -> str:
    """ATS-2026-000123: unit and year in it, unique, short enough to read over the phone."""
    connection = session.connection()  # straight on the connection: nothing pending needs flushing first
    statement = _counter_statement(connection.dialect.name)
    params = {"unit": unit_code, "year": year}
    if connection.dialect.name == "postgresql":
        # Taken in its own short transaction so concurrent registrations in one unit do not queue on the
        # counter row until each request commits; a rolled-back registration leaves a gap, never a duplicate.
        with _counter_engine(connection.engine.url).connect() as own:
            value = own.execute(statement, params).scalar_one()
    else:  # SQLite has one writer at a time anyway
        value = connection.execute(statement, params).scalar_one()
    return f"{unit_code}-{year}-{value:06d}"


def suggest_category(summary: str, runtime: Runtime, details: str = "") -> str:
    """The category whose keywords occur most (see services.routing.suggest_category)."""
    from complaints.services.routing import suggest_category as by_keywords

    return by_keywords(runtime=runtime, summary=summary, details=details)


def register(
    *, session: Session, runtime: Runtime, actor: User, data: ComplaintIn | dict, now: datetime | None = None
) -> Complaint:
    """Log a new item (受理/登记) with its deadlines and its first history event."""
    return register_with_event(session=session, runtime=runtime, actor=actor, data=data, now=now)[0]


def register_with_event(
    *, session: Session, runtime: Runtime, actor: User, data: ComplaintIn | dict, now: datetime | None = None
) -> tuple[Complaint, Event]:
    """register(), also handing back the first history event (so a caller need not read it back)."""
    data = parse_input(data) if isinstance(data, dict) else data
    settings, tz = runtime.settings, runtime.settings.app.timezone
    fire_or_refuse(None, Action.REGISTER, roles_of(actor), is_assignee=False)
    check_unit(settings, data.unit_code)
    category = data.category or suggest_category(data.summary, runtime, data.details)
    if category not in settings.category_map:
        valid = "、".join(f"{c.code}（{c.name}）" for c in settings.categories)
        raise InvalidInput(
            gettext("未知类别：{code}；可选：{valid}", code=category[:32], valid=valid), field="category"
        )
    now = now or utcnow()
    received = to_storage(data.received_at, tz) if data.received_at else now
    if received > now + timedelta(minutes=5):
        raise InvalidInput(gettext("收到时间不能晚于当前时间"), field="received_at")
    if received < now - timedelta(days=366):
        raise InvalidInput(gettext("收到时间不能早于一年前"), field="received_at")
    anonymous = data.anonymous or not (data.complainant_name or data.complainant_phone)
    item = Complaint(
        tracking_no=next_tracking_no(session=session, unit_code=data.unit_code, year=to_local(received, tz).year),
        unit_code=data.unit_code,
        channel=data.channel,
        kind=data.kind,
        track=data.track or (Track.XINFANG if data.channel in XINFANG_CHANNELS else Track.HOTLINE),
        urgency=data.urgency,
        category=category,
        school=data.school or None,
        received_at=received,
        registered_at=now,
        registered_by_id=actor.id,
        registered_unit_code=actor.unit_code,
        complainant_name=None if data.anonymous else (data.complainant_name or None),
        complainant_phone=None if data.anonymous else normalise_phone(data.complainant_phone),
        anonymous=anonymous,
        confidential=data.confidential or data.kind == Kind.REPORT,
        summary=data.summary,
        details=data.details,
        status=Status.REGISTERED,
        is_open=True,
        source=data.source,
        external_ref=data.external_ref,
        sms_consent=data.sms_consent,
    )
    deadlines.set_initial(item, runtime)
    session.add(item)
    event = Event(
        complaint=item,
        at=now,
        actor_id=actor.id,
        action=Action.REGISTER,
        to_status=Status.REGISTERED,
        note=None,
        changes={"category": category, "unit_code": item.unit_code},
    )
    session.add(event)
    registered(session=session, runtime=runtime, item=item, now=now)
    return item, event


def get(*, session: Session, runtime: Runtime, actor: User, ref: int | str) -> Complaint:
    """An item by id or tracking number, or NotFound when it does not exist or is not visible."""
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isascii() and ref.isdigit()):
        number = int(ref)  # ids are 32-bit: a larger number is no item (and could overflow the database's integer)
        item = session.get(Complaint, number) if 0 < number <= 2**31 - 1 else None
    else:
        item = session.exec(select(Complaint).where(Complaint.tracking_no == ref.strip().upper())).first()
    if item is None or not can_see(actor, item, runtime.settings):
        raise NotFound(gettext("找不到诉求件：{ref}", ref=str(ref)[:40]), field="complaint")
    return item


def history(*, session: Session, item: Complaint) -> list[Event]:
    """The item's events, oldest first."""
    if item.id is None:
        session.flush()
    return list(session.exec(select(Event).where(Event.complaint_id == item.id).order_by(Event.id)))


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
    "due": (Complaint.next_due_at.asc(), Complaint.id.asc()),
    "received": (Complaint.received_at.asc(), Complaint.id.asc()),
    "-received": (Complaint.received_at.desc(), Complaint.id.desc()),
    "tracking": (Complaint.tracking_no.asc(),),
    "-due": (Complaint.next_due_at.desc(), Complaint.id.desc()),
    "-tracking": (Complaint.tracking_no.desc(),),
    "status": (Complaint.status.asc(), Complaint.id.desc()),
    "category": (Complaint.category.asc(), Complaint.id.desc()),
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
    total = session.exec(select(func.count()).select_from(Complaint).where(*where)).one() if with_total else None
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
    items = list(session.exec(select(Complaint).where(Complaint.id.in_(ids)).order_by(*order))) if ids else []
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
        where.append(Complaint.school.like(f"%{_literal(filters.school[:100])}%", escape="\\"))
    if filters.open_only or filters.overdue or filters.due_soon:
        where.append(Complaint.is_open.is_(True))
    if filters.overdue:
        where.append(Complaint.next_due_at < now)
    if filters.due_soon:
        where.extend([Complaint.warn_at <= now, Complaint.next_due_at >= now])
    if filters.text:
        where.append(search_clause(actor, runtime.settings, filters.text, dialect=dialect))
    if filters.received_from:
        where.append(Complaint.received_at >= filters.received_from)
    if filters.received_to:
        where.append(Complaint.received_at < filters.received_to)
    return where


def ensure_version(item: Complaint, expected_version: int | None) -> None:
    """Refuse a write based on a stale read (the second of two people acting at once)."""
    from complaints.errors import Conflict

    if expected_version is not None and expected_version != item.version:
        raise Conflict(
            gettext(
                "该诉求件已被他人修改（当前版本 {current}，您的版本 {yours}），请刷新后重试",
                current=item.version,
                yours=expected_version,
            ),
            field="version",
            current_version=item.version,
        )


__all__ = [
    "ActionNotAllowed",
    "ComplaintIn",
    "ListFilter",
    "get",
    "history",
    "list_complaints",
    "register",
    "register_with_event",
]
