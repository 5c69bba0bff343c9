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
from complaints.models import Complaint, OutsideBody, User
from complaints.services import cohandling, identity
from complaints.services import complaints as service
from complaints.services.scope import can_see, has_role, sees_all_units, sees_as_cooperator_only
from complaints.web.deps import PageForm
from complaints.web.render import page
from workflows.vocab import Role

router = APIRouter()


def _rows(session, runtime, tasks) -> list[dict]:
    rows = []
    for task in tasks:
        body = session.get(OutsideBody, task.body_id) if task.body_id else None
        rows.append({"task": task, "name": cohandling.name_of(task, runtime, body), "outside": body is not None})
    return rows


def cooperation_context(session, runtime, user: User, item: Complaint) -> dict:
    """What the item page shows of 主办/协办 to the lead and those above it."""
    leads = has_role(user, Role.SUPERVISOR) and (
        user.unit_code == item.unit_code or sees_all_units(user, runtime.settings)
    )
    records = leads or item.handler_id == user.id  # an outside body's input is typed in by the lead
    return {
        "cotasks": _rows(session, runtime, cohandling.tasks_of(session, item)),
        "may_add_cooperation": leads and item.is_open,
        "may_record_input": records,
        "other_units": [u for u in runtime.settings.units if u.code != item.unit_code],
    }


def cooperation_page(request, user, session, runtime, item, *, error=None, status_code=200):
    """A cooperating unit's view: the summary and its own sub-task, nothing of the complainant unless granted."""
    mine = [t for t in cohandling.tasks_of(session, item) if t.unit_code == user.unit_code]
    who = identity.for_viewer(session=session, settings=runtime.settings, actor=user, item=item)
    return page(
        request,
        "cooperation.html",
        status_code=status_code,
        item=item,
        rows=_rows(session, runtime, mine),
        who=who,
        error=error,
        lead=runtime.settings.unit_map[item.unit_code].name,
    )


@router.post("/items/{ref}/cooperation", dependencies=[Depends(csrf.verify)])
def add_cooperation(
    request: Request, ref: str, form: PageForm, user: PageUser, session: SessionDep, runtime: RuntimeDep
):
    item = service.get(session=session, runtime=runtime, actor=user, ref=ref[:40])
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
        from complaints.web.pages.items import _item_page

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
        from complaints.web.pages.items import _item_page

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
