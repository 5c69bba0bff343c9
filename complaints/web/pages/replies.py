"""Standard replies on the web: the text for the intake form, and supervisors' versions and approvals."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import PlainTextResponse, RedirectResponse
from sqlmodel import col, select

from complaints.clock import to_local, utcnow
from complaints.errors import DomainError, Forbidden, NotFound
from complaints.http import csrf
from complaints.http.session import RuntimeDep, SessionDep
from complaints.http.users import PageUser, reading_user
from complaints.i18n import gettext
from complaints.models import ReplyTemplate
from complaints.replies import SAMPLE_VARIABLES, render
from complaints.services import replies
from complaints.web.deps import PageForm
from complaints.web.render import page

router = APIRouter(prefix="/replies")


@router.get("/standard", response_class=PlainTextResponse)
def standard_text(
    user: PageUser, session: SessionDep, runtime: RuntimeDep, category: str = "consultation", unit_code: str = ""
):
    """The instant-answer form of a category's approved reply, for a 咨询 answered at intake."""
    category = category[:32] if category[:32] in runtime.settings.category_map else "consultation"
    unit = runtime.settings.unit_map.get(unit_code[:8]) or runtime.settings.unit_map[user.unit_code]
    today = to_local(utcnow(), runtime.settings.app.timezone).date()
    version = replies.approved(session=session, category=category, locale="zh_Hans")
    variables = {
        "received_date": today,
        "reply_date": today,
        "channel": gettext("招生咨询热线"),
        "summary": gettext("政策咨询"),
        "unit_name": unit.name,
        "unit_hotline": unit.hotline,
        "instant": True,
        "handler_name": user.name,
        "verified_facts": "",
        "outcome": "explain",
        "callback_note": "",
    }
    try:
        return render(
            category=category, locale="zh_Hans", variables=variables, source=version.source if version else None
        )
    except Exception:  # noqa: BLE001 - a template problem must not break the intake form
        return PlainTextResponse("", status_code=204)


def _supervisor(user) -> None:
    if "supervisor" not in user.role_set:
        raise Forbidden(gettext("只有督办人可以维护统一答复口径"))


@router.get("")
def templates(
    request: Request,
    user: PageUser,
    session: SessionDep,
    runtime: RuntimeDep,
    category: str = "fees",
    locale: str = "zh_Hans",
):
    _supervisor(user)
    category = category if category in runtime.settings.category_map else "fees"
    locale = replies.template_locale(locale[:16])
    current = replies.approved(session=session, category=category, locale=locale)
    source = current.source if current else replies.shipped_source(category, locale) or ""
    versions = session.exec(
        select(ReplyTemplate)
        .where(ReplyTemplate.category == category, ReplyTemplate.locale == locale)
        .order_by(col(ReplyTemplate.version).desc())
    ).all()
    return page(
        request,
        "replies.html",
        category=category,
        locale=locale,
        source=source,
        versions=versions,
        current=current,
        error=None,
    )


def tried_first(request: Request, form: PageForm) -> DomainError | None:
    """A supervisor's proposal is tried before the request takes its write turn (a dependency declared
    ahead of the session), so that a template running into the render's time limit holds up nobody
    else's writes (on SQLite the turn is the whole process's). The handler refuses everyone else."""
    user = reading_user(request)
    if user is None or "supervisor" not in user.role_set:
        return None
    try:
        replies.check_proposal(source=str(form.get("source", ""))[:20_001], locale=str(form.get("locale", ""))[:16])
    except DomainError as exc:
        return exc
    return None


@router.post("", dependencies=[Depends(csrf.verify)])
def propose(
    request: Request,
    form: PageForm,
    refused: Annotated[DomainError | None, Depends(tried_first)],
    user: PageUser,
    session: SessionDep,
    runtime: RuntimeDep,
):
    category, locale = str(form.get("category", ""))[:32], str(form.get("locale", ""))[:16]
    try:
        if refused is not None:
            raise refused
        version = replies.propose(
            session=session,
            runtime=runtime,
            actor=user,
            category=category,
            locale=locale,
            source=str(form.get("source", ""))[:20_001],
        )
    except DomainError as exc:
        return page(
            request,
            "replies.html",
            status_code=exc.http_status,
            category=category,
            locale=locale,
            source=str(form.get("source", "")),
            versions=[],
            current=None,
            error=exc,
        )
    return RedirectResponse(f"/replies/{version.id}", status_code=303)


@router.get("/{template_id}")
def review(request: Request, template_id: int, user: PageUser, session: SessionDep, runtime: RuntimeDep):
    _supervisor(user)
    version = session.get(ReplyTemplate, template_id)
    if version is None:
        raise NotFound(gettext("找不到该模板版本"), field="template")
    preview = render(
        category=version.category, locale=version.locale, source=version.source, variables=_sample(runtime, user)
    )
    return page(request, "reply_review.html", version=version, preview=preview)


@router.post("/{template_id}/approve", dependencies=[Depends(csrf.verify)])
def approve(template_id: int, user: PageUser, session: SessionDep):
    replies.approve(session=session, actor=user, template_id=template_id)
    return RedirectResponse(f"/replies/{template_id}", status_code=303)


def _sample(runtime, user) -> dict:

    unit = runtime.settings.unit_map[user.unit_code]
    return {**SAMPLE_VARIABLES, "unit_name": unit.name, "unit_hotline": unit.hotline}
