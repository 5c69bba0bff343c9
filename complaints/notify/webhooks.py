"""Outbound webhooks: every status change and deadline change of an item, POSTed to each subscriber,
signed with the subscriber's own secret (see docs/WEBHOOKS.md).

    X-Complaints-Event: status_changed | deadline_changed
    X-Complaints-Delivery: <id, the same on every retry: drop a repeat>
    X-Complaints-Timestamp: <unix seconds of this attempt>
    X-Complaints-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import uuid
from datetime import datetime

from sqlmodel import Session, col, select

from complaints.clock import utcnow
from complaints.errors import Conflict, InvalidInput, NotFound
from complaints.i18n import gettext
from complaints.models import Complaint, OutboxMessage, User, WebhookSubscriber
from complaints.notify.http import Receipt, call, status_failure
from complaints.runtime import Runtime
from workflows.events import EventKind

EVENTS = ("status_changed", "deadline_changed")
DEADLINES = ("ack_due_at", "contact_due_at", "reply_due_at", "supervise_due_at", "next_due_at")
# a deadline turning final (or provisional again) when the calendar is declared is a deadline change too
DEADLINE_CHANGES = (*DEADLINES, "due_provisional")
ITEM_FIELDS = ("tracking_no", "source", "external_ref", "unit_code", "status", *DEADLINE_CHANGES)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    return (
        "sha256=" + hmac.new(secret.encode("utf-8"), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    )


def _plain(value):
    return value.isoformat() if isinstance(value, datetime) else value


def item_changed(
    *, session: Session, runtime: Runtime, item: Complaint, changes: dict, action: str, now: datetime
) -> int:
    """Queue one delivery per subscriber and event that the change makes (none when webhooks are off)."""
    if not runtime.settings.webhooks.enabled:
        return 0
    events = [
        e
        for e, hit in (
            ("status_changed", "status" in changes),
            ("deadline_changed", any(d in changes for d in DEADLINE_CHANGES)),
        )
        if hit
    ]
    if not events:
        return 0
    subscribers = session.exec(select(WebhookSubscriber)).all()
    queued = 0
    for subscriber in subscribers:
        if subscriber.units and item.unit_code not in subscriber.units:
            continue
        for event in events:
            if event in subscriber.events:
                session.add(_delivery(subscriber, item, event, changes, action, now))
                queued += 1
    return queued


def item_registered(*, session: Session, runtime: Runtime, item: Complaint, now: datetime) -> int:
    """A new item's first status and deadlines, by whichever path it was registered (intake, import, push)."""
    if not runtime.settings.webhooks.enabled:
        return 0
    changes: dict = {"status": [None, item.status]}
    changes.update({d: [None, getattr(item, d).isoformat()] for d in DEADLINES if getattr(item, d)})
    return item_changed(
        session=session, runtime=runtime, item=item, changes=changes, action=EventKind.REGISTER, now=now
    )


def _delivery(
    subscriber: WebhookSubscriber, item: Complaint, event: str, changes: dict, action: str, now: datetime
) -> OutboxMessage:
    key = uuid.uuid4().hex
    fields = ("status",) if event == "status_changed" else DEADLINE_CHANGES
    payload = {
        "event": event,
        "delivery": key,
        "occurred_at": now.isoformat(),
        "action": action,
        "item": {name: _plain(getattr(item, name)) for name in ITEM_FIELDS},
        "changes": {name: changes[name] for name in fields if name in changes},
    }
    return OutboxMessage(
        key=key,
        channel="webhook",
        purpose=event,
        complaint_id=item.id,
        subscriber_id=subscriber.id,
        recipient=subscriber.url[:500],
        subject=event,
        body=json.dumps(payload, ensure_ascii=False, sort_keys=True),
        created_at=now,
        next_attempt_at=now,
    )


class WebhookChannel:
    """POSTs the stored body with a fresh timestamp and signature on every attempt."""

    name = "webhook"
    retry_after_timeout_minutes: int | None = None  # the receiver drops a repeated delivery id

    def __init__(self, session: Session, timeout: float):
        self.session, self.timeout = session, timeout

    def send(self, message: OutboxMessage, now: datetime) -> Receipt:
        subscriber = self.session.get(WebhookSubscriber, message.subscriber_id)
        if subscriber is None:
            raise LookupError(f"webhook subscriber {message.subscriber_id} no longer exists")
        body = message.body.encode("utf-8")
        timestamp = int(time.time())  # of this attempt, whenever the change happened
        headers = {
            "X-Complaints-Event": message.purpose,
            "X-Complaints-Delivery": message.key,
            "X-Complaints-Timestamp": str(timestamp),
            "X-Complaints-Signature": sign(subscriber.secret, timestamp, body),
        }
        answer = call(
            "POST",
            subscriber.url,
            timeout=self.timeout,
            body=body,
            headers={"Content-Type": "application/json; charset=utf-8", **headers},
        )
        failure = status_failure(answer)
        if failure is not None:
            raise failure
        return Receipt(None, {"status": answer.status, "body": answer.body[:500].decode("utf-8", "replace")})


# ------------------------------------------------------------------ managing subscribers (admins)


def _check(name: str, url: str, events: list[str], units: list[str], runtime: Runtime) -> None:
    if not 1 <= len(name.strip()) <= 64:
        raise InvalidInput(gettext("名称应为1–64个字"), field="name")
    if not url.startswith(("https://", "http://")) or len(url) > 500:
        raise InvalidInput(gettext("地址应以 https:// 开头"), field="url")
    if not events or set(events) - set(EVENTS):
        raise InvalidInput(gettext("事件应为 {valid} 中的一个或几个", valid="、".join(EVENTS)), field="events")
    unknown = set(units) - set(runtime.settings.unit_map)
    if unknown:
        raise InvalidInput(gettext("未知单位：{units}", units="、".join(sorted(unknown))[:64]), field="units")


def add_subscriber(
    *,
    session: Session,
    runtime: Runtime,
    actor: User,
    name: str,
    url: str,
    events: list[str] | None = None,
    units: list[str] | None = None,
) -> WebhookSubscriber:
    """A new subscriber with a fresh secret (shown to the admin so that the receiver can check signatures)."""
    events, units = list(events or EVENTS), list(units or [])
    _check(name, url, events, units, runtime)
    if session.exec(select(WebhookSubscriber).where(WebhookSubscriber.name == name.strip())).first():
        raise Conflict(gettext("已有同名订阅：{name}", name=name.strip()), field="name")
    row = WebhookSubscriber(
        name=name.strip(),
        url=url,
        secret=secrets.token_urlsafe(32),
        events=events,
        units=units,
        created_by_id=actor.id,
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return row


def get_subscriber(session: Session, subscriber_id: int) -> WebhookSubscriber:
    row = session.get(WebhookSubscriber, subscriber_id) if 0 < subscriber_id <= 2**31 - 1 else None
    if row is None:
        raise NotFound(gettext("找不到订阅：{id}", id=subscriber_id), field="subscriber")
    return row


def set_paused(*, session: Session, subscriber_id: int, paused: bool) -> WebhookSubscriber:
    """Pausing holds deliveries (they wait, in order); resuming sends them."""
    row = get_subscriber(session, subscriber_id)
    row.paused = paused
    session.add(row)
    session.flush()
    return row


def deliveries(session: Session, subscriber_id: int, limit: int = 50) -> list[OutboxMessage]:
    get_subscriber(session, subscriber_id)
    return list(
        session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.subscriber_id == subscriber_id)
            .order_by(col(OutboxMessage.id).desc())
            .limit(limit)
        )
    )
