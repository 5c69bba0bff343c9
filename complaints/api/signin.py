"""401 first: a request without any credentials to a route that needs them is answered before its body
or query is looked at, so that a malformed body or an unknown parameter cannot answer 422 instead (and
tell an anonymous caller how the endpoint validates)."""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.responses import JSONResponse
from starlette.routing import Match

from complaints import auth
from complaints.api.errors import endpoints, error_body
from complaints.http.users import credentials_presented, current_user
from complaints.i18n import gettext

_SIGN_IN = {current_user, credentials_presented}


def _needs_sign_in(dependant: Dependant) -> bool:
    return dependant.call in _SIGN_IN or any(_needs_sign_in(sub) for sub in dependant.dependencies)


def _has_credentials(scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"authorization" and value[:7].lower() == b"bearer " and value[7:].strip():
            return True
        if name == b"cookie" and auth.SESSION_COOKIE.encode() in value:
            try:
                cookie = SimpleCookie(value.decode("latin-1"))
            except CookieError:
                continue
            if auth.SESSION_COOKIE in cookie and cookie[auth.SESSION_COOKIE].value:
                return True
    return False


class SignInFirst:
    """Pure ASGI; looks routes up only for a request that carries no credentials at all."""

    def __init__(self, app, api: FastAPI) -> None:
        self.app, self.api = app, api
        self._needs: dict[int, bool] = {}
        self._routes: list | None = None

    async def __call__(self, scope, receive, send) -> None:
        if (
            scope["type"] == "http"
            and scope["path"].startswith("/api/")
            and not _has_credentials(scope)
            and self._route_needs_sign_in(scope)
        ):
            response = JSONResponse(
                error_body("unauthenticated", gettext("请先登录")),
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _route_needs_sign_in(self, scope) -> bool:
        if self._routes is None:
            self._routes = list(endpoints(self.api.router.routes))
        for route in self._routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                dependant = getattr(route, "dependant", None)
                if dependant is None:
                    return False
                if id(route) not in self._needs:
                    self._needs[id(route)] = _needs_sign_in(dependant)
                return self._needs[id(route)]
        return False
