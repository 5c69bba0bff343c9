"""Hooks the pages into the app: routers, static files, locale, and HTML errors for page requests."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from complaints.api import errors as api_errors
from complaints.errors import DomainError, InvalidInput, NotFound
from complaints.i18n import gettext
from complaints.web import install, is_page, page_error


def register(app: FastAPI) -> None:
    install(app)

    async def domain_error(request: Request, exc: DomainError) -> Response:
        if is_page(request):
            return page_error(request, exc)
        return await api_errors.domain_error(request, exc)

    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        if is_page(request):
            return page_error(request, InvalidInput(gettext("请求参数不正确"), field=None))
        return await api_errors.validation_error(request, exc)

    async def http_error(request: Request, exc: HTTPException) -> Response:
        if is_page(request) and exc.status_code == 404:
            return page_error(request, NotFound(gettext("页面不存在")))
        return await api_errors.http_error(request, exc)

    api_errors.on_error(app, DomainError, domain_error)
    api_errors.on_error(app, RequestValidationError, validation_error)
    api_errors.on_error(app, HTTPException, http_error)
