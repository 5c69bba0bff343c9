"""CSRF protection, one for each kind of client.

- The API: a cookie-authenticated write echoes the session's CSRF token (given by login and by
  GET /api/auth/me) in `X-CSRF-Token`; bearer requests need none.
- The pages: a double-submit token (cookie + form field), compared in constant time.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping

from fastapi import Request
from starlette.responses import Response

from complaints import auth
from complaints.errors import Forbidden
from complaints.http.session import SAFE_METHODS
from complaints.i18n import gettext
from complaints.runtime import Runtime

HEADER = "X-CSRF-Token"
COOKIE = "csrftoken"
FIELD = "csrf_token"


def check_header(request: Request, runtime: Runtime) -> None:
    """A cookie-authenticated API write must echo the session's CSRF token."""
    if request.method in SAFE_METHODS or getattr(request.state, "auth_via", None) != "cookie":
        return
    expected = auth.csrf_token(request.state.auth_token, runtime.settings)
    if not hmac.compare_digest(request.headers.get(HEADER, ""), expected):
        raise Forbidden(gettext("缺少或错误的 CSRF 令牌（请求头 X-CSRF-Token）"), field=HEADER)


def token_for(request: Request) -> str:
    """The token the page embeds in its forms (created once per browser)."""
    token: str | None = request.cookies.get(COOKIE) or getattr(request.state, "new_csrf", None)
    if not token:
        token = secrets.token_urlsafe(32)
        request.state.new_csrf = token
    return token


def set_cookie_if_new(request: Request, response: Response, *, secure: bool) -> None:
    token = getattr(request.state, "new_csrf", None)
    if token and not request.cookies.get(COOKIE):
        response.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=secure, max_age=86400 * 30)


def check_fields(request: Request, fields: Mapping[str, object], *, header: bool = True) -> None:
    """Refuse a page's form whose token (the field, or else the header unless `header=False`) does not match
    the browser's cookie."""
    cookie = request.cookies.get(COOKIE, "")
    sent = str(fields.get(FIELD, "")) or (request.headers.get(HEADER, "") if header else "")
    if not cookie or not sent or not hmac.compare_digest(cookie, sent):
        raise Forbidden(gettext("页面已过期或来源不明，请刷新后重试"), field=FIELD)


async def verify(request: Request) -> None:
    """Refuse a state-changing form whose token does not match the browser's cookie (a dependency)."""
    check_fields(request, await request.form())
