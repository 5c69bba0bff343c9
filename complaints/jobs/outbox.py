"""Sending the outbox: notices by e-mail (log by default, SMTP when enabled) after handing each new one to
the chat channels its person chose; and the outside channels' messages (企业微信, 钉钉, SMS, webhooks)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from complaints.jobs.registry import every_minutes, job
from complaints.notify.adapters import adapter_for
from complaints.notify.fanout import configured_channels, route_notices
from complaints.notify.messages import deliver_messages
from complaints.notify.outbox import deliver
from complaints.runtime import Runtime


@job(
    "deliver_notifications",
    trigger=every_minutes(lambda s: s.jobs.outbox_minutes),
    description="发送待发提醒（邮件或日志），失败按退避重试",
)
def deliver_notifications(*, session: Session, runtime: Runtime, now: datetime) -> dict[str, int]:
    settings = runtime.settings
    routed = route_notices(session=session, settings=settings, now=now)
    counts = deliver(session=session, settings=settings.notify, adapter=adapter_for(settings.notify), now=now)
    return {**counts, "routed": routed}


@job(
    "deliver_messages",
    trigger=every_minutes(lambda s: s.jobs.outbox_minutes),
    description="发送企业微信、钉钉、短信和 Webhook 消息，失败按退避重试，每次尝试都留记录",
)
def deliver_outside(*, session: Session, runtime: Runtime, now: datetime) -> dict[str, int]:
    settings = runtime.settings
    return deliver_messages(
        session=session, settings=settings, channels=configured_channels(session, settings), now=now
    )
