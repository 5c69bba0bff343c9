"""/healthz and /metrics, for the load balancer and Prometheus (no login; no personal data)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel
from sqlalchemy import text

from complaints.api.errors import ErrorOut, error_body
from complaints.api.metrics import render
from complaints.clock import utcnow
from complaints.http.session import SessionDep
from complaints.i18n import gettext

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    status: str
    database: str


@router.get(
    "/healthz",
    response_model=Health,
    summary="健康检查（含数据库）",
    responses={503: {"model": ErrorOut, "description": "数据库不可用"}},
)
def healthz(session: SessionDep):
    try:
        session.execute(text("SELECT 1")).scalar_one()
    except Exception:  # noqa: BLE001 - any failure to reach the database means "not healthy"
        session.rollback()
        return JSONResponse(error_body("unavailable", gettext("数据库不可用")), status_code=503)
    return Health(status="ok", database="ok")


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    summary="Prometheus 指标",
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
def metrics(request: Request, session: SessionDep) -> PlainTextResponse:
    body = render(session=session, histogram=request.app.state.histogram, now=utcnow())
    return PlainTextResponse(body, media_type="text/plain; version=0.0.4; charset=utf-8")
