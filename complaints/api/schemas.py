"""What the API returns (and the few request bodies that are not service payloads)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from complaints.clock import utcnow
from complaints.models import Complaint, Event, User
from complaints.presenters import action_label, due_state, status_label
from complaints.services.identity import Complainant
from workflows.lifecycle import Action
from workflows.vocab import Role


class ComplainantOut(BaseModel):
    name: str | None
    phone: str | None
    masked: bool
    confidential: bool
    anonymous: bool


class ComplaintSummary(BaseModel):
    id: int
    tracking_no: str
    status: str
    status_label: str
    unit_code: str
    category: str
    kind: str
    channel: str
    urgency: str
    summary: str
    school: str | None
    handler_id: int | None
    handler_name: str | None
    received_at: datetime
    next_due_at: datetime | None
    due_state: str = Field(description="on_time | due_soon | overdue | none")
    complainant: ComplainantOut
    version: int


class Deadlines(BaseModel):
    acknowledge: datetime | None
    contact: datetime | None
    reply: datetime | None
    supervise: datetime | None
    next_due: datetime | None
    warn_at: datetime | None
    provisional: bool = Field(description="a deadline fell beyond the known working-day calendar")
    extension_count: int
    pending_extension: str | None


class EventOut(BaseModel):
    id: int
    at: datetime
    actor_id: int | None
    actor_name: str | None
    action: str
    action_label: str
    from_status: str | None
    to_status: str | None
    note: str | None


class AllowedAction(BaseModel):
    action: str
    label: str


class ComplaintDetail(ComplaintSummary):
    track: str
    details: str
    registered_at: datetime
    dispatched_at: datetime | None
    accepted_at: datetime | None
    replied_at: datetime | None
    closed_at: datetime | None
    reply_text: str | None
    outcome: str | None
    satisfaction: str | None
    handling_notes: str
    result_text: str
    remarks: str
    duplicate_of_id: int | None
    reviewed_unit_code: str | None = Field(
        description="信访 复查: the county whose handling the prefecture bureau (unit_code) is reviewing"
    )
    identity_erased_at: datetime | None = Field(
        description="when the complainant's name and phone were erased at the end of their keeping period"
    )
    reply_draft: str | None = Field(default=None, description="审签: the reply awaiting a supervisor, or returned")
    reply_approved_by_id: int | None = Field(default=None, description="审签: who signed the sent reply off")
    reply_approved_at: datetime | None = None
    deadlines: Deadlines
    allowed_actions: list[AllowedAction]
    history: list[EventOut]


class ComplaintPage(BaseModel):
    data: list[ComplaintSummary]
    count: int = Field(
        description="the items matching; on SQLite a search (`q`) stops counting past 1,000 of them (or one past "
        "the page asked for, if that is further): see count_exact"
    )
    count_exact: bool = Field(
        default=True,
        description="false when a search stopped counting: there are more than `count` (the list page shows "
        '"1,000+"); the pages go on past it',
    )
    limit: int
    offset: int


def complainant_out(who: Complainant) -> ComplainantOut:
    return ComplainantOut(
        name=who.name, phone=who.phone, masked=who.masked, confidential=who.confidential, anonymous=who.anonymous
    )


def summary_fields(item: Complaint, who: Complainant, names: dict[int, str], now: datetime) -> dict:
    return dict(
        id=item.id,
        tracking_no=item.tracking_no,
        status=item.status,
        status_label=status_label(item.status),
        unit_code=item.unit_code,
        category=item.category,
        kind=item.kind,
        channel=item.channel,
        urgency=item.urgency,
        summary=item.summary,
        school=item.school,
        handler_id=item.handler_id,
        handler_name=names.get(item.handler_id) if item.handler_id is not None else None,
        received_at=item.received_at,
        next_due_at=item.next_due_at,
        due_state=due_state(item, now),
        complainant=complainant_out(who),
        version=item.version,
    )


def summary_out(
    item: Complaint, who: Complainant, names: dict[int, str], now: datetime | None = None
) -> ComplaintSummary:
    return ComplaintSummary(**summary_fields(item, who, names, now or utcnow()))


def detail_out(
    item: Complaint, who: Complainant, names: dict[int, str], events: list[Event], allowed: list[Action]
) -> ComplaintDetail:
    deadlines = Deadlines(
        acknowledge=item.ack_due_at,
        contact=item.contact_due_at,
        reply=item.reply_due_at,
        supervise=item.supervise_due_at,
        next_due=item.next_due_at,
        warn_at=item.warn_at,
        provisional=item.due_provisional,
        extension_count=item.extension_count,
        pending_extension=item.pending_extension,
    )
    history = [
        EventOut(
            id=e.id,
            at=e.at,
            actor_id=e.actor_id,
            actor_name=names.get(e.actor_id) if e.actor_id is not None else None,
            action=e.action,
            action_label=action_label(e.action),
            from_status=e.from_status,
            to_status=e.to_status,
            note=e.note,
        )
        for e in events
    ]
    return ComplaintDetail(
        **summary_fields(item, who, names, utcnow()),
        track=item.track,
        details=item.details,
        registered_at=item.registered_at,
        dispatched_at=item.dispatched_at,
        accepted_at=item.accepted_at,
        replied_at=item.replied_at,
        closed_at=item.closed_at,
        reply_text=item.reply_text,
        outcome=item.outcome,
        satisfaction=item.satisfaction,
        handling_notes=item.handling_notes,
        result_text=item.result_text,
        remarks=item.remarks,
        duplicate_of_id=item.duplicate_of_id,
        reviewed_unit_code=item.reviewed_unit_code,
        identity_erased_at=item.identity_erased_at,
        reply_draft=item.reply_draft,
        reply_approved_by_id=item.reply_approved_by_id,
        reply_approved_at=item.reply_approved_at,
        deadlines=deadlines,
        allowed_actions=[AllowedAction(action=a.value, label=action_label(a.value)) for a in allowed],
        history=history,
    )


class PersonOut(BaseModel):
    id: int
    username: str
    name: str
    unit_code: str
    roles: list[str]
    active: bool
    out_of_office: bool
    delegate_id: int | None
    phone: str | None = Field(description="shown to those who manage the person")
    email: str | None = Field(description="shown to those who manage the person")
    locked: bool


def person_out(user: User, *, full: bool, now: datetime | None = None) -> PersonOut:
    now = now or utcnow()
    return PersonOut(
        id=user.id,
        username=user.username,
        name=user.name,
        unit_code=user.unit_code,
        roles=sorted(user.role_set, key=[r.value for r in Role].index),
        active=user.active,
        out_of_office=user.out_of_office,
        delegate_id=user.delegate_id,
        phone=user.phone if full else None,
        email=user.email if full else None,
        locked=bool(user.locked_until and user.locked_until > now),
    )


class PersonPage(BaseModel):
    data: list[PersonOut]
    count: int
