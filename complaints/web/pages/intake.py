"""The operator's intake form: keyboard-first, repeat check before saving, 咨询 answered at once."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse
from sqlalchemy import and_
from sqlmodel import col

from complaints.clock import utcnow
from complaints.errors import DomainError, Forbidden
from complaints.http.session import RuntimeDep, SessionDep
from complaints.http.users import PageUser
from complaints.i18n import gettext
from complaints.models import Complaint
from complaints.presenters import status_label
from complaints.privacy import mask_phone
from complaints.services import attachments, registration
from complaints.services.categories import suggest_category
from complaints.services.repeats import find_repeats
from complaints.services.scope import visible_filter
from complaints.services.transitions import act
from complaints.web.pages.attachments import PageUpload, storage_of
from complaints.web.render import page

router = APIRouter()
FIELDS = (
    "channel",
    "kind",
    "unit_code",
    "category",
    "school",
    "summary",
    "details",
    "received_at",
    "complainant_name",
    "complainant_phone",
)


def _may_register(user) -> None:
    if not user.role_set & {"operator", "supervisor"}:
        raise Forbidden(gettext("只有接线员和督办人可以登记诉求"))


@router.get("/intake")
def intake_form(request: Request, user: PageUser):
    _may_register(user)
    return page(
        request, "intake.html", values={"unit_code": user.unit_code, "channel": "call", "kind": "complaint"}, error=None
    )


# the form comes first: its files are read as they stream, before the page's session and write turn
@router.post("/intake")
def intake_submit(request: Request, upload: PageUpload, user: PageUser, session: SessionDep, runtime: RuntimeDep):
    """The form may carry files (attachments.read_upload: stored as they arrive, CSRF checked first)."""
    _may_register(user)
    form = upload.fields
    if upload.error is not None:
        values: dict[str, str | None] = {name: str(form.get(name, "")).strip() for name in FIELDS}
        return page(request, "intake.html", status_code=upload.error.http_status, values=values, error=upload.error)
    values = {name: str(form.get(name, "")).strip() for name in FIELDS}
    data: dict[str, object] = {k: v for k, v in values.items() if v}
    data.update(
        anonymous=form.get("anonymous") == "on",
        confidential=form.get("confidential") == "on",
        urgency="urgent" if form.get("urgent") == "on" else "normal",
        sms_consent={"yes": True, "no": False}.get(str(form.get("sms_consent", ""))),
    )
    answer = str(form.get("answer_text", "")).strip()
    try:
        with session.begin_nested():  # a refused item leaves nothing behind, the form keeps every value
            item = registration.register(session=session, runtime=runtime, actor=user, data=data)
            if form.get("answer_now") == "1":
                act(
                    session=session,
                    runtime=runtime,
                    actor=user,
                    item=item,
                    action="answer_now",
                    payload={"text": answer},
                )
            if upload.files:
                session.flush()
                attachments.add(
                    session=session,
                    settings=runtime.settings,
                    actor=user,
                    item=item,
                    files=upload.files,
                    storage=storage_of(request),
                )
    except DomainError as exc:
        values.update({k: form.get(k) for k in ("anonymous", "confidential", "urgent", "answer_text", "sms_consent")})
        return page(request, "intake.html", status_code=exc.http_status, values=values, error=exc)
    upload.kept = True
    return RedirectResponse(f"/items/{item.tracking_no}?registered=1", status_code=303)


@router.get("/intake/check")
def intake_check(
    user: PageUser, session: SessionDep, runtime: RuntimeDep, summary: str = "", phone: str = "", unit_code: str = ""
):
    """Suggested category and possible repeats (重复诉求) while the operator types."""
    _may_register(user)
    summary, phone, unit_code = summary[:500], phone[:40], unit_code[:8]
    category = suggest_category(runtime.settings, summary) if summary else None
    repeats = []
    try:
        # only what this person may see, and never a confidential report: typing a phone number must not
        # tell anyone that its owner reported someone
        scope = and_(visible_filter(user, runtime.settings), col(Complaint.confidential).is_(False))
        found = find_repeats(
            session=session,
            runtime=runtime,
            unit_code=unit_code or user.unit_code,
            phone=phone or None,
            summary=summary,
            now=utcnow(),
            scope=scope,
        )
        repeats = [
            {
                "tracking_no": r.tracking_no,
                "summary": r.summary[:60],
                "status": status_label(r.status),
                "phone": mask_phone(r.complainant_phone) if not r.confidential else "",
            }
            for r in found[:5]
        ]
    except DomainError:
        repeats = []
    return JSONResponse({"category": category, "repeats": repeats})
