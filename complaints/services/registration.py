"""Registering items, the one way in for the form, the API, the CLI, the import and the platforms: the input,
its checks, one builder of the row and of its first event, the tracking numbers. `register` stores one item
through the ORM; `register_many` stores checked rows of an export with executemany (a row through the ORM
costs ~0.5 ms), from the same builders."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import URL, Engine, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from complaints import statcounts
from complaints.clock import to_local, to_storage, utcnow
from complaints.db import make_engine
from complaints.errors import InvalidInput, validate
from complaints.i18n import gettext
from complaints.models import DETAILS_MAX, SUMMARY_MAX, Complaint, Event, TrackingCounter, User, lifecycle_write
from complaints.privacy import normalise_phone
from complaints.runtime import Runtime
from complaints.searchkeys import row_keys
from complaints.services import deadlines
from complaints.services.categories import check_category, suggest_category
from complaints.services.flows import registered
from complaints.services.guard import fire_or_refuse
from complaints.services.people import check_unit
from complaints.services.scope import roles_of
from complaints.tables import table_of
from workflows.events import EventKind
from workflows.lifecycle import Action
from workflows.vocab import Channel, Kind, Status, Track, Urgency

XINFANG_CHANNELS = {Channel.LETTER, Channel.VISIT}
DEADLINE_FIELDS = (
    "ack_due_at",
    "contact_due_at",
    "reply_due_at",
    "supervise_due_at",
    "next_due_at",
    "warn_at",
    "due_provisional",
    "reply_period_end",
)


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
        if value.replace("\n", "").replace("\t", "").isprintable():  # the usual case, checked in C
            return value.strip()
        return "".join(ch for ch in value if ch in "\n\t" or ch.isprintable()).strip()


def parse_input(data: dict) -> ComplaintIn:
    """Validate raw input into ComplaintIn, or InvalidInput naming the first bad field."""
    return validate(ComplaintIn, data)


def check(data: ComplaintIn, runtime: Runtime, now: datetime) -> None:
    """What registration refuses of valid input: an unknown unit or category, a phone that is no phone, a
    received time in the future or more than a year ago (the import checks each row with it before writing)."""
    settings = runtime.settings
    check_unit(settings, data.unit_code)
    if data.category:
        check_category(settings, data.category)
    if not data.anonymous:
        normalise_phone(data.complainant_phone)
    received = to_storage(data.received_at, settings.app.timezone) if data.received_at else now
    if received > now + timedelta(minutes=5):
        raise InvalidInput(gettext("收到时间不能晚于当前时间"), field="received_at")
    if received < now - timedelta(days=366):
        raise InvalidInput(gettext("收到时间不能早于一年前"), field="received_at")


@dataclass
class _Draft:
    """What deadlines.set_initial reads and writes, without an ORM object."""

    received_at: datetime
    track: str
    kind: str
    channel: str
    category: str
    urgency: str
    unit_code: str | None = None
    status: str = Status.REGISTERED
    ack_due_at: datetime | None = None
    contact_due_at: datetime | None = None
    reply_due_at: datetime | None = None
    supervise_due_at: datetime | None = None
    next_due_at: datetime | None = None
    warn_at: datetime | None = None
    due_provisional: bool = False
    reply_period_end: date | None = None


def item_values(data: ComplaintIn, *, runtime: Runtime, actor: User, status: Status, now: datetime) -> dict[str, Any]:
    """The columns of a new item from checked input (all but its tracking number): the one row builder."""
    tz = runtime.settings.app.timezone
    category = data.category or suggest_category(runtime.settings, data.summary, data.details)
    received = to_storage(data.received_at, tz) if data.received_at else now
    track = data.track or (Track.XINFANG if data.channel in XINFANG_CHANNELS else Track.HOTLINE)
    draft = _Draft(
        received_at=received,
        track=track,
        kind=data.kind,
        channel=data.channel,
        category=category,
        urgency=data.urgency,
        unit_code=data.unit_code,
        status=status,
    )
    deadlines.set_initial(draft, runtime)
    return {
        "unit_code": data.unit_code,
        "channel": data.channel,
        "kind": data.kind,
        "track": track,
        "urgency": data.urgency,
        "category": category,
        "school": data.school or None,
        "received_at": received,
        "registered_at": now,
        "registered_by_id": actor.id,
        "registered_unit_code": actor.unit_code,
        "complainant_name": None if data.anonymous else (data.complainant_name or None),
        "complainant_phone": None if data.anonymous else normalise_phone(data.complainant_phone),
        "anonymous": data.anonymous or not (data.complainant_name or data.complainant_phone),
        "confidential": data.confidential or data.kind == Kind.REPORT,
        "summary": data.summary,
        "details": data.details,
        "status": status,
        "is_open": True,
        "source": data.source,
        "external_ref": data.external_ref,
        "sms_consent": data.sms_consent,
        **{name: getattr(draft, name) for name in DEADLINE_FIELDS},
    }


def first_event(values: dict[str, Any]) -> dict[str, Any]:
    """The values of a new item's first history event: by whoever registered it, when they did."""
    return {
        "at": values["registered_at"],
        "actor_id": values["registered_by_id"],
        "action": EventKind.REGISTER,
        "to_status": values["status"],
        "note": None,
        "changes": {"category": values["category"], "unit_code": values["unit_code"]},
    }


@cache
def _counter_statement(dialect: str):
    """The counter's upsert, built once per dialect (it runs for every registration)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(TrackingCounter).values(
        unit_code=bindparam("unit"), year=bindparam("year"), value=bindparam("count")
    )
    return statement.on_conflict_do_update(
        index_elements=["unit_code", "year"], set_={"value": col(TrackingCounter.value) + bindparam("count")}
    ).returning(col(TrackingCounter.value))


@cache
def _counter_engine(url: URL) -> Engine:
    """Connections that only ever take tracking numbers, each increment committed on its own.

    They commit without waiting for the disk (synchronous_commit off): the registration that uses the
    number commits durably afterwards, and PostgreSQL writes its log in order, so that commit also makes
    the increment durable. A crash in between loses only an increment whose number no saved item holds.
    """
    return make_engine(
        url.render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
        pool_size=5,
        connect_args={"options": "-c synchronous_commit=off"},
    )


def tracking_numbers(*, session: Session, unit_code: str, year: int, count: int = 1, apart: bool = True) -> list[str]:
    """`count` consecutive numbers like ATS-2026-000123 (unit and year in it, unique, short enough to read over
    the phone), from one upsert of the unit's counter for the year.

    `apart`: on PostgreSQL the increment is committed in its own short transaction, so concurrent registrations
    in one unit do not queue on the counter row until each request commits (a rolled-back registration leaves
    a gap, never a duplicate). An import takes its numbers in its own transaction instead: it holds the
    imports' write turn anyway, and a failed import gives its numbers back."""
    connection = session.connection()  # straight on the connection: nothing pending needs flushing first
    statement = _counter_statement(connection.dialect.name)
    params = {"unit": unit_code, "year": year, "count": count}
    if apart and connection.dialect.name == "postgresql":
        with _counter_engine(connection.engine.url).connect() as own:
            last = own.execute(statement, params).scalar_one()
    else:  # SQLite has one writer at a time anyway
        last = connection.execute(statement, params).scalar_one()
    return [f"{unit_code}-{year}-{value:06d}" for value in range(last - count + 1, last + 1)]


def register(
    *, session: Session, runtime: Runtime, actor: User, data: ComplaintIn | dict, now: datetime | None = None
) -> Complaint:
    """Log a new item (受理/登记) with its deadlines and its first history event."""
    return register_with_event(session=session, runtime=runtime, actor=actor, data=data, now=now)[0]


def register_with_event(
    *, session: Session, runtime: Runtime, actor: User, data: ComplaintIn | dict, now: datetime | None = None
) -> tuple[Complaint, Event]:
    """register(), also handing back the first history event (so a caller need not read it back)."""
    values = prepare(runtime=runtime, actor=actor, data=data, now=now)
    now = values["registered_at"]
    year = to_local(values["received_at"], runtime.settings.app.timezone).year
    (number,) = tracking_numbers(session=session, unit_code=values["unit_code"], year=year)
    with lifecycle_write():
        item = Complaint(tracking_no=number, **{name: value for name, value in values.items() if name not in ROW_ONLY})
    session.add(item)
    event = Event(complaint=item, **first_event(values))
    session.add(event)
    registered(session=session, runtime=runtime, item=item, now=now)
    return item, event


def prepare(*, runtime: Runtime, actor: User, data: ComplaintIn | dict, now: datetime | None = None) -> dict[str, Any]:
    """Everything a registration decides before it writes, without the database: the actor may register, the
    input is valid and checked, the row's values (deadlines and search keys included; the tracking number is
    given when it is written, by `store`). InvalidInput, Forbidden or ActionNotAllowed if not."""
    data = parse_input(data) if isinstance(data, dict) else data
    status = fire_or_refuse(None, Action.REGISTER, roles_of(actor), is_assignee=False)
    assert status is not None  # registering always leads to a status
    now = now or utcnow()
    check(data, runtime, now)
    values = _row(data, runtime=runtime, actor=actor, status=status, now=now)
    check_category(runtime.settings, values["category"])
    return values


def _number(rows: list[dict], *, session: Session, runtime: Runtime, apart: bool) -> None:
    """Give each row its tracking number, by unit and year of receipt, in the order of the file."""
    groups: dict[tuple[str, int], list[dict]] = defaultdict(list)
    for row in rows:
        groups[(row["unit_code"], to_local(row["received_at"], runtime.settings.app.timezone).year)].append(row)
    for (unit_code, year), members in groups.items():
        numbers = tracking_numbers(session=session, unit_code=unit_code, year=year, count=len(members), apart=apart)
        for row, number in zip(members, numbers, strict=True):
            row["tracking_no"] = number


# what `_row` adds to item_values for an insert without the ORM (the ORM fills these in itself)
ROW_ONLY = frozenset(
    {
        "handling_notes",
        "result_text",
        "remarks",
        "extension_count",
        "version",
        "updated_at",
        "search_text",
        "search_who",
    }
)


def _row(data: dict | ComplaintIn, *, runtime: Runtime, actor: User, status: Status, now: datetime) -> dict[str, Any]:
    """A checked row's values as inserted without the ORM: the columns the ORM would fill in, and the
    search keys (which the ORM's flush hook would add). `data` may be already parsed."""
    parsed = data if isinstance(data, ComplaintIn) else parse_input(data)
    values = item_values(parsed, runtime=runtime, actor=actor, status=status, now=now)
    values |= {"handling_notes": "", "result_text": "", "remarks": "", "extension_count": 0, "version": 1}
    values["updated_at"] = now
    return values | row_keys(values)


def prepare_many(
    *, runtime: Runtime, actor: User, rows: list[dict] | list[ComplaintIn], now: datetime
) -> list[dict[str, Any]]:
    """The values `register_many` inserts for rows checked with `check`, built without the database (an import
    builds the next batch while the last one is written). Tracking numbers are given when they are written."""
    status = fire_or_refuse(None, Action.REGISTER, roles_of(actor), is_assignee=False)
    assert status is not None
    return [_row(data, runtime=runtime, actor=actor, status=status, now=now) for data in rows]


def register_many(
    *,
    session: Session,
    runtime: Runtime,
    actor: User,
    rows: list[dict],
    now: datetime,
    parsed: list[ComplaintIn] | None = None,
    prepared: list[dict[str, Any]] | None = None,
) -> int:
    """Register rows checked with `check` (an import's, a platform's), with their first events; flushes nothing
    through the ORM, commits nothing. A row whose (source, external reference) another transaction stored
    meanwhile is skipped, not an error; returns how many were stored. `parsed`, when given, is `rows` already
    parsed (the import's check parsed them), in the same order; `prepared`, their values from `prepare_many`."""
    if not rows:
        return 0
    values = (
        prepared if prepared is not None else prepare_many(runtime=runtime, actor=actor, rows=parsed or rows, now=now)
    )
    return sum(1 for stored in store(session=session, runtime=runtime, rows=values, apart=False) if stored is not None)


def store(*, session: Session, runtime: Runtime, rows: list[dict[str, Any]], apart: bool) -> list[int | None]:
    """Write rows built by `prepare` or `prepare_many` (by one actor or several) with their tracking numbers and
    first events, flushing nothing through the ORM and committing nothing; the id of each row, in order, or None
    for a row skipped because its (source, external reference) is stored already (ON CONFLICT DO NOTHING; its
    tracking number stays unused). `apart`: the numbers are taken as `tracking_numbers` says.

    Many rows cost little more than one: the driver's executemany, no ORM object built (one costs ~0.5 ms);
    the kept counts and search keys that the ORM's flush hooks would keep are kept here (statcounts, `_row`)."""
    if not rows:
        return []
    session.flush()
    _number(rows, session=session, runtime=runtime, apart=apart)
    connection = session.connection()
    # through the driver, many rows at once, without RETURNING (on SQLite, RETURNING in parameter order is one
    # statement per row); the ids are read back by the tracking numbers
    _insert_through_driver(connection, table_of(Complaint), rows, on_conflict="(source, external_ref) DO NOTHING")
    stored = _stored(connection, rows)
    if stored:
        events = [{"complaint_id": complaint_id, **first_event(row)} for complaint_id, row in stored]
        _insert_through_driver(connection, table_of(Event), events)
        statcounts.count_inserted(session, [row | {"id": complaint_id} for complaint_id, row in stored])
        settings = runtime.settings
        # what registered() does with an item: a text when SMS is on (our own intake's), webhooks when they are
        if settings.webhooks.enabled or (settings.sms.enabled and any(row["source"] is None for _, row in stored)):
            ids = [complaint_id for complaint_id, _ in stored]
            for item in session.exec(select(Complaint).where(col(Complaint.id).in_(ids))):
                registered(session=session, runtime=runtime, item=item, now=item.registered_at)
    ids_by_number = {row["tracking_no"]: complaint_id for complaint_id, row in stored}
    return [ids_by_number.get(row["tracking_no"]) for row in rows]


def _insert_through_driver(connection, table, rows: list[dict[str, Any]], *, on_conflict: str = "") -> None:
    """INSERT `rows` with the driver's executemany, each value converted by its column type's own bind
    processor: what SQLAlchemy's executemany does, without its per-row bookkeeping. Columns missing from a
    row take their default (the same for every row: the first row decides the columns)."""
    dialect = connection.dialect
    names = [c.name for c in table.columns if c.name in rows[0]]
    columns = [table.c[name] for name in names]
    for column in table.columns:
        if column.name not in rows[0] and column.default is not None and not column.primary_key:
            if not column.default.is_scalar:
                raise ValueError(f"{table.name}.{column.name} has a computed default: give it in every row")
            names.append(column.name)
            columns.append(column)
    defaults = {c.name: c.default.arg for c in columns if c.default is not None and c.default.is_scalar}
    processors = [c.type._cached_bind_processor(dialect) for c in columns]
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    quote = dialect.identifier_preparer.quote
    listed, marks = ", ".join(quote(n) for n in names), ", ".join([mark] * len(names))
    statement = f"INSERT INTO {quote(table.name)} ({listed}) VALUES ({marks})" + (
        f" ON CONFLICT {on_conflict}" if on_conflict else ""
    )
    # built column by column (one comprehension per column, the processor only where the type has one), then
    # turned into rows: a tenth of the time of converting value by value within each row
    values = []
    for name, process in zip(names, processors, strict=True):
        default = defaults.get(name)
        column = [row.get(name, default) for row in rows]
        values.append(column if process is None else [None if v is None else process(v) for v in column])
    connection.exec_driver_sql(statement, list(zip(*values, strict=True)))


def _stored(connection, values: list[dict]) -> list[tuple[int, dict]]:
    """(id, values) of each row the insert stored, in the order of `values`. The tracking numbers were
    reserved for these rows alone, so a row is found by its own; a row skipped for its external reference
    (stored meanwhile by another transaction) is not found and drops out."""
    by_number = {row["tracking_no"]: row for row in values}
    ids: dict[str, int] = {}
    numbers = list(by_number)
    for start in range(0, len(numbers), 500):
        chunk = numbers[start : start + 500]
        ids.update(
            connection.execute(
                select(col(Complaint.tracking_no), col(Complaint.id)).where(col(Complaint.tracking_no).in_(chunk))
            ).all()
        )
    return [(ids[number], row) for number, row in by_number.items() if number in ids]
