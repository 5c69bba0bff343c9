"""Stores an item's deadlines, computed by the pure rules in workflows.policy."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from complaints.clock import to_local, to_storage
from complaints.models import Complaint, Event
from complaints.runtime import Runtime
from workflows.deadlines import Limit
from workflows.lifecycle import Action
from workflows.policy import Profile, initial_deadlines, stage_deadline
from workflows.vocab import Status

STORED = ("ack_due_at", "contact_due_at", "reply_due_at", "supervise_due_at")


def profile_of(item: Complaint, runtime: Runtime) -> Profile:
    return runtime.profile_for(track=item.track, kind=item.kind, channel=item.channel,
                               category=item.category, urgency=item.urgency)


def set_initial(item: Complaint, runtime: Runtime) -> None:
    """Deadlines counted from received_at, by the item's profile."""
    tz = runtime.settings.app.timezone
    found = initial_deadlines(to_local(item.received_at, tz), profile_of(item, runtime), runtime.clock)
    item.ack_due_at = to_storage(found.acknowledge, tz)
    item.contact_due_at = to_storage(found.contact, tz)
    item.reply_due_at = to_storage(found.reply, tz)
    item.due_provisional = found.provisional
    refresh_stage(item, runtime)


def local(value: datetime | None, runtime: Runtime) -> datetime | None:
    return to_local(value, runtime.settings.app.timezone)


def due_from(start: datetime, limit: Limit, runtime: Runtime) -> tuple[datetime, bool]:
    """A stored (naive UTC) deadline `limit` after stored `start`."""
    due, provisional = runtime.clock.due(local(start, runtime), limit)
    return to_storage(due, runtime.settings.app.timezone), provisional


def extend(item: Complaint, amount: Limit, runtime: Runtime) -> None:
    due, provisional = runtime.clock.extend(local(item.reply_due_at, runtime), amount)
    item.reply_due_at = to_storage(due, runtime.settings.app.timezone)
    item.due_provisional = item.due_provisional or provisional


def resume(item: Complaint, resumed_at: datetime, runtime: Runtime) -> None:
    """Add back the working time the item spent suspended (the clock was paused)."""
    profile = profile_of(item, runtime)
    tz = runtime.settings.app.timezone
    paused, now = local(item.suspended_at, runtime), local(resumed_at, runtime)
    for name, unit in (("reply_due_at", profile.reply.unit), ("supervise_due_at", profile.reply.unit)):
        due = getattr(item, name)
        if due is not None and paused is not None:
            setattr(item, name, to_storage(runtime.clock.resume(local(due, runtime), paused, now, unit), tz))


def start_review(item: Complaint, requested_at: datetime, runtime: Runtime) -> None:
    """A 复查 runs against one deadline, its answer, from the request on."""
    item.ack_due_at = item.contact_due_at = item.supervise_due_at = None
    item.reply_due_at, _ = due_from(requested_at, Limit.parse(runtime.settings.limits.review_answer), runtime)
    item.due_provisional = beyond_horizon(item, runtime)


def refresh_stage(item: Complaint, runtime: Runtime) -> None:
    """next_due_at / warn_at for the current stage: what the overdue and due-soon lists query."""
    status = Status(item.status)
    item.next_due_at = stage_deadline(status, acknowledge=item.ack_due_at, contact=item.contact_due_at,
                                      reply=item.reply_due_at, supervise=item.supervise_due_at)
    if item.next_due_at is None:
        item.warn_at = None
        return
    warn = runtime.clock.warn(local(item.next_due_at, runtime), profile_of(item, runtime).warn_lead)
    item.warn_at = to_storage(warn, runtime.settings.app.timezone)


def replay(item: Complaint, events: list[Event], runtime: Runtime) -> None:
    """Recompute the item's stored deadlines by today's calendar: from its registration, then each event
    in its history that moved a deadline, as the actions themselves did (see services.steps).

    For deadlines first estimated beyond the calendar's horizon, once the next year is known. The
    deadline profile is today's; a supervision without a recorded period keeps the date it was given.
    """
    set_initial(item, runtime)
    profile = profile_of(item, runtime)
    paused = None
    for event in sorted(events, key=lambda e: (e.at, e.id or 0)):
        changes = event.changes or {}
        match event.action:
            case Action.REASSIGN:
                item.contact_due_at, _ = due_from(event.at, profile.contact, runtime)
            case Action.APPROVE_EXTENSION if changes.get("extension"):
                extend(item, Limit.parse(changes["extension"]), runtime)
            case Action.SUSPEND:
                paused = event.at
            case Action.RESUME if paused is not None:
                item.suspended_at = paused
                resume(item, event.at, runtime)
                paused = item.suspended_at = None
            case Action.SUPERVISE:
                _replay_supervision(item, event, changes, runtime)
            case Action.REOPEN | Action.REDO:
                item.reply_due_at, _ = due_from(event.at, profile.reply, runtime)
            case Action.CLOSE | Action.CLOSE_WITH_REASON:
                item.supervise_due_at = None
            case Action.REQUEST_REVIEW:
                start_review(item, event.at, runtime)
    item.suspended_at = paused
    item.due_provisional = beyond_horizon(item, runtime)
    refresh_stage(item, runtime)


def _replay_supervision(item: Complaint, event: Event, changes: dict, runtime: Runtime) -> None:
    if changes.get("supervise_within"):  # a supervisor's 督办 with its period
        item.supervise_due_at, _ = due_from(event.at, Limit.parse(changes["supervise_within"]), runtime)
    elif changes.get("automatic"):  # the SLA sweep's: the default period, unless one was already running
        if item.supervise_due_at is None:
            default = Limit.parse(runtime.settings.limits.supervise_default)
            item.supervise_due_at, _ = due_from(event.at, default, runtime)
    elif isinstance(changes.get("supervise_due_at"), list) and changes["supervise_due_at"][1]:
        item.supervise_due_at = datetime.fromisoformat(changes["supervise_due_at"][1])


def beyond_horizon(item: Complaint, runtime: Runtime) -> bool:
    """A deadline past the end of the last day the calendar knows can only be an estimate."""
    tz = ZoneInfo(runtime.settings.app.timezone)
    end = datetime.combine(runtime.clock.calendar.horizon() + timedelta(days=1), time(0), tzinfo=tz)
    return any(value is not None and local(value, runtime) > end for value in (getattr(item, n) for n in STORED))
