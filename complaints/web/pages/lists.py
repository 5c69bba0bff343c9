"""The item list's saved views and its export (the list itself is items.items)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from complaints.clock import utcnow
from complaints.errors import DomainError
from complaints.http import csrf
from complaints.http.session import ReadSessionDep, RuntimeDep, SessionDep
from complaints.http.users import PageUser
from complaints.i18n import gettext
from complaints.models import AuditLog
from complaints.services import bulk as bulk_service
from complaints.services import queries, views
from complaints.services.people import names_of
from complaints.web import listing
from complaints.web.deps import PageForm
from complaints.web.render import page

router = APIRouter()


@router.get("/items/export.xlsx")
def export(request: Request, user: PageUser, session: SessionDep, reads: ReadSessionDep, runtime: RuntimeDep):
    """The list as it is filtered and sorted, up to EXPORT_MAX items, complainants masked; read through the
    read-only session (the replica's if any), the export recorded in the audit log on the primary."""
    params = listing.params_of(request.query_params)
    items: list = []
    while len(items) < listing.EXPORT_MAX:
        filters = listing.filters_from(params, runtime.settings, offset=len(items), limit=queries.MAX_PAGE)
        page, _ = queries.list_complaints(session=reads, runtime=runtime, actor=user, filters=filters, with_total=False)
        items.extend(page)
        if len(page) < queries.MAX_PAGE:
            break
    return _workbook_response(
        session, user, runtime, items[: listing.EXPORT_MAX], {"query": listing.query_string(params)}
    )


def _workbook_response(session, user, runtime, items, detail: dict) -> Response:
    names = names_of(session, {i.handler_id for i in items})
    session.add(AuditLog(actor_id=user.id, action="export_list", detail={**detail, "rows": len(items)}))
    name = f"诉求列表-{utcnow():%Y%m%d}.xlsx"
    return Response(
        listing.workbook(items, names, runtime.settings),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )


@router.post("/items/views", dependencies=[Depends(csrf.verify)])
def save_view(form: PageForm, user: PageUser, session: SessionDep):
    params = listing.params_of(dict(form))
    views.save(session=session, actor=user, name=str(form.get("name", "")), query=listing.query_string(params))
    return RedirectResponse("/items?" + listing.query_string(params), status_code=303)


@router.post("/items/views/{view_id}/delete", dependencies=[Depends(csrf.verify)])
def delete_view(view_id: int, user: PageUser, session: SessionDep):
    views.delete(session=session, actor=user, view_id=view_id)
    return RedirectResponse("/items", status_code=303)


BACK = {"board": "/board", "items": "/items", "inbox": "/inbox"}  # where a bulk action returns: a fixed list


@router.post("/items/bulk", dependencies=[Depends(csrf.verify)])
def bulk(request: Request, form: PageForm, user: PageUser, session: SessionDep, runtime: RuntimeDep):
    """Dispatch, reassign, 督办 or export the ticked items; each refusal is listed, the rest are done."""
    refs = bulk_service.parse_refs([str(v) for v in form.getlist("item")])
    chosen = str(form.get("action", ""))
    back = BACK.get(str(form.get("back", "")), "/items")
    if chosen == "export":
        found = []
        for ref, _ in refs:
            try:
                found.append(queries.get(session=session, runtime=runtime, actor=user, ref=ref))
            except DomainError:
                continue
        return _workbook_response(session, user, runtime, found, {"selected": len(refs)})
    handler = str(form.get("handler_id", ""))
    payload: dict[str, object] = {"handler_id": int(handler)} if handler.isdigit() and chosen != "supervise" else {}
    if chosen == "supervise":
        payload = {"note": str(form.get("note") or gettext("请抓紧办理，按时答复")).strip()[:500]}
    result = bulk_service.bulk_act(
        session=session, runtime=runtime, actor=user, refs=refs, action=chosen, payload=payload
    )
    return page(request, "bulk_result.html", result=result, action=chosen, back=back)
