"""Handing each new notice to the chat channels its person chose for its kind, and building the
channels the configuration switches on."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Session, col, select

from complaints.models import Notification, OutboxMessage, User
from complaints.notify.chat import DingtalkApp, DingtalkRobot, WecomApp, WecomRobot
from complaints.notify.messages import Channel
from complaints.notify.sms import sms_channel
from complaints.notify.staff import channels_for, handle_of
from complaints.notify.webhooks import WebhookChannel
from complaints.settings import Settings
from complaints.tables import id_of


def chat_route(session: Session, settings: Settings, user: User, channel: str) -> tuple[str, str] | None:
    """(outbox channel, recipient) for a person on 企业微信 or 钉钉: the app message to their user id when
    the app is configured and they gave one, else the group robot mentioning their mobile."""
    wecom, dingtalk = settings.notify.wecom, settings.notify.dingtalk
    if not (wecom.enabled if channel == "wecom" else dingtalk.enabled):
        return None
    has_app = bool(wecom.corp_id if channel == "wecom" else dingtalk.app_key)
    handle = handle_of(session, id_of(user), channel)
    if has_app and handle:
        return f"{channel}_app", handle
    has_robot = bool(wecom.robot_key if channel == "wecom" else dingtalk.robot_token)
    return (f"{channel}_robot", user.phone or "") if has_robot else None


def route_notices(*, session: Session, settings: Settings, now: datetime, batch: int = 500) -> int:
    """Queue a chat message for each new notice and chosen chat channel; mark the notice handed on."""
    notices = session.exec(
        select(Notification).where(col(Notification.routed).is_(False)).order_by(col(Notification.id)).limit(batch)
    ).all()
    queued = 0
    for notice in notices:
        notice.routed = True
        session.add(notice)
        user = session.get(User, notice.user_id)
        if user is None or not user.active:
            continue
        for channel in channels_for(session, settings.notify, id_of(user), notice.kind):
            route = chat_route(session, settings, user, channel) if channel != "email" else None
            if route is None:
                continue
            session.add(
                OutboxMessage(
                    key=uuid.uuid4().hex,
                    channel=route[0],
                    purpose=notice.kind,
                    notification_id=notice.id,
                    complaint_id=notice.complaint_id,
                    user_id=user.id,
                    recipient=route[1],
                    subject=notice.subject,
                    body=notice.body if notice.kind != "digest" else "",
                    created_at=now,
                    next_attempt_at=now,
                )
            )
            queued += 1
    session.flush()
    return queued


def configured_channels(session: Session, settings: Settings) -> dict[str, Channel]:
    """The outside channels the configuration switches on, by outbox channel name."""
    notify = settings.notify
    channels: dict[str, Channel] = {}
    if notify.wecom.enabled:
        channels.update(
            wecom_robot=WecomRobot(notify.wecom, notify.timeout_seconds),
            wecom_app=WecomApp(notify.wecom, notify.timeout_seconds),
        )
    if notify.dingtalk.enabled:
        channels.update(
            dingtalk_robot=DingtalkRobot(notify.dingtalk, notify.timeout_seconds),
            dingtalk_app=DingtalkApp(notify.dingtalk, notify.timeout_seconds),
        )
    if settings.sms.enabled:
        channels["sms"] = sms_channel(settings.sms)
    if settings.webhooks.enabled:
        channels["webhook"] = WebhookChannel(session, settings.webhooks.timeout_seconds)
    return channels
