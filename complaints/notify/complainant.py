"""Texts to the complainant: the tracking number on registration, word that the reply is ready, and an
invitation to the callback. Only to a mobile number, never to an anonymous caller, never after the
identity was erased, and never to a confidential reporter who did not agree at intake; not at all when
they declined. The text is queued in the action's transaction and sent by the deliver_messages job."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Literal, cast

from sqlmodel import Session, col, select

from complaints.models import Complaint, OutboxMessage
from complaints.privacy import MOBILE, mask_phone
from complaints.runtime import Runtime
from workflows.vocab import Status

CALLBACK_DELAY = timedelta(hours=24)  # the invitation follows the reply by a day, unless the callback came first


Occasion = Literal["registered", "replied", "callback"]  # the keys of [sms] templates


def may_text(item: Complaint) -> bool:
    consent = item.sms_consent if item.sms_consent is not None else not item.confidential
    return bool(
        consent
        and not item.anonymous
        and item.identity_erased_at is None
        and item.complainant_phone
        and MOBILE.match(item.complainant_phone)
    )


def _params(item: Complaint, occasion: str, runtime: Runtime) -> dict[str, str]:
    settings = runtime.settings
    unit = settings.unit_map.get(item.unit_code)
    params = {"tracking_no": item.tracking_no}
    if occasion == "registered":
        params["url"] = settings.sms.lookup_url
    if occasion == "callback":
        params["hotline"] = unit.hotline if unit else ""
    return params


def text_complainant(
    *, session: Session, runtime: Runtime, item: Complaint, occasion: str, now: datetime
) -> OutboxMessage | None:
    """Queue one text (None when SMS is off, the occasion has no template, or the person is not to be texted)."""
    sms = runtime.settings.sms
    template = sms.templates.get(cast(Occasion, occasion))  # an occasion without a template is not texted
    phone = item.complainant_phone if may_text(item) else None
    if not sms.enabled or not template or not phone:
        return None
    if item.id is None:
        session.flush()
    purpose = f"sms_{occasion}"
    earlier = session.exec(
        select(OutboxMessage.id).where(
            OutboxMessage.complaint_id == item.id,
            OutboxMessage.purpose == purpose,
            col(OutboxMessage.status).in_(("pending", "sent", "uncertain")),
            OutboxMessage.created_at >= now - timedelta(hours=1),
        )
    ).first()
    if earlier is not None:
        return None
    message = OutboxMessage(
        key=uuid.uuid4().hex,
        channel="sms",
        purpose=purpose,
        complaint_id=item.id,
        recipient=phone,
        subject=template,
        body=json.dumps(_params(item, occasion, runtime), ensure_ascii=False),
        created_at=now,
        next_attempt_at=now + (CALLBACK_DELAY if occasion == "callback" else timedelta()),
    )
    session.add(message)
    return message


def still_wanted(session: Session, message: OutboxMessage) -> bool:
    """An invitation to the callback is moot once the callback was made (or the item moved on)."""
    if message.purpose != "sms_callback" or message.complaint_id is None:
        return True
    item = session.get(Complaint, message.complaint_id)
    return item is not None and item.status == Status.REPLIED and may_text(item)


def forget_number(message: OutboxMessage) -> None:
    """Once a text is settled the full number is no longer needed in the outbox."""
    if message.channel == "sms" and message.status != "pending":
        message.recipient = mask_phone(message.recipient) or ""
