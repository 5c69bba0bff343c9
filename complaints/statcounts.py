"""Counts kept per local day and unit (and handler, registering unit, category) behind the dashboard, the
ranking, the supervisor's board and the totals of the big lists, written in the same transaction as the
change by a session flush listener (the way complaints.searchkeys keeps the search keys).

Each item contributes a few *facts*, each a (measure, day, until) triple derived from its current state,
its reached callback rounds, its 答复 / 重新办理 / 退回重办 events and its repeat links (`facts`). A figure
over the period [start, end] sums the facts of a measure whose `day` lies in the period and, for the period
measures, whose `until` lies after its end; for the measures that wait on a deadline (`PENDING`), whose
`until` (the deadline's day) lies before today, the part of today up to now being counted from the items
themselves. `until` is how an item is counted once per period although it has several facts of a measure:
a fact counts only if the item's next fact of that measure falls after the period's end (the last one in
the period counts), or, for the callback counted last, if no later round was made by then.

A change is counted by reading the changed items' facts from the database before the flush and again after
it (new items: from the objects flushed), and adding the difference to the rows in one upsert. Rows are
kept at several grains: 'u' per unit, 'f' per unit, handler and registering unit (the scopes of handlers
and operators, the ranking of handlers), 'c' items received per unit and category; and the open items with
their current deadline and warning days (the board, the overdue figures, the open workload) per unit ('o'),
unit and handler ('h'), unit and category ('k'), and all four ('p').

`rebuild` counts every item again (``complaints stats rebuild``); it records the time zone the days were
counted in. Until the counts are built, or if the deployment's time zone changed since, the figures are
read from the items as before (services.stats) and nothing is kept. Writes that bypass the ORM must call
`count_inserted` (the bulk import does) or be followed by a rebuild.
"""

from __future__ import annotations

import weakref
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import overload
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, delete, event, false, func, inspect, or_, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlmodel import col

from complaints.models import CallbackRound, Complaint, ComplaintLink, Event, StatCount, StatState
from complaints.services.scope import roles_of, sees_all_units
from complaints.tables import table_of
from workflows.lifecycle import Action
from workflows.vocab import Role, Satisfaction, Status

MAX_DAY = date(9999, 12, 31)
ITEM_FIELDS = (
    "unit_code",
    "handler_id",
    "registered_unit_code",
    "category",
    "received_at",
    "status",
    "dispatched_at",
    "accepted_at",
    "contact_due_at",
    "replied_at",
    "reply_due_at",
    "is_open",
    "next_due_at",
    "warn_at",
)
EVENT_MEASURES = {Action.REPLY.value: "ev_reply", Action.REOPEN.value: "ev_reopen", Action.REDO.value: "ev_redo"}
SATISFIED = (Satisfaction.SATISFIED.value, Satisfaction.BASICALLY.value)
#: measures counted while a deadline runs out: `until` is the deadline's day, counted once it has passed
PENDING = ("rsp_wait", "due_open")
KEY = ("grain", "measure", "day", "until", "unit_code", "handler_id", "reg_unit", "category")


@dataclass
class ItemState:
    """What an item's facts are made of."""

    values: dict  # ITEM_FIELDS
    rounds: list[tuple[int, datetime, str, bool | None]] = field(default_factory=list)  # reached, by id
    events: list[tuple[datetime, str]] = field(default_factory=list)  # (at, action) of EVENT_MEASURES
    repeat: bool = False


@overload
def _utc(value: datetime) -> datetime: ...
@overload
def _utc(value: None) -> None: ...
def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


class _Days:
    """Local days of stored datetimes, cached (many items share a day's few distinct instants)."""

    def __init__(self, tz: str):
        self.zone = ZoneInfo(tz)

    def __call__(self, value: datetime) -> date:
        return value.astimezone(self.zone).date()


def facts(state: ItemState, day: _Days) -> tuple[list[tuple[str, date, date]], tuple[date, date] | None]:
    """The item's (measure, day, until) facts, and (deadline day, warning day) if it is open."""
    v = state.values
    out: list[tuple[str, date, date]] = []
    received = day(v["received_at"])
    out.append(("rcv", received, MAX_DAY))
    if state.repeat:
        out.append(("rep", received, MAX_DAY))
    # handled by a handler or still waiting for one (stats.HANDLED)
    if v["dispatched_at"] is not None or v["status"] == Status.REGISTERED:
        accepted, contact_due = v["accepted_at"], v["contact_due_at"]
        if accepted is not None:
            out.append(("rsp_acc", received, MAX_DAY))
            if contact_due is not None and accepted <= contact_due:
                out.append(("rsp_num", received, MAX_DAY))
        elif contact_due is not None:
            out.append(("rsp_wait", received, day(contact_due)))
        due = v["reply_due_at"]
        if due is not None:
            due_day, replied = day(due), v["replied_at"]
            if v["status"] == Status.CLOSED:
                out.append(("due_closed", due_day, MAX_DAY))
                if replied is not None:
                    out.append(("due_ontime" if replied <= due else "due_lateclosed", due_day, MAX_DAY))
            elif v["is_open"] is True and (replied is None or replied > due):
                out.append(("due_open", due_day, due_day))
    rounds = state.rounds
    if rounds:
        _, first_at, satisfaction, resolved = rounds[0]
        first = day(first_at)
        out.append(("cb1_all", first, MAX_DAY))
        if satisfaction in SATISFIED:
            out.append(("cb1_sat", first, MAX_DAY))
        if resolved is True:
            out.append(("cb1_res", first, MAX_DAY))
        # counted last: round i decides a period ending before any later round was made
        later: date = MAX_DAY
        for _, at, satisfaction, resolved in reversed(rounds):
            made = day(at)
            if later > made:
                out.append(("cbl_all", made, later))
                if satisfaction in SATISFIED:
                    out.append(("cbl_sat", made, later))
                if resolved is True:
                    out.append(("cbl_res", made, later))
            later = min(later, made)
    for action, measure in EVENT_MEASURES.items():
        days = sorted(day(at) for at, kind in state.events if kind == action)
        for i, made in enumerate(days):
            until = days[i + 1] if i + 1 < len(days) else MAX_DAY
            if until > made:
                out.append((measure, made, until))
    opened = None
    if v["is_open"] is True:
        due, warn = v["next_due_at"], v["warn_at"]
        opened = (day(due) if due is not None else MAX_DAY, day(warn) if warn is not None else MAX_DAY)
    return out, opened


def rows(state: ItemState, day: _Days, into: Counter | None = None, sign: int = 1) -> Counter:
    """The item's contribution to each kept row (KEY), added to `into` (times `sign`)."""
    found, opened = facts(state, day)
    v = state.values
    unit, handler, reg = v["unit_code"] or "", v["handler_id"] or 0, v["registered_unit_code"] or ""
    counted: Counter = Counter() if into is None else into
    for measure, on, until in found:
        counted["u", measure, on, until, unit, 0, "", ""] += sign
        counted["f", measure, on, until, unit, handler, reg, ""] += sign
        if measure == "rcv":
            counted["c", measure, on, until, unit, 0, "", v["category"] or ""] += sign
    if opened is not None:
        due, warn, category = opened[0], opened[1], v["category"] or ""
        counted["o", "open", due, warn, unit, 0, "", ""] += sign
        counted["h", "open", due, warn, unit, handler, "", ""] += sign
        counted["k", "open", due, warn, unit, 0, "", category] += sign
        counted["p", "open", due, warn, unit, handler, reg, category] += sign
    return counted


# ---------------------------------------------------------------------------------------------- reading items


def _tables():

    return Complaint, CallbackRound, Event, ComplaintLink


def load_states(connection, ids: Iterable[int] | None = None, *, id_range: tuple[int, int] | None = None):
    """{item id: ItemState} read from the database, for `ids` or the ids in [low, high)."""
    Complaint, CallbackRound, Event, ComplaintLink = _tables()

    def where(column):
        if id_range is not None:
            return and_(column >= id_range[0], column < id_range[1])
        return column.in_(list(ids or ()))

    if id_range is None and not ids:
        return {}
    t = table_of(Complaint).c
    states: dict[int, ItemState] = {}
    for row in connection.execute(select(t.id, *(t[name] for name in ITEM_FIELDS)).where(where(t.id))):
        values = dict(zip(ITEM_FIELDS, row[1:], strict=True))
        for name in ("received_at", "dispatched_at", "accepted_at", "contact_due_at", "replied_at"):
            values[name] = _utc(values[name])
        for name in ("reply_due_at", "next_due_at", "warn_at"):
            values[name] = _utc(values[name])
        states[row[0]] = ItemState(values)
    if not states:
        return states
    r = table_of(CallbackRound).c
    query = select(r.complaint_id, r.id, r.at, r.satisfaction, r.resolved).where(
        where(r.complaint_id), r.reached.is_(True)
    )
    for complaint_id, round_id, at, satisfaction, resolved in connection.execute(query.order_by(r.id)):
        if complaint_id in states:
            states[complaint_id].rounds.append((round_id, _utc(at), satisfaction, resolved))
    e = table_of(Event).c
    query = select(e.complaint_id, e.at, e.action).where(where(e.complaint_id), e.action.in_(list(EVENT_MEASURES)))
    for complaint_id, at, action in connection.execute(query):
        if complaint_id in states:
            states[complaint_id].events.append((_utc(at), action))
    link = table_of(ComplaintLink).c
    query = select(link.complaint_id).where(where(link.complaint_id), link.kind == "repeat").distinct()
    for (complaint_id,) in connection.execute(query):
        if complaint_id in states:
            states[complaint_id].repeat = True
    return states


def _counted(states: Iterable[ItemState], tz: str, into: Counter | None = None, sign: int = 1) -> Counter:
    day = _Days(tz)
    total: Counter = Counter() if into is None else into
    for state in states:
        rows(state, day, total, sign)
    return total


# ----------------------------------------------------------------------------------------- writing the counts


def _insert(connection):

    return (postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert)(StatCount)


_UPSERTS: dict[str, object] = {}


def _upsert(connection):
    """INSERT … ON CONFLICT adding to n, built once per dialect: executed with many rows at once it is
    compiled once and cached, where a multi-row VALUES is compiled again for every batch."""
    statement = _UPSERTS.get(connection.dialect.name)
    if statement is None:
        table = table_of(StatCount)
        insert = _insert(connection)
        statement = _UPSERTS[connection.dialect.name] = insert.on_conflict_do_update(
            index_elements=list(KEY), set_={"n": table.c.n + insert.excluded.n}
        )
    return statement


def apply(connection, delta: Counter) -> None:
    """Add `delta` to the kept rows; rows that come to nothing are removed.

    The rows are changed in one order, whatever the order of the change: two transactions that change the
    same rows (two processes registering in the same units at once) then wait for each other at the first
    row they share, where in the orders they came in each could hold a row the other waits for (on
    PostgreSQL a deadlock, one of them rolled back after a second)."""

    changes = sorted(((key, n) for key, n in delta.items() if n), key=_lock_order)
    if not changes:
        return
    table = table_of(StatCount)
    connection.execute(_upsert(connection), [dict(zip(KEY, key, strict=True)) | {"n": n} for key, n in changes])
    lowered = [key for key, n in changes if n < 0]
    if lowered:
        columns = [table.c[name] for name in KEY]
        for start in range(0, len(lowered), 500):
            connection.execute(delete(table).where(tuple_(*columns).in_(lowered[start : start + 500]), table.c.n == 0))


def _lock_order(change: tuple[tuple, int]) -> tuple:
    return tuple((value is None, "" if value is None else value) for value in change[0])


def count_inserted(session, items: list[dict]) -> None:
    """Count items inserted without the ORM (each a dict of ITEM_FIELDS; no rounds, answers or links)."""
    tz = counted_zone(session)
    if tz is None or not items:
        return
    states = [
        ItemState({name: _utc(row.get(name)) if name.endswith("_at") else row.get(name) for name in ITEM_FIELDS})
        for row in items
    ]
    apply(session.connection(), _counted(states, tz))


def rebuild(session, tz: str, *, batch: int = 20_000) -> int:
    """Count every item again from the items (in the session's transaction); returns the items counted."""

    connection = session.connection()
    connection.execute(delete(table_of(StatCount)))
    connection.execute(delete(table_of(StatState)))
    low, high = connection.execute(select(func.min(Complaint.id), func.max(Complaint.id))).one()
    total: Counter = Counter()
    counted = 0
    if low is not None:
        for start in range(low, high + 1, batch):
            states = load_states(connection, id_range=(start, start + batch))
            counted += len(states)
            _counted(states.values(), tz, total)
    _insert_rows(connection, total)
    connection.execute(table_of(StatState).insert().values(id=1, timezone=tz, built_at=datetime.now(UTC)))
    _zones[connection.engine] = tz
    return counted


def _insert_rows(connection, total: Counter) -> None:
    """Many rows at once, through the driver (the ORM's per-row parameter handling would take longer)."""
    sqlite_dates = connection.dialect.name == "sqlite"
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    statement = f"INSERT INTO statcount ({', '.join(KEY)}, n) VALUES ({', '.join([mark] * (len(KEY) + 1))})"
    values = []
    for key, n in total.items():
        if n:
            grain, measure, on, until, *rest = key
            if sqlite_dates:
                on, until = on.isoformat(), until.isoformat()
            values.append((grain, measure, on, until, *rest, n))
    for start in range(0, len(values), 50_000):
        connection.exec_driver_sql(statement, values[start : start + 50_000])


def kept_rows(session) -> Counter:
    """Every kept row (for the tests comparing the kept counts with a rebuild)."""

    t = table_of(StatCount).c
    return Counter(
        {tuple(row[:-1]): row[-1] for row in session.connection().execute(select(*(t[k] for k in KEY), t.n))}
    )


def counted_rows(session, tz: str) -> Counter:
    """The rows a rebuild would write now, without writing them."""

    connection = session.connection()
    ids = [i for (i,) in connection.execute(select(col(Complaint.id)))]
    total: Counter = Counter()
    for start in range(0, len(ids), 5000):
        total.update(_counted(load_states(connection, ids[start : start + 5000]).values(), tz))
    return Counter({k: n for k, n in total.items() if n})


_zones: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # engine -> the zone its counts were built in


def counted_zone(session) -> str | None:
    """The time zone the kept counts were built in, None if they are not built."""

    connection = session.connection()
    engine = connection.engine
    tz = _zones.get(engine)
    if tz is None:
        tz = connection.execute(select(col(StatState.timezone)).where(col(StatState.id) == 1)).scalar()
        if tz is not None:  # only a built state is remembered: a rebuild elsewhere is then seen at once
            _zones[engine] = tz
    return tz


def forget_zone(engine) -> None:
    _zones.pop(engine, None)


# ------------------------------------------------------------------------------------------- the listener


def _affected(session: Session) -> tuple[set[int], list]:
    """(ids of stored items whose facts may change in this flush, the new items)."""
    Complaint, CallbackRound, Event, ComplaintLink = _tables()
    stored: set[int] = set()
    new_items = []
    for obj in session.new:
        if isinstance(obj, Complaint):
            new_items.append(obj)
        elif isinstance(obj, CallbackRound) or (isinstance(obj, Event) and obj.action in EVENT_MEASURES):
            if obj.complaint_id is not None:
                stored.add(obj.complaint_id)
        elif isinstance(obj, ComplaintLink) and obj.kind == "repeat" and obj.complaint_id is not None:
            stored.add(obj.complaint_id)
    for obj in [*session.dirty, *session.deleted]:
        if isinstance(obj, Complaint) and obj.id is not None:
            if obj in session.deleted:
                stored.add(obj.id)
                continue
            state = inspect(obj)
            if any(state.attrs[name].history.has_changes() for name in ITEM_FIELDS):
                stored.add(obj.id)
    return stored, new_items


@event.listens_for(Session, "before_flush")
def _before(session: Session, flush_context, instances) -> None:
    """Only a flush touching what is counted looks at the database: other sessions (and other databases
    in the same process) flush as if the counts did not exist."""
    stored, new_items = _affected(session)
    if not stored and not new_items:
        return
    if counted_zone(session) is None:
        return
    session.info["statcounts.before"] = (stored, load_states(session.connection(), stored), new_items)


@event.listens_for(Session, "after_flush")
def _after(session: Session, flush_context) -> None:
    pending = session.info.pop("statcounts.before", None)
    if pending is None:
        return
    Complaint, CallbackRound, Event, ComplaintLink = _tables()
    stored, before, new_items = pending
    tz = counted_zone(session)
    if tz is None:  # before_flush found the counts built, in this same transaction
        raise RuntimeError("the kept counts were dropped during a flush")
    connection = session.connection()
    delta = _counted(load_states(connection, stored).values(), tz)
    _counted(before.values(), tz, delta, -1)
    if new_items:
        states = {
            item.id: ItemState(
                {
                    name: _utc(getattr(item, name)) if name.endswith("_at") else getattr(item, name)
                    for name in ITEM_FIELDS
                }
            )
            for item in new_items
            if item.id is not None and item.id not in stored
        }
        for obj in session.new:
            target = states.get(getattr(obj, "complaint_id", None))
            if target is None:
                continue
            if isinstance(obj, CallbackRound) and obj.reached:
                target.rounds.append((obj.id, _utc(obj.at), obj.satisfaction, obj.resolved))
            elif isinstance(obj, Event) and obj.action in EVENT_MEASURES:
                target.events.append((_utc(obj.at), obj.action))
            elif isinstance(obj, ComplaintLink) and obj.kind == "repeat":
                target.repeat = True
        for state in states.values():
            state.rounds.sort()
        _counted(states.values(), tz, delta)
    apply(connection, delta)


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, previous_transaction) -> None:
    session.info.pop("statcounts.before", None)


# -------------------------------------------------------------------------------------------- reading counts


@dataclass(frozen=True)
class Scope:
    """Which items a person sees, as kept-count columns (services.scope.visible_filter without following)."""

    everything: bool = False
    unit: str | None = None  # unit_code ==
    handler: int | None = None  # handler_id ==
    registered: str | None = None  # registered_unit_code ==

    @property
    def nothing(self) -> bool:
        return not self.everything and self.unit is None and self.handler is None and self.registered is None


def scope_of(user, settings) -> Scope:

    if not user.active:
        return Scope()
    if sees_all_units(user, settings):
        return Scope(everything=True)
    roles = roles_of(user)
    return Scope(
        unit=user.unit_code if roles & {Role.SUPERVISOR, Role.HANDLER, Role.ADMIN} else None,
        handler=user.id if Role.HANDLER in roles else None,
        registered=user.unit_code if Role.OPERATOR in roles else None,
    )


def _per_unit(scope: Scope, unit_code: str | None) -> tuple[bool, list[str] | None]:
    """Whether the 'u' grain answers (scope, unit filter), and the units it is limited to (None: all)."""
    if scope.everything:
        return True, None if unit_code is None else [unit_code]
    if scope.handler is None and scope.registered is None and scope.unit is not None:
        return True, [scope.unit] if unit_code in (None, scope.unit) else []
    return False, None


def _clauses(columns, scope: Scope, unit_code: str | None, *, unit, handler, registered) -> list:
    """WHERE clauses of `scope` (and the unit filter) over columns named like the items'."""
    if scope.nothing:
        return [false()]
    where = []
    if not scope.everything:
        parts = []
        if scope.unit is not None:
            parts.append(unit == scope.unit)
        if scope.handler is not None:
            parts.append(handler == scope.handler)
        if scope.registered is not None:
            parts.append(registered == scope.registered)
        where.append(or_(*parts))
    if unit_code is not None:
        where.append(unit == unit_code)
    return where


def grain_for(scope: Scope, unit_code: str | None, *, fine: bool = False) -> tuple[str, list]:
    """(grain, WHERE clauses over StatCount) answering the scope and the unit filter; `fine`: the grain
    counted by handler."""
    S = StatCount

    simple, units = _per_unit(scope, unit_code)
    if simple and not fine:
        if units is None:
            return "u", []
        return "u", [col(S.unit_code).in_(units)] if units else [false()]
    return "f", _clauses(S, scope, unit_code, unit=S.unit_code, handler=S.handler_id, registered=S.reg_unit)


def period_sums(
    session, *, grain: str, where: list, start: date, end: date, today: date, measures: Iterable[str], by=None
) -> dict:
    """{measure: n} (or {(measure, group): n} with `by`, a StatCount column) over the period."""
    S = StatCount

    measures = list(measures)
    pending = [m for m in measures if m in PENDING]
    plain = [m for m in measures if m not in PENDING]
    conditions = []
    if plain:
        conditions.append(and_(col(S.measure).in_(plain), col(S.until) > end))
    if pending:
        conditions.append(and_(col(S.measure).in_(pending), col(S.until) < today))
    if not conditions:
        return {}
    columns = [S.measure] + ([by] if by is not None else [])
    query = (
        select(*columns, func.sum(S.n))
        .where(
            col(S.grain) == grain,
            col(S.measure).in_(measures),
            col(S.day) >= start,
            col(S.day) <= end,
            or_(*conditions),
            *where,
        )
        .group_by(*columns)
    )
    found = session.connection().execute(query).all()
    if by is None:
        return {row[0]: int(row[1]) for row in found}
    return {(row[0], row[1]): int(row[2]) for row in found}


def open_grain(scope: Scope, unit_code: str | None, by: str | None) -> tuple[str, list]:
    """(grain, WHERE clauses) of the open items' rows answering the scope, the unit filter and the grouping
    ("unit", "handler", "category" or None)."""
    S = StatCount

    simple, units = _per_unit(scope, unit_code)
    if not simple:
        return "p", _clauses(S, scope, unit_code, unit=S.unit_code, handler=S.handler_id, registered=S.reg_unit)
    grain = {"handler": "h", "category": "k"}.get(by or "", "o")
    if units is None:
        return grain, []
    return grain, [col(S.unit_code).in_(units)] if units else [false()]


def open_sums(session, *, grain: str, where: list, today: date, by=None) -> dict:
    """{key: (open, overdue before today, due soon excluding today's edges)} over the open items' rows; key
    is None without `by`, else the `by` column's value (a StatCount column)."""

    S = StatCount

    overdue = func.sum(case((col(S.day) < today, col(S.n)), else_=0))
    soon = func.sum(case((and_(col(S.until) < today, col(S.day) > today, col(S.day) < MAX_DAY), col(S.n)), else_=0))
    columns = [by] if by is not None else []
    query = select(*columns, func.sum(col(S.n)), overdue, soon).where(col(S.grain) == grain, *where)
    if by is not None:
        query = query.group_by(by)
    out = {}
    for row in session.connection().execute(query):
        key = row[0] if by is not None else None
        values = row[1:] if by is not None else row
        if values[0] is None:
            continue
        out[key] = tuple(int(x or 0) for x in values)
    return out
