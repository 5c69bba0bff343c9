"""The measures supervisors are judged by (北京 条例 Art 32 "三率") and the volumes behind them.

Each measure is two sets of items, its numerator and its denominator, written once as queries of item
ids: the dashboard counts them, the list behind a figure shows them, the ranking groups them by unit or
handler. 满意率 and 解决率 are counted from the callback rounds, never from the item's current state, so
that reopening an item cannot take a result away.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

from sqlalchemy import Select, and_, func, or_
from sqlmodel import Session, col, select

from complaints import statcounts
from complaints.clock import to_local, to_storage
from complaints.errors import InvalidInput
from complaints.i18n import gettext
from complaints.models import CallbackRound, Complaint, ComplaintLink, Event, StatCount, User
from complaints.runtime import Runtime
from complaints.services.scope import visible_filter
from workflows.lifecycle import Action
from workflows.vocab import N_, Satisfaction, Status


@dataclass
class Rate:
    numerator: int
    denominator: int

    @property
    def percent(self) -> float | None:
        return round(100 * self.numerator / self.denominator, 1) if self.denominator else None


@dataclass(frozen=True)
class Window:
    """What a measure is counted over: the items `scope` allows, the period [low, high), and now."""

    scope: tuple
    low: datetime
    high: datetime
    now: datetime
    counted: str  # "first" | "last": which callback decides an item's 满意率 and 解决率
    # the same, for the kept counts (complaints.statcounts): who sees what, the unit asked for, the days
    who: statcounts.Scope | None = None
    unit_code: str | None = None
    start: date | None = None
    end: date | None = None
    timezone: str = ""

    def kept(self) -> tuple[statcounts.Scope, date, date]:
        """Who sees what and the period's first and last day, which the kept counts are read with."""
        if self.who is None or self.start is None or self.end is None:
            raise RuntimeError("this window was made without the scope and days of the kept counts")
        return self.who, self.start, self.end


K = TypeVar("K")
Ids = Callable[[Window], Select[Any]]  # a query selecting item ids


@dataclass(frozen=True)
class Measure:
    key: str
    name: str
    definition: str
    numerator: Ids
    denominator: Ids | None = None  # None: a count, not a rate


def _items(window: Window, *where):
    return select(Complaint.id).where(*window.scope, *where)


def _received(window: Window, *where):
    return _items(window, Complaint.received_at >= window.low, Complaint.received_at < window.high, *where)


# handled by a handler, or still waiting for one: not answered at intake, merged or refused
HANDLED = or_(col(Complaint.dispatched_at).is_not(None), col(Complaint.status) == Status.REGISTERED)


def _response_due(window: Window):
    """Items whose contact deadline has passed or that were contacted: only those can be judged."""
    return _received(
        window, HANDLED, or_(col(Complaint.accepted_at).is_not(None), col(Complaint.contact_due_at) < window.now)
    )


def _responded(window: Window):
    return _received(
        window,
        HANDLED,
        col(Complaint.accepted_at).is_not(None),
        col(Complaint.accepted_at) <= col(Complaint.contact_due_at),
    )


def _deciding_rounds(window: Window, *where):
    """Per item its first reached callback (or its last one up to the period's end), if made in the period."""
    reached = col(CallbackRound.reached).is_(True)
    if window.counted == "last":
        chosen = select(func.max(CallbackRound.id)).where(reached, CallbackRound.at < window.high)
    else:
        chosen = select(func.min(CallbackRound.id)).where(reached)
    chosen = chosen.group_by(col(CallbackRound.complaint_id))
    return (
        select(CallbackRound.complaint_id)
        .join(Complaint, col(Complaint.id) == col(CallbackRound.complaint_id))
        .where(
            col(CallbackRound.id).in_(chosen),
            CallbackRound.at >= window.low,
            CallbackRound.at < window.high,
            *window.scope,
            *where,
        )
    )


def _satisfied(window: Window):
    return _deciding_rounds(
        window, col(CallbackRound.satisfaction).in_((Satisfaction.SATISFIED, Satisfaction.BASICALLY))
    )


def _resolved(window: Window):
    return _deciding_rounds(window, col(CallbackRound.resolved).is_(True))


def _due(window: Window, *where):
    return _items(
        window, HANDLED, col(Complaint.reply_due_at) >= window.low, col(Complaint.reply_due_at) < window.high, *where
    )


def _overdue_open(window: Window):
    """Open past the reply deadline without a reply in time (one answered in time awaits its callback)."""
    unanswered = or_(col(Complaint.replied_at).is_(None), col(Complaint.replied_at) > col(Complaint.reply_due_at))
    return and_(col(Complaint.is_open).is_(True), col(Complaint.reply_due_at) < window.now, unanswered)


def _due_closed_or_overdue(window: Window):
    """Due in the period, and either closed or still open past the deadline (not yet due: not judged)."""
    return _due(window, or_(col(Complaint.status) == Status.CLOSED, _overdue_open(window)))


def _closed_on_time(window: Window):
    return _due(
        window, col(Complaint.status) == Status.CLOSED, col(Complaint.replied_at) <= col(Complaint.reply_due_at)
    )


def _late(window: Window):
    """Due in the period and answered late, or still open past the deadline."""
    answered_late = and_(
        col(Complaint.status) == Status.CLOSED, col(Complaint.replied_at) > col(Complaint.reply_due_at)
    )
    return _due(window, or_(_overdue_open(window), answered_late))


def _repeats(window: Window):
    linked = select(ComplaintLink.complaint_id).where(ComplaintLink.kind == "repeat")
    return _received(window, col(Complaint.id).in_(linked))


def _acted(action: Action) -> Ids:
    def ids(window: Window):
        return (
            select(Event.complaint_id)
            .join(Complaint, col(Complaint.id) == col(Event.complaint_id))
            .where(*window.scope, Event.action == action, Event.at >= window.low, Event.at < window.high)
        )

    return ids


def _overdue_now(window: Window):
    return _items(window, col(Complaint.is_open).is_(True), col(Complaint.next_due_at) < window.now)


MEASURES: dict[str, Measure] = {
    m.key: m
    for m in (
        Measure("received", N_("受理件数"), N_("统计期内受理（登记）的诉求件数"), _received),
        Measure(
            "response",
            N_("响应率"),
            N_("按时联系诉求人 ÷ 联系期限已到或已联系的件数（受理于统计期内；联系期限未到且未联系的不计）"),
            _responded,
            _response_due,
        ),
        Measure("resolution", N_("解决率"), N_("回访“已解决” ÷ 回访联系上的件数"), _resolved, _deciding_rounds),
        Measure(
            "satisfaction", N_("满意率"), N_("回访“满意”“基本满意” ÷ 回访联系上的件数"), _satisfied, _deciding_rounds
        ),
        Measure(
            "on_time",
            N_("按时办结率"),
            N_("答复期限在统计期内的件数中：按期答复并已办结 ÷（已办结 + 超期仍未办结）；期限未到的不计"),
            _closed_on_time,
            _due_closed_or_overdue,
        ),
        Measure("late", N_("超期件数"), N_("答复期限在统计期内、超期答复或超期仍未办结的件数"), _late),
        Measure(
            "reopen",
            N_("重新办理率"),
            N_("统计期内重新办理的件数 ÷ 统计期内答复的件数"),
            _acted(Action.REOPEN),
            _acted(Action.REPLY),
        ),
        Measure(
            "redo",
            N_("退回重办率"),
            N_("统计期内回访不满意后退回重办的件数 ÷ 统计期内答复的件数"),
            _acted(Action.REDO),
            _acted(Action.REPLY),
        ),
        Measure(
            "repeat", N_("重复诉求率"), N_("统计期内受理的诉求中与此前诉求重复的件数 ÷ 受理件数"), _repeats, _received
        ),
        Measure("overdue_now", N_("当前超期"), N_("此刻仍未办结且已过当前阶段期限的件数（不限统计期）"), _overdue_now),
    )
}
#: how 满意率 and 解决率 pick an item's callback, by ``[callbacks] counted``
COUNTED_NOTES = {
    "first": N_("每件在统计期内只计一次，以该件的首次回访为准；重新办理、退回重办不改变已有结果"),
    "last": N_("每件在统计期内只计一次，以该件在统计期末前的最后一次回访为准；此前的回访结果仍保留在记录中"),
}


def window(*, runtime: Runtime, actor: User, start: date, end: date, unit_code: str | None, now: datetime) -> Window:
    """The window of items `actor` may see, received or acted on from `start` to `end` inclusive."""
    tz = runtime.settings.app.timezone
    scope = [visible_filter(actor, runtime.settings)]
    if unit_code:
        scope.append(col(Complaint.unit_code) == unit_code)
    return Window(
        scope=tuple(scope),
        low=to_storage(datetime.combine(start, time.min), tz),
        high=to_storage(datetime.combine(end + timedelta(days=1), time.min), tz),
        now=now,
        counted=runtime.settings.callbacks.counted,
        who=statcounts.scope_of(actor, runtime.settings),
        unit_code=unit_code,
        start=start,
        end=end,
        timezone=tz,
    )


def _size(session: Session, ids) -> int:
    return session.exec(select(func.count(func.distinct(ids.subquery().c[0])))).one()


def query_measure(session: Session, key: str, win: Window) -> Rate | int:
    """One measure counted from the items (what `measure` gives from the kept counts)."""
    spec = MEASURES[key]
    numerator = _size(session, spec.numerator(win))
    return numerator if spec.denominator is None else Rate(numerator, _size(session, spec.denominator(win)))


def members(
    *, session: Session, key: str, part: str, win: Window, limit: int = 200, offset: int = 0
) -> tuple[list[Complaint], int]:
    """The items behind one figure: a measure's numerator or denominator, newest first."""
    spec = MEASURES.get(key)
    if spec is None or part not in ("numerator", "denominator") or (part == "denominator" and not spec.denominator):
        shown = key[:20] + "/" + part[:12]
        raise InvalidInput(gettext("未知的统计项：{key}", key=shown), field="measure")
    side = spec.numerator if part == "numerator" else spec.denominator
    if side is None:  # refused above
        raise RuntimeError(f"{key} has no {part}")
    ids = side(win)
    where = col(Complaint.id).in_(ids)
    total = session.exec(select(func.count()).select_from(Complaint).where(where)).one()
    items = session.exec(
        select(Complaint)
        .where(where)
        .order_by(col(Complaint.received_at).desc(), col(Complaint.id).desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return list(items), total


def query_grouped(session: Session, key: str, win: Window, column) -> dict[object, Rate | int]:
    """One measure per value of `column` (unit or handler), counted from the items."""
    spec = MEASURES[key]

    def counts(ids) -> dict[object, int]:
        query = select(column, func.count()).where(col(Complaint.id).in_(ids)).group_by(column)
        return dict(session.exec(query).all())

    numerators = counts(spec.numerator(win))
    if spec.denominator is None:
        return {**numerators}
    denominators = counts(spec.denominator(win))
    return {group: Rate(numerators.get(group, 0), n) for group, n in denominators.items()}


@dataclass
class Dashboard:
    start: date
    end: date
    rates: dict[str, Rate | int] = field(default_factory=dict)  # by MEASURES key
    by_day: list[tuple[date, int]] = field(default_factory=list)
    by_category: list[tuple[str, int]] = field(default_factory=list)
    by_unit: list[tuple[str, int]] = field(default_factory=list)
    overdue_by_handler: list[tuple[str, int]] = field(default_factory=list)


def query_dashboard(
    *,
    session: Session,
    runtime: Runtime,
    actor: User,
    start: date,
    end: date,
    unit_code: str | None = None,
    now: datetime,
) -> Dashboard:
    """The dashboard counted from the items (what `dashboard` gives from the kept counts)."""
    win = window(runtime=runtime, actor=actor, start=start, end=end, unit_code=unit_code, now=now)
    result = Dashboard(start=start, end=end, rates={key: query_measure(session, key, win) for key in MEASURES})
    period = [*win.scope, Complaint.received_at >= win.low, Complaint.received_at < win.high]
    result.by_day = _by_day(session, period, runtime.settings.app.timezone, start, end)
    result.by_category = [
        (runtime.settings.category_map[c].name if c in runtime.settings.category_map else c, n)
        for c, n in _grouped(session, Complaint.category, period)
    ]
    result.by_unit = [
        (runtime.settings.unit_map[u].name if u in runtime.settings.unit_map else u, n)
        for u, n in _grouped(session, Complaint.unit_code, period)
    ]
    result.overdue_by_handler = [
        (name or "—", n)
        for name, n in session.exec(
            select(User.name, func.count())
            .select_from(Complaint)
            .join(User, col(User.id) == col(Complaint.handler_id), isouter=True)
            .where(*win.scope, col(Complaint.is_open).is_(True), col(Complaint.next_due_at) < now)
            .group_by(User.name)
            .order_by(func.count().desc())
            .limit(15)
        )
    ]
    return result


def _grouped(session: Session, column, where) -> list[tuple[Any, int]]:
    return list(session.exec(select(column, func.count()).where(*where).group_by(column).order_by(func.count().desc())))


def _by_day(session: Session, where, tz: str, start: date, end: date) -> list[tuple[date, int]]:
    """Items per local day; grouped in Python over one column read, since day boundaries are local."""
    counts: dict[date, int] = {}
    for received in session.exec(select(Complaint.received_at).where(*where)):
        day = to_local(received, tz).date()
        counts[day] = counts.get(day, 0) + 1
    days = (end - start).days + 1
    return [(start + timedelta(days=i), counts.get(start + timedelta(days=i), 0)) for i in range(days)]


# ------------------------------------------------------------------------------- from the kept counts
# The same figures from complaints.statcounts: each measure a sum of kept facts; "+" parts are today's part
# of a deadline running out (up to now), counted from the items through their deadline indexes.


def _parts(counted: str) -> dict[str, tuple[tuple[str, ...], tuple[str, ...] | None]]:
    cb = "cb1" if counted == "first" else "cbl"
    return {
        "received": (("rcv",), None),
        "response": (("rsp_num",), ("rsp_acc", "rsp_wait", "+contact")),
        "resolution": ((f"{cb}_res",), (f"{cb}_all",)),
        "satisfaction": ((f"{cb}_sat",), (f"{cb}_all",)),
        "on_time": (("due_ontime",), ("due_closed", "due_open", "+due")),
        "late": (("due_lateclosed", "due_open", "+due"), None),
        "reopen": (("ev_reopen",), ("ev_reply",)),
        "redo": (("ev_redo",), ("ev_reply",)),
        "repeat": (("rep",), ("rcv",)),
        "overdue_now": (("+overdue",), None),
    }


def kept(session: Session, tz: str) -> bool:
    return statcounts.counted_zone(session) == tz


@dataclass(frozen=True)
class Today:
    """A local day of the deployment's zone, with its bounds as stored."""

    day: date
    start: datetime  # its local midnight, stored
    end: datetime  # the next one


def today_of(now: datetime, tz: str) -> Today:
    day = to_local(now, tz).date()
    return Today(
        day,
        to_storage(datetime.combine(day, time.min), tz),
        to_storage(datetime.combine(day + timedelta(days=1), time.min), tz),
    )


def stat_column(column):

    if column is None:
        return None
    return {
        "unit_code": StatCount.unit_code,
        "handler_id": StatCount.handler_id,
        "category": StatCount.category,
    }[column.key]


_GROUPING = {"unit_code": "unit", "handler_id": "handler", "category": "category"}


def group_value(column, value):
    return (value or None) if column is not None and column.key == "handler_id" else value


def _counted_live(session: Session, where: list, column) -> dict[object, int]:
    if column is None:
        return {None: session.exec(select(func.count()).select_from(Complaint).where(*where)).one()}
    return dict(session.exec(select(column, func.count()).where(*where).group_by(column)).all())


def _live(session: Session, win: Window, part: str, column) -> dict[object, int]:
    today = today_of(win.now, win.timezone)
    if part == "+contact":
        where = [
            *win.scope,
            # read through the deadline's index (today's few items), not the period's
            func.coalesce(Complaint.received_at, Complaint.received_at) >= win.low,
            func.coalesce(Complaint.received_at, Complaint.received_at) < win.high,
            HANDLED,
            col(Complaint.accepted_at).is_(None),
            col(Complaint.contact_due_at) >= today.start,
            col(Complaint.contact_due_at) < win.now,
        ]
    elif part == "+due":
        lower, upper = max(today.start, win.low), min(win.now, win.high)
        if lower >= upper:
            return {}
        unanswered = or_(col(Complaint.replied_at).is_(None), col(Complaint.replied_at) > col(Complaint.reply_due_at))
        where = [
            *win.scope,
            HANDLED,
            col(Complaint.is_open).is_(True),
            unanswered,
            col(Complaint.reply_due_at) >= lower,
            col(Complaint.reply_due_at) < upper,
        ]
    else:  # "+overdue": open past the current deadline, kept up to yesterday; today's part here
        where = [*win.scope, col(Complaint.is_open).is_(True), col(Complaint.next_due_at) >= today.start]
        where.append(col(Complaint.next_due_at) < win.now)
    return _counted_live(session, where, column)


def _figures(session: Session, win: Window, keys, column=None) -> dict:
    """{key: figure}, or with `column` (unit or handler) {key: {group: figure}} as query_grouped gives."""
    parts = _parts(win.counted)
    needed = {p for key in keys for side in parts[key] if side for p in side}
    by = stat_column(column)
    today = today_of(win.now, win.timezone)
    who, start, end = win.kept()
    grain, where = statcounts.grain_for(who, win.unit_code, fine=by is not None and column.key == "handler_id")
    values: dict[str, dict[object, int]] = {}
    kept = statcounts.period_sums(
        session,
        grain=grain,
        where=where,
        start=start,
        end=end,
        today=today.day,
        measures=[p for p in needed if not p.startswith("+")],
        by=by,
    )
    for key, n in kept.items():
        part, group = key if by is not None else (key, None)
        values.setdefault(part, {})[group_value(column, group)] = n
    for part in needed:
        if part == "+overdue":
            grain, where = statcounts.open_grain(who, win.unit_code, _GROUPING.get(getattr(column, "key", "")))
            found = statcounts.open_sums(session, grain=grain, where=where, today=today.day, by=by)
            counted = {group_value(column, group): figures[1] for group, figures in found.items()}
            for group, n in _live(session, win, part, column).items():
                counted[group] = counted.get(group, 0) + n
            values[part] = counted
        elif part.startswith("+"):
            values[part] = _live(session, win, part, column)

    def total(side) -> dict[object, int]:
        summed: dict[object, int] = {}
        for part in side:
            for group, n in values.get(part, {}).items():
                summed[group] = summed.get(group, 0) + n
        return {group: n for group, n in summed.items() if n}

    out: dict[str, Any] = {}  # a figure per key, or without `column` a figure per group and key
    for key in keys:
        numerator, denominator = parts[key]
        top = total(numerator)
        if column is None:
            out[key] = (
                top.get(None, 0) if denominator is None else Rate(top.get(None, 0), total(denominator).get(None, 0))
            )
        elif denominator is None:
            out[key] = top
        else:
            out[key] = {group: Rate(top.get(group, 0), n) for group, n in total(denominator).items()}
    return out


def measure(session: Session, key: str, win: Window) -> Rate | int:
    """One measure over the window: from the kept counts when they are built in the deployment's zone."""
    if win.who is not None and kept(session, win.timezone):
        return _figures(session, win, [key])[key]
    return query_measure(session, key, win)


def grouped(session: Session, key: str, win: Window, column) -> dict[object, Rate | int]:
    """One measure per value of `column` (unit or handler), for the ranking."""
    return grouped_all(session, [key], win, column)[key]


def grouped_all(session: Session, keys, win: Window, column) -> dict[str, dict[object, Rate | int]]:
    """Several measures per value of `column` at once."""
    if win.who is not None and kept(session, win.timezone):
        return _figures(session, win, list(keys), column)
    return {key: query_grouped(session, key, win, column) for key in keys}


def ordered(counts: dict[K, int]) -> list[tuple[K, int]]:
    return sorted(((k, n) for k, n in counts.items() if n), key=lambda kv: (-kv[1], str(kv[0])))


def dashboard(
    *,
    session: Session,
    runtime: Runtime,
    actor: User,
    start: date,
    end: date,
    unit_code: str | None = None,
    now: datetime,
) -> Dashboard:
    """Every measure over the period, and the volumes of items received in it, that `actor` may see."""

    win = window(runtime=runtime, actor=actor, start=start, end=end, unit_code=unit_code, now=now)
    if not kept(session, win.timezone):
        return query_dashboard(
            session=session, runtime=runtime, actor=actor, start=start, end=end, unit_code=unit_code, now=now
        )
    settings = runtime.settings
    today = today_of(now, win.timezone)
    result = Dashboard(start=start, end=end, rates=_figures(session, win, list(MEASURES)))
    grain, where = statcounts.grain_for(win.kept()[0], unit_code)

    def received(by, in_grain=grain) -> dict:
        found = statcounts.period_sums(
            session, grain=in_grain, where=where, start=start, end=end, today=today.day, measures=["rcv"], by=by
        )
        return {group: n for (_, group), n in found.items()}

    days = received(StatCount.day)
    result.by_day = [
        (start + timedelta(days=i), days.get(start + timedelta(days=i), 0)) for i in range((end - start).days + 1)
    ]
    if grain == "u":
        categories = ordered(received(StatCount.category, "c"))
    else:  # a scope with the person's own items beyond the unit: counted from the items
        period = [*win.scope, Complaint.received_at >= win.low, Complaint.received_at < win.high]
        categories = _grouped(session, col(Complaint.category), period)
    result.by_category = [
        (settings.category_map[c].name if c in settings.category_map else c, n) for c, n in categories
    ]
    result.by_unit = [
        (settings.unit_map[u].name if u in settings.unit_map else u, n)
        for u, n in ordered(received(StatCount.unit_code))
    ]
    late = _figures(session, win, ["overdue_now"], Complaint.handler_id)["overdue_now"]
    ids = [i for i in late if i is not None]
    names = dict(session.exec(select(col(User.id), col(User.name)).where(col(User.id).in_(ids))).all()) if ids else {}
    by_name: dict[str | None, int] = {}
    for handler, n in late.items():
        name = names.get(handler) if handler is not None else None
        by_name[name] = by_name.get(name, 0) + n
    result.overdue_by_handler = [(name or "—", n) for name, n in ordered(by_name)[:15]]
    return result
