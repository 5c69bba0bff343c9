"""The calendar a bureau keeps itself: each layer's declared years with their source, declaring a year
(paste or upload, preview what moves, confirm), correcting and withdrawing it, and overrides."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse
from sqlmodel import select

from complaints.clock import to_local, utcnow
from complaints.errors import DomainError, Forbidden, InvalidInput
from complaints.http import csrf
from complaints.http.session import RuntimeDep, SessionDep, after_commit
from complaints.http.users import PageUser
from complaints.i18n import gettext
from complaints.models import CalendarOverride, User
from complaints.services import calendar as calendar_service
from complaints.web.render import page
from workflows.vocab import Role

router = APIRouter(prefix="/admin/calendar")
MAX_UPLOAD = 256 * 1024
Text = Annotated[str, Form()]
Optional = Annotated[str, Form()]


def _admin(user: User) -> None:
    if Role.ADMIN.value not in user.role_set:
        raise Forbidden(gettext("只有管理员可以访问此页面"))


def _layers(runtime) -> list[dict]:
    """Each layer with the units it applies to and, per unit, how far its calendar is known."""
    settings = runtime.settings
    rows = []
    for name in calendar_service.layer_names(runtime):
        units = [u for u in settings.units if name == "national" or name in settings.calendar.layers_for(u.code)]
        rows.append({"name": name, "label": calendar_service.layer_label(runtime, name), "units": units})
    return rows


def _render(request, user, session, runtime, *, status_code=200, error=None, preview=None, form=None):
    today = to_local(utcnow(), runtime.settings.app.timezone).date()
    years = list(range(today.year - 2, today.year + 2))
    horizons = {u.code: runtime.clock_for(u.code).calendar for u in runtime.settings.units}
    overrides = session.exec(select(CalendarOverride).order_by(CalendarOverride.day.desc()).limit(100)).all()
    return page(
        request,
        "admin_calendar.html",
        status_code=status_code,
        layers=_layers(runtime),
        years=years,
        horizons=horizons,
        history=calendar_service.history_of(session=session),
        overrides=overrides,
        error=error,
        preview=preview,
        form=form or {"year": today.year + 1, "fmt": "lines"},
        formats=calendar_service.FORMATS,
        today=today,
        labels={row["name"]: row["label"] for row in _layers(runtime)},
    )


@router.get("")
def calendar_home(request: Request, user: PageUser, session: SessionDep, runtime: RuntimeDep):
    _admin(user)
    return _render(request, user, session, runtime)


def _form(layer, year, title, number, published, fmt, schedule, upload: UploadFile | None) -> dict:
    text = schedule
    if upload is not None and upload.filename:
        raw = upload.file.read(MAX_UPLOAD + 1)
        if len(raw) > MAX_UPLOAD:
            raise InvalidInput(gettext("文件过大（不超过256 KB）"), field="file")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("gb18030", errors="strict")
        if upload.filename.lower().endswith(".csv"):
            fmt = "csv"
        elif upload.filename.lower().endswith(".toml"):
            fmt = "toml"
    return {
        "layer": layer,
        "year": year,
        "title": title.strip(),
        "number": number.strip(),
        "published": published.strip(),
        "fmt": fmt,
        "schedule": text,
    }


def _declaration(runtime, form: dict):
    try:
        year = int(form["year"])
    except ValueError as exc:
        raise InvalidInput(gettext("年份应为四位数字"), field="year") from exc
    try:
        published = date.fromisoformat(form["published"]) if form["published"] else None
    except ValueError as exc:
        raise InvalidInput(gettext("日期格式应为 YYYY-MM-DD"), field="published") from exc
    return calendar_service.parse(
        runtime=runtime,
        layer=form["layer"],
        year=year,
        text=form["schedule"],
        fmt=form["fmt"],
        title=form["title"],
        number=form["number"],
        published=published,
    )


@router.post("/preview", dependencies=[Depends(csrf.verify)])
def preview_declaration(
    request: Request,
    user: PageUser,
    session: SessionDep,
    runtime: RuntimeDep,
    layer: Text,
    year: Text,
    title: Text = "",
    number: Optional = "",
    published: Optional = "",
    fmt: Text = "lines",
    schedule: Optional = "",
    file: Annotated[UploadFile | None, File()] = None,
):
    """Read and check the schedule, and show which open items' deadlines would move; nothing is saved."""
    _admin(user)
    form: dict[str, object] = {
        "layer": layer,
        "year": year,
        "title": title,
        "number": number,
        "published": published,
        "fmt": fmt,
        "schedule": schedule,
    }
    try:
        form = _form(layer, year, title, number, published, fmt, schedule, file)
        declaration = _declaration(runtime, form)
        calendar_service.check(runtime=runtime, declaration=declaration)
        current = calendar_service.active(session=session, layer=declaration.layer, year=declaration.year)
        moves = calendar_service.preview(
            session=session, runtime=runtime, layer=declaration.layer, year=declaration.year, declaration=declaration
        )
    except DomainError as exc:
        return _render(request, user, session, runtime, status_code=exc.http_status, error=exc, form=form)
    form["version"] = current.version if current else 0
    return _render(
        request,
        user,
        session,
        runtime,
        form=form,
        preview={
            "kind": "declare",
            "declaration": declaration,
            "moves": moves,
            "current": current,
            "label": calendar_service.layer_label(runtime, declaration.layer),
        },
    )


@router.post("/confirm", dependencies=[Depends(csrf.verify)])
def confirm_declaration(
    request: Request,
    user: PageUser,
    session: SessionDep,
    runtime: RuntimeDep,
    layer: Text,
    year: Text,
    title: Text = "",
    number: Optional = "",
    published: Optional = "",
    fmt: Text = "lines",
    schedule: Optional = "",
    version: Optional = "0",
):
    _admin(user)
    form = _form(layer, year, title, number, published, fmt, schedule, None)
    try:
        with session.begin_nested():
            declaration = _declaration(runtime, form)
            calendar_service.confirm(
                session=session,
                runtime=runtime,
                actor=user,
                declaration=declaration,
                now=utcnow(),
                expected_version=int(version) if version.isdigit() else None,
            )
    except DomainError as exc:
        return _render(request, user, session, runtime, status_code=exc.http_status, error=exc, form=form)
    after_commit(session, runtime.reload_calendar)  # this process at once; the others within a minute
    return RedirectResponse("/admin/calendar?done=declared", status_code=303)


@router.post("/withdraw-preview", dependencies=[Depends(csrf.verify)])
def preview_withdrawal(
    request: Request,
    user: PageUser,
    session: SessionDep,
    runtime: RuntimeDep,
    layer: Text,
    year: Text,
    reason: Optional = "",
):
    _admin(user)
    try:
        current = calendar_service.active(session=session, layer=layer, year=int(year))
        if current is None:
            raise InvalidInput(gettext("{year} 年没有已确认的安排可撤回", year=year[:4]), field="year")
        moves = calendar_service.preview(
            session=session, runtime=runtime, layer=layer, year=int(year), declaration=None
        )
    except (DomainError, ValueError) as exc:
        error = exc if isinstance(exc, DomainError) else InvalidInput(gettext("年份应为四位数字"), field="year")
        return _render(request, user, session, runtime, status_code=error.http_status, error=error)
    return _render(
        request,
        user,
        session,
        runtime,
        preview={
            "kind": "withdraw",
            "layer": layer,
            "year": int(year),
            "reason": reason,
            "moves": moves,
            "current": current,
            "label": calendar_service.layer_label(runtime, layer),
        },
    )


@router.post("/withdraw", dependencies=[Depends(csrf.verify)])
def withdraw_declaration(
    request: Request,
    user: PageUser,
    session: SessionDep,
    runtime: RuntimeDep,
    layer: Text,
    year: Text,
    reason: Optional = "",
):
    _admin(user)
    try:
        with session.begin_nested():
            calendar_service.withdraw(
                session=session,
                runtime=runtime,
                actor=user,
                layer=layer,
                year=int(year) if year.isdigit() else 0,
                reason=reason,
                now=utcnow(),
            )
    except DomainError as exc:
        return _render(request, user, session, runtime, status_code=exc.http_status, error=exc)
    after_commit(session, runtime.reload_calendar)
    return RedirectResponse("/admin/calendar?done=withdrawn", status_code=303)


@router.post("/override", dependencies=[Depends(csrf.verify)])
def set_override(
    request: Request,
    user: PageUser,
    session: SessionDep,
    runtime: RuntimeDep,
    day: Text,
    working: Text,
    unit_code: Optional = "",
    reason: Optional = "",
):
    """One day set by hand for a unit (or all units); an empty reason is refused, as is an unknown unit."""
    _admin(user)
    try:
        with session.begin_nested():
            calendar_service.set_override(
                session=session,
                runtime=runtime,
                actor=user,
                unit_code=unit_code,
                day=day,
                working=working == "1",
                reason=reason,
                now=utcnow(),
            )
    except DomainError as exc:
        return _render(request, user, session, runtime, status_code=exc.http_status, error=exc)
    after_commit(session, runtime.reload_calendar)
    return RedirectResponse("/admin/calendar?done=override", status_code=303)
