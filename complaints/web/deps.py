"""What every page needs: the database session, the runtime, the signed-in user."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

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


def get_page_session(request: Request) -> Iterator[Session]:
    """One session per page request: committed when the handler returns, rolled back on error."""
    from complaints.api.deps import get_session

    yield from get_session(request)


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
PageSession = Annotated[Session, Depends(get_page_session)]


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
