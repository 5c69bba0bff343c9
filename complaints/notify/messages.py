"""Sending OutboxMessage rows (企业微信, 钉钉, SMS, webhooks): every attempt is stored with the provider's
answer; a failure is retried with back-off (backoff × 2^(attempt−1) minutes) up to a give-up count; a
message the provider may have received (a time-out) is retried only where the provider drops repeats,
else left "uncertain"; a message with a recorded receipt is never sent again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from complaints.models import DeliveryAttempt, OutboxMessage, WebhookSubscriber
from complaints.notify.complainant import forget_number, still_wanted
from complaints.notify.http import ChannelError, Receipt
from complaints.settings import Settings

CHAT = ("wecom_robot", "wecom_app", "dingtalk_robot", "dingtalk_app")


class Channel(Protocol):
    name: str
    retry_after_timeout_minutes: int | None

    def send(self, message: OutboxMessage, now: datetime) -> Receipt: ...


@dataclass(frozen=True)
class Policy:
    max_attempts: int
    backoff_minutes: int
    per_minute: int | None = None  # messages of this channel a minute
    per_person_hour: int | None = None


def policy_for(channel: str, settings: Settings) -> Policy:
    if channel == "sms":
        return Policy(settings.sms.max_attempts, settings.sms.backoff_minutes)
    if channel == "webhook":
        return Policy(settings.webhooks.max_attempts, settings.webhooks.backoff_minutes)
    notify = settings.notify
    per_minute = notify.wecom.per_minute if channel.startswith("wecom") else notify.dingtalk.per_minute
    return Policy(notify.max_attempts, notify.backoff_minutes, per_minute, notify.per_person_hour)


def due(now: datetime, batch: int):
    paused = select(col(WebhookSubscriber.id)).where(col(WebhookSubscriber.paused).is_(True))
    return (
        select(OutboxMessage)
        .where(
            OutboxMessage.status == "pending",
            OutboxMessage.next_attempt_at <= now,
            or_(col(OutboxMessage.subscriber_id).is_(None), col(OutboxMessage.subscriber_id).not_in(paused)),
        )
        .order_by(col(OutboxMessage.id))
        .limit(batch)
    )


def deliver_messages(
    *, session: Session, settings: Settings, channels: dict[str, Channel], now: datetime, batch: int = 200
) -> dict[str, int]:
    """Send what is due through `channels` (by channel name); a channel switched off cancels its messages."""
    counts = {"sent": 0, "retry": 0, "deferred": 0, "failed": 0, "uncertain": 0, "cancelled": 0}
    for message in session.exec(due(now, batch)).all():
        channel = channels.get(message.channel)
        if channel is None:
            message.status, message.last_error = "cancelled", "channel switched off"
            counts["cancelled"] += 1
        elif message.provider_ref:  # accepted before: never again
            message.status = "sent"
        elif not still_wanted(session, message):
            message.status, message.last_error = "cancelled", "no longer needed"
            counts["cancelled"] += 1
        elif _over_limit(session, message, policy_for(message.channel, settings), now):
            message.next_attempt_at = now + timedelta(minutes=1)
            counts["deferred"] += 1
        else:
            counts[_attempt(session, message, channel, policy_for(message.channel, settings), now)] += 1
        forget_number(message)
        session.add(message)
    session.flush()
    return counts


def _over_limit(session: Session, message: OutboxMessage, policy: Policy, now: datetime) -> bool:
    def sent_since(since: datetime, *where) -> int:
        query = (
            select(func.count())
            .select_from(OutboxMessage)
            .where(col(OutboxMessage.status) == "sent", col(OutboxMessage.sent_at) >= since, *where)
        )
        return session.exec(query).one()

    if (
        policy.per_minute
        and sent_since(now - timedelta(minutes=1), OutboxMessage.channel == message.channel) >= policy.per_minute
    ):
        return True
    return bool(
        policy.per_person_hour
        and message.user_id is not None
        and sent_since(
            now - timedelta(hours=1),
            col(OutboxMessage.user_id) == message.user_id,
            col(OutboxMessage.channel).in_(CHAT),
        )
        >= policy.per_person_hour
    )


def _attempt(session: Session, message: OutboxMessage, channel: Channel, policy: Policy, now: datetime) -> str:
    message.attempts += 1
    try:
        receipt = channel.send(message, now)
    except ChannelError as exc:
        _record(session, message, exc.outcome, now, error=str(exc), status_code=exc.status_code, receipt=exc.receipt)
        return _after_failure(session, message, exc, channel, policy, now)
    message.status, message.sent_at, message.provider_ref = "sent", now, receipt.ref
    message.last_error = None
    _record(session, message, "sent", now, receipt=receipt.raw)
    return "sent"


def _after_failure(
    session: Session, message: OutboxMessage, exc: ChannelError, channel: Channel, policy: Policy, now: datetime
) -> str:
    message.last_error = str(exc)[:500]
    if exc.outcome == "rejected":
        message.status = "failed"
        return "failed"
    wait = timedelta(minutes=policy.backoff_minutes * 2 ** (message.attempts - 1))
    if exc.retry_after_seconds:
        wait = max(wait, timedelta(seconds=exc.retry_after_seconds))
    next_at = now + wait
    if exc.outcome == "timeout" and not _may_retry_after_timeout(session, message, channel, next_at, now):
        message.status = "uncertain"
        return "uncertain"
    if message.attempts >= policy.max_attempts:
        message.status = "failed"
        return "failed"
    message.next_attempt_at = next_at
    return "retry"


def _may_retry_after_timeout(
    session: Session, message: OutboxMessage, channel: Channel, next_at: datetime, now: datetime
) -> bool:
    """Within the provider's window for dropping a repeat, counted from the first time-out."""
    window = channel.retry_after_timeout_minutes
    if window is None:
        return True
    if window == 0:
        return False
    first = session.exec(
        select(func.min(DeliveryAttempt.at)).where(
            DeliveryAttempt.message_id == message.id, DeliveryAttempt.outcome == "timeout"
        )
    ).one()
    return next_at - (first or now) <= timedelta(minutes=window)


def _record(
    session: Session,
    message: OutboxMessage,
    outcome: str,
    now: datetime,
    *,
    error: str | None = None,
    status_code: int | None = None,
    receipt: dict | None = None,
) -> None:
    session.add(
        DeliveryAttempt(
            message_id=message.id,
            channel=message.channel,
            at=now,
            outcome=outcome,
            status_code=status_code,
            error=(error or None) and error[:500],
            receipt=receipt,
        )
    )
    session.flush()
