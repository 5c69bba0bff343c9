"""A body larger than any legitimate request is refused in the service's error shape: from its
Content-Length before it is read, or, sent without one, as soon as it grows past the limit."""

from __future__ import annotations

from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from complaints.api.errors import error_body
from complaints.i18n import gettext


class BodyLimit:
    def __init__(self, app, max_body: int) -> None:
        self.app, self.max_body = app, max_body

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = next((value for name, value in scope["headers"] if name == b"content-length"), None)
        if length is not None:
            if not length.isdigit() or int(length) > self.max_body:
                message = gettext("请求内容过大（上限 {mb} MB）", mb=self.max_body // (1024 * 1024))
                await JSONResponse(error_body("too_large", message), status_code=413,
                                   headers={"Connection": "close"})(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        seen = 0

        async def counted():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_body:
                raise HTTPException(413)
            return message

        await self.app(scope, counted, send)
