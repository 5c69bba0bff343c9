"""Firing an action on an item: the lifecycle decides, the action's step applies, one event records it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from complaints.clock import utcnow
from complaints.errors import Conflict, InvalidInput, validate
from complaints.i18n import gettext
from complaints.models import Complaint, Event, User, lifecycle_write
from complaints.runtime import Runtime
from complaints.services import deadlines, flows
from complaints.services.context import StepContext
from complaints.services.flows import FLOWS
from complaints.services.guard import fire_or_refuse
from complaints.services.scope import roles_of
from complaints.services.steps import PAYLOADS, STEPS, require, require_common
from complaints.tables import id_of
from workflows import events
from workflows.lifecycle import Action
from workflows.vocab import OPEN_STATUSES, Status

TRACKED_FIELDS = (
    "status",
    "handler_id",
    "unit_code",
    "category",
    "outcome",
    "satisfaction",
    "callback_resolved",
    "ack_due_at",
    "contact_due_at",
    "reply_due_at",
    "supervise_due_at",
    "extension_count",
    "duplicate_of_id",
    "sendback_reason",
    "violator",
    "violation",
    "discipline_action",
)


def parse_payload(action: Action, payload: dict | None):
    return validate(PAYLOADS[action], payload or {})


def act(
    *,
    session: Session,
    runtime: Runtime,
    actor: User,
    item: Complaint,
    action: Action | str,
    payload: dict | None = None,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Complaint:
    """Fire `action` on `item` as `actor`, or raise; the change and its event are flushed together."""
    try:
        action = Action(action)
    except ValueError:
        valid = ", ".join(a.value for a in Action if a is not Action.REGISTER)
        raise InvalidInput(
            gettext("未知操作：{action}；可选：{valid}", action=str(action)[:32], valid=valid), field="action"
        ) from None
    if item.id is None:  # registered in this session and not yet written: write it first
        session.flush()
    ensure_version(item, expected_version)
    status = Status(item.status)
    is_assignee = item.handler_id is not None and item.handler_id == actor.id
    target = fire_or_refuse(status, action, roles_of(actor), is_assignee=is_assignee)
    require_common(action, item, actor, runtime.settings)
    parsed = parse_payload(action, payload)
    require(action, item, actor, runtime.settings)
    context = StepContext(
        session=session,
        runtime=runtime,
        actor=actor,
        item=item,
        payload=parsed,
        now=now or utcnow(),
        action_taken=action,
    )
    before = {name: getattr(item, name) for name in TRACKED_FIELDS}
    STEPS[action](context)
    assert target is not None  # an action always leads to a status (None is only the new item's)
    with lifecycle_write():
        item.status = target
    item.is_open = target in OPEN_STATUSES
    item.updated_at = context.now
    deadlines.refresh_stage(item, runtime)
    changes = {
        name: [_plain(before[name]), _plain(getattr(item, name))]
        for name in TRACKED_FIELDS
        if before[name] != getattr(item, name)
    }
    changes.update(context.extra_changes)
    session.add(item)
    try:  # a flow may flush first: a stale item is refused wherever its write happens
        for flow in FLOWS.get(action, ()):
            flow(context)
        flows.changed(context, changes)
        session.add(
            Event(
                complaint=item,
                complaint_id=id_of(item),
                at=context.now,
                actor_id=actor.id,
                action=events.of(action),
                from_status=status,
                to_status=target,
                note=context.note,
                changes=changes or None,
            )
        )
        session.flush()
    except StaleDataError as exc:
        raise Conflict(gettext("该诉求件已被他人修改，请刷新后重试；您的操作未保存"), field="version") from exc
    return item


def ensure_version(item: Complaint, expected_version: int | None) -> None:
    """Refuse a write based on a stale read (the second of two people acting at once)."""
    if expected_version is not None and expected_version != item.version:
        raise Conflict(
            gettext(
                "该诉求件已被他人修改（当前版本 {current}，您的版本 {yours}），请刷新后重试",
                current=item.version,
                yours=expected_version,
            ),
            field="version",
            current_version=item.version,
        )


def _plain(value):
    return value.isoformat() if isinstance(value, datetime) else value
