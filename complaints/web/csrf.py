"""CSRF protection for the pages: a double-submit token (cookie + form field), compared in constant time."""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request

from complaints.errors import Forbidden
from complaints.i18n import gettext

COOKIE = "csrftoken"
FIELD = "csrf_token"


def token_for(request: Request) -> str:
    """The token the page embeds in its forms (created once per browser)."""
    token = request.cookies.get(COOKIE) or getattr(request.state, "new_csrf", None)
    if not token:
        token = secrets.token_urlsafe(32)
        request.state.new_csrf = token
    return token


def set_cookie_if_new(request: Request, response, *, secure: bool) -> None:
    token = getattr(request.state, "new_csrf", None)
    if token and not request.cookies.get(COOKIE):
        response.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=secure, max_age=86400 * 30)


async def verify(request: Request) -> None:
    """Refuse a state-changing form whose token does not match the browser's cookie."""
    cookie = request.cookies.get(COOKIE, "")
    form = await request.form()
    sent = str(form.get(FIELD, "")) or request.headers.get("X-CSRF-Token", "")
    if not cookie or not sent or not hmac.compare_digest(cookie, sent):
        raise Forbidden(gettext("页面已过期或来源不明，请刷新后重试"), field=FIELD)
