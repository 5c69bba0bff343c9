"""The SLA sweep: items entering "due soon" or "overdue" get exactly one event each, a notification,
and (overdue) an automatic 督办. Set-based: a few statements, whatever the number of items.

The complaint table is read once and written once per sweep: one statement collects every item entering
a state (with flags saying which) into a temporary table, one UPDATE marks them all; the events and
notices are then written from that small table. At a million open items the table no longer fits in
memory, and each pass over it was most of the sweep's time."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    CursorResult,
    Integer,
    String,
    and_,
    case,
    column,
    delete,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    table,
    text,
)
from sqlmodel import Session, col

from complaints.i18n import gettext
from complaints.jobs.registry import every_minutes, job
from complaints.jobs.sqltext import local_due_text, sql_format, supervisor_of_unit
from complaints.jobs.system import system_user
from complaints.models import Complaint, Event, Notification, User
from complaints.notify import webhooks
from complaints.runtime import Runtime
from complaints.services import cohandling, deadlines
from complaints.tables import id_of, table_of
from workflows.deadlines import Limit
from workflows.events import EventKind
from workflows.vocab import N_

C = Complaint
# The items entering a state, with what the events and notices say of them: the statements after the
# collection read these few rows, not the complaint table again (one scan of it per statement on PostgreSQL).
_HIT_COLUMNS: list[tuple[str, Any, str]] = [  # name, type, its PostgreSQL declaration (SQLite stores what it is given)
    ("id", Integer, "BIGINT PRIMARY KEY"),
    ("unit_code", String, "TEXT"),
    ("handler_id", Integer, "BIGINT"),
    ("status", String, "TEXT"),
    ("tracking_no", String, "TEXT"),
    ("summary", String, "TEXT"),
    ("next_due_at", table_of(C).c.next_due_at.type, "TIMESTAMPTZ"),
    ("supervise_due_at", table_of(C).c.supervise_due_at.type, "TIMESTAMPTZ"),
    ("overdue", Boolean, "BOOLEAN"),  # which states the item enters (overdue and due soon exclude each other)
    ("due_soon", Boolean, "BOOLEAN"),
    ("lapsed", Boolean, "BOOLEAN"),
]
HIT = table("sla_hit", *(column(name, kind) for name, kind, _ in _HIT_COLUMNS))
H = HIT.c
_PG_COLUMNS = ", ".join(f"{name} {declared}" for name, _, declared in _HIT_COLUMNS)
_SQLITE_COLUMNS = ", ".join(["id INTEGER PRIMARY KEY", *(name for name, _, _ in _HIT_COLUMNS[1:])])
TEMP_DDL = {
    "postgresql": f"CREATE TEMP TABLE IF NOT EXISTS sla_hit ({_PG_COLUMNS}) ON COMMIT DROP",
    "sqlite": f"CREATE TEMP TABLE IF NOT EXISTS sla_hit ({_SQLITE_COLUMNS})",
}
NOTIFY_COLUMNS = ["user_id", "complaint_id", "kind", "subject", "body", "created_at", "channel", "attempts"]
LISTED = 20  # items named in a supervisor's notice
EVENT_COLUMNS = ["complaint_id", "at", "actor_id", "action", "from_status", "to_status", "note", "changes"]


@dataclass
class Sweep:
    session: Session
    runtime: Runtime
    now: datetime
    actor_id: int

    @property
    def dialect(self) -> str:
        return self.session.get_bind().dialect.name

    def due_text(self, value: ColumnElement) -> ColumnElement[str]:
        return local_due_text(value, dialect=self.dialect, tz=self.runtime.settings.app.timezone, now=self.now)


def newly_overdue(now: datetime) -> ColumnElement[bool]:
    # warn_at <= next_due_at always, so the (is_open, warn_at) index serves this too
    return and_(
        col(C.is_open).is_(True),
        col(C.warn_at) <= now,
        col(C.next_due_at) <= now,
        or_(col(C.overdue_due_at).is_(None), col(C.overdue_due_at) != col(C.next_due_at)),
    )


def newly_lapsed_supervision(now: datetime, prefecture: str) -> ColumnElement[bool]:
    """A 督办 whose own deadline has passed with the item still open, not yet reported upward. The
    prefecture's own items have no one above them in the system. A running 督办 is one of the stage's
    deadlines, so warn_at <= next_due_at <= supervise_due_at <= now: the (is_open, warn_at) index serves
    this, and a paused (suspended) or answered item is not chased."""
    return and_(
        col(C.is_open).is_(True),
        col(C.warn_at) <= now,
        col(C.supervise_due_at) <= now,
        col(C.unit_code) != prefecture,
        or_(col(C.escalated_due_at).is_(None), col(C.escalated_due_at) != col(C.supervise_due_at)),
    )


def newly_due_soon(now: datetime) -> ColumnElement[bool]:
    return and_(
        col(C.is_open).is_(True),
        col(C.warn_at) <= now,
        col(C.next_due_at) > now,
        or_(col(C.warned_due_at).is_(None), col(C.warned_due_at) != col(C.next_due_at)),
    )


@job(
    "sla_sweep",
    trigger=every_minutes(lambda s: s.jobs.sla_sweep_minutes),
    description="时限巡检：即将超期、已超期提醒与自动督办",
)
def sla_sweep(*, session: Session, runtime: Runtime, now: datetime) -> dict[str, int]:
    session.flush()
    sweep = Sweep(session, runtime, now, id_of(system_user(session=session, settings=runtime.settings)))
    session.execute(text(TEMP_DDL[sweep.dialect]))
    found = _collect(sweep, runtime.settings.app.prefecture_unit)
    counts = {"overdue": found["overdue"]}
    if any(found.values()):
        supervise_due = _supervise_due(sweep) if found["overdue"] else None
        newly_supervised = _post_supervise_deadlines(sweep) if found["overdue"] and _webhooks(sweep) else None
        _mark(sweep, supervise_due)
        if newly_supervised is not None and supervise_due is not None:
            newly_supervised(supervise_due)
    counts["notified_overdue"] = _tell_overdue(sweep) if found["overdue"] else 0
    counts["due_soon"] = found["due_soon"]
    counts["notified_due_soon"] = _tell_due_soon(sweep) if found["due_soon"] else 0
    counts["supervision_lapsed"] = found["lapsed"]
    counts["escalated"] = _escalate(sweep) if found["lapsed"] else 0
    session.expire_all()  # the rows changed under the ORM's feet
    counts["cooperation_overdue"] = cohandling.sweep_overdue(session=session, runtime=runtime, now=now)
    return counts


def _collect(sweep: Sweep, prefecture: str) -> dict[str, int]:
    """Every item entering a state, in one pass over the complaint table, with a flag per state; locked
    on PostgreSQL so no action changes them under the sweep. The three conditions are those above, each
    read before anything is marked: marking overdue changes no item's lapse (a 督办 deadline it sets is in
    the future), nor whether it is due soon (overdue and due soon exclude each other)."""
    now = sweep.now
    sweep.session.execute(delete(HIT))
    overdue, due_soon = newly_overdue(now), newly_due_soon(now)
    lapsed = newly_lapsed_supervision(now, prefecture)
    flags = [case((condition, True), else_=False) for condition in (overdue, due_soon, lapsed)]
    names = [c.name for c in HIT.columns]
    chosen = (
        select(*(table_of(C).c[name] for name in names[: -len(flags)]), *flags)
        .where(col(C.is_open).is_(True), col(C.warn_at) <= now, or_(overdue, due_soon, lapsed))
        .with_for_update(of=C)
    )
    sweep.session.execute(insert(HIT).from_select(names, chosen))
    if sweep.dialect == "postgresql":
        sweep.session.execute(text("ANALYZE sla_hit"))  # a temporary table has no statistics otherwise
    totals = sweep.session.execute(
        select(*(func.coalesce(func.sum(case((H[name], 1), else_=0)), 0) for name in ("overdue", "due_soon", "lapsed")))
    ).one()
    return dict(zip(("overdue", "due_soon", "lapsed"), (int(n) for n in totals), strict=True))


def _count(sweep: Sweep, statement) -> int:
    """Execute and return the rows written (INSERT ... SELECT reports them only when asked to)."""
    result = sweep.session.execute(statement, execution_options={"preserve_rowcount": True})
    if not isinstance(result, CursorResult):  # what INSERT, UPDATE and DELETE return
        raise RuntimeError(f"a write returned {type(result).__name__}")
    return result.rowcount


def _webhooks(sweep: Sweep) -> bool:
    return sweep.runtime.settings.webhooks.enabled


def _supervise_due(sweep: Sweep) -> datetime:
    """The default 督办 deadline, from now, of an item the sweep finds overdue."""
    amount = Limit.parse(sweep.runtime.settings.limits.supervise_default)
    due, _ = deadlines.due_from(sweep.now, amount, sweep.runtime)
    return due


def _mark(sweep: Sweep, supervise_due: datetime | None) -> None:
    """One UPDATE for every item collected. Overdue: the notice is sent for this deadline (due soon
    included), and a 督办 deadline someone already set is left as it is, otherwise the default one from
    now. Due soon: warned for this deadline. A lapsed 督办: reported for this 督办 deadline (the value
    before this statement, which for a lapsed item it leaves unchanged)."""
    entering = or_(H.overdue.is_(True), H.due_soon.is_(True))
    sweep.session.execute(
        table_of(C)
        .update()
        .where(col(C.id) == H.id)
        .values(
            overdue_due_at=case((H.overdue.is_(True), C.next_due_at), else_=C.overdue_due_at),
            warned_due_at=case((entering, C.next_due_at), else_=C.warned_due_at),
            supervise_due_at=case(
                (and_(H.overdue.is_(True), col(C.supervise_due_at).is_(None)), supervise_due),
                else_=col(C.supervise_due_at),
            ),
            escalated_due_at=case((H.lapsed.is_(True), C.supervise_due_at), else_=C.escalated_due_at),
        )
    )
    if supervise_due is None:  # nothing overdue
        return
    default = literal(supervise_due, H.supervise_due_at.type)
    sweep.session.execute(
        HIT.update().where(H.overdue.is_(True)).values(supervise_due_at=func.coalesce(H.supervise_due_at, default))
    )


def _tell_overdue(sweep: Sweep) -> int:
    where = H.overdue.is_(True)
    due = sweep.due_text(H.next_due_at)
    _add_events(sweep, where, EventKind.SLA_OVERDUE, sql_format(gettext("已超期（期限：{due}）"), due=due), None)
    _add_events(
        sweep,
        where,
        EventKind.SUPERVISE,
        sql_format(gettext("超期自动督办，督办期限：{due}"), due=sweep.due_text(H.supervise_due_at)),
        {"automatic": True},
    )
    subject = sql_format(gettext("诉求件 {tracking_no} 已超期"), tracking_no=H.tracking_no)
    body = sql_format(
        gettext("诉求件 {tracking_no}（{summary}）已超过办理期限 {due}，已自动督办，请尽快办理。"),
        tracking_no=H.tracking_no,
        summary=H.summary,
        due=due,
    )
    return _notify_handlers(sweep, where, "overdue", subject, body) + tell_supervisors(
        sweep, where, "overdue", N_("本单位新增 {n} 件超期诉求（已自动督办）"), unhandled_only=False
    )


def _post_supervise_deadlines(sweep: Sweep):
    """The webhooks of the 督办 deadlines the sweep sets (items that had none), posted once it has set them."""
    ids = list(sweep.session.execute(select(H.id).where(H.overdue.is_(True), H.supervise_due_at.is_(None))).scalars())

    def post(due: datetime) -> None:
        items: Iterable[Complaint] = (
            sweep.session.execute(
                select(Complaint).where(col(Complaint.id).in_(ids)).execution_options(populate_existing=True)
            ).scalars()
            if ids
            else []
        )
        for item in items:
            webhooks.item_changed(
                session=sweep.session,
                runtime=sweep.runtime,
                item=item,
                action=EventKind.SUPERVISE,
                changes={"supervise_due_at": [None, due.isoformat()]},
                now=sweep.now,
            )

    return post


def _tell_due_soon(sweep: Sweep) -> int:
    where = H.due_soon.is_(True)
    due = sweep.due_text(H.next_due_at)
    _add_events(sweep, where, EventKind.SLA_DUE_SOON, sql_format(gettext("即将超期（期限：{due}）"), due=due), None)
    subject = sql_format(gettext("诉求件 {tracking_no} 即将超期"), tracking_no=H.tracking_no)
    body = sql_format(
        gettext("诉求件 {tracking_no}（{summary}）将于 {due} 到期，请及时办理。"),
        tracking_no=H.tracking_no,
        summary=H.summary,
        due=due,
    )
    # an item nobody handles yet is the supervisors' to dispatch
    return _notify_handlers(sweep, where, "due_soon", subject, body) + tell_supervisors(
        sweep, where, "due_soon", N_("本单位有 {n} 件尚未派单的诉求即将超期"), unhandled_only=True
    )


def _escalate(sweep: Sweep) -> int:
    """提级督办: a lapsed 督办 is reported to the prefecture bureau's supervisors, once per 督办 deadline."""
    settings = sweep.runtime.settings
    prefecture = settings.unit_map[settings.app.prefecture_unit]
    where = H.lapsed.is_(True)
    _add_events(
        sweep,
        where,
        EventKind.SUPERVISION_LAPSED,
        sql_format(
            gettext("督办期限（{due}）已过仍未办结，已报{unit}提级督办"),
            due=sweep.due_text(H.supervise_due_at),
            unit=literal(prefecture.name),
        ),
        None,
    )
    subject = sql_format(gettext("诉求件 {tracking_no} 督办逾期"), tracking_no=H.tracking_no)
    body = sql_format(
        gettext("诉求件 {tracking_no}（{summary}）的督办期限 {due} 已过，仍未办结，已报上级提级督办。"),
        tracking_no=H.tracking_no,
        summary=H.summary,
        due=sweep.due_text(H.supervise_due_at),
    )
    return _notify_handlers(sweep, where, "supervision_lapsed", subject, body) + tell_supervisors(
        sweep,
        where,
        EventKind.SUPERVISION_LAPSED,
        N_("各县市新增 {n} 件督办逾期诉求，请提级督办"),
        unhandled_only=False,
        unit=prefecture.code,
    )


def _add_events(
    sweep: Sweep, where: ColumnElement[bool], action: EventKind, note: ColumnElement, changes: dict | None
) -> int:
    rows = (
        select(
            H.id,
            literal(sweep.now, table_of(Event).c.at.type),
            literal(sweep.actor_id),
            literal(action),
            H.status,
            H.status,
            note,
            literal(changes, table_of(Event).c.changes.type) if changes else null(),
        )
        .where(where)
        .order_by(H.id)
    )
    return _count(sweep, insert(Event).from_select(EVENT_COLUMNS, rows))


def _notification_row(sweep: Sweep, user_id: ColumnElement, kind: str, subject, body):
    return (
        user_id,
        H.id,
        literal(kind),
        subject,
        body,
        literal(sweep.now, table_of(Notification).c.created_at.type),
        literal("web"),
        literal(0),
    )


def _notify_handlers(sweep: Sweep, where: ColumnElement[bool], kind: str, subject, body) -> int:
    rows = select(*_notification_row(sweep, H.handler_id, kind, subject, body)).where(where, H.handler_id.is_not(None))
    return _count(sweep, insert(Notification).from_select(NOTIFY_COLUMNS, rows))


def tell_supervisors(
    sweep: Sweep,
    entering: ColumnElement[bool],
    kind: str,
    subject: str,
    *,
    unhandled_only: bool,
    unit: str | None = None,
) -> int:
    """One notice per supervisor and unit per sweep, listing the items (a burst of overdue items must not
    bury them); an item of its own when there is only one. With `unit`, that unit's supervisors are told
    of every item, whichever unit it is in."""
    where = [entering, H.handler_id.is_(None)] if unhandled_only else [entering]
    if unit:
        count, first = sweep.session.execute(select(func.count(), func.min(H.id)).where(*where)).one()
        per_unit: Sequence[Any] = [(unit, count, first)] if count else []
    else:
        per_unit = sweep.session.execute(
            select(H.unit_code, func.count(), func.min(H.id)).where(*where).group_by(H.unit_code)
        ).all()
    written = 0
    for unit_code, count, first_id in per_unit:
        mine = [] if unit else [H.unit_code == unit_code]
        listed = sweep.session.execute(
            select(H.tracking_no, H.summary).where(*where, *mine).order_by(H.next_due_at, H.id).limit(LISTED)
        ).all()
        lines = [f"{tracking_no} {summary[:30]}" for tracking_no, summary in listed]
        if count > LISTED:
            lines.append(gettext("……另有 {n} 件，请在系统中查看", n=count - LISTED))
        supervisors = sweep.session.execute(
            select(col(User.id)).where(supervisor_of_unit(literal(unit_code)))
        ).scalars()
        for user_id in supervisors:
            sweep.session.add(
                Notification(
                    user_id=user_id,
                    complaint_id=first_id if count == 1 else None,
                    kind=kind,
                    subject=gettext(subject, n=count),
                    body="\n".join(lines),
                    created_at=sweep.now,
                )
            )
            written += 1
    sweep.session.flush()
    return written
