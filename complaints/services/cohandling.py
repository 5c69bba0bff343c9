"""主办/协办: a supervisor of the lead unit (the item's own unit, 主办) brings in cooperating units — other
bureaus of the deployment, or outside bodies (公安, 民政, 住建, a school) kept as contacts — each with its
own sub-task, deadline and written input. The lead's handler compiles the single reply (谁承办、谁答复
stays with the lead). A bureau's staff see the item's summary and their sub-task, not the complainant
unless the supervisor granted it (services/scope.py); an outside body's input is recorded by the lead."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from complaints import notify
from complaints.clock import utcnow
from complaints.errors import Conflict, Forbidden, InvalidInput, NotFound, validate
from complaints.i18n import gettext
from complaints.models import NOTE_MAX, Complaint, CoTask, Event, OutsideBody, User
from complaints.presenters import due_text
from complaints.runtime import Runtime
from complaints.services import deadlines
from complaints.services.people import check_unit
from complaints.services.scope import has_role, sees_all_units
from complaints.tables import id_of, stored
from workflows.deadlines import Limit
from workflows.events import EventKind
from workflows.vocab import Role

OPEN = "open"


class CooperationIn(BaseModel):
    model_config = {"extra": "forbid", "str_strip_whitespace": True}
    unit_code: str | None = Field(default=None, max_length=8, description="a bureau of the deployment")
    body: str | None = Field(default=None, max_length=100, description="or an outside body, by name")
    task: str = Field(min_length=2, max_length=NOTE_MAX, description="what the cooperating unit is to answer")
    within: str = Field(default="3 workdays", max_length=32)
    grant_identity: bool = False


def _leads(actor: User, item: Complaint, runtime: Runtime) -> bool:
    """A supervisor over the lead unit."""
    return has_role(actor, Role.SUPERVISOR) and (
        actor.unit_code == item.unit_code or sees_all_units(actor, runtime.settings)
    )


def _mark(codes: set[str]) -> str | None:
    return "," + ",".join(sorted(codes)) + "," if codes else None


def refresh_marks(session: Session, item: Complaint) -> None:
    """The item's cooperating bureaus, as the visibility rules read them."""
    tasks = session.exec(
        select(CoTask).where(
            col(CoTask.complaint_id) == item.id, col(CoTask.status) != "withdrawn", col(CoTask.unit_code).is_not(None)
        )
    ).all()
    item.co_units = _mark({t.unit_code for t in tasks if t.unit_code is not None})
    item.co_identity_units = _mark({t.unit_code for t in tasks if t.unit_code is not None and t.grant_identity})
    session.add(item)


def _body(session: Session, actor: User, name: str) -> OutsideBody:
    body = session.exec(select(OutsideBody).where(col(OutsideBody.name) == name)).first()
    if body is None:
        body = OutsideBody(name=name, created_by_id=actor.id)
        session.add(body)
        session.flush()
    return body


def add_cooperation(
    *, session: Session, runtime: Runtime, actor: User, item: Complaint, data: dict, now: datetime | None = None
) -> CoTask:
    """A cooperating unit's sub-task on `item`, with its deadline; its staff are told."""
    payload = validate(CooperationIn, data)
    now = now or utcnow()
    if not _leads(actor, item, runtime):
        raise Forbidden(gettext("只有主办单位的督办人可以增加协办单位"), field="unit_code")
    if not item.is_open:
        raise InvalidInput(gettext("该诉求件已办结，不能再增加协办单位"), field="unit_code")
    if bool(payload.unit_code) == bool(payload.body):
        raise InvalidInput(gettext("请选择一个协办单位：本系统的单位，或填写外部单位名称"), field="unit_code")
    body = None
    if payload.unit_code:
        check_unit(runtime.settings, payload.unit_code)
        if payload.unit_code == item.unit_code:
            raise InvalidInput(gettext("主办单位不能同时是协办单位"), field="unit_code")
        if _open_task(session, item, payload.unit_code) is not None:
            raise Conflict(gettext("该单位已在协办此件"), field="unit_code")
    else:
        body = _body(session, actor, payload.body)
    try:
        amount = Limit.parse(payload.within)
    except ValueError as exc:
        raise InvalidInput(
            gettext("期限格式不正确：{text}（如 “3 workdays”）", text=payload.within[:32]), field="within"
        ) from exc
    due_at, _ = deadlines.due_from(now, amount, runtime)
    task = CoTask(
        complaint_id=id_of(item),
        unit_code=payload.unit_code,
        body_id=body.id if body else None,
        task=payload.task,
        due_at=due_at,
        grant_identity=payload.grant_identity and bool(payload.unit_code),
        created_by_id=actor.id,
        created_at=now,
    )
    session.add(task)
    session.flush()
    refresh_marks(session, item)
    who = name_of(task, runtime, body)
    _event(
        session,
        item,
        actor,
        now,
        gettext("增加协办单位：{who}，期限 {due}", who=who, due=due_text(due_at, runtime.settings.app.timezone)),
    )
    if task.unit_code:
        for person in _staff_of(session, task.unit_code):
            notify.staff(
                session=session,
                runtime=runtime,
                kind="cooperation",
                user=person,
                item=item,
                actor=actor,
                note=payload.task,
                now=now,
            )
    return task


def _open_task(session: Session, item: Complaint, unit_code: str) -> CoTask | None:
    return session.exec(
        select(CoTask).where(
            col(CoTask.complaint_id) == item.id, col(CoTask.unit_code) == unit_code, col(CoTask.status) == OPEN
        )
    ).first()


def _staff_of(session: Session, unit_code: str) -> list[User]:
    people = session.exec(select(User).where(col(User.unit_code) == unit_code, col(User.active).is_(True))).all()
    return [p for p in people if p.role_set & {Role.SUPERVISOR.value}]


def _event(session: Session, item: Complaint, actor: User, now: datetime, note: str) -> None:
    session.add(Event(complaint_id=id_of(item), at=now, actor_id=actor.id, action=EventKind.COOPERATION, note=note))


def get_task(session: Session, task_id: int) -> CoTask:
    task = session.get(CoTask, task_id) if 0 < task_id <= 2**31 - 1 else None
    if task is None:
        raise NotFound(gettext("找不到协办任务：{id}", id=task_id), field="task")
    return task


def answer(
    *, session: Session, runtime: Runtime, actor: User, task: CoTask, text: str, now: datetime | None = None
) -> CoTask:
    """The cooperating unit's written input (for an outside body, recorded by the lead); the lead is told."""
    now = now or utcnow()
    item = stored(session, Complaint, task.complaint_id)
    own_unit = (
        task.unit_code is not None
        and actor.unit_code == task.unit_code
        and has_role(actor, Role.SUPERVISOR, Role.HANDLER)
    )
    recorded_by_lead = task.unit_code is None and (_leads(actor, item, runtime) or item.handler_id == actor.id)
    if not (own_unit or recorded_by_lead):
        raise Forbidden(gettext("只有协办单位的人员（外部单位由主办单位代录）可以提交协办意见"), field="task")
    if task.status != OPEN:
        raise Conflict(gettext("该协办任务已答复或已撤回"), field="task")
    text = (text or "").strip()
    if not 2 <= len(text) <= NOTE_MAX:
        raise InvalidInput(gettext("协办意见应为2–{max}字", max=NOTE_MAX), field="text")
    task.status, task.input_text, task.answered_at, task.answered_by_id = "answered", text, now, actor.id
    session.add(task)
    body = session.get(OutsideBody, task.body_id) if task.body_id else None
    _event(
        session,
        item,
        actor,
        now,
        gettext("{who}提交协办意见：{text}", who=name_of(task, runtime, body), text=text[:500]),
    )
    if item.handler_id is not None:
        notify.staff(
            session=session,
            runtime=runtime,
            kind="cooperation_answered",
            user=item.handler_id,
            item=item,
            actor=actor,
            note=text[:200],
            now=now,
        )
    session.flush()
    return task


def tasks_of(session: Session, item: Complaint) -> list[CoTask]:
    return list(session.exec(select(CoTask).where(col(CoTask.complaint_id) == item.id).order_by(col(CoTask.id))))


def name_of(task: CoTask, runtime: Runtime, body: OutsideBody | None = None) -> str:
    if task.unit_code:
        unit = runtime.settings.unit_map.get(task.unit_code)
        return unit.name if unit else task.unit_code
    return body.name if body else gettext("外部单位")


def names_for(session: Session, runtime: Runtime, item: Complaint) -> list[str]:
    """The cooperating units of an item, for 附件2."""
    names = []
    for task in tasks_of(session, item):
        if task.status != "withdrawn":
            body = session.get(OutsideBody, task.body_id) if task.body_id else None
            names.append(name_of(task, runtime, body))
    return names


Row = tuple[CoTask, Complaint, str]  # the sub-task, its item, the cooperating unit's name


def _open(session: Session, runtime: Runtime, where, limit: int) -> list[Row]:
    rows = session.exec(
        select(CoTask, Complaint, OutsideBody)
        .join(Complaint, col(Complaint.id) == CoTask.complaint_id)
        .join(OutsideBody, col(OutsideBody.id) == CoTask.body_id, isouter=True)
        .where(where, col(CoTask.status) == OPEN)
        .order_by(col(CoTask.due_at))
        .limit(limit)
    ).all()
    return [(task, item, name_of(task, runtime, body)) for task, item, body in rows]


def open_tasks_for_unit(session: Session, runtime: Runtime, unit_code: str, *, limit: int = 100) -> list[Row]:
    """A unit's open 协办 sub-tasks, soonest due first (its staff's list, the board)."""
    return _open(session, runtime, col(CoTask.unit_code) == unit_code, limit)


def open_tasks_led_by(session: Session, runtime: Runtime, unit_code: str, *, limit: int = 100) -> list[Row]:
    """The open sub-tasks on items the unit leads (主办), soonest due first."""
    return _open(session, runtime, col(Complaint.unit_code) == unit_code, limit)


def sweep_overdue(*, session: Session, runtime: Runtime, now: datetime) -> int:
    """The SLA sweep's part for 协办: a sub-task past its deadline is reported once, to the cooperating
    unit's supervisors and to the lead's handler."""
    late = session.exec(
        select(CoTask)
        .where(col(CoTask.status) == OPEN, col(CoTask.due_at) < now, col(CoTask.overdue_at).is_(None))
        .limit(1000)
    ).all()
    for task in late:
        task.overdue_at = now
        session.add(task)
        item = stored(session, Complaint, task.complaint_id)
        body = session.get(OutsideBody, task.body_id) if task.body_id else None
        who = name_of(task, runtime, body)
        people = _staff_of(session, task.unit_code) if task.unit_code else []
        if item.handler_id is not None:
            people.append(stored(session, User, item.handler_id))
        for person in people:
            notify.staff(
                session=session, runtime=runtime, kind="cooperation_overdue", user=person, item=item, note=who, now=now
            )
    session.flush()
    return len(late)
