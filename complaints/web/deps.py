"""What every page needs: the database session, the submitted form, the runtime, the signed-in user.

Page handlers that touch the database are plain `def` (they run in the thread pool): blocking database
work in an `async def` handler stalls the worker's event loop, and with it every other request, including
the API request whose commit the page's own query may be waiting for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import event
from sqlmodel import Session
from starlette.datastructures import FormData

from complaints.api.deps import request_session
from complaints.errors import DomainError
from complaints.models import User
from complaints.runtime import Runtime


@dataclass(frozen=True)
class Viewer:
    """What the layout shows of the signed-in user; safe to use after the session has closed."""

    id: int
    name: str
    unit_code: str
    role_set: frozenset[str]

    @classmethod
    def of(cls, user: User) -> Viewer:
        return cls(id=user.id, name=user.name, unit_code=user.unit_code, role_set=user.role_set)


class LoginRequired(DomainError):
    """The page needs a signed-in user; the app redirects to /login."""

    code = "login_required"
    http_status = 303


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


async def get_form(request: Request) -> FormData:
    """The submitted form, read in the event loop so that the handler itself can be a plain `def`."""
    return await request.form()


def after_commit(session: Session, work: Callable[[], None]) -> None:
    """Run `work` once the request's session has committed (e.g. reload what other sessions read)."""
    event.listen(session, "after_commit", lambda _session: work(), once=True)


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
# the API's unit of work (api/deps.py request_session): a page that may write takes the same write turn, and
# the session is committed once, when the handler returns (rolled back when it raises), before the response
# is sent; handlers never commit themselves
PageSession = Annotated[Session, Depends(request_session, scope="function")]
PageForm = Annotated[FormData, Depends(get_form)]


def current_user(request: Request, session: PageSession) -> User:
    from complaints.api.deps import user_from_request

    user = user_from_request(request, session)
    if user is None:
        raise LoginRequired("login required")
    request.state.user = Viewer.of(user)
    return user


def optional_user(request: Request, session: PageSession) -> User | None:
    from complaints.api.deps import user_from_request

    user = user_from_request(request, session)
    request.state.user = Viewer.of(user) if user else None
    return user


PageUser = Annotated[User, Depends(current_user)]
MaybeUser = Annotated[User | None, Depends(optional_user)]
