"""The items behind each figure of the dashboard, and the monthly ranking (考核) with its export."""

from __future__ import annotations

from io import BytesIO
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from complaints.clock import to_local, utcnow
from complaints.errors import Forbidden
from complaints.http.session import RuntimeDep, SessionDep
from complaints.http.users import PageUser
from complaints.i18n import gettext
from complaints.services import identity, queries, ranking, stats
from complaints.services.people import names_of
from complaints.web.pages.supervisor import _period
from complaints.web.render import page

router = APIRouter()
PAGE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _supervisor(user) -> None:
    if "supervisor" not in user.role_set:
        raise Forbidden(gettext("只有督办人可以访问此页面"))


@router.get("/dashboard/items")
def figure_items(
    request: Request,
    user: PageUser,
    session: SessionDep,
    runtime: RuntimeDep,
    measure: str = "",
    part: str = "numerator",
    start: str = "",
    end: str = "",
    unit_code: str = "",
    offset: int = 0,
):
    """The list of items one figure of the dashboard counts."""
    _supervisor(user)
    first, last = _period(start[:10], end[:10], runtime.settings.app.timezone)
    now = utcnow()
    win = stats.window(runtime=runtime, actor=user, start=first, end=last, unit_code=unit_code[:8] or None, now=now)
    filters = queries.ListFilter(offset=max(0, min(offset, 10**6)), limit=PAGE)
    items, total = stats.members(
        session=session, key=measure[:20], part=part[:12], win=win, limit=PAGE, offset=filters.offset
    )
    names = names_of(session, {i.handler_id for i in items})
    base = (
        f"/dashboard/items?measure={quote(measure[:20])}&part={quote(part[:12])}&start={first}&end={last}"
        f"&unit_code={quote(unit_code[:8])}&"
    )
    return page(
        request,
        "figure_items.html",
        items=items,
        total=total,
        filters=filters,
        names=names,
        now=now,
        masked=identity.masked,
        spec=stats.MEASURES[measure[:20]],
        part=part,
        start=first,
        end=last,
        unit_code=unit_code[:8],
        base=base,
    )


def _month(month: str, runtime) -> str:
    return month[:7] or to_local(utcnow(), runtime.settings.app.timezone).strftime("%Y-%m")


@router.get("/ranking")
def ranking_page(
    request: Request, user: PageUser, session: SessionDep, runtime: RuntimeDep, month: str = "", by: str = "unit"
):
    _supervisor(user)
    month = _month(month, runtime)
    rows = ranking.rank(session=session, runtime=runtime, actor=user, month=month, by=by[:8], now=utcnow())
    return page(
        request,
        "ranking.html",
        rows=rows,
        month=month,
        by=by[:8],
        columns=ranking.COLUMNS,
        measures=stats.MEASURES,
        cell=ranking.cell,
    )


@router.get("/ranking/export")
def ranking_export(
    request: Request, user: PageUser, session: SessionDep, runtime: RuntimeDep, month: str = "", by: str = "unit"
):
    _supervisor(user)
    month = _month(month, runtime)
    rows = ranking.rank(session=session, runtime=runtime, actor=user, month=month, by=by[:8], now=utcnow())
    whom = gettext("承办人") if by == "handler" else gettext("单位")
    title = gettext("{month} 考核排名（按{whom}）", month=month, whom=whom)
    buffer = BytesIO()
    ranking.export(rows, title=title, stream=buffer)
    filename = f"考核排名_{by[:8]}_{month}.xlsx"
    return Response(
        buffer.getvalue(),
        media_type=XLSX,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )
