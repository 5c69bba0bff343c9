"""/api/public/status: a complainant checks progress with the tracking number and the phone's last four digits.

POST, not GET, so the digits stay out of URLs and access logs. Rate-limited per client address and, for
wrong answers, per tracking number (see complaints.http.ratelimit); "no such number" and "wrong digits"
get the same answer.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from complaints.http.ratelimit import public_lookup
from complaints.http.session import RuntimeDep, SessionDep

router = APIRouter(prefix="/api/public", tags=["public"])


class StatusQuery(BaseModel):
    model_config = {"extra": "forbid", "str_strip_whitespace": True}

    tracking_no: str = Field(min_length=1, max_length=32)
    phone_last4: str = Field(min_length=4, max_length=4, pattern=r"^[0-9]{4}$")


class PublicStatusOut(BaseModel):
    tracking_no: str
    status: str
    status_label: str
    unit_name: str
    received_at: datetime
    replied_at: datetime | None
    closed_at: datetime | None
    reply_text: str | None = Field(
        description="the reply as sent, once it was sent (only the complainant's own name and phone masked)"
    )


@router.post("/status", response_model=PublicStatusOut, summary="办理进度查询（无需登录）")
def status(data: StatusQuery, request: Request, session: SessionDep, runtime: RuntimeDep) -> PublicStatusOut:
    found = public_lookup(
        request, session=session, runtime=runtime, tracking_no=data.tracking_no, phone_last4=data.phone_last4
    )
    return PublicStatusOut(**found.__dict__)
