"""/api/auth: sign in (cookie or bearer token), sign out, who am I, change password, API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, overload

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, Field, StrictInt

from complaints import auth
from complaints.api.schemas import PersonOut, person_out
from complaints.errors import DomainError
from complaints.http.session import RuntimeDep, SessionDep, keep_when_refused
from complaints.http.users import CurrentUser
from complaints.models import AuthSession

router = APIRouter(prefix="/api/auth", tags=["auth"])


class LoginIn(BaseModel):
    model_config = {"extra": "forbid"}

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class TokenLoginIn(LoginIn):
    name: str = Field(min_length=1, max_length=64, description="what the token is for, e.g. 12345 平台对接")
    days: StrictInt = Field(default=auth.API_TOKEN_DAYS, ge=1, le=auth.API_TOKEN_MAX_DAYS)


class TokenIn(BaseModel):
    model_config = {"extra": "forbid"}

    name: str = Field(min_length=1, max_length=64)
    days: StrictInt = Field(default=auth.API_TOKEN_DAYS, ge=1, le=auth.API_TOKEN_MAX_DAYS)


class Me(BaseModel):
    user: PersonOut
    csrf_token: str | None = Field(description="send as X-CSRF-Token on cookie-authenticated writes")
    expires_at: datetime


class TokenOut(BaseModel):
    id: int
    name: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None


class NewToken(TokenOut):
    token: str = Field(description="shown once; send as `Authorization: Bearer <token>`")


class PasswordIn(BaseModel):
    model_config = {"extra": "forbid"}

    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=8, max_length=256)


def _client(request: Request) -> str:
    return auth.client_address(request)


@overload
def _token_out(record: AuthSession) -> TokenOut: ...
@overload
def _token_out(record: AuthSession, token: str) -> NewToken: ...


def _token_out(record: AuthSession, token: str | None = None) -> TokenOut:
    fields = dict(
        id=record.id,
        name=record.name,
        created_at=record.created_at,
        expires_at=record.expires_at,
        last_used_at=record.last_used_at,
    )
    return NewToken(**fields, token=token) if token else TokenOut(**fields)


def _authenticate(session, data: LoginIn, request: Request):
    """Check the password; a failure is committed although it is refused (it counts towards the lock-out)."""
    try:
        return auth.authenticate(
            session=session, username=data.username, password=data.password, client=_client(request)
        )
    except DomainError:
        keep_when_refused(session)
        raise


@router.post("/login", response_model=Me, summary="登录（浏览器会话 Cookie）")
def login(data: LoginIn, request: Request, response: Response, session: SessionDep, runtime: RuntimeDep) -> Me:
    user = _authenticate(session, data, request)
    record, token = auth.create_session(session=session, user=user)
    auth.set_session_cookie(response, token, settings=runtime.settings, scheme=request.url.scheme)
    return Me(
        user=person_out(user, full=True),
        csrf_token=auth.csrf_token(token, runtime.settings),
        expires_at=record.expires_at,
    )


@router.post("/token", status_code=201, response_model=NewToken, summary="用密码换取 API 令牌")
def token_login(data: TokenLoginIn, request: Request, session: SessionDep) -> NewToken:
    user = _authenticate(session, data, request)
    record, token = auth.issue_api_token(session=session, user=user, name=data.name, days=data.days)
    return _token_out(record, token)


@router.post("/logout", status_code=204, summary="退出（结束当前会话或吊销当前令牌）")
def logout(request: Request, user: CurrentUser, session: SessionDep) -> Response:
    auth.audit(session, "logout", user)
    auth.revoke(session=session, record=request.state.auth_session)
    response = Response(status_code=204)
    auth.clear_session_cookie(response)
    return response


@router.get("/me", response_model=Me, summary="当前用户")
def me(request: Request, user: CurrentUser, runtime: RuntimeDep) -> Me:
    cookie = request.state.auth_via == "cookie"
    return Me(
        user=person_out(user, full=True),
        expires_at=request.state.auth_session.expires_at,
        csrf_token=auth.csrf_token(request.state.auth_token, runtime.settings) if cookie else None,
    )


@router.post("/password", status_code=204, summary="修改密码（其他会话与令牌随之失效）")
def change_password(data: PasswordIn, request: Request, user: CurrentUser, session: SessionDep) -> Response:
    try:
        auth.change_password(
            session=session,
            user=user,
            current=data.current_password,
            new=data.new_password,
            keep=request.state.auth_session,
        )
    except DomainError as exc:
        if exc.field == "current_password":
            keep_when_refused(session)  # the wrong guess counts towards the lock-out
        raise
    return Response(status_code=204)


@router.get("/tokens", response_model=list[TokenOut], summary="我的 API 令牌")
def tokens(user: CurrentUser, session: SessionDep) -> list[TokenOut]:
    return [_token_out(r) for r in auth.list_tokens(session=session, user=user)]


@router.post("/tokens", status_code=201, response_model=NewToken, summary="新建 API 令牌（只显示一次）")
def create_token(data: TokenIn, user: CurrentUser, session: SessionDep) -> NewToken:
    record, token = auth.issue_api_token(session=session, user=user, name=data.name, days=data.days)
    return _token_out(record, token)


@router.delete("/tokens/{token_id}", status_code=204, summary="吊销 API 令牌")
def revoke_token(
    token_id: Annotated[int, Path(ge=1, le=2**31 - 1)], user: CurrentUser, session: SessionDep
) -> Response:
    auth.revoke_token(session=session, user=user, token_id=token_id)
    return Response(status_code=204)
