"""Sending the outbox through the configured adapter (log by default, SMTP when enabled)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from complaints.jobs.registry import every_minutes, job
from complaints.notify.adapters import adapter_for
from complaints.notify.outbox import deliver
from complaints.runtime import Runtime


@job("deliver_notifications", trigger=every_minutes(lambda s: s.jobs.outbox_minutes),
     description="发送待发提醒（邮件或日志），失败按退避重试")
def deliver_notifications(*, session: Session, runtime: Runtime, now: datetime) -> dict[str, int]:
    settings = runtime.settings.notify
    return deliver(session=session, settings=settings, adapter=adapter_for(settings), now=now)
