"""Declaring a calendar layer's year: read the whole schedule, check it, preview what moves, confirm,
correct or withdraw it (versioned and audited), and recompute the open items' deadlines."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlmodel import Session, col, select

from complaints.errors import Conflict, Forbidden, InvalidInput
from complaints.i18n import gettext
from complaints.models import AuditLog, CalendarDeclaration, CalendarOverride, Complaint, Event, Notification, User
from complaints.notify import webhooks
from complaints.runtime import Declared, Runtime, declared_of
from complaints.services import deadlines
from complaints.tables import id_of
from workflows.calendar import Source
from workflows.calendar_declare import (
    NATIONAL,
    Declaration,
    ScheduleError,
    parse_csv,
    parse_lines,
    parse_toml,
    problems,
)
from workflows.events import EventKind

FORMATS = ("lines", "csv", "toml")
BATCH = 500


@dataclass(frozen=True)
class Move:
    """One open item whose deadlines a change would move: each deadline's (old, new), and provisional."""

    item: Complaint
    changes: dict[str, tuple[datetime | None, datetime | None]]
    provisional: tuple[bool, bool]

    def days(self, name: str) -> int | None:
        """By how many calendar days a deadline moves (None when one side is missing)."""
        old, new = self.changes[name]
        return (new.date() - old.date()).days if old and new else None


def layer_names(runtime: Runtime) -> list[str]:
    """ "national" and each regional layer configured for some unit."""
    return [NATIONAL, *(layer.name for layer in runtime.settings.calendar.layers)]


def layer_label(runtime: Runtime, name: str) -> str:
    if name == NATIONAL:
        return gettext("全国（国务院办公厅通知）")
    for layer in runtime.calendar_data().layers:
        if layer.name == name:
            return layer.label
    return name


def parse(
    *,
    runtime: Runtime,
    layer: str,
    year: int,
    text: str,
    fmt: str,
    title: str = "",
    number: str = "",
    published: date | None = None,
) -> Declaration:
    """The declaration an admin pasted or uploaded; a text that cannot be read says where."""
    if layer not in layer_names(runtime):
        raise InvalidInput(gettext("未知的日历层：{layer}", layer=layer[:32]), field="layer")
    if not 2000 <= year <= 2100:
        raise InvalidInput(gettext("年份应在2000至2100之间"), field="year")
    if fmt not in FORMATS:
        raise InvalidInput(gettext("未知的格式：{fmt}", fmt=fmt[:16]), field="format")
    try:
        if fmt == "toml":
            days, source = parse_toml(text, year)
            source = Source(title or source.title, number or source.number, published or source.published)
        else:
            days = parse_csv(text) if fmt == "csv" else parse_lines(text)
            source = Source(title, number, published)
    except ScheduleError as exc:
        raise InvalidInput(gettext("全年安排无法读取：{error}", error=str(exc)[:300]), field="schedule") from exc
    if not source.title.strip():
        raise InvalidInput(gettext("请填写通知标题（来源）"), field="title")
    return Declaration(layer=layer, year=year, days=days, source=source)


def check(*, runtime: Runtime, declaration: Declaration) -> None:
    """Refuse a declaration that lacks a statutory holiday or festival, or has a weekday make-up day."""
    required = next((x.required for x in runtime.calendar_data().layers if x.name == declaration.layer), ())
    found = problems(declaration, required=required)
    if found:
        raise InvalidInput("；".join(_message(p.code, p.detail) for p in found), field="schedule")


def _message(code: str, detail: str) -> str:
    messages = {
        "missing_holiday": gettext("缺少法定节假日（国务院令第795号）：{detail}", detail=detail),
        "makeup_not_weekend": gettext("调休上班日 {detail} 不是周末", detail=detail),
        "missing_festival": gettext("缺少{detail}的放假安排", detail=detail),
        "wrong_year": gettext("{detail} 不在所申报的年份", detail=detail),
        "both": gettext("{detail} 既是休息日又是上班日", detail=detail),
        "empty": gettext("全年安排为空：请粘贴通知中的全部放假日和调休上班日"),
    }
    return messages[code]


def active(*, session: Session, layer: str, year: int) -> CalendarDeclaration | None:
    return session.exec(
        select(CalendarDeclaration).where(
            col(CalendarDeclaration.layer) == layer,
            col(CalendarDeclaration.year) == year,
            col(CalendarDeclaration.status) == "active",
        )
    ).first()


def _declared(declaration: Declaration) -> Declared:
    return Declared(layer=declaration.layer, year=declaration.year, schedule=declaration.schedule())


def variant(runtime: Runtime, *, layer: str, year: int, declaration: Declaration | None) -> Runtime:
    """The runtime with (layer, year) declared as given, or undeclared when declaration is None."""
    kept = [d for d in runtime.declarations if (d.layer, d.year) != (layer, year)]
    return runtime.with_declarations(kept + ([_declared(declaration)] if declaration else []))


def preview(
    *, session: Session, runtime: Runtime, layer: str, year: int, declaration: Declaration | None
) -> list[Move]:
    """Which open items' deadlines the change would move, and how; nothing is written."""
    after = variant(runtime, layer=layer, year=year, declaration=declaration)
    moves: list[Move] = []
    with session.no_autoflush:
        for item, history in _affected(session, runtime, layer, year):
            before = _snapshot(item)
            deadlines.replay(item, history, after)
            move = _move(item, before)
            _restore(item, before)
            if move is not None:
                moves.append(move)
    for item in session.dirty:  # the replay touched the objects; the preview leaves them as they were
        session.expire(item)
    return moves


def _require_admin(actor: User) -> None:
    if "admin" not in actor.role_set:
        raise Forbidden(gettext("只有管理员可以修改工作日历"))


def confirm(
    *,
    session: Session,
    runtime: Runtime,
    actor: User,
    declaration: Declaration,
    now: datetime,
    expected_version: int | None = None,
) -> CalendarDeclaration:
    """Declare (or correct) a year: the earlier version is superseded, every moved item is recomputed."""
    _require_admin(actor)
    check(runtime=runtime, declaration=declaration)
    current = active(session=session, layer=declaration.layer, year=declaration.year)
    if expected_version is not None and (current.version if current else 0) != expected_version:
        raise Conflict(gettext("该年安排已被他人修改，请重新预览"))
    version = 1 + max(
        session.exec(
            select(CalendarDeclaration.version).where(
                col(CalendarDeclaration.layer) == declaration.layer, col(CalendarDeclaration.year) == declaration.year
            )
        ).all(),
        default=0,
    )
    if current is not None:
        current.status, current.ended_by_id, current.ended_at = "superseded", actor.id, now
        current.end_reason = gettext("已由第 {version} 版更正", version=version)
        session.add(current)
        session.flush()
    row = CalendarDeclaration(
        layer=declaration.layer,
        year=declaration.year,
        version=version,
        status="active",
        title=declaration.source.title[:200],
        number=declaration.source.number[:100],
        published_on=declaration.source.published,
        created_by_id=actor.id,
        created_at=now,
        days=[[d.day.isoformat(), d.working, d.name] for d in sorted(declaration.days, key=lambda d: d.day)],
    )
    session.add(row)
    session.add(
        AuditLog(
            actor_id=actor.id,
            at=now,
            action="calendar_declare",
            detail={
                "layer": row.layer,
                "year": row.year,
                "version": version,
                "title": row.title,
                "number": row.number,
                "days": len(row.days),
            },
        )
    )
    session.flush()
    note = gettext(
        "{layer} {year} 年全年安排（{source}）第 {version} 版已确认：期限按新日历重算",
        layer=layer_label(runtime, row.layer),
        year=row.year,
        source=str(declaration.source),
        version=version,
    )
    recompute(
        session=session,
        runtime=variant(runtime, layer=row.layer, year=row.year, declaration=declaration),
        layer=row.layer,
        year=row.year,
        now=now,
        note=note,
    )
    return row


def withdraw(
    *, session: Session, runtime: Runtime, actor: User, layer: str, year: int, reason: str, now: datetime
) -> CalendarDeclaration:
    """Withdraw a confirmed year: its deadlines turn provisional (estimated) again."""
    _require_admin(actor)
    current = active(session=session, layer=layer, year=year)
    if current is None:
        raise InvalidInput(gettext("{year} 年没有已确认的安排可撤回", year=year), field="year")
    if len(reason.strip()) < 2:
        raise InvalidInput(gettext("请说明撤回原因"), field="reason")
    current.status, current.ended_by_id, current.ended_at, current.end_reason = (
        "withdrawn",
        actor.id,
        now,
        reason.strip()[:200],
    )
    session.add(current)
    session.add(
        AuditLog(
            actor_id=actor.id,
            at=now,
            action="calendar_withdraw",
            detail={"layer": layer, "year": year, "version": current.version, "reason": reason[:200]},
        )
    )
    session.flush()
    note = gettext(
        "{layer} {year} 年全年安排已撤回（{reason}）：该年内的期限重新按估算（暂定）",
        layer=layer_label(runtime, layer),
        year=year,
        reason=reason.strip()[:200],
    )
    recompute(
        session=session,
        runtime=variant(runtime, layer=layer, year=year, declaration=None),
        layer=layer,
        year=year,
        now=now,
        note=note,
    )
    return current


def set_override(
    *,
    session: Session,
    runtime: Runtime,
    actor: User,
    unit_code: str,
    day: str,
    working: bool,
    reason: str,
    now: datetime,
) -> CalendarOverride:
    """Set one day by hand for a unit ("" for all), audited; the open items it concerns are recomputed."""
    _require_admin(actor)
    if unit_code and unit_code not in runtime.settings.unit_map:
        raise InvalidInput(gettext("未知单位：{unit}", unit=unit_code[:8]), field="unit_code")
    try:
        when = date.fromisoformat(day)
    except ValueError as exc:
        raise InvalidInput(gettext("日期格式应为 YYYY-MM-DD"), field="day") from exc
    if len(reason.strip()) < 2:
        raise InvalidInput(gettext("请写明依据（通知文号或原因）"), field="reason")
    row = session.get(CalendarOverride, (unit_code, when)) or CalendarOverride(
        unit_code=unit_code, day=when, working=working
    )
    row.working, row.reason, row.created_by_id, row.created_at = working, reason.strip()[:200], actor.id, now
    session.add(row)
    session.add(
        AuditLog(
            actor_id=actor.id,
            at=now,
            action="calendar_override",
            detail={"unit": unit_code, "day": when.isoformat(), "working": working, "reason": row.reason},
        )
    )
    session.flush()
    kept = [o for o in runtime.overrides if (o[0], o[1]) != (unit_code, when)]
    after = replace(runtime.with_declarations(runtime.declarations), overrides=[*kept, (unit_code, when, working)])
    note = gettext(
        "{day} 已人工设为{kind}（{reason}）：期限按新日历重算",
        day=when.isoformat(),
        reason=row.reason,
        kind=gettext("工作日") if working else gettext("休息日"),
    )
    recompute(
        session=session,
        runtime=after,
        layer=NATIONAL,
        year=when.year,
        now=now,
        note=note,
        units=[unit_code] if unit_code else None,
    )
    return row


def recompute(
    *,
    session: Session,
    runtime: Runtime,
    layer: str,
    year: int,
    now: datetime,
    note: str,
    units: list[str] | None = None,
) -> int:
    """Replay every affected open item on the new calendar; each one that moved gets a history event naming
    each deadline's old and new value, and its handler is told."""
    moved = 0
    for item, history in _affected(session, runtime, layer, year, units):
        before = _snapshot(item)
        deadlines.replay(item, history, runtime)
        move = _move(item, before)
        if move is None:
            continue
        changes: dict[str, object] = {name: [_iso(old), _iso(new)] for name, (old, new) in move.changes.items()}
        if move.provisional[0] != move.provisional[1]:
            changes["due_provisional"] = list(move.provisional)
        session.add(
            Event(
                complaint=item,
                complaint_id=id_of(item),
                at=now,
                action=EventKind.DEADLINE_RECOMPUTED,
                from_status=item.status,
                to_status=item.status,
                note=note,
                changes=changes,
            )
        )
        webhooks.item_changed(
            session=session, runtime=runtime, item=item, changes=changes, action=EventKind.DEADLINE_RECOMPUTED, now=now
        )
        if item.handler_id is not None:
            session.add(
                Notification(
                    user_id=item.handler_id,
                    complaint_id=item.id,
                    kind="deadline_moved",
                    created_at=now,
                    body=note,
                    subject=gettext("{no} 的办理期限已调整", no=item.tracking_no),
                )
            )
        moved += 1
    session.flush()
    return moved


def _affected(session: Session, runtime: Runtime, layer: str, year: int, units: list[str] | None = None):
    """Open items of the units the layer applies to, each with its history, a batch at a time. Items whose
    dates all lie outside the year (by a margin for periods running into it) are left as stored."""
    units = units or [
        u.code
        for u in runtime.settings.units
        if layer == NATIONAL or layer in runtime.settings.calendar.layers_for(u.code)
    ]
    start, end = datetime(year - 1, 7, 1), datetime(year + 1, 1, 1)
    query = select(Complaint).where(col(Complaint.is_open).is_(True), col(Complaint.unit_code).in_(units))
    last_id = 0
    while batch := session.exec(
        query.where(col(Complaint.id) > last_id).order_by(col(Complaint.id)).limit(BATCH)
    ).all():
        last_id = id_of(batch[-1])
        batch = [i for i in batch if _touches(i, start, end)]
        history: dict[int, list[Event]] = {}
        for event in session.exec(
            select(Event).where(col(Event.complaint_id).in_([i.id for i in batch])).order_by(col(Event.id))
        ):
            history.setdefault(event.complaint_id, []).append(event)
        for item in batch:
            yield item, history.get(id_of(item), [])


def _touches(item: Complaint, start: datetime, end: datetime) -> bool:
    moments = [item.received_at, *(getattr(item, n) for n in deadlines.STORED)]
    return any(m is not None and start <= m.replace(tzinfo=None) <= end for m in moments)


_KEPT = (*deadlines.STORED, "next_due_at", "warn_at", "due_provisional", "reply_period_end", "suspended_at")


def _snapshot(item: Complaint) -> dict:
    return {name: getattr(item, name) for name in _KEPT}


def _restore(item: Complaint, values: dict) -> None:
    for name, value in values.items():
        setattr(item, name, value)


def _move(item: Complaint, before: dict) -> Move | None:
    changes = {n: (before[n], getattr(item, n)) for n in deadlines.STORED if before[n] != getattr(item, n)}
    provisional = (before["due_provisional"], item.due_provisional)
    if not changes and provisional[0] == provisional[1]:
        return None
    return Move(item=item, changes=changes, provisional=provisional)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def history_of(*, session: Session, layer: str | None = None) -> list[CalendarDeclaration]:
    """Every version of every declared year, newest first."""
    query = select(CalendarDeclaration).order_by(
        col(CalendarDeclaration.year).desc(), col(CalendarDeclaration.layer), col(CalendarDeclaration.version).desc()
    )
    if layer:
        query = query.where(col(CalendarDeclaration.layer) == layer)
    return list(session.exec(query))


def as_declared(row: CalendarDeclaration) -> Declared:
    return declared_of(row)
