"""One error shape for every failure: {"error": {"code", "message", "field"}}, in the user's language."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Mount

from complaints.errors import ActionNotAllowed, DomainError
from complaints.i18n import N_, current_locale, gettext, locale_for_scope

log = logging.getLogger("complaints.api")


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None = None


class ErrorOut(BaseModel):
    error: ErrorDetail


def _described(text: str) -> dict:
    return {"model": ErrorOut, "description": text}


ERROR_RESPONSES: dict[int | str, dict] = {
    401: _described("未登录或登录已过期"),
    403: _described("无权执行"),
    404: _described("不存在或不可见"),
    409: _described("版本冲突或当前状态不允许"),
    422: _described("参数不正确"),
    429: _described("请求过于频繁"),
    503: _described("数据库暂时无法连接（未保存，可稍后重试）"),
}

# Pydantic's error types in the words of the bureau; unknown types fall back to pydantic's message.
_REASONS = {
    "missing": N_("必填"),
    "string_too_long": N_("过长（最多 {max_length} 个字符）"),
    "string_too_short": N_("过短（至少 {min_length} 个字符）"),
    "too_long": N_("过长（最多 {max_length} 项）"),
    "too_short": N_("过短（至少 {min_length} 项）"),
    "int_parsing": N_("应为整数"),
    "int_type": N_("应为整数"),
    "bool_parsing": N_("应为 true 或 false"),
    "bool_type": N_("应为 true 或 false"),
    "enum": N_("应为以下之一：{expected}"),
    "literal_error": N_("应为以下之一：{expected}"),
    "greater_than": N_("应大于 {gt}"),
    "greater_than_equal": N_("应不小于 {ge}"),
    "less_than": N_("应小于 {lt}"),
    "less_than_equal": N_("应不大于 {le}"),
    "string_type": N_("应为文本"),
    "datetime_from_date_parsing": N_("日期时间格式不正确"),
    "datetime_parsing": N_("日期时间格式不正确"),
    "datetime_type": N_("日期时间格式不正确"),
    "extra_forbidden": N_("不允许的字段"),
    "json_invalid": N_("不是合法的 JSON"),
    "model_attributes_type": N_("应为 JSON 对象"),
    "dict_type": N_("应为 JSON 对象"),
    "list_type": N_("应为列表"),
    "string_pattern_mismatch": N_("格式不正确"),
    "int_from_float": N_("应为整数"),
    "float_parsing": N_("应为数字"),
    "value_error": N_("取值不正确"),
}


def error_body(code: str, message: str, field: str | None = None) -> dict:
    return {"error": {"code": code, "message": message, "field": field}}


def _respond(
    request: Request, status: int, code: str, message: str, field: str | None = None, headers: dict | None = None
) -> JSONResponse:
    return JSONResponse(error_body(code, message, field), status_code=status, headers=headers)


def _localise(request: Request) -> None:
    """Handlers outside the locale middleware (the 500 handler) negotiate the language themselves."""
    current_locale.set(locale_for_scope(request.scope))


def _status_of(exc: DomainError) -> int:
    """A lifecycle refusal because of the actor's role is 403; because of the item's status, 409."""
    if isinstance(exc, ActionNotAllowed) and getattr(exc.__cause__, "reason", None) == "role":
        return 403
    return exc.http_status


async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
    headers = {"Retry-After": str(exc.details["retry_after"])} if "retry_after" in exc.details else None
    if exc.http_status == 401:
        headers = {"WWW-Authenticate": "Bearer"}
    return _respond(request, _status_of(exc), exc.code, exc.message, exc.field, headers)


async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    first: dict[str, Any] = exc.errors()[0] if exc.errors() else {"loc": (), "type": "value_error", "msg": ""}
    location = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path", "header")]
    field = ".".join(location) or None
    context = {
        k: (", ".join(map(str, v)) if isinstance(v, list | tuple) else v) for k, v in (first.get("ctx") or {}).items()
    }
    template = _REASONS.get(first.get("type", ""))
    try:
        reason = gettext(template, **context) if template else str(first.get("msg", ""))[:200]
    except (KeyError, IndexError):
        reason = gettext(template.split("（")[0]) if template else ""
    message = (
        gettext("参数不正确：{field}：{reason}", field=field, reason=reason)
        if field
        else gettext("请求内容不正确：{reason}", reason=reason)
    )
    return _respond(request, 422, "invalid_input", message, field)


async def stale_data(request: Request, exc: StaleDataError) -> JSONResponse:
    return _respond(request, 409, "conflict", gettext("该诉求件已被他人修改，请刷新后重试；您的操作未保存"), "version")


async def integrity_error(request: Request, exc: IntegrityError) -> JSONResponse:
    log.info("integrity error on %s %s: %s", request.method, request.url.path, exc.orig)
    return _respond(request, 409, "conflict", gettext("与已有记录冲突（可能是重复提交），未保存"))


async def data_error(request: Request, exc: DataError) -> JSONResponse:
    """The database refused a value the checks let through (e.g. a NUL byte on PostgreSQL)."""
    log.info("data error on %s %s: %s", request.method, request.url.path, exc.orig)
    return _respond(request, 422, "invalid_input", gettext("输入包含无法保存的字符或数值"))


async def database_unavailable(request: Request, exc: OperationalError) -> JSONResponse:
    """The database went away (restart, network): the transaction was rolled back; the client may retry."""
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc.orig)
    _localise(request)
    return _respond(
        request,
        503,
        "database_unavailable",
        gettext("数据库暂时无法连接，本次操作未保存，请稍后重试"),
        headers={"Retry-After": "5"},
    )


async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
    if exc.status_code == 400:  # a body that could not be parsed at all: bad input like any other
        return _respond(request, 422, "invalid_input", gettext("请求内容无法解析"))
    codes = {
        404: ("not_found", N_("找不到该地址")),
        405: ("method_not_allowed", N_("不支持该请求方法")),
        401: ("unauthenticated", N_("请先登录")),
        413: ("too_large", N_("请求内容过大")),
    }
    code, message = codes.get(exc.status_code, ("http_error", str(exc.detail)))
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request)) or headers.get("Allow", "")
    return _respond(request, exc.status_code, code, gettext(message), None, headers or None)


def endpoints(routes):
    """The app's endpoint routes, in order: an included router (FastAPI wraps it) contributes its own."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from endpoints(inner.routes)
        else:
            yield route


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (Starlette names only the first route's); a mounted
    app, such as the static files, answers for itself and is left out."""
    path = request.scope["path"]
    methods: set[str] = set()
    for route in endpoints(request.app.router.routes):
        regex = getattr(route, "path_regex", None)
        if not isinstance(route, Mount) and regex is not None and regex.match(path):
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)


async def server_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    _localise(request)
    return _respond(request, 500, "server_error", gettext("服务器内部错误，已记录，请稍后重试"))


E = TypeVar("E", bound=Exception)


def on_error(app: FastAPI, kind: type[E], handler: Callable[[Request, E], Awaitable[Response]]) -> None:
    """Register `handler` for `kind`: Starlette types every handler as taking any Exception, though it calls
    each one only with the kind it was registered for."""
    app.add_exception_handler(kind, cast(Callable[[Request, Exception], Awaitable[Response]], handler))


def install(app: FastAPI) -> None:
    on_error(app, DomainError, domain_error)
    on_error(app, RequestValidationError, validation_error)
    on_error(app, StaleDataError, stale_data)
    on_error(app, IntegrityError, integrity_error)
    on_error(app, DataError, data_error)
    on_error(app, OperationalError, database_unavailable)
    on_error(app, HTTPException, http_error)
    on_error(app, Exception, server_error)
