"""/api/complaints: register, list, show with history, reveal an identity, fire an action."""

# no `from __future__ import annotations`: the action routes are built in a loop and FastAPI must see
# their body models as real classes, not strings to resolve in this module's globals

from typing import TYPE_CHECKING, Annotated, Literal, cast

from fastapi import APIRouter, Body, Header, Path, Query, Request, Response
from pydantic import BaseModel, Field, StrictInt
from sqlmodel import Session

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
from complaints.http.session import ReadSessionDep, RuntimeDep, SessionDep
from complaints.http.users import SIGNED_IN, CurrentUser, sign_in_then_write
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


if TYPE_CHECKING:  # a strict subclass of ComplaintIn, built at run time
    RegisterIn = registration.ComplaintIn
else:
    RegisterIn = strict_model(registration.ComplaintIn)


@router.post("", status_code=201, response_model=ComplaintDetail, summary="登记诉求", dependencies=SIGNED_IN)
async def register(data: RegisterIn, request: Request, runtime: RuntimeDep) -> Response:
    def write(session: Session, user: User) -> tuple[Complaint, Event]:
        return registration.register_with_event(session=session, runtime=runtime, actor=user, data=data)

    def respond(session: Session, user: User, written: tuple[Complaint, Event]) -> ComplaintDetail:
        item, event = written
        return detail_model(session, runtime, user, item, events=[event])  # a new item's whole history

    created = await sign_in_then_write(request, runtime, write, respond)
    # already the documented shape: sent as it is rather than validated a second time against itself
    return Response(
        created.model_dump_json(by_alias=True),
        status_code=201,
        media_type="application/json",
        headers={"Location": f"/api/complaints/{created.id}", "ETag": etag(created.version)},
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
