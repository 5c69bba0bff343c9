"""The supervisor's pages: the overdue board with one-click 督办, approvals, the dashboard, ledgers."""

from __future__ import annotations

from datetime import date, timedelta
from io import BytesIO
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import col, select

from complaints.clock import to_local, utcnow
from complaints.errors import DomainError, Forbidden, InvalidInput
from complaints.http import csrf
from complaints.http.session import ReadSessionDep, RuntimeDep, SessionDep
from complaints.http.users import PageUser
from complaints.i18n import gettext
from complaints.models import Event, User
from complaints.presenters import action_label
from complaints.services import cohandling, identity, ledger, openwork, queries, stats
from complaints.services.people import names_of
from complaints.services.replies import pending_versions
from complaints.services.scope import sees_all_units
from complaints.services.transitions import act
from complaints.settings import Category, Unit
from complaints.web import charts
from complaints.web.deps import PageForm
from complaints.web.render import named, page
from workflows.lifecycle import Action
from workflows.vocab import Status

router = APIRouter()


def _supervisor(user) -> None:
    if "supervisor" not in user.role_set:
        raise Forbidden(gettext("只有督办人可以访问此页面"))


@router.get("/board")
def board(request: Request, user: PageUser, session: SessionDep, runtime: RuntimeDep, unit_code: str = ""):
    _supervisor(user)
    now = utcnow()
    unit = unit_code[:8] or None
    overdue, n_overdue = queries.list_complaints(
        session=session,
        runtime=runtime,
        actor=user,
        now=now,
        filters=queries.ListFilter(unit_code=unit, overdue=True, limit=100),
    )
    soon, n_soon = queries.list_complaints(
        session=session,
        runtime=runtime,
        actor=user,
        now=now,
        filters=queries.ListFilter(unit_code=unit, due_soon=True, limit=100),
    )
    groups = openwork.overdue_groups(session=session, runtime=runtime, actor=user, unit_code=unit, now=now)
    names = names_of(session, {i.handler_id for i in [*overdue, *soon]} | {h for h, _ in groups["handler"]})
    handlers = session.exec(
        select(User)
        .where(
            col(User.roles).contains("handler"),
            col(User.active).is_(True),
            *(() if sees_all_units(user, runtime.settings) else (User.unit_code == user.unit_code,)),
        )
        .order_by(User.unit_code, User.name)
        .limit(500)
    ).all()
    return page(
        request,
        "board.html",
        overdue=overdue,
        soon=soon,
        n_overdue=n_overdue,
        n_soon=n_soon,
        groups=groups,
        names=names,
        now=now,
        unit_code=unit or "",
        masked=identity.masked,
        cotasks=cohandling.open_tasks_led_by(session, runtime, unit or user.unit_code)
        + cohandling.open_tasks_for_unit(session, runtime, unit or user.unit_code),
        handlers=handlers,
    )


@router.post("/board/supervise/{ref}", dependencies=[Depends(csrf.verify)])
def supervise(ref: str, form: PageForm, user: PageUser, session: SessionDep, runtime: RuntimeDep):
    """督办 in one click: a supervision order with the default deadline."""
    _supervisor(user)
    item = queries.get(session=session, runtime=runtime, actor=user, ref=ref[:40])
    note = str(form.get("note") or gettext("请抓紧办理，按时答复")).strip()[:500]
    act(session=session, runtime=runtime, actor=user, item=item, action=Action.SUPERVISE, payload={"note": note})
    return RedirectResponse(f"/board?done={quote(item.tracking_no)}", status_code=303)


REQUESTS = {
    Status.EXTENSION_REQUESTED: Action.REQUEST_EXTENSION,
    Status.SENDBACK_REQUESTED: Action.SEND_BACK,
    Status.REPLY_PENDING_APPROVAL: Action.SUBMIT_REPLY,
}


@router.get("/approvals")
def approvals(
    request: Request, user: PageUser, session: SessionDep, runtime: RuntimeDep, done: str = "", item: str = ""
):
    """Extension and send-back requests, each with what was asked and why, decided right here."""
    _supervisor(user)
    waiting = {}
    for status in REQUESTS:
        waiting[status], _ = queries.list_complaints(
            session=session, runtime=runtime, actor=user, filters=queries.ListFilter(status=status, limit=200)
        )
    asked = _latest_requests(session, [i for items in waiting.values() for i in items])
    templates = []
    try:
        templates = pending_versions(session=session, runtime=runtime, actor=user)
    except ImportError:
        templates = []
    names = names_of(
        session, {i.handler_id for items in waiting.values() for i in items} | {e.actor_id for e in asked.values()}
    )
    flashes = []
    if done in {a.value for a in Action}:
        flashes = [("ok", gettext("已完成：{action}（{item}）", action=action_label(done), item=item[:40]))]
    return page(
        request,
        "approvals.html",
        waiting=waiting,
        templates=templates,
        names=names,
        now=utcnow(),
        masked=identity.masked,
        asked=asked,
        flashes=flashes,
    )


def _latest_requests(session, items) -> dict[int, Event]:
    """The request event each waiting item is waiting on (its latest request of that kind)."""
    if not items:
        return {}
    kinds = {i.id: REQUESTS[i.status] for i in items}
    found: dict[int, Event] = {}
    query = (
        select(Event)
        .where(col(Event.complaint_id).in_(list(kinds)), col(Event.action).in_([a.value for a in REQUESTS.values()]))
        .order_by(col(Event.id))
    )
    for event in session.exec(query):
        if event.action == kinds[event.complaint_id]:
            found[event.complaint_id] = event
    return found


def _period(start: str, end: str, tz: str) -> tuple[date, date]:
    today = to_local(utcnow(), tz).date()
    try:
        first = date.fromisoformat(start) if start else today - timedelta(days=29)
        last = date.fromisoformat(end) if end else today
    except ValueError as exc:
        raise InvalidInput(gettext("日期格式应为 YYYY-MM-DD"), field="from") from exc
    if last < first or (last - first).days > 366:
        raise InvalidInput(gettext("统计区间应在一年以内，且截止日期不早于起始日期"), field="to")
    return first, last


@router.get("/dashboard")
def dashboard(
    request: Request,
    user: PageUser,
    reads: ReadSessionDep,
    runtime: RuntimeDep,
    unit_code: str = "",
    start: str = "",
    end: str = "",
):
    _supervisor(user)
    first, last = _period(start[:10], end[:10], runtime.settings.app.timezone)
    result = stats.dashboard(
        session=reads,
        runtime=runtime,
        actor=user,
        start=first,
        end=last,
        unit_code=unit_code[:8] or None,
        now=utcnow(),
    )
    things: list[Category | Unit] = [*runtime.settings.categories, *runtime.settings.units]
    local = {thing.name: named(thing) for thing in things}
    return page(
        request,
        "dashboard.html",
        result=result,
        unit_code=unit_code[:8],
        measures=stats.MEASURES,
        counted_note=stats.COUNTED_NOTES[runtime.settings.callbacks.counted],
        day_chart=charts.bars([(d.strftime("%m-%d"), n) for d, n in result.by_day], height=160),
        category_chart=charts.hbars([(local.get(name, name), n) for name, n in result.by_category]),
        unit_chart=charts.hbars([(local.get(name, name), n) for name, n in result.by_unit]),
    )


@router.get("/ledgers")
def ledgers(request: Request, user: PageUser, runtime: RuntimeDep):
    _supervisor(user)
    today = to_local(utcnow(), runtime.settings.app.timezone).date()
    return page(request, "ledgers.html", start=date(today.year, 1, 1), end=today, error=None)


@router.get("/ledgers/export")
def ledger_export(
    request: Request,
    user: PageUser,
    session: SessionDep,
    runtime: RuntimeDep,
    annex: int = 2,
    unit_code: str = "",
    start: str = "",
    end: str = "",
    fmt: str = "xlsx",
    identity: str = "",
    answered: str = "",
):
    _supervisor(user)
    try:
        period = ledger.Period(
            unit_code=unit_code[:8] or user.unit_code,
            start=date.fromisoformat(start[:10]),
            end=date.fromisoformat(end[:10]),
        )
    except ValueError:
        return page(
            request,
            "ledgers.html",
            status_code=422,
            start=start,
            end=end,
            error=InvalidInput(gettext("日期格式应为 YYYY-MM-DD"), field="from"),
        )
    buffer = BytesIO()
    try:
        ledger.export(
            session=session,
            runtime=runtime,
            actor=user,
            annex=annex,
            period=period,
            fmt=fmt[:4],
            stream=buffer,
            with_identity=identity == "1",
            include_answered=answered == "1",
        )
    except DomainError as exc:
        return page(request, "ledgers.html", status_code=exc.http_status, start=start, end=end, error=exc)
    filename = f"附件{annex}_{period.unit_code}_{period.start}_{period.end}.{fmt}"
    media = (
        "text/csv; charset=utf-8"
        if fmt == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return Response(
        buffer.getvalue(),
        media_type=media,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )
