"""The complainant's status lookup: tracking number plus the phone's last four digits, no personal data."""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from complaints.errors import NotFound
from complaints.i18n import gettext
from complaints.models import Complaint
from complaints.presenters import status_label
from complaints.privacy import mask_phone
from complaints.runtime import Runtime


@dataclass(frozen=True)
class PublicStatus:
    tracking_no: str
    status: str
    status_label: str
    unit_name: str
    received_at: datetime
    replied_at: datetime | None
    closed_at: datetime | None
    reply_text: str | None


def lookup(*, session: Session, runtime: Runtime, tracking_no: str, phone_last4: str) -> PublicStatus:
    """The same NotFound for an unknown number and for wrong digits, so neither can be probed."""
    not_found = NotFound(gettext("未找到：请核对受理编号和电话后四位"), field="tracking_no")
    tracking_no, phone_last4 = tracking_no.strip().upper()[:32], phone_last4.strip()[:4]
    if len(phone_last4) != 4 or not phone_last4.isdigit():
        raise not_found
    item = session.exec(select(Complaint).where(col(Complaint.tracking_no) == tracking_no)).first()
    if item is None or not item.complainant_phone:
        raise not_found
    if not hmac.compare_digest(item.complainant_phone[-4:], phone_last4):
        raise not_found
    sent = item.replied_at is not None and item.reply_text
    return PublicStatus(
        tracking_no=item.tracking_no,
        status=item.status,
        status_label=status_label(item.status),
        unit_name=runtime.settings.unit_map[item.unit_code].name,
        received_at=item.received_at,
        replied_at=item.replied_at,
        closed_at=item.closed_at,
        reply_text=mask_own(item.reply_text, item) if sent and item.reply_text else None,
    )


def mask_own(text: str, item: Complaint) -> str:
    """The reply as sent, with only the complainant's own name and phone masked: the bureau's numbers,
    the handler's name and everything else stay as the complainant received them."""
    phone = item.complainant_phone or ""
    if len(phone) >= 7:
        digits = re.sub(r"\D", "", phone)
        # the number however it was written: 13812345678, 138 1234 5678, 0908-7625100, 09087625100
        spaced = r"[\s\-]?".join(re.escape(d) for d in digits)
        text = re.sub(rf"(?<!\d){spaced}(?!\d)", mask_phone(phone) or "", text)
    name = item.complainant_name or ""
    if len(name) >= 2:
        text = text.replace(name, name[0] + "某")
    return text
