"""/api/complaints/{ref}/cooperation and /api/cooperation: 主办/协办 sub-tasks of an item."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from complaints.api.complaints import Ref
from complaints.errors import NotFound
from complaints.http.session import RuntimeDep, SessionDep
from complaints.http.users import CurrentUser
from complaints.i18n import gettext
from complaints.models import NOTE_MAX, Complaint, CoTask, OutsideBody
from complaints.runtime import Runtime
from complaints.services import cohandling, queries
from complaints.services.scope import can_see, cooperates_on, sees_as_cooperator_only

router = APIRouter(tags=["cooperation"])
TaskId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class TaskOut(BaseModel):
    id: int
    tracking_no: str
    summary: str
    lead_unit: str
    cooperating: str = Field(description="the cooperating bureau's or outside body's name")
    unit_code: str | None
    task: str
    due_at: datetime
    status: str
    input_text: str | None
    answered_at: datetime | None
    grant_identity: bool


class AnswerIn(BaseModel):
    model_config = {"extra": "forbid"}
    text: str = Field(min_length=2, max_length=NOTE_MAX)


def task_out(session, runtime: Runtime, task: CoTask, item) -> TaskOut:
    body = session.get(OutsideBody, task.body_id) if task.body_id else None
    return TaskOut(
        id=task.id,
        tracking_no=item.tracking_no,
        summary=item.summary,
        lead_unit=item.unit_code,
        cooperating=cohandling.name_of(task, runtime, body),
        unit_code=task.unit_code,
        task=task.task,
        due_at=task.due_at,
        status=task.status,
        input_text=task.input_text,
        answered_at=task.answered_at,
        grant_identity=task.grant_identity,
    )


def visible_tasks(user, item, tasks: list[CoTask], runtime: Runtime) -> list[CoTask]:
    """A cooperating unit sees its own sub-task; the lead and those above see them all."""
    if sees_as_cooperator_only(user, item, runtime.settings):
        return [t for t in tasks if t.unit_code == user.unit_code]
    return tasks


@router.get("/api/complaints/{ref}/cooperation", response_model=list[TaskOut], summary="协办任务")
def list_tasks(ref: Ref, user: CurrentUser, session: SessionDep, runtime: RuntimeDep) -> list[TaskOut]:
    item = queries.get(session=session, runtime=runtime, actor=user, ref=ref)
    tasks = visible_tasks(user, item, cohandling.tasks_of(session, item), runtime)
    return [task_out(session, runtime, t, item) for t in tasks]


@router.post(
    "/api/complaints/{ref}/cooperation",
    status_code=201,
    response_model=TaskOut,
    summary="增加协办单位（主办单位督办人）",
)
def add_task(
    ref: Ref, data: cohandling.CooperationIn, user: CurrentUser, session: SessionDep, runtime: RuntimeDep
) -> TaskOut:
    item = queries.get(session=session, runtime=runtime, actor=user, ref=ref)
    task = cohandling.add_cooperation(
        session=session, runtime=runtime, actor=user, item=item, data=data.model_dump(exclude_none=True)
    )
    return task_out(session, runtime, task, item)


@router.get("/api/cooperation", response_model=list[TaskOut], summary="本单位的协办任务")
def my_unit_tasks(user: CurrentUser, session: SessionDep, runtime: RuntimeDep) -> list[TaskOut]:
    rows = cohandling.open_tasks_for_unit(session, runtime, user.unit_code)
    return [task_out(session, runtime, t, item) for t, item, _ in rows if cooperates_on(user, item)]


@router.post("/api/cooperation/{task_id}/answer", response_model=TaskOut, summary="提交协办意见")
def answer_task(
    task_id: TaskId, data: AnswerIn, user: CurrentUser, session: SessionDep, runtime: RuntimeDep
) -> TaskOut:
    task = cohandling.get_task(session, task_id)
    item = session.get(Complaint, task.complaint_id)
    if item is None or not can_see(user, item, runtime.settings):
        raise NotFound(gettext("找不到协办任务：{id}", id=task_id), field="task")
    cohandling.answer(session=session, runtime=runtime, actor=user, task=task, text=data.text)
    return task_out(session, runtime, task, item)
