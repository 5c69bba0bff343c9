"""A body larger than any legitimate request is refused in the service's error shape: from its
Content-Length before it is read, or, sent without one, as soon as it grows past the limit.

Uploads (multipart to an item's attachments, or the intake form with its files) have their own, larger cap
from `[attachments]`; each file's own limit is enforced by the upload itself while it streams."""

from __future__ import annotations

import re

from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from complaints.api.errors import error_body
from complaints.i18n import gettext

UPLOADS = re.compile(r"^/(api/complaints|items)/[^/]+/attachments/?$|^/intake/?$")


def upload_cap(scope, max_body: int) -> int | None:
    """The cap of an upload request (every file at its largest, plus the form), or None if it is none."""
    if scope.get("method") != "POST" or not UPLOADS.match(scope.get("path", "")):
        return None
    content_type = next((value for name, value in scope["headers"] if name == b"content-type"), b"")
    app = scope.get("app")
    settings = getattr(getattr(app, "state", None), "settings", None)
    if not content_type.startswith(b"multipart/form-data") or settings is None:
        return None
    return settings.attachments.max_bytes * settings.attachments.max_files + max_body


class BodyLimit:
    def __init__(self, app, max_body: int) -> None:
        self.app, self.max_body = app, max_body

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_body = upload_cap(scope, self.max_body) or self.max_body
        length = next((value for name, value in scope["headers"] if name == b"content-length"), None)
        if length is not None:
            if not length.isdigit() or int(length) > max_body:
                message = gettext("请求内容过大（上限 {mb} MB）", mb=max_body // (1024 * 1024))
                await JSONResponse(error_body("too_large", message), status_code=413, headers={"Connection": "close"})(
                    scope, receive, send
                )
                return
            await self.app(scope, receive, send)
            return
        seen = 0

        async def counted():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > max_body:
                raise HTTPException(413)
            return message

        await self.app(scope, counted, send)
