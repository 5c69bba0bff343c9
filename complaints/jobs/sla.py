"""The SLA sweep: items entering "due soon" or "overdue" get exactly one event each, a notification,
and (overdue) an automatic 督办. Set-based: a few statements, whatever the number of items."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Executable,
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
from sqlalchemy.types import TypeEngine
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
_HIT_COLUMNS: list[
    tuple[str, TypeEngine[Any] | type[TypeEngine[Any]], str]
] = [  # name, type, its PostgreSQL declaration (SQLite stores what it is given)
    ("id", Integer, "BIGINT PRIMARY KEY"),
    ("unit_code", String, "TEXT"),
    ("handler_id", Integer, "BIGINT"),
    ("status", String, "TEXT"),
    ("tracking_no", String, "TEXT"),
    ("summary", String, "TEXT"),
    ("next_due_at", table_of(C).c.next_due_at.type, "TIMESTAMPTZ"),
    ("supervise_due_at", table_of(C).c.supervise_due_at.type, "TIMESTAMPTZ"),
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
    counts = {"overdue": _collect(sweep, newly_overdue(now))}
    counts["notified_overdue"] = _mark_overdue(sweep) if counts["overdue"] else 0
    counts["due_soon"] = _collect(sweep, newly_due_soon(now))
    counts["notified_due_soon"] = _mark_due_soon(sweep) if counts["due_soon"] else 0
    counts["supervision_lapsed"] = _collect(sweep, newly_lapsed_supervision(now, runtime.settings.app.prefecture_unit))
    counts["escalated"] = _escalate(sweep) if counts["supervision_lapsed"] else 0
    session.expire_all()  # the rows changed under the ORM's feet
    counts["cooperation_overdue"] = cohandling.sweep_overdue(session=session, runtime=runtime, now=now)
    return counts


def _collect(sweep: Sweep, condition: ColumnElement[bool]) -> int:
    """The ids entering the state, locked on PostgreSQL so no action changes them under the sweep."""
    sweep.session.execute(delete(HIT))
    names = [c.name for c in HIT.columns]
    chosen = select(*(table_of(C).c[name] for name in names)).where(condition).with_for_update(of=C)
    found = _count(sweep, insert(HIT).from_select(names, chosen))
    if sweep.dialect == "postgresql":
        sweep.session.execute(text("ANALYZE sla_hit"))  # a temporary table has no statistics otherwise
    return found


def _count(sweep: Sweep, statement: Executable) -> int:
    """Execute and return the rows written (INSERT ... SELECT reports them only when asked to)."""
    result = sweep.session.execute(statement, execution_options={"preserve_rowcount": True})
    return cast(CursorResult[Any], result).rowcount  # a DML statement's result is a cursor's


def _hits():
    return select(HIT.c.id)


def _mark_overdue(sweep: Sweep) -> int:
    session, now = sweep.session, sweep.now
    amount = Limit.parse(sweep.runtime.settings.limits.supervise_default)
    supervise_due, _ = deadlines.due_from(now, amount, sweep.runtime)
    # a 督办 deadline someone already set is left as it is; otherwise the default one from now
    session.execute(
        table_of(C)
        .update()
        .where(col(C.id).in_(_hits()))
        .values(
            overdue_due_at=C.next_due_at,
            warned_due_at=C.next_due_at,
            supervise_due_at=case((col(C.supervise_due_at).is_(None), supervise_due), else_=col(C.supervise_due_at)),
        )
    )
    default = literal(supervise_due, H.supervise_due_at.type)
    newly_supervised = _post_supervise_deadlines(sweep) if sweep.runtime.settings.webhooks.enabled else None
    session.execute(HIT.update().values(supervise_due_at=func.coalesce(H.supervise_due_at, default)))
    if newly_supervised is not None:
        newly_supervised(supervise_due)
    due = sweep.due_text(H.next_due_at)
    _add_events(sweep, EventKind.SLA_OVERDUE, sql_format(gettext("已超期（期限：{due}）"), due=due), None)
    _add_events(
        sweep,
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
    return _notify_handlers(sweep, "overdue", subject, body) + tell_supervisors(
        sweep, "overdue", N_("本单位新增 {n} 件超期诉求（已自动督办）"), unhandled_only=False
    )


def _post_supervise_deadlines(sweep: Sweep):
    """The webhooks of the 督办 deadlines the sweep sets (items that had none), posted once it has set them."""
    ids = list(sweep.session.execute(select(H.id).where(H.supervise_due_at.is_(None))).scalars())

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


def _mark_due_soon(sweep: Sweep) -> int:
    sweep.session.execute(table_of(C).update().where(col(C.id).in_(_hits())).values(warned_due_at=col(C.next_due_at)))
    due = sweep.due_text(H.next_due_at)
    _add_events(sweep, EventKind.SLA_DUE_SOON, sql_format(gettext("即将超期（期限：{due}）"), due=due), None)
    subject = sql_format(gettext("诉求件 {tracking_no} 即将超期"), tracking_no=H.tracking_no)
    body = sql_format(
        gettext("诉求件 {tracking_no}（{summary}）将于 {due} 到期，请及时办理。"),
        tracking_no=H.tracking_no,
        summary=H.summary,
        due=due,
    )
    # an item nobody handles yet is the supervisors' to dispatch
    return _notify_handlers(sweep, "due_soon", subject, body) + tell_supervisors(
        sweep, "due_soon", N_("本单位有 {n} 件尚未派单的诉求即将超期"), unhandled_only=True
    )


def _escalate(sweep: Sweep) -> int:
    """提级督办: a lapsed 督办 is reported to the prefecture bureau's supervisors, once per 督办 deadline."""
    settings = sweep.runtime.settings
    prefecture = settings.unit_map[settings.app.prefecture_unit]
    sweep.session.execute(
        table_of(C).update().where(col(C.id).in_(_hits())).values(escalated_due_at=col(C.supervise_due_at))
    )
    _add_events(
        sweep,
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
    return _notify_handlers(sweep, "supervision_lapsed", subject, body) + tell_supervisors(
        sweep,
        EventKind.SUPERVISION_LAPSED,
        N_("各县市新增 {n} 件督办逾期诉求，请提级督办"),
        unhandled_only=False,
        unit=prefecture.code,
    )


def _add_events(sweep: Sweep, action: EventKind, note: ColumnElement, changes: dict | None) -> int:
    rows = select(
        H.id,
        literal(sweep.now, table_of(Event).c.at.type),
        literal(sweep.actor_id),
        literal(action),
        H.status,
        H.status,
        note,
        literal(changes, table_of(Event).c.changes.type) if changes else null(),
    ).order_by(H.id)
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


def _notify_handlers(sweep: Sweep, kind: str, subject, body) -> int:
    rows = select(*_notification_row(sweep, H.handler_id, kind, subject, body)).where(H.handler_id.is_not(None))
    return _count(sweep, insert(Notification).from_select(NOTIFY_COLUMNS, rows))


def tell_supervisors(sweep: Sweep, kind: str, subject: str, *, unhandled_only: bool, unit: str | None = None) -> int:
    """One notice per supervisor and unit per sweep, listing the items (a burst of overdue items must not
    bury them); an item of its own when there is only one. With `unit`, that unit's supervisors are told
    of every item, whichever unit it is in."""
    where = [H.handler_id.is_(None)] if unhandled_only else []
    if unit:
        count, first = sweep.session.execute(select(func.count(), func.min(H.id)).where(*where)).one()
        per_unit: Sequence[tuple[str, int, int]] = [(unit, count, first)] if count else []
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
