"""/api/complaints: register, list, show with history, reveal an identity, fire an action."""

# no `from __future__ import annotations`: the action routes are built in a loop and FastAPI must see
# their body models as real classes, not strings to resolve in this module's globals

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any, Literal, cast
from weakref import WeakKeyDictionary

import anyio.to_thread
from fastapi import APIRouter, Body, Header, Path, Query, Request, Response
from pydantic import BaseModel, Field, StrictInt
from sqlalchemy.exc import DataError, IntegrityError
from sqlmodel import Session, col, select

from complaints.api.deps import IF_MATCH_PATTERN, etag, version_from_if_match
from complaints.api.schemas import (
    ComplainantOut,
    ComplaintDetail,
    ComplaintPage,
    complainant_out,
    detail_out,
    summary_out,
)
from complaints.api.strict import IsoDatetime, strict_model
from complaints.clock import to_storage, utcnow
from complaints.errors import Conflict
from complaints.http.groupcommit import GroupCommit
from complaints.http.session import ReadSessionDep, RuntimeDep, SessionDep
from complaints.http.users import SIGNED_IN, CurrentUser, sign_in, write_touches
from complaints.i18n import gettext
from complaints.models import Complaint, Event, User
from complaints.presenters import action_label
from complaints.runtime import Runtime
from complaints.services import identity, itemview, queries, registration
from complaints.services.categories import check_category
from complaints.services.people import check_unit, names_of
from complaints.services.steps import PAYLOADS
from complaints.services.transitions import act
from workflows.lifecycle import Action
from workflows.vocab import Channel, Kind, Status

router = APIRouter(prefix="/api/complaints", tags=["complaints"])
MAX_OFFSET = 10_000
Ref = Annotated[
    str,
    Path(
        description="id or tracking number (ATS-2026-000123)", min_length=1, max_length=40, pattern=r"^[A-Za-z0-9-]+$"
    ),
]
IfMatch = Annotated[
    str | None, Header(description='the version read (ETag), e.g. "3"', max_length=16, pattern=IF_MATCH_PATTERN)
]


# what a cooperating unit's staff do not see of an item they only cooperate on (their sub-task says what they need)
COOPERATOR_HIDDEN = {
    "details": "",
    "reply_text": None,
    "outcome": None,
    "satisfaction": None,
    "handling_notes": "",
    "result_text": "",
    "remarks": "",
}


def detail_model(
    session: Session, runtime: Runtime, user: User, item: Complaint, events: list[Event] | None = None
) -> ComplaintDetail:
    """The item as this user may see it; `events` if already in hand."""
    seen = itemview.view(session=session, runtime=runtime, actor=user, item=item, events=events)
    out = detail_out(item, seen.who, seen.names, seen.events, seen.actions)
    return out.model_copy(update=COOPERATOR_HIDDEN) if seen.cooperator_only else out


def detail(
    session: Session,
    runtime: Runtime,
    user: User,
    item: Complaint,
    response: Response,
    events: list[Event] | None = None,
) -> ComplaintDetail:
    """detail_model, with the ETag of the item's version on the response."""
    response.headers["ETag"] = etag(item.version)
    return detail_model(session, runtime, user, item, events)


ComplaintIn = registration.ComplaintIn
if TYPE_CHECKING:  # a strict subclass of ComplaintIn, built at run time
    RegisterIn = registration.ComplaintIn
else:
    RegisterIn = strict_model(registration.ComplaintIn)


@router.post("", status_code=201, response_model=ComplaintDetail, summary="登记诉求", dependencies=SIGNED_IN)
async def register(data: RegisterIn, request: Request, runtime: RuntimeDep) -> Response:
    """Sign in and build the item (checks, deadlines, search keys) outside the write turn; write it with the
    registrations that arrived meanwhile (one transaction, one durable commit: http.groupcommit); answer
    once that commit has returned, from the stored row, outside the turn again."""
    state = request.app.state
    user, registering = await anyio.to_thread.run_sync(
        _signed_in_and_prepared, request, runtime, data, limiter=_preparing()
    )
    written = await state.registrations.submit(registering)
    if written is ALREADY_STORED:  # refused in the request's own language, not the batch's first caller's
        raise Conflict(gettext("与已有记录冲突（可能是重复提交），未保存"))
    item, event = written
    # a new item's view needs nothing more from the database (its one event is its registrar's, whose name is
    # in hand): built here, in the event loop, rather than in one more trip to the thread pool
    with Session(expire_on_commit=False) as unbound:
        created = detail_model(unbound, runtime, user, item, events=[event])
    # already the documented shape: sent as it is rather than validated a second time against itself
    return Response(
        created.model_dump_json(by_alias=True),
        status_code=201,
        media_type="application/json",
        headers={"Location": f"/api/complaints/{created.id}", "ETag": etag(created.version)},
    )


# a platform item whose (source, external reference) is stored already: the route refuses it as a conflict
ALREADY_STORED = None

# registrations signed in and built at once per process (see _preparing)
PREPARING_AT_ONCE = 1
_preparing_by_loop: WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = WeakKeyDictionary()


def _preparing() -> anyio.CapacityLimiter:
    """The thread a registration's sign-in and building take turns on: PREPARING_AT_ONCE per process, in
    arrival order.

    Both are work under the interpreter lock. With a thread of their own each (32 requests at once), they
    took the lock in no particular order and the unluckiest request waited longest: a p99 worse than the
    bare insert's. One at a time they go in the order they came and as fast (measured with bench_http on
    both databases: two at a time missed the p99 on PostgreSQL once in three runs, one never did), while
    the batch being written and the event loop go on beside them. One limiter per event loop (a test
    client may run each request in a loop of its own)."""
    loop = asyncio.get_running_loop()
    limiter = _preparing_by_loop.get(loop)
    if limiter is None:
        limiter = _preparing_by_loop[loop] = anyio.CapacityLimiter(PREPARING_AT_ONCE)
    return limiter


@dataclass
class Registering:
    """A registration ready to be written: the row's values and the sign-in's due touch of its token."""

    values: dict[str, Any]
    touch: dict | None


def _signed_in_and_prepared(request: Request, runtime: Runtime, data: ComplaintIn) -> tuple[User, Registering]:
    user, touch = sign_in(request, runtime)  # 401 before anything about the input
    return user, Registering(registration.prepare(runtime=runtime, actor=user, data=data), touch)


def write_registrations(
    session_factory: Callable[[], Session], runtime: Runtime, batch: list[Registering]
) -> list[tuple[Complaint, Event] | None | BaseException]:
    """A batch of registrations in one transaction: each one's stored item and first event, in order, read
    back in two queries for the whole batch. If the database refuses a row (a constraint, a value), each is
    written again on its own, so that only the refused one fails: its own exception is its outcome (a row
    whose external reference is stored already: ALREADY_STORED). Any other failure (a lost
    connection, a lock waited out) is every entry's: trying them one by one would only fail again, slower."""
    session = session_factory()
    try:
        write_touches(session, [registering.touch for registering in batch])
        ids = registration.store(
            session=session, runtime=runtime, rows=[registering.values for registering in batch], apart=True
        )
        stored = [i for i in ids if i is not None]
        items = {item.id: item for item in session.exec(select(Complaint).where(col(Complaint.id).in_(stored)))}
        events = {e.complaint_id: e for e in session.exec(select(Event).where(col(Event.complaint_id).in_(stored)))}
        session.commit()  # the objects stay loaded (expire_on_commit=False) and leave with the session's close
    except Exception as error:
        session.rollback()
        if len(batch) == 1 or not isinstance(error, (IntegrityError, DataError)):
            return [error] * len(batch)  # not a row's fault (the database went away, a lock waited out): all fail
        return [
            outcome for registering in batch for outcome in write_registrations(session_factory, runtime, [registering])
        ]
    finally:
        session.close()
    return [ALREADY_STORED if i is None else (items[i], events[i]) for i in ids]


def registrations_for(app_state: Any, runtime: Runtime) -> GroupCommit[Registering, tuple[Complaint, Event] | None]:
    """The process's group commit of registrations, sharing the write turn of every other write."""
    return GroupCommit(
        partial(write_registrations, app_state.session_factory, runtime),
        turns=lambda: getattr(app_state, "write_turns", None),
    )


class ListQuery(BaseModel):
    model_config = {"extra": "forbid"}

    unit: str | None = Field(default=None, max_length=8, description="unit code")
    handler: int | None = Field(default=None, ge=1, le=2**31 - 1, description="handler's id")
    mine: bool = Field(default=False, description="only items assigned to me")
    status: Status | None = None
    category: str | None = Field(default=None, max_length=32)
    channel: Channel | None = None
    kind: Kind | None = None
    school: str | None = Field(default=None, max_length=100, description="part of the school's name")
    open_only: bool = False
    overdue: bool = False
    due_soon: bool = False
    reviewed: bool = Field(default=False, description="信访 复查 only; a county sees those of its own handling")
    q: str | None = Field(
        default=None,
        max_length=100,
        description=(
            "tracking number (any case, zeros optional), phone or its last four digits, complainant name (if you "
            "may see it), or words of the summary, details, notes and reply"
        ),
    )
    received_from: IsoDatetime | None = None
    received_to: IsoDatetime | None = None
    sort: Literal["due", "-due", "received", "-received", "tracking", "-tracking", "status", "category"] = "due"
    limit: int = Field(default=50, ge=1, le=queries.MAX_PAGE)
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET)


def filters_from(query: ListQuery, user: User, runtime: Runtime) -> queries.ListFilter:
    tz = runtime.settings.app.timezone
    return queries.ListFilter(
        unit_code=check_unit(runtime.settings, query.unit, field="unit") if query.unit is not None else None,
        handler_id=user.id if query.mine else query.handler,
        status=query.status,
        category=check_category(runtime.settings, query.category) if query.category is not None else None,
        open_only=query.open_only,
        overdue=query.overdue,
        due_soon=query.due_soon,
        reviewed=query.reviewed,
        text=query.q or None,
        channel=query.channel,
        kind=query.kind,
        school=query.school or None,
        received_from=to_storage(query.received_from, tz),
        received_to=to_storage(query.received_to, tz),
        sort=query.sort,
        limit=query.limit,
        offset=query.offset,
    )


def page(session: Session, runtime: Runtime, user: User, filters: queries.ListFilter) -> ComplaintPage:
    """A page of items; complainants always masked in lists."""
    now = utcnow()
    items, total = queries.list_complaints(session=session, runtime=runtime, actor=user, filters=filters, now=now)
    names = names_of(session, {i.handler_id for i in items})
    return ComplaintPage(
        data=[summary_out(i, identity.masked(i), names, now) for i in items],
        count=total,
        count_exact=getattr(total, "exact", True),
        limit=filters.limit,
        offset=filters.offset,
    )


@router.get("", response_model=ComplaintPage, summary="诉求列表")
def list_items(
    query: Annotated[ListQuery, Query()], user: CurrentUser, reads: ReadSessionDep, runtime: RuntimeDep
) -> ComplaintPage:
    return page(reads, runtime, user, filters_from(query, user, runtime))


@router.get("/{ref}", response_model=ComplaintDetail, summary="诉求详情（含处理记录与期限）")
def show(ref: Ref, user: CurrentUser, session: SessionDep, runtime: RuntimeDep, response: Response) -> ComplaintDetail:
    item = queries.get(session=session, runtime=runtime, actor=user, ref=ref)
    return detail(session, runtime, user, item, response)


@router.post("/{ref}/reveal", response_model=ComplainantOut, summary="查看诉求人完整身份（保密件记入处理记录）")
def reveal(ref: Ref, user: CurrentUser, session: SessionDep, runtime: RuntimeDep) -> ComplainantOut:
    item = queries.get(session=session, runtime=runtime, actor=user, ref=ref)
    return complainant_out(identity.reveal(session=session, settings=runtime.settings, actor=user, item=item))


def _body_model(action: Action) -> type[BaseModel]:
    """The action's payload plus the optional `version` the client read."""
    name = "".join(part.title() for part in action.value.split("_")) + "Body"
    version = (StrictInt | None, Field(default=None, ge=1, le=10**9, description="the version read; stale → 409"))
    return strict_model(PAYLOADS[action], name, version=version)


def _action_route(action: Action):
    body_model = _body_model(action)

    def fire(
        ref: Ref,
        user: CurrentUser,
        session: SessionDep,
        runtime: RuntimeDep,
        response: Response,
        body: Annotated[body_model | None, Body()] = None,  # type: ignore[valid-type]  # a model built at run time
        if_match: IfMatch = None,
    ) -> ComplaintDetail:
        sent = cast(BaseModel | None, body)
        payload = sent.model_dump(exclude={"version"}, exclude_unset=True) if sent else {}
        expected = version_from_if_match(if_match)
        expected = expected if expected is not None else (getattr(sent, "version", None) if sent else None)
        item = queries.get(session=session, runtime=runtime, actor=user, ref=ref)
        act(
            session=session,
            runtime=runtime,
            actor=user,
            item=item,
            action=action,
            payload=payload,
            expected_version=expected,
        )
        return detail(session, runtime, user, item, response)

    fire.__name__ = f"fire_{action.value}"
    router.post(
        f"/{{ref}}/actions/{action.value}",
        response_model=ComplaintDetail,
        name=f"action_{action.value}",
        summary=action_label(action.value),
        description=f"Action `{action.value}`.",
    )(fire)


for _action in PAYLOADS:
    _action_route(_action)
