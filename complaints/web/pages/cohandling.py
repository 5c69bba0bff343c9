"""主办/协办 on the pages: the lead's supervisor adds cooperating units on the item page; a cooperating
unit's staff see the summary and their own sub-task (and answer it there); their unit's list of sub-tasks."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from complaints.errors import DomainError, NotFound
from complaints.http import csrf
from complaints.http.session import RuntimeDep, SessionDep
from complaints.http.users import PageUser
from complaints.i18n import gettext
from complaints.models import Complaint
from complaints.services import cohandling, queries
from complaints.services.scope import can_see, has_role, sees_as_cooperator_only
from complaints.web.cooperation import cooperation_page
from complaints.web.deps import PageForm
from complaints.web.pages.items import _item_page
from complaints.web.render import page
from workflows.vocab import Role

router = APIRouter()


@router.post("/items/{ref}/cooperation", dependencies=[Depends(csrf.verify)])
def add_cooperation(
    request: Request, ref: str, form: PageForm, user: PageUser, session: SessionDep, runtime: RuntimeDep
):
    item = queries.get(session=session, runtime=runtime, actor=user, ref=ref[:40])
    data = {
        "task": str(form.get("task", "")),
        "within": str(form.get("within", "")) or "3 workdays",
        "grant_identity": form.get("grant_identity") == "on",
    }
    target = str(form.get("target", ""))
    data["unit_code" if target != "outside" else "body"] = (
        target if target != "outside" else str(form.get("body", "")).strip()
    )
    try:
        with session.begin_nested():
            cohandling.add_cooperation(session=session, runtime=runtime, actor=user, item=item, data=data)
    except DomainError as exc:
        return _item_page(request, user, session, runtime, item.tracking_no, error=exc, status_code=exc.http_status)
    return RedirectResponse(f"/items/{item.tracking_no}#cooperation", status_code=303)


@router.post("/cooperation/{task_id}/answer", dependencies=[Depends(csrf.verify)])
def answer_task(
    request: Request, task_id: int, form: PageForm, user: PageUser, session: SessionDep, runtime: RuntimeDep
):
    task = cohandling.get_task(session, task_id)
    item = session.get(Complaint, task.complaint_id)
    if item is None or not can_see(user, item, runtime.settings):
        raise NotFound(gettext("找不到协办任务：{id}", id=task_id), field="task")
    try:
        with session.begin_nested():
            cohandling.answer(session=session, runtime=runtime, actor=user, task=task, text=str(form.get("text", "")))
    except DomainError as exc:
        if sees_as_cooperator_only(user, item, runtime.settings):
            return cooperation_page(request, user, session, runtime, item, error=exc, status_code=exc.http_status)

        return _item_page(request, user, session, runtime, item.tracking_no, error=exc, status_code=exc.http_status)
    return RedirectResponse(f"/items/{item.tracking_no}#cooperation", status_code=303)


@router.get("/cooperation")
def unit_tasks(request: Request, user: PageUser, session: SessionDep, runtime: RuntimeDep):
    """The open sub-tasks the user's unit cooperates on, and those on items it leads."""
    mine = cohandling.open_tasks_for_unit(session, runtime, user.unit_code)
    led = (
        cohandling.open_tasks_led_by(session, runtime, user.unit_code)
        if has_role(user, Role.SUPERVISOR, Role.HANDLER)
        else []
    )
    return page(request, "cooperation_list.html", mine=mine, led=led, units=runtime.settings.unit_map)
