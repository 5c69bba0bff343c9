"""A person's own notice channels (/account/notices); the admins' page for notice wording, webhook
subscribers and what was sent outside (/admin/notices)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlmodel import select

from complaints.errors import DomainError, Forbidden
from complaints.http import csrf
from complaints.http.session import RuntimeDep, SessionDep
from complaints.http.users import PageUser
from complaints.i18n import gettext
from complaints.models import OutboxMessage, User, WebhookSubscriber
from complaints.notify import webhooks
from complaints.notify.kinds import CHANNEL_LABELS, CHANNELS, KINDS, TEMPLATED, reset_template, save_template, wording
from complaints.notify.staff import handle_of, preferences, set_preferences
from complaints.services.scope import has_role, sees_all_units
from complaints.web.deps import PageForm
from complaints.web.render import page
from workflows.vocab import Role

router = APIRouter()


def _account(request, user, session, runtime, *, error=None, status_code=200):
    return page(
        request,
        "account_notices.html",
        status_code=status_code,
        error=error,
        kinds=KINDS,
        channels=CHANNELS,
        channel_labels=CHANNEL_LABELS,
        chosen=preferences(session=session, settings=runtime.settings, user=user),
        handles={c: handle_of(session, user.id, c) or "" for c in ("wecom", "dingtalk")},
        enabled={
            "email": runtime.settings.notify.smtp.enabled,
            "wecom": runtime.settings.notify.wecom.enabled,
            "dingtalk": runtime.settings.notify.dingtalk.enabled,
        },
    )


@router.get("/account/notices")
def account_notices(request: Request, user: PageUser, session: SessionDep, runtime: RuntimeDep):
    return _account(request, user, session, runtime)


@router.post("/account/notices", dependencies=[Depends(csrf.verify)])
def save_account_notices(request: Request, form: PageForm, user: PageUser, session: SessionDep, runtime: RuntimeDep):
    choices = {kind.code: [c for c in CHANNELS if form.get(f"{kind.code}:{c}") == "on"] for kind in KINDS}
    handles = {c: str(form.get(f"{c}_handle", "")) for c in ("wecom", "dingtalk")}
    try:
        with session.begin_nested():
            set_preferences(session=session, user=user, choices=choices, handles=handles)
    except DomainError as exc:
        return _account(request, user, session, runtime, error=exc, status_code=exc.http_status)
    return RedirectResponse("/account/notices?done=1", status_code=303)


def _admin(user: User) -> None:
    if not has_role(user, Role.ADMIN):
        raise Forbidden(gettext("仅管理员可以访问"))


def _admin_page(request, user, session, runtime, *, error=None, status_code=200, secret=None):
    wordings = {kind.code: wording(session, kind.code) for kind in TEMPLATED}
    subscribers = (
        session.exec(select(WebhookSubscriber).order_by(WebhookSubscriber.id)).all()
        if sees_all_units(user, runtime.settings)
        else []
    )
    recent = session.exec(
        select(OutboxMessage).where(OutboxMessage.channel != "sms").order_by(OutboxMessage.id.desc()).limit(30)
    ).all()
    return page(
        request,
        "admin_notices.html",
        status_code=status_code,
        error=error,
        templated=TEMPLATED,
        wordings=wordings,
        subscribers=subscribers,
        recent=recent,
        secret=secret,
        manages_hooks=sees_all_units(user, runtime.settings),
        events=webhooks.EVENTS,
        units=runtime.settings.units,
    )


@router.get("/admin/notices")
def admin_notices(request: Request, user: PageUser, session: SessionDep, runtime: RuntimeDep):
    _admin(user)
    return _admin_page(request, user, session, runtime)


@router.post("/admin/notices/{kind}", dependencies=[Depends(csrf.verify)])
def save_notice_wording(
    request: Request, kind: str, form: PageForm, user: PageUser, session: SessionDep, runtime: RuntimeDep
):
    _admin(user)
    try:
        with session.begin_nested():
            if form.get("reset") == "1":
                reset_template(session=session, kind=kind)
            else:
                save_template(
                    session=session,
                    actor=user,
                    kind=kind,
                    subject=str(form.get("subject", "")),
                    body=str(form.get("body", "")),
                )
    except DomainError as exc:
        return _admin_page(request, user, session, runtime, error=exc, status_code=exc.http_status)
    return RedirectResponse("/admin/notices?done=1", status_code=303)


@router.post("/admin/webhooks", dependencies=[Depends(csrf.verify)])
def add_webhook(request: Request, form: PageForm, user: PageUser, session: SessionDep, runtime: RuntimeDep):
    _admin(user)
    if not sees_all_units(user, runtime.settings):
        raise Forbidden(gettext("只有州局管理员可以管理 Webhook 订阅"))
    try:
        with session.begin_nested():
            row = webhooks.add_subscriber(
                session=session,
                runtime=runtime,
                actor=user,
                name=str(form.get("name", "")),
                url=str(form.get("url", "")).strip(),
                events=[str(e) for e in form.getlist("events")],
                units=[str(u) for u in form.getlist("units")],
            )
    except DomainError as exc:
        return _admin_page(request, user, session, runtime, error=exc, status_code=exc.http_status)
    return _admin_page(request, user, session, runtime, secret=(row.name, row.secret))


@router.post("/admin/webhooks/{subscriber_id}", dependencies=[Depends(csrf.verify)])
def pause_webhook(subscriber_id: int, form: PageForm, user: PageUser, session: SessionDep, runtime: RuntimeDep):
    _admin(user)
    if not sees_all_units(user, runtime.settings):
        raise Forbidden(gettext("只有州局管理员可以管理 Webhook 订阅"))
    webhooks.set_paused(session=session, subscriber_id=subscriber_id, paused=form.get("paused") == "1")
    return RedirectResponse("/admin/notices?done=1#webhooks", status_code=303)
