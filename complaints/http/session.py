"""The request's unit of work: a write turn, one database session, one commit.

The dependency that opens the session commits it once, when the route returns, and before the response is
sent (`scope="function"`), so that a failed commit is reported and a redirect or a later request sees the
change; it rolls back when the route raises. Route handlers never commit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import event
from sqlmodel import Session

from complaints.db import read_only
from complaints.errors import DomainError
from complaints.runtime import Runtime

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
KEEP_WHEN_REFUSED = "keep_when_refused"


@asynccontextmanager
async def write_turn(request: Request) -> AsyncIterator[None]:
    """Requests that may write take turns: one at a time on SQLite, `database.concurrent_writes` at once
    per process on PostgreSQL; the others wait in arrival order.

    On SQLite, concurrent writers would otherwise wait in its busy handler, whose sleeps grow to 100 ms.
    On PostgreSQL, a few writes at a time keep the connections busy, where a thread per request left
    them all waiting for the interpreter lock and let the slowest requests wait longest. The turn is an
    asyncio semaphore held by the request's task, so a cancelled request (the client went away) gives
    it back; a thread lock taken in a worker thread was leaked on cancellation and hung later writes.
    """
    turns = getattr(request.app.state, "write_turns", None)
    if turns is None or request.method in SAFE_METHODS:
        yield
        return
    async with turns:
        yield


def keep_when_refused(session: Session) -> None:
    """What the session holds so far is committed even though the route then refuses the request with a
    DomainError (a failed sign-in counts towards the lock-out, a wrong lookup towards its limit). Any other
    error still rolls everything back."""
    session.info[KEEP_WHEN_REFUSED] = True


def finish(session: Session, error: BaseException | None) -> None:
    """Commit, or roll back after an error, and close: one trip to the thread pool."""
    try:
        if error is None or (isinstance(error, DomainError) and session.info.get(KEEP_WHEN_REFUSED)):
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


async def request_session(request: Request) -> AsyncIterator[Session]:
    """The request's session: committed when the route returns, rolled back when it raises.

    Opened in the event loop (a session does no I/O until first used) after the request's write turn.
    """
    async with write_turn(request):
        session = request.app.state.session_factory()
        try:
            yield session
        except BaseException as exc:
            await run_in_threadpool(finish, session, exc)
            raise
        await run_in_threadpool(finish, session, None)


async def read_session(request: Request) -> AsyncIterator[Session]:
    """A session for read-only queries (lists, dashboards, exports, searches): on the read replica when
    `[database] replica_url` is set, else on the primary. It takes no write turn and commits nothing; a
    flush with anything to write is refused (db.read_only). The signed-in user still comes from the
    request's own session, on the primary."""
    session = read_only(request.app.state.read_session_factory())
    try:
        yield session
    finally:
        await run_in_threadpool(session.close)


def after_commit(session: Session, work: Callable[[], None]) -> None:
    """Run `work` once the request's session has committed (e.g. reload what other sessions read)."""
    event.listen(session, "after_commit", lambda _session: work(), once=True)


async def get_runtime(request: Request) -> Runtime:
    """async: nothing to wait for, and a plain `def` would cost a trip to the thread pool."""
    runtime: Runtime = request.app.state.runtime
    return runtime


# scope="function": the commit happens before the response is sent, so a failed commit is reported
SessionDep = Annotated[Session, Depends(request_session, scope="function")]
ReadSessionDep = Annotated[Session, Depends(read_session, scope="function")]
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
