"""Attachments on the pages: upload on the item page (and with the intake form), preview, download, removal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse

from complaints.api.attachments import download_response, storage_of
from complaints.attachments.receiving import Upload, receive
from complaints.errors import DomainError, Forbidden
from complaints.http import csrf
from complaints.http.session import RuntimeDep, SessionDep, after_commit
from complaints.http.users import LoginRequired, PageUser, user_from_request
from complaints.services import attachments as service
from complaints.services import queries
from complaints.web.deps import PageForm
from complaints.web.pages.items import _item_page

router = APIRouter()


def _check_first(request: Request) -> None:
    """Signed in, and the item of the address visible (404), before a byte of the body is read."""
    runtime = request.app.state.runtime
    with request.app.state.session_factory() as session:
        user = user_from_request(request, session)
        if user is None:
            raise LoginRequired("login required")
        if "ref" in request.path_params:
            queries.get(session=session, runtime=runtime, actor=user, ref=str(request.path_params["ref"])[:40])


async def read_upload(request: Request) -> AsyncIterator[Upload]:
    """A page form's fields and files, read in the event loop before the handler (and before its write turn):
    a multipart form as it streams, files straight to storage, the CSRF field checked before the first file.
    A refused file is handed over as `upload.error` with the fields read so far, so the page can show them
    again. Files the handler did not keep (upload.kept) are deleted afterwards."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        await csrf.verify(request)
        yield Upload(fields={k: str(v) for k, v in (await request.form()).items()})
        return
    await run_in_threadpool(_check_first, request)
    try:
        upload = await receive(
            request.headers["content-type"],
            request.stream(),
            storage=storage_of(request),
            limits=request.app.state.runtime.settings.attachments,
            before_file=lambda fields: csrf.check_fields(request, fields, header=False),
        )
        csrf.check_fields(request, upload.fields, header=False)  # a form sent without any file
    except Forbidden:
        raise
    except DomainError as exc:
        upload = Upload(fields=exc.details.get("fields", {}), error=exc)
    try:
        yield upload
    finally:
        if not upload.kept:
            await run_in_threadpool(discard, request, upload)


PageUpload = Annotated[Upload, Depends(read_upload)]


def discard(request: Request, upload: Upload) -> None:
    storage = storage_of(request)
    for received in upload.files:
        storage.delete(received.key)


# the upload comes first: it is read before the page's session (and its write turn) is opened
@router.post("/items/{ref}/attachments")
def item_upload(
    request: Request, ref: str, upload: PageUpload, user: PageUser, session: SessionDep, runtime: RuntimeDep
):

    item = queries.get(session=session, runtime=runtime, actor=user, ref=ref[:40])
    try:
        if upload.error is not None:
            raise upload.error
        added = service.add(
            session=session,
            settings=runtime.settings,
            actor=user,
            item=item,
            files=upload.files,
            storage=storage_of(request),  # deleted again if the request's commit fails
        )
    except DomainError as exc:
        return _item_page(request, user, session, runtime, ref[:40], error=exc, status_code=exc.http_status)
    upload.kept = True
    return RedirectResponse(f"/items/{item.tracking_no}?attached={len(added)}#attachments", status_code=303)


@router.get("/items/{ref}/attachments/{attachment_id}")
def item_download(
    request: Request,
    ref: str,
    attachment_id: int,
    user: PageUser,
    session: SessionDep,
    runtime: RuntimeDep,
    inline: int = 0,
):
    """The file; a confidential item's download is in its history (committed before the file is sent)."""
    item = queries.get(session=session, runtime=runtime, actor=user, ref=ref[:40])
    attachment, chunks = service.read(
        session=session,
        settings=runtime.settings,
        storage=storage_of(request),
        actor=user,
        item=item,
        attachment_id=attachment_id,
    )
    return download_response(attachment, chunks, inline=inline == 1)


@router.post("/items/{ref}/attachments/{attachment_id}/remove", dependencies=[Depends(csrf.verify)])
def item_remove(
    request: Request,
    ref: str,
    attachment_id: int,
    form: PageForm,
    user: PageUser,
    session: SessionDep,
    runtime: RuntimeDep,
):

    item = queries.get(session=session, runtime=runtime, actor=user, ref=ref[:40])
    try:
        with session.begin_nested():
            removed = service.remove(
                session=session,
                settings=runtime.settings,
                actor=user,
                item=item,
                attachment_id=attachment_id,
                reason=str(form.get("reason", "")),
            )
    except DomainError as exc:
        if exc.http_status == 404:
            raise
        return _item_page(request, user, session, runtime, ref[:40], error=exc, status_code=exc.http_status)
    storage, key = storage_of(request), removed.storage_key
    after_commit(session, lambda: storage.delete(key))  # the file goes once the removal is committed
    return RedirectResponse(f"/items/{item.tracking_no}?removed=1#attachments", status_code=303)
