"""What pages need besides the shared HTTP edge (complaints.http: the request's session and its one commit,
the runtime, the signed-in user, CSRF): the submitted form.

Page handlers that touch the database are plain `def` (they run in the thread pool): blocking database
work in an `async def` handler stalls the worker's event loop, and with it every other request, including
the API request whose commit the page's own query may be waiting for. A page that may write takes the
same write turn as the API, and its session is committed once, by the dependency, when the handler returns
(rolled back when it raises), before the response is sent; handlers never commit themselves.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData


async def get_form(request: Request) -> FormData:
    """The submitted form, read in the event loop so that the handler itself can be a plain `def`."""
    return await request.form()


PageForm = Annotated[FormData, Depends(get_form)]
