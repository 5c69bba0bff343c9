"""The 受理告知书 of a formal 信访 item: issuing it (受理) and its printable page."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlmodel import col, select

from complaints.clock import utcnow
from complaints.errors import DomainError, NotFound
from complaints.http import csrf
from complaints.http.session import RuntimeDep, SessionDep
from complaints.http.users import PageUser
from complaints.i18n import gettext
from complaints.models import Event
from complaints.services import queries
from complaints.services.notices import issue_acceptance_notice
from complaints.web.render import page
from workflows.events import EventKind

router = APIRouter()


@router.post("/items/{ref}/acceptance-notice", dependencies=[Depends(csrf.verify)])
def issue_notice(request: Request, ref: str, user: PageUser, session: SessionDep, runtime: RuntimeDep):
    item = queries.get(session=session, runtime=runtime, actor=user, ref=ref[:40])
    try:
        with session.begin_nested():
            issue_acceptance_notice(session=session, runtime=runtime, actor=user, item=item, now=utcnow())
    except DomainError as exc:
        session.refresh(item)
        return RedirectResponse(
            f"/items/{quote(item.tracking_no)}?notice_error={quote(exc.message[:200])}", status_code=303
        )
    return RedirectResponse(f"/items/{quote(item.tracking_no)}/acceptance-notice", status_code=303)


@router.get("/items/{ref}/acceptance-notice")
def print_notice(request: Request, ref: str, user: PageUser, session: SessionDep, runtime: RuntimeDep):
    """The notice as issued (the text kept in the item's history), laid out for printing."""
    item = queries.get(session=session, runtime=runtime, actor=user, ref=ref[:40])
    event = session.exec(
        select(Event)
        .where(Event.complaint_id == item.id, Event.action == EventKind.ACKNOWLEDGE)
        .order_by(col(Event.id).desc())
    ).first()
    if event is None:
        raise NotFound(gettext("该事项尚未出具受理告知书"))
    assert event.changes is not None, "an acknowledgement keeps the notice's text in its changes"
    return page(request, "acceptance_notice.html", item=item, text=event.changes["notice_text"])
