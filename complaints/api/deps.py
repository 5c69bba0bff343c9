"""What every route needs: the request's database session, the runtime and the signed-in user.

Reusable by the web pages: `request_session(request)` and `user_from_request(request, session)`.
Credentials are a bearer token (`Authorization: Bearer ...`, for integrations) or the browser's
session cookie. A cookie-authenticated request that changes something must also send the session's
CSRF token in `X-CSRF-Token` (given by login and by GET /api/auth/me); bearer requests need none,
since a browser never attaches them on its own.
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyCookie, HTTPBearer
from pydantic import BaseModel
from sqlmodel import Session

from complaints import auth
from complaints.errors import Forbidden, InvalidInput, Unauthenticated
from complaints.i18n import gettext
from complaints.models import User
from complaints.runtime import Runtime

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
T = TypeVar("T")
CSRF_HEADER = "X-CSRF-Token"


@asynccontextmanager
async def write_turn(request: Request) -> AsyncIterator[None]:
    """Requests that may write take turns: one at a time on SQLite, `database.concurrent_writes` at once
    per process on PostgreSQL; the others wait in arrival order.

    On SQLite, concurrent writers would otherwise wait in its busy handler, whose sleeps grow to 100 ms.
    On PostgreSQL, a few writes at a time keep the connections busy, where a thread per request left
    them all waiting for the interpreter lock and let the slowest requests wait longest. The turn is an
    asyncio semaphore held by the request's task, so a cancelled request (the client went away) gives
    it back; a thread lock taken in a worker thread was leaked on cancellation and hung later writes.
    """
    turns = getattr(request.app.state, "write_turns", None)
    if turns is None or request.method in SAFE_METHODS:
        yield
        return
    async with turns:
        yield


def _finish(session: Session, error: BaseException | None) -> None:
    """Commit, or roll back after an error, and close: one trip to the thread pool."""
    try:
        if error is None:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


async def request_session(request: Request) -> AsyncIterator[Session]:
    """The API's session: committed when the route returns, rolled back when it raises.

    Opened in the event loop (a session does no I/O until first used) after the request's write turn.
    """
    async with write_turn(request):
        session = request.app.state.session_factory()
        try:
            yield session
        except BaseException as exc:
            await run_in_threadpool(_finish, session, exc)
            raise
        await run_in_threadpool(_finish, session, None)


async def get_runtime(request: Request) -> Runtime:
    """async: nothing to wait for, and a plain `def` would cost a trip to the thread pool."""
    return request.app.state.runtime


# scope="function": the commit happens before the response is sent, so a failed commit is reported
SessionDep = Annotated[Session, Depends(request_session, scope="function")]
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def credentials(request: Request) -> tuple[str, str] | None:
    """(token, "bearer" | "cookie") from the request, bearer first."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip(), "bearer"
    cookie = request.cookies.get(auth.SESSION_COOKIE)
    return (cookie, "cookie") if cookie else None


def user_from_request(request: Request, session: Session) -> User | None:
    """The signed-in user, or None; remembers the session record and how it was presented."""
    found = credentials(request)
    resolved = auth.resolve(session=session, token=found[0]) if found else None
    if resolved is None:
        return None
    user, record = resolved
    request.state.user, request.state.auth_session = user, record
    request.state.auth_token, request.state.auth_via = found
    return user


def check_csrf(request: Request, runtime: Runtime) -> None:
    """A cookie-authenticated write must echo the session's CSRF token."""
    if request.method in SAFE_METHODS or getattr(request.state, "auth_via", None) != "cookie":
        return
    expected = auth.csrf_token(request.state.auth_token, runtime.settings)
    if not hmac.compare_digest(request.headers.get(CSRF_HEADER, ""), expected):
        raise Forbidden(gettext("缺少或错误的 CSRF 令牌（请求头 X-CSRF-Token）"), field=CSRF_HEADER)


# declared for the OpenAPI document (and the Authorize button in /docs); the token is read by credentials()
_bearer_scheme = HTTPBearer(auto_error=False, description="API token: `Authorization: Bearer <token>`")
_cookie_scheme = APIKeyCookie(
    name=auth.SESSION_COOKIE, auto_error=False, description="browser session; writes also need the X-CSRF-Token header"
)


def authenticate(request: Request, session: Session, runtime: Runtime) -> User:
    """The signed-in user (a cookie-authenticated write also checked for its CSRF token), or 401."""
    user = user_from_request(request, session)
    if user is None:
        raise Unauthenticated(gettext("请先登录"), field=None)
    check_csrf(request, runtime)
    return user


def current_user(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    _bearer: Annotated[object, Depends(_bearer_scheme)] = None,
    _cookie: Annotated[object, Depends(_cookie_scheme)] = None,
) -> User:
    return authenticate(request, session, runtime)


async def credentials_presented(request: Request) -> None:
    """401 at once when a request carries no credentials at all (checked before the body is read)."""
    if credentials(request) is None:
        raise Unauthenticated(gettext("请先登录"), field=None)


# For a route that signs the user in itself (see signed_in_write): the security schemes for the
# OpenAPI document, and 401 before 422 for a request without credentials.
SIGNED_IN = [Depends(_bearer_scheme), Depends(_cookie_scheme), Depends(credentials_presented)]


def _signed_in_unit(request: Request, runtime: Runtime, work: Callable[[Session, User], T]) -> T:
    session = request.app.state.session_factory()
    try:
        result = work(session, authenticate(request, session, runtime))
        session.commit()
        return result
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


async def signed_in_write(request: Request, runtime: Runtime, work: Callable[[Session, User], T]) -> T:
    """Sign-in check, the change and its commit in one trip to the thread pool, within one write turn.

    The same unit of work as CurrentUser + SessionDep, for the busiest write (registration): each separate
    trip to the pool made the write turn wait for the event loop again, and on SQLite every other write
    waits for that turn. `work(session, user)` runs in the worker thread; it returns what the route sends.
    """
    async with write_turn(request):
        return await run_in_threadpool(_signed_in_unit, request, runtime, work)


def optional_user(request: Request, session: SessionDep) -> User | None:
    return user_from_request(request, session)


CurrentUser = Annotated[User, Depends(current_user)]
OptionalUser = Annotated[User | None, Depends(optional_user)]


IF_MATCH_PATTERN = r'^(\*|(W/)?"?[0-9]{1,9}"?)$'


def version_from_if_match(value: str | None) -> int | None:
    """The version in an If-Match header ("3", W/"3" or 3), or None when absent or `*`."""
    digits = (value or "").strip().removeprefix("W/").strip('"')
    return int(digits) if digits.isdigit() else None


def etag(version: int) -> str:
    return f'"{version}"'


def _query_names(dependant) -> set[str]:
    """Every query parameter a route (and its dependencies) declares, a query model's fields included."""
    names = set()
    for param in dependant.query_params:
        names.add(param.alias)
        annotation = getattr(param.field_info, "annotation", None)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names |= {f.alias or name for name, f in annotation.model_fields.items()}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


async def reject_unknown_query(request: Request) -> None:
    """A misspelt or unknown query parameter is refused (422), not silently ignored."""
    route = request.scope.get("route")
    if route is None or not request.query_params or not hasattr(route, "dependant"):
        return
    unknown = sorted(set(request.query_params) - _query_names(route.dependant) - {"lang"})  # lang: the language
    if unknown:
        raise InvalidInput(gettext("未知的查询参数：{names}", names=", ".join(unknown)[:100]), field=unknown[0][:64])
