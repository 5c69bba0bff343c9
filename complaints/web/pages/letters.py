"""An item's official letters: numbered on first print, then served as PDF (to print) or DOCX (to edit)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends
from fastapi.responses import RedirectResponse, Response

from complaints.errors import NotFound
from complaints.http import csrf
from complaints.http.session import RuntimeDep, SessionDep
from complaints.http.users import PageUser
from complaints.i18n import gettext
from complaints.letters import TITLES, pdf, word
from complaints.services import letters, queries

router = APIRouter(prefix="/items/{ref}/letters")
FORMATS = {
    "pdf": ("application/pdf", "inline", pdf.render),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "attachment", word.render),
}


@router.post("/{kind}", dependencies=[Depends(csrf.verify)])
def issue(ref: str, kind: str, user: PageUser, session: SessionDep, runtime: RuntimeDep):
    """Number the letter (first time only) and open its PDF: one click to print."""
    item = queries.get(session=session, runtime=runtime, actor=user, ref=ref[:40])
    letters.issue(session=session, runtime=runtime, actor=user, item=item, kind=_kind(kind))  # committed on return
    return RedirectResponse(f"/items/{quote(item.tracking_no)}/letters/{kind}.pdf", status_code=303)


@router.get("/{kind}.{fmt}")
def download(ref: str, kind: str, fmt: str, user: PageUser, session: SessionDep, runtime: RuntimeDep):
    item = queries.get(session=session, runtime=runtime, actor=user, ref=ref[:40])
    letter = letters.issued(session=session, item=item).get(_kind(kind))
    if letter is None or fmt not in FORMATS:
        raise NotFound(gettext("这份文书尚未编号出具"), field="kind")
    media_type, disposition, render = FORMATS[fmt]
    body = render(letters.parts(session=session, runtime=runtime, actor=user, item=item, letter=letter))
    name = quote(f"{TITLES[letter.kind]}_{letter.doc_no}.{fmt}")
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f"{disposition}; filename*=UTF-8''{name}", "Cache-Control": "no-store"},
    )


def _kind(kind: str) -> str:
    if kind not in TITLES:
        raise NotFound(gettext("没有这种文书"), field="kind")
    return kind
