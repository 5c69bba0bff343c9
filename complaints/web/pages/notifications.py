"""The signed-in user's notifications (the outbox seen from the web) and their daily digests."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import update
from sqlmodel import col, select

from complaints.clock import utcnow
from complaints.errors import NotFound
from complaints.http import csrf
from complaints.http.session import SessionDep
from complaints.http.users import PageUser
from complaints.i18n import gettext
from complaints.models import Digest, Notification
from complaints.web.render import page

router = APIRouter()


@router.get("/notifications")
def notifications(request: Request, user: PageUser, session: SessionDep):
    items = session.exec(
        select(Notification)
        .where(col(Notification.user_id) == user.id)
        .order_by(col(Notification.id).desc())
        .limit(100)
    ).all()
    digests = session.exec(
        select(Digest).where(col(Digest.user_id) == user.id).order_by(col(Digest.day).desc()).limit(14)
    ).all()
    return page(request, "notifications.html", items=items, digests=digests)


@router.post("/notifications/read", dependencies=[Depends(csrf.verify)])
def mark_read(user: PageUser, session: SessionDep):
    session.exec(
        update(Notification)
        .where(col(Notification.user_id) == user.id, col(Notification.read_at).is_(None))
        .values(read_at=utcnow())
    )
    return RedirectResponse("/notifications", status_code=303)


@router.get("/digests/{digest_id}")
def digest(digest_id: int, user: PageUser, session: SessionDep):
    found = session.get(Digest, digest_id)
    if found is None or found.user_id != user.id:
        raise NotFound(gettext("找不到该汇总"), field="digest")
    # the digest is our own HTML, shown without scripts or anything fetched from elsewhere
    policy = "default-src 'none'; style-src 'unsafe-inline'"
    return HTMLResponse(found.html, headers={"Content-Security-Policy": policy})
