"""Admin pages: people and roles, routing rules, categories, scheduler runs (the calendar: pages/calendar.py)."""

from __future__ import annotations

import re

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlmodel import select

from complaints.clock import utcnow
from complaints.errors import DomainError, Forbidden, InvalidInput
from complaints.http import csrf
from complaints.http.session import RuntimeDep, SessionDep, after_commit
from complaints.http.users import PageUser
from complaints.i18n import gettext
from complaints.models import CategoryEdit, JobRun, RoutingRule, User
from complaints.services import people
from complaints.services.scope import sees_all_units
from complaints.web.deps import PageForm
from complaints.web.render import page
from workflows.vocab import Role

router = APIRouter(prefix="/admin")


def _admin(user: User) -> None:
    if Role.ADMIN.value not in user.role_set:
        raise Forbidden(gettext("只有管理员可以访问此页面"))


def _units_for(user: User, runtime) -> list:
    everyone = sees_all_units(user, runtime.settings)
    return [u for u in runtime.settings.units if everyone or u.code == user.unit_code]


def _render(request, user, session, runtime, *, error=None, status_code=200, flashes=()):
    units = {u.code for u in _units_for(user, runtime)}
    users = session.exec(select(User).where(User.unit_code.in_(units)).order_by(User.unit_code, User.id)).all()
    rules = session.exec(select(RoutingRule).where(RoutingRule.unit_code.in_(units))).all()
    runs = session.exec(select(JobRun).order_by(JobRun.id.desc()).limit(30)).all()
    return page(
        request,
        "admin.html",
        status_code=status_code,
        users=users,
        rules=rules,
        runs=runs,
        units=_units_for(user, runtime),
        roles=[r.value for r in Role],
        horizon=runtime.clock.calendar.horizon(),
        error=error,
        flashes=flashes,
        names={u.id: u.name for u in users},
    )


@router.get("")
def admin_home(request: Request, user: PageUser, session: SessionDep, runtime: RuntimeDep):
    _admin(user)
    return _render(request, user, session, runtime)


def _apply(request, form, user, session, runtime, change):
    """Run one admin change; a refused change re-renders the page with its error and saves nothing (the
    request's session commits what is left, once)."""
    _admin(user)
    try:
        with session.begin_nested():
            message = change(form)
    except DomainError as exc:
        return _render(request, user, session, runtime, error=exc, status_code=exc.http_status)
    return RedirectResponse(f"/admin?done={message}", status_code=303)


@router.post("/people", dependencies=[Depends(csrf.verify)])
def add_person(request: Request, form: PageForm, user: PageUser, session: SessionDep, runtime: RuntimeDep):
    def change(form):
        people.add_user(
            session=session,
            settings=runtime.settings,
            actor=user,
            username=str(form.get("username", "")),
            name=str(form.get("name", "")),
            unit_code=str(form.get("unit_code", "")),
            roles=form.getlist("roles"),
            password=str(form.get("password", "")) or None,
            phone=str(form.get("phone", "")) or None,
        )
        return "people"

    return _apply(request, form, user, session, runtime, change)


@router.post("/people/{user_id}", dependencies=[Depends(csrf.verify)])
def edit_person(
    request: Request, user_id: int, form: PageForm, user: PageUser, session: SessionDep, runtime: RuntimeDep
):
    def change(form):
        person = people.get_user(session=session, user_id=user_id)
        if person.unit_code not in {u.code for u in _units_for(user, runtime)}:
            raise InvalidInput(gettext("找不到该人员"), field="user")
        people.update_user(
            session=session,
            settings=runtime.settings,
            actor=user,
            user=person,
            changes={"roles": form.getlist("roles"), "active": form.get("active") == "on"},
        )
        delegate_id = str(form.get("delegate_id", ""))
        delegate = people.get_user(session=session, user_id=int(delegate_id)) if delegate_id.isdigit() else None
        people.set_out_of_office(
            session=session,
            settings=runtime.settings,
            actor=user,
            user=person,
            away=form.get("out_of_office") == "on",
            delegate=delegate,
        )
        return "people"

    return _apply(request, form, user, session, runtime, change)


@router.post("/routing", dependencies=[Depends(csrf.verify)])
def set_routing(request: Request, form: PageForm, user: PageUser, session: SessionDep, runtime: RuntimeDep):
    def change(form):
        unit, category = str(form.get("unit_code", "")), str(form.get("category", ""))
        handler_id = str(form.get("handler_id", ""))
        if unit not in {u.code for u in _units_for(user, runtime)} or category not in runtime.settings.category_map:
            raise InvalidInput(gettext("单位或类别不正确"), field="category")
        existing = session.exec(
            select(RoutingRule).where(RoutingRule.unit_code == unit, RoutingRule.category == category)
        ).first()
        if not handler_id.isdigit():
            if existing:
                session.delete(existing)
            return "routing"
        handler = people.get_user(session=session, user_id=int(handler_id))
        if handler.unit_code != unit or "handler" not in handler.role_set:
            raise InvalidInput(gettext("承办人须为该单位的承办人"), field="handler_id")
        rule = existing or RoutingRule(unit_code=unit, category=category, handler_id=handler.id)
        rule.handler_id = handler.id
        session.add(rule)
        return "routing"

    return _apply(request, form, user, session, runtime, change)


@router.post("/categories/{code}", dependencies=[Depends(csrf.verify)])
def edit_category(
    request: Request, code: str, form: PageForm, user: PageUser, session: SessionDep, runtime: RuntimeDep
):
    """Rename a category, change its routing keywords or its 附件1 rows (codes themselves stay fixed)."""
    saved: list[CategoryEdit] = []

    def change(form):
        if code not in runtime.settings.category_map:
            raise InvalidInput(gettext("未知类别：{code}", code=code[:32]), field="code")
        name = str(form.get("name", "")).strip()
        if not 2 <= len(name) <= 64:
            raise InvalidInput(gettext("类别名称应为2–64个字"), field="name")
        keywords = [k.strip() for k in re.split(r"[,，、\s]+", str(form.get("keywords", ""))) if k.strip()]
        rows = [r for r in re.split(r"[,，、\s]+", str(form.get("annex1_rows", ""))) if r]
        if len(keywords) > 50 or any(len(k) > 20 for k in keywords):
            raise InvalidInput(gettext("关键词最多50个，每个不超过20字"), field="keywords")
        if not all(r.isdigit() and 1 <= int(r) <= 26 for r in rows):
            raise InvalidInput(gettext("附件1对应行应为1–26之间的数字"), field="annex1_rows")
        edit = session.get(CategoryEdit, code) or CategoryEdit(code=code, name=name)
        edit.name, edit.keywords, edit.annex1_rows = name, keywords, sorted({int(r) for r in rows})
        edit.updated_by_id, edit.updated_at = user.id, utcnow()
        session.add(edit)
        saved.append(edit)
        return "categories"

    after_commit(session, lambda: runtime.apply_category_edits(saved))  # the others within a minute
    return _apply(request, form, user, session, runtime, change)
