"""The HTTP service: `create_app(settings)` builds the FastAPI app; nothing is read at import time.

    uvicorn --factory complaints.app:create_app      (or: complaints serve)

Tests pass `connection=` (a connection inside the test's transaction): every request's session then
joins it with savepoints, so request commits are rolled back with the test.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial
from typing import cast

from fastapi import Depends, FastAPI
from sqlalchemy import Connection, Engine
from sqlmodel import Session

from complaints.api import (
    account,
    attachments,
    cohandling,
    complaints,
    errors,
    ops,
    outreach,
    people,
    public,
    reference,
    supervision,
)
from complaints.api.deps import reject_unknown_query
from complaints.api.limits import BodyLimit
from complaints.api.metrics import LatencyHistogram, RequestMiddleware
from complaints.api.openapi import restrict_vocabulary
from complaints.api.signin import SignInFirst
from complaints.db import engine_for, read_engine_for
from complaints.http.ratelimit import PUBLIC_BY_ADDRESS, PUBLIC_MISSES
from complaints.jobs.scheduler import build_scheduler
from complaints.runtime import Runtime
from complaints.settings import Settings, load_settings

ROUTERS = (account, complaints, attachments, people, reference, supervision, public, ops, outreach, cohandling)


def session_factory(engine: Engine, connection: Connection | None) -> Callable[[], Session]:
    if connection is not None:
        return partial(Session, bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    return partial(Session, engine, expire_on_commit=False)


# the largest legitimate body is a reply (20,000 characters) or a reply template; uploads have their own cap
# (api/limits.py: [attachments])
MAX_BODY = 1024 * 1024


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    connection: Connection | None = None,
    runtime: Runtime | None = None,
) -> FastAPI:
    """The app; settings default to config.toml + environment, read when the app starts."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = scheduler = None
        if not hasattr(app.state, "runtime"):
            owned = setup(app, settings or load_settings(), engine, connection, runtime)
            app.state.runtime.clock  # noqa: B018 - build the working-day calendar now, not in the first request
            scheduler = start_scheduler(app.state.runtime)
        yield
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        if owned is not None:
            owned.dispose()
            if app.state.read_engine is not owned:
                app.state.read_engine.dispose()

    app = FastAPI(
        title="阳光招生接诉即办 API",
        version="1",
        lifespan=lifespan,
        docs_url="/docs",
        responses={k: v for k, v in errors.ERROR_RESPONSES.items() if k in (401, 422)},
    )
    errors.install(app)
    app.state.histogram = LatencyHistogram()
    app.add_middleware(SignInFirst, api=app)  # inside RequestMiddleware: the locale is already chosen
    app.add_middleware(BodyLimit, max_body=MAX_BODY)
    app.add_middleware(RequestMiddleware, histogram=app.state.histogram)
    for module in ROUTERS:
        app.include_router(
            module.router, responses=errors.ERROR_RESPONSES, dependencies=[Depends(reject_unknown_query)]
        )
    if engine is not None or connection is not None:  # injected (tests, benchmarks): ready without a lifespan
        bound = engine if engine is not None else cast(Connection, connection).engine
        setup(app, settings or load_settings(), bound, connection, runtime)
    _include_web(app)
    restrict_vocabulary(app)
    return app


def start_scheduler(runtime: Runtime):
    """The single-machine default: the scheduled jobs run inside the one API process.

    In production (several API processes) `complaints serve --workers N` turns this off and one
    `complaints scheduler` process runs the jobs; its locks stop two schedulers running one job at once.
    """
    if not runtime.settings.app.run_scheduler_in_process:
        return None

    scheduler = build_scheduler(runtime, blocking=False)
    scheduler.start()
    return scheduler


def setup(
    app: FastAPI, settings: Settings, engine: Engine | None, connection: Connection | None, runtime: Runtime | None
) -> Engine | None:
    """Engine, runtime, sessions and limiter on app.state; returns the engine if this call created it."""
    created = None
    if engine is None:
        engine = created = engine_for(settings)
    app.state.settings = settings
    app.state.engine = engine
    app.state.runtime = runtime or Runtime.load(settings, engine)
    app.state.session_factory = session_factory(engine, connection)
    read_engine = read_engine_for(settings, engine)  # lists, dashboards, exports, searches
    app.state.read_engine = read_engine
    app.state.read_session_factory = (
        app.state.session_factory if read_engine is engine else session_factory(read_engine, None)
    )
    # see write_turn: SQLite has one writer at a time; PostgreSQL takes a few from each process
    turns = 1 if engine.dialect.name == "sqlite" else settings.database.concurrent_writes
    app.state.write_turns = asyncio.Semaphore(turns)
    app.state.registrations = complaints.registrations_for(app.state, app.state.runtime)
    app.state.public_limiter, app.state.public_misses = PUBLIC_BY_ADDRESS, PUBLIC_MISSES  # counted in the database
    return created


def _include_web(app: FastAPI) -> None:
    """The server-rendered pages register themselves when their package provides `register(app)`."""
    try:
        module = __import__("complaints.web.app", fromlist=["register"])
    except ModuleNotFoundError as exc:
        if exc.name not in ("complaints.web.app", "complaints.web"):
            raise
        return
    module.register(app)
