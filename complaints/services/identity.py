"""The complainant's identity: masked by default, revealed only to those allowed, every reveal recorded."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from complaints.clock import utcnow
from complaints.errors import NotFound
from complaints.i18n import N_, gettext
from complaints.models import Complaint, Event, User
from complaints.privacy import mask_name, mask_phone
from complaints.services.scope import may_see_identity
from complaints.settings import Settings
from complaints.tables import id_of
from workflows.events import EventKind

HIDDEN = N_("（保密）")


@dataclass(frozen=True)
class Complainant:
    name: str | None
    phone: str | None
    masked: bool
    confidential: bool
    anonymous: bool


def masked(item: Complaint) -> Complainant:
    """What lists and anyone without the right see: confidential reporters fully hidden."""
    if item.confidential:
        name = phone = gettext(HIDDEN) if not item.anonymous else None
    else:
        name, phone = mask_name(item.complainant_name), mask_phone(item.complainant_phone)
    return Complainant(name, phone, True, item.confidential, item.anonymous)


def reveal(*, session: Session, settings: Settings, actor: User, item: Complaint) -> Complainant:
    """Full name and phone for the assigned handler or a supervisor; a confidential reveal is recorded."""
    if not may_see_identity(actor, item, settings):
        raise NotFound(gettext("无权查看诉求人身份信息"), field="complainant")
    if item.confidential:
        session.add(
            Event(
                complaint=item,
                complaint_id=id_of(item),
                at=utcnow(),
                actor_id=actor.id,
                action=EventKind.VIEW_IDENTITY,
                from_status=item.status,
                to_status=item.status,
                note="查看保密诉求人身份",
            )
        )
        session.flush()
    return Complainant(item.complainant_name, item.complainant_phone, False, item.confidential, item.anonymous)


def for_viewer(*, session: Session, settings: Settings, actor: User, item: Complaint) -> Complainant:
    """Non-confidential details shown in full to those allowed; confidential ones stay hidden until revealed."""
    if not item.confidential and may_see_identity(actor, item, settings):
        return Complainant(item.complainant_name, item.complainant_phone, False, False, item.anonymous)
    return masked(item)
