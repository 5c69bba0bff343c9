"""Who is asking: credentials, the signed-in user of an API request (or 401) and of a page (or /login).

Credentials are a bearer token (`Authorization: Bearer ...`, for integrations) or the browser's session
cookie. A cookie-authenticated API request that changes something must also send the session's CSRF token
in `X-CSRF-Token` (see csrf.check_header); bearer requests need none, since a browser never attaches them
on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyCookie, HTTPBearer
from sqlalchemy import update
from sqlmodel import Session

from complaints import auth
from complaints.errors import DomainError, Unauthenticated
from complaints.http.csrf import check_header
from complaints.http.session import RuntimeDep, SessionDep, finish, write_turn
from complaints.i18n import gettext
from complaints.models import AuthSession, User
from complaints.runtime import Runtime

T = TypeVar("T")
W = TypeVar("W")


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
    if found is None or resolved is None:
        return None
    user, record = resolved
    request.state.user, request.state.auth_session = user, record
    request.state.auth_token, request.state.auth_via = found
    return user


def reading_user(request: Request) -> User | None:
    """The signed-in user, looked up in a session of its own that only reads (closed without a commit), for
    checks made before the request's own session and write turn (e.g. before an upload's body is read)."""
    with request.app.state.session_factory() as session:
        return user_from_request(request, session)


# --- the JSON API ---------------------------------------------------------------------------------------

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
    check_header(request, runtime)
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
    except BaseException as exc:
        finish(session, exc)
        raise
    finish(session, None)
    return result


async def signed_in_write(request: Request, runtime: Runtime, work: Callable[[Session, User], T]) -> T:
    """Sign-in check, the change and its commit in one trip to the thread pool, within one write turn.

    The same unit of work as CurrentUser + SessionDep, for the busiest write (registration): each separate
    trip to the pool made the write turn wait for the event loop again, and on SQLite every other write
    waits for that turn. `work(session, user)` runs in the worker thread; it returns what the route sends.
    """
    async with write_turn(request):
        return await run_in_threadpool(_signed_in_unit, request, runtime, work)


def sign_in(request: Request, runtime: Runtime) -> tuple[User, dict | None]:
    """The signed-in user, from a session that only reads; a due touch of the token's record (last used,
    a browser session's expiry) is handed on, to be written with the change."""
    with request.app.state.session_factory() as session:
        user = authenticate(request, session, runtime)
        record = request.state.auth_session
        touch = None
        if record in session.dirty:
            touch = {"id": record.id, "last_used_at": record.last_used_at, "expires_at": record.expires_at}
        return user, touch  # closing rolls the read back and keeps the objects loaded (never expired)


def write_touches(session: Session, touches: list[dict | None]) -> None:
    """The due touches that sign_in handed on, written with the change they came with."""
    # each record once, in the order of its id: two processes' batches touching the same tokens then wait
    # for each other rather than each holding a row the other needs (a deadlock on PostgreSQL)
    due = {touch["id"]: touch for touch in touches if touch is not None}
    for record_id in sorted(due):
        values = {key: due[record_id][key] for key in ("last_used_at", "expires_at")}
        session.execute(update(AuthSession).where(AuthSession.id == record_id).values(**values))


def optional_user(request: Request, session: SessionDep) -> User | None:
    return user_from_request(request, session)


CurrentUser = Annotated[User, Depends(current_user)]
OptionalUser = Annotated[User | None, Depends(optional_user)]


# --- the pages ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    """What the layout shows of the signed-in user; safe to use after the session has closed."""

    id: int
    name: str
    unit_code: str
    role_set: frozenset[str]

    @classmethod
    def of(cls, user: User) -> Viewer:
        assert user.id is not None, "a signed-in user is a stored row"
        return cls(id=user.id, name=user.name, unit_code=user.unit_code, role_set=user.role_set)


class LoginRequired(DomainError):
    """The page needs a signed-in user; the app redirects to /login."""

    code = "login_required"
    http_status = 303


def page_user(request: Request, session: SessionDep) -> User:
    user = user_from_request(request, session)
    if user is None:
        raise LoginRequired("login required")
    request.state.user = Viewer.of(user)
    return user


def maybe_page_user(request: Request, session: SessionDep) -> User | None:
    user = user_from_request(request, session)
    request.state.user = Viewer.of(user) if user else None
    return user


PageUser = Annotated[User, Depends(page_user)]
MaybeUser = Annotated[User | None, Depends(maybe_page_user)]
