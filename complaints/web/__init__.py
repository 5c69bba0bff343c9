"""Server-rendered pages on the same FastAPI app: they call the same service functions as the API."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from complaints.errors import DomainError
from complaints.http.users import LoginRequired
from complaints.web.pages import (
    admin,
    attachments,
    calendar,
    checklist,
    cohandling,
    intake,
    items,
    letters,
    lists,
    measures,
    notices,
    notifications,
    outreach,
    public,
    replies,
    supervisor,
)
from complaints.web.render import page

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    """Add the pages and the static files to `app` (the language is chosen by the request middleware)."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (
        public,
        intake,
        lists,
        items,
        attachments,
        notices,
        letters,
        supervisor,
        measures,
        checklist,
        calendar,
        admin,
        notifications,
        replies,
        outreach,
        cohandling,
    ):
        app.include_router(module.router, include_in_schema=False)


def is_page(request: Request) -> bool:
    """Pages get HTML errors; the JSON API (and /healthz, /metrics) keep their own error shape."""
    path = request.url.path
    return not (path.startswith("/api") or path in ("/healthz", "/metrics", "/openapi.json"))


def page_error(request: Request, exc: DomainError):
    """A domain error on a page: sign in first, or an error page in the user's language."""
    if isinstance(exc, LoginRequired):
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    status = exc.http_status if exc.http_status >= 400 else 400
    return page(request, "error.html", status_code=status, error=exc)
