"""/api/complaints/{ref}/attachments: upload (multipart, streamed to storage), list, download, remove."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Body, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field
from sqlmodel import Session
from starlette.background import BackgroundTask

from complaints.attachments.receiving import KINDS, Received, receive
from complaints.attachments.storage import Storage, storage_for
from complaints.http.session import RuntimeDep, SessionDep
from complaints.http.users import SIGNED_IN, CurrentUser, authenticate, signed_in_write
from complaints.models import Attachment, Complaint, User
from complaints.runtime import Runtime
from complaints.services import attachments as service
from complaints.services import queries

router = APIRouter(prefix="/api/complaints", tags=["attachments"])
Ref = Annotated[
    str,
    Path(
        description="id or tracking number (ATS-2026-000123)", min_length=1, max_length=40, pattern=r"^[A-Za-z0-9-]+$"
    ),
]
AttachmentId = Annotated[int, Path(ge=1, le=2**31 - 1)]
UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {
                        "type": "array",
                        "items": {"type": "string", "format": "binary"},
                        "description": "PDF, JPEG, PNG, TIFF, MP3, WAV, M4A or AMR, decided from the content",
                    }
                },
            }
        }
    },
}


class AttachmentOut(BaseModel):
    id: int
    filename: str
    kind: str
    media_type: str
    size: int
    uploaded_at: datetime
    uploaded_by_id: int | None


class RemoveIn(BaseModel):
    model_config = {"extra": "forbid"}
    reason: str = Field(min_length=2, max_length=500, description="why the attachment is removed (kept in the history)")


def attachment_out(attachment: Attachment) -> AttachmentOut:
    return AttachmentOut(
        id=attachment.id,
        filename=attachment.filename,
        kind=attachment.kind,
        media_type=attachment.media_type,
        size=attachment.size,
        uploaded_at=attachment.uploaded_at,
        uploaded_by_id=attachment.uploaded_by_id,
    )


def storage_of(request: Request) -> Storage:
    return getattr(request.app.state, "storage", None) or storage_for(request.app.state.runtime.settings)


def _item(session: Session, runtime: Runtime, user: User, ref: str) -> Complaint:
    return queries.get(session=session, runtime=runtime, actor=user, ref=ref)


def _check_first(request: Request, runtime: Runtime, ref: str) -> None:
    """Signed in and the item visible, before a byte of the body is read (another unit's item: 404)."""
    with request.app.state.session_factory() as session:
        _item(session, runtime, authenticate(request, session, runtime), ref)


async def receive_upload(request: Request, storage: Storage, runtime: Runtime, before_file=None):
    return await receive(
        request.headers.get("content-type", ""),
        request.stream(),
        storage=storage,
        limits=runtime.settings.attachments,
        before_file=before_file,
    )


async def record(request: Request, runtime: Runtime, storage: Storage, ref: str, files: list[Received]):
    """The stored files recorded as the item's; removed from storage again if that fails."""

    def work(session: Session, user: User) -> list[AttachmentOut]:
        item = _item(session, runtime, user, ref)
        added = service.add(
            session=session, settings=runtime.settings, actor=user, item=item, files=files, storage=storage
        )
        return [attachment_out(a) for a in added]

    try:
        return await signed_in_write(request, runtime, work)
    except BaseException:

        def remove() -> None:
            for f in files:
                storage.delete(f.key)

        await run_in_threadpool(remove)
        raise


@router.post(
    "/{ref}/attachments",
    status_code=201,
    response_model=list[AttachmentOut],
    summary="上传附件",
    dependencies=SIGNED_IN,
    openapi_extra={"requestBody": UPLOAD_BODY},
)
async def upload(ref: Ref, request: Request, runtime: RuntimeDep) -> list[AttachmentOut]:
    await run_in_threadpool(_check_first, request, runtime, ref)
    storage = storage_of(request)
    received = await receive_upload(request, storage, runtime)
    return await record(request, runtime, storage, ref, received.files)


@router.get("/{ref}/attachments", response_model=list[AttachmentOut], summary="附件列表")
def list_attachments(ref: Ref, user: CurrentUser, session: SessionDep, runtime: RuntimeDep) -> list[AttachmentOut]:
    item = _item(session, runtime, user, ref)
    return [
        attachment_out(a) for a in service.listed(session=session, settings=runtime.settings, actor=user, item=item)
    ]


def download_response(attachment: Attachment, chunks, *, inline: bool) -> StreamingResponse:
    disposition = "inline" if inline and attachment.kind in service.PREVIEW else "attachment"
    headers = {
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(attachment.filename)}",
        "Content-Length": str(attachment.size),
        "Cache-Control": "private, no-store",
        # whatever the file holds, it runs nothing; only the item page itself may show it in a frame
        "Content-Security-Policy": "sandbox; default-src 'none'; img-src 'self'; frame-ancestors 'self'",
    }
    if disposition == "inline":
        headers["X-Frame-Options"] = "SAMEORIGIN"
        if attachment.kind == "pdf":  # a sandboxed document gets no PDF viewer
            headers["Content-Security-Policy"] = "frame-ancestors 'self'"
    return StreamingResponse(chunks, media_type=attachment.media_type, headers=headers)


@router.get(
    "/{ref}/attachments/{attachment_id}",
    summary="下载附件（保密件的每次下载记入处理记录）",
    response_class=StreamingResponse,
    # the file as stored, with the type its content was recognised as
    responses={200: {"content": {media_type: {} for media_type in sorted(set(KINDS.values()))}}},
)
def download(
    ref: Ref, attachment_id: AttachmentId, request: Request, user: CurrentUser, session: SessionDep, runtime: RuntimeDep
) -> StreamingResponse:
    item = _item(session, runtime, user, ref)
    attachment, chunks = service.read(
        session=session,
        settings=runtime.settings,
        storage=storage_of(request),
        actor=user,
        item=item,
        attachment_id=attachment_id,
    )
    return download_response(attachment, chunks, inline=False)


@router.delete("/{ref}/attachments/{attachment_id}", status_code=204, summary="删除附件（督办人，须说明原因）")
def remove(
    ref: Ref,
    attachment_id: AttachmentId,
    body: Annotated[RemoveIn, Body()],
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    item = _item(session, runtime, user, ref)
    removed = service.remove(
        session=session,
        settings=runtime.settings,
        actor=user,
        item=item,
        attachment_id=attachment_id,
        reason=body.reason,
    )
    # the file goes once the removal is committed (the session commits before the response is sent)
    return Response(status_code=204, background=BackgroundTask(storage_of(request).delete, removed.storage_key))
