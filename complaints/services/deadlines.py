"""Stores an item's deadlines, computed by the pure rules in workflows.policy."""

from __future__ import annotations

from datetime import datetime

from complaints.clock import to_local, to_storage
from complaints.models import Complaint
from complaints.runtime import Runtime
from workflows.deadlines import Limit
from workflows.policy import Profile, initial_deadlines, stage_deadline
from workflows.vocab import Status


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
