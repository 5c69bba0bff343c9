"""/api/notices (one's own channels), /api/webhooks (admins manage subscribers), /api/platform (a platform
pushes items and pulls their progress with its own token)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, Path
from pydantic import BaseModel, Field
from sqlmodel import col, select

from complaints.errors import Forbidden, NotFound
from complaints.http.session import RuntimeDep, SessionDep
from complaints.http.users import CurrentUser
from complaints.i18n import gettext
from complaints.models import User, WebhookSubscriber
from complaints.notify import webhooks
from complaints.notify.kinds import KIND_MAP
from complaints.notify.staff import handle_of, preferences, set_preferences
from complaints.presenters import status_label
from complaints.runtime import Runtime
from complaints.services import platform
from complaints.services.scope import has_role, sees_all_units
from complaints.tables import id_of
from workflows.vocab import Role

router = APIRouter(tags=["outreach"])
SubscriberId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class NoticeChoices(BaseModel):
    model_config = {"extra": "forbid"}
    channels: dict[str, list[str]] = Field(description="kind -> channels besides the app: email, wecom, dingtalk")
    wecom_handle: str | None = Field(default=None, max_length=64)
    dingtalk_handle: str | None = Field(default=None, max_length=64)


class NoticeChoicesOut(BaseModel):
    channels: dict[str, list[str]]
    kinds: dict[str, str]
    wecom_handle: str | None
    dingtalk_handle: str | None


def _choices_out(session, runtime: Runtime, user: User) -> NoticeChoicesOut:
    return NoticeChoicesOut(
        channels=preferences(session=session, settings=runtime.settings, user=user),
        kinds={code: gettext(kind.label) for code, kind in KIND_MAP.items()},
        wecom_handle=handle_of(session, id_of(user), "wecom"),
        dingtalk_handle=handle_of(session, id_of(user), "dingtalk"),
    )


@router.get("/api/notices/channels", response_model=NoticeChoicesOut, summary="我的提醒渠道")
def my_channels(user: CurrentUser, session: SessionDep, runtime: RuntimeDep) -> NoticeChoicesOut:
    return _choices_out(session, runtime, user)


@router.put("/api/notices/channels", response_model=NoticeChoicesOut, summary="设置我的提醒渠道")
def set_my_channels(
    data: NoticeChoices, user: CurrentUser, session: SessionDep, runtime: RuntimeDep
) -> NoticeChoicesOut:
    handles = {c: h for c, h in (("wecom", data.wecom_handle), ("dingtalk", data.dingtalk_handle)) if h is not None}
    set_preferences(session=session, user=user, choices=data.channels, handles=handles)
    return _choices_out(session, runtime, user)


# ------------------------------------------------------------------ webhooks


class SubscriberIn(BaseModel):
    model_config = {"extra": "forbid"}
    name: str = Field(min_length=1, max_length=64)
    url: str = Field(min_length=8, max_length=500)
    events: list[str] = Field(default_factory=lambda: list(webhooks.EVENTS))
    units: list[str] = Field(default_factory=list, description="empty: every unit")


class SubscriberOut(BaseModel):
    id: int
    name: str
    url: str
    events: list[str]
    units: list[str]
    paused: bool
    created_at: datetime


class NewSubscriber(SubscriberOut):
    secret: str = Field(description="shown once: the receiver checks X-Complaints-Signature with it")


class DeliveryOut(BaseModel):
    id: int
    key: str
    event: str
    status: str
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    last_error: str | None


def _admin(user: User, runtime: Runtime) -> None:
    if not (has_role(user, Role.ADMIN) and sees_all_units(user, runtime.settings)):
        raise Forbidden(gettext("只有州局管理员可以管理 Webhook 订阅"))


def _out(row) -> SubscriberOut:
    return SubscriberOut(
        id=row.id,
        name=row.name,
        url=row.url,
        events=row.events,
        units=row.units,
        paused=row.paused,
        created_at=row.created_at,
    )


@router.get("/api/webhooks", response_model=list[SubscriberOut], summary="Webhook 订阅列表（州局管理员）")
def list_subscribers(user: CurrentUser, session: SessionDep, runtime: RuntimeDep) -> list[SubscriberOut]:
    _admin(user, runtime)
    return [_out(row) for row in session.exec(select(WebhookSubscriber).order_by(col(WebhookSubscriber.id)))]


@router.post("/api/webhooks", status_code=201, response_model=NewSubscriber, summary="新增 Webhook 订阅")
def add_subscriber(data: SubscriberIn, user: CurrentUser, session: SessionDep, runtime: RuntimeDep) -> NewSubscriber:
    _admin(user, runtime)
    row = webhooks.add_subscriber(
        session=session, runtime=runtime, actor=user, name=data.name, url=data.url, events=data.events, units=data.units
    )
    return NewSubscriber(**_out(row).model_dump(), secret=row.secret)


@router.post("/api/webhooks/{subscriber_id}/pause", response_model=SubscriberOut, summary="暂停订阅")
def pause_subscriber(
    subscriber_id: SubscriberId, user: CurrentUser, session: SessionDep, runtime: RuntimeDep
) -> SubscriberOut:
    _admin(user, runtime)
    return _out(webhooks.set_paused(session=session, subscriber_id=subscriber_id, paused=True))


@router.post("/api/webhooks/{subscriber_id}/resume", response_model=SubscriberOut, summary="恢复订阅")
def resume_subscriber(
    subscriber_id: SubscriberId, user: CurrentUser, session: SessionDep, runtime: RuntimeDep
) -> SubscriberOut:
    _admin(user, runtime)
    return _out(webhooks.set_paused(session=session, subscriber_id=subscriber_id, paused=False))


@router.get("/api/webhooks/{subscriber_id}/deliveries", response_model=list[DeliveryOut], summary="投递记录")
def subscriber_deliveries(
    subscriber_id: SubscriberId, user: CurrentUser, session: SessionDep, runtime: RuntimeDep
) -> list[DeliveryOut]:
    _admin(user, runtime)
    return [
        DeliveryOut(
            id=m.id,
            key=m.key,
            event=m.purpose,
            status=m.status,
            attempts=m.attempts,
            created_at=m.created_at,
            sent_at=m.sent_at,
            last_error=m.last_error,
        )
        for m in webhooks.deliveries(session, subscriber_id)
    ]


# ------------------------------------------------------------------ platforms


class PushIn(BaseModel):
    model_config = {"extra": "forbid"}
    items: list[dict] = Field(
        description="each item keyed by the column names of the platform's export "
        "(e.g. 工单编号, 来电时间, 诉求标题 for 12345)"
    )


class PushedOut(BaseModel):
    external_ref: str
    tracking_no: str
    created: bool


class ProgressOut(BaseModel):
    external_ref: str
    tracking_no: str
    status: str
    status_label: str
    stage: str = Field(description="签收 / 反馈 / 办结 as the platform shows it")
    unit_code: str
    next_due_at: datetime | None
    accepted_at: datetime | None
    replied_at: datetime | None
    closed_at: datetime | None
    handling_notes: str = Field(description="办理情况")
    reply_text: str | None


def _platform(session, runtime: Runtime, authorization: str | None):
    if not runtime.settings.platform.enabled:
        raise NotFound(gettext("平台接口未开启"))
    token = authorization.removeprefix("Bearer ").strip() if authorization else None
    return platform.client_for(session=session, token=token)


@router.post("/api/platform/items", response_model=list[PushedOut], summary="平台推送诉求件（按平台编号幂等）")
def platform_push(
    data: PushIn, session: SessionDep, runtime: RuntimeDep, authorization: Annotated[str | None, Header()] = None
) -> list[PushedOut]:
    client = _platform(session, runtime, authorization)
    pushed = platform.push(session=session, runtime=runtime, client=client, records=data.items)
    return [PushedOut(external_ref=p.external_ref, tracking_no=p.tracking_no, created=p.created) for p in pushed]


@router.get("/api/platform/items/{external_ref}", response_model=ProgressOut, summary="平台按编号查询办理进度")
def platform_pull(
    external_ref: Annotated[str, Path(max_length=100)],
    session: SessionDep,
    runtime: RuntimeDep,
    authorization: Annotated[str | None, Header()] = None,
) -> ProgressOut:
    client = _platform(session, runtime, authorization)
    item = platform.pull(session=session, client=client, external_ref=external_ref)
    return ProgressOut(
        external_ref=item.external_ref,
        tracking_no=item.tracking_no,
        status=item.status,
        status_label=status_label(item.status),
        stage=platform.stage_of(item),
        unit_code=item.unit_code,
        next_due_at=item.next_due_at,
        accepted_at=item.accepted_at,
        replied_at=item.replied_at,
        closed_at=item.closed_at,
        handling_notes=item.handling_notes,
        reply_text=item.reply_text,
    )
