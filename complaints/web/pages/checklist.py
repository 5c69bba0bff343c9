"""附件1 on a page: the county writes 落实举措 and 检查结论 per row for a reporting period; every version is kept."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from complaints.clock import to_local, utcnow
from complaints.errors import DomainError, Forbidden, InvalidInput
from complaints.http import csrf
from complaints.http.session import RuntimeDep, SessionDep
from complaints.http.users import PageUser
from complaints.i18n import gettext
from complaints.ledgers.forms import ANNEX1_ROWS
from complaints.services import checklist, ledger
from complaints.services.people import names_of
from complaints.web.deps import PageForm
from complaints.web.render import page

router = APIRouter()


def _period(user, runtime, unit_code: str, start: str, end: str) -> ledger.Period:
    if "supervisor" not in user.role_set:
        raise Forbidden(gettext("只有督办人可以访问此页面"))
    today = to_local(utcnow(), runtime.settings.app.timezone).date()
    try:
        first = date.fromisoformat(start[:10]) if start else date(today.year, 5, 1)
        last = date.fromisoformat(end[:10]) if end else date(today.year, 7, 25)
    except ValueError as exc:
        raise InvalidInput(gettext("日期格式应为 YYYY-MM-DD"), field="start") from exc
    unit = unit_code[:8] or user.unit_code
    if unit not in runtime.settings.unit_map:
        raise InvalidInput(gettext("未知单位：{unit}", unit=unit), field="unit_code")
    return ledger.Period(unit_code=unit, start=first, end=last)


def _show(request, user, session, runtime, period: ledger.Period, *, error=None, status_code=200, flashes=()):
    versions = checklist.history(session=session, period=period)
    names = names_of(session, {v.written_by_id for v in versions})
    return page(
        request,
        "checklist.html",
        status_code=status_code,
        period=period,
        rows=ANNEX1_ROWS,
        current=checklist.latest(session=session, period=period),
        versions=versions,
        names=names,
        error=error,
        flashes=flashes,
    )


@router.get("/ledgers/checklist")
def checklist_page(
    request: Request,
    user: PageUser,
    session: SessionDep,
    runtime: RuntimeDep,
    unit_code: str = "",
    start: str = "",
    end: str = "",
    saved: int = -1,
):
    period = _period(user, runtime, unit_code, start, end)
    flashes = [("ok", gettext("已保存 {n} 行", n=saved))] if saved >= 0 else []
    return _show(request, user, session, runtime, period, flashes=flashes)


@router.post("/ledgers/checklist", dependencies=[Depends(csrf.verify)])
def checklist_save(request: Request, form: PageForm, user: PageUser, session: SessionDep, runtime: RuntimeDep):
    period = _period(
        user, runtime, str(form.get("unit_code", "")), str(form.get("start", "")), str(form.get("end", ""))
    )
    texts = {
        row.number: checklist.RowText(
            str(form.get(f"measures{row.number}", "")).strip(), str(form.get(f"conclusion{row.number}", "")).strip()
        )
        for row in ANNEX1_ROWS
    }
    try:
        with session.begin_nested():  # all rows or none
            changed = checklist.save(session=session, runtime=runtime, actor=user, period=period, texts=texts)
    except DomainError as exc:
        return _show(request, user, session, runtime, period, error=exc, status_code=exc.http_status)
    query = f"unit_code={quote(period.unit_code)}&start={period.start}&end={period.end}&saved={changed}"
    return RedirectResponse(f"/ledgers/checklist?{query}", status_code=303)
