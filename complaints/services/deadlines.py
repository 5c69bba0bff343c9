"""Stores an item's deadlines, computed by the pure rules in workflows.policy."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Protocol, overload

from complaints.clock import to_local, to_storage
from complaints.models import Complaint, Event
from complaints.runtime import Runtime
from workflows.deadlines import Limit, LimitUnit
from workflows.lifecycle import Action
from workflows.policy import Clock, Profile, initial_deadlines, stage_deadline
from workflows.vocab import Status

STORED = ("ack_due_at", "contact_due_at", "reply_due_at", "supervise_due_at")


class Deadlined(Protocol):
    """What the deadline functions read and write: a Complaint, or registration's draft of one."""

    @property
    def received_at(self) -> datetime: ...
    @property
    def track(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def channel(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def urgency(self) -> str: ...
    @property
    def status(self) -> str: ...

    ack_due_at: datetime | None
    contact_due_at: datetime | None
    reply_due_at: datetime | None
    supervise_due_at: datetime | None
    next_due_at: datetime | None
    warn_at: datetime | None
    due_provisional: bool
    reply_period_end: date | None


def profile_of(item: Deadlined, runtime: Runtime) -> Profile:
    return runtime.profile_for(
        track=item.track, kind=item.kind, channel=item.channel, category=item.category, urgency=item.urgency
    )


def clock_of(item: Deadlined, runtime: Runtime) -> Clock:
    """The clock of the item's unit (its calendar layers and office hours)."""
    return runtime.clock_for(getattr(item, "unit_code", None))


def set_initial(item: Deadlined, runtime: Runtime) -> None:
    """Deadlines counted from received_at, by the item's profile. A formal 信访 item's answer period runs
    from 受理 (the 受理告知, Art 22–23): until that is issued, it is counted from the last day allowed for it."""
    tz = runtime.settings.app.timezone
    profile, clock = profile_of(item, runtime), clock_of(item, runtime)
    found = initial_deadlines(to_local(item.received_at, tz), profile, clock)
    item.ack_due_at = ack_due = to_storage(found.acknowledge, tz)
    item.contact_due_at = to_storage(found.contact, tz)
    item.due_provisional = found.provisional
    start = item.received_at
    acknowledged_at = getattr(item, "acknowledged_at", None)
    if ack_due is not None and acknowledged_at is None:
        start = ack_due - timedelta(microseconds=1)  # 受理 at the latest on the 受理告知's last day
    elif acknowledged_at is not None:
        start = acknowledged_at
    set_reply(item, start, profile.reply, runtime)
    refresh_stage(item, runtime)


def set_reply(item: Deadlined, start: datetime, limit: Limit, runtime: Runtime) -> None:
    """The answer deadline `limit` after stored start; for calendar days, the unrolled last day is kept too."""
    item.reply_due_at, provisional = due_from(start, limit, runtime, unit=getattr(item, "unit_code", None))
    item.due_provisional = item.due_provisional or provisional
    if limit.unit is LimitUnit.DAYS:
        item.reply_period_end = local(start, runtime).date() + timedelta(days=int(limit.amount))
    else:
        item.reply_period_end = None


@overload
def local(value: datetime, runtime: Runtime) -> datetime: ...
@overload
def local(value: None, runtime: Runtime) -> None: ...
@overload
def local(value: datetime | None, runtime: Runtime) -> datetime | None: ...
def local(value: datetime | None, runtime: Runtime) -> datetime | None:
    return to_local(value, runtime.settings.app.timezone)


def due_from(start: datetime, limit: Limit, runtime: Runtime, *, unit: str | None = None) -> tuple[datetime, bool]:
    """A stored deadline `limit` after stored `start`, on the unit's calendar."""
    due, provisional = runtime.clock_for(unit).due(local(start, runtime), limit)
    return to_storage(due, runtime.settings.app.timezone), provisional


def _days_end(item: Complaint, last: date, runtime: Runtime) -> None:
    """The reply deadline from its unrolled last day: rolled forward once (民法典 Art 203)."""
    item.reply_period_end = last
    due, provisional = clock_of(item, runtime).days_end(last, local(_reply_due(item), runtime))
    item.reply_due_at = to_storage(due, runtime.settings.app.timezone)
    item.due_provisional = item.due_provisional or provisional


def _reply_due(item: Complaint) -> datetime:
    """The reply deadline of an item whose deadlines are set (from registration on)."""
    if item.reply_due_at is None:
        raise RuntimeError(f"complaint {item.id} has no reply deadline to move")
    return item.reply_due_at


def extend(item: Complaint, amount: Limit, runtime: Runtime) -> None:
    if item.reply_period_end is not None and amount.unit is LimitUnit.DAYS:
        _days_end(item, item.reply_period_end + timedelta(days=int(amount.amount)), runtime)
        return
    due, provisional = clock_of(item, runtime).extend(local(_reply_due(item), runtime), amount)
    item.reply_due_at = to_storage(due, runtime.settings.app.timezone)
    item.reply_period_end = None
    item.due_provisional = item.due_provisional or provisional


def resume(item: Complaint, resumed_at: datetime, runtime: Runtime) -> None:
    """Add back the time the item spent suspended (the clock was paused). A calendar-day period moves its
    unrolled last day by the paused days and is rolled forward once, after."""
    profile, clock = profile_of(item, runtime), clock_of(item, runtime)
    tz = runtime.settings.app.timezone
    paused, now = local(item.suspended_at, runtime), local(resumed_at, runtime)
    if paused is None:
        return
    if item.supervise_due_at is not None:
        item.supervise_due_at = to_storage(
            clock.resume(local(item.supervise_due_at, runtime), paused, now, profile.reply.unit), tz
        )
    if item.reply_due_at is None:
        return
    if item.reply_period_end is not None and profile.reply.unit is LimitUnit.DAYS:
        _days_end(item, item.reply_period_end + (now.date() - paused.date()), runtime)
    else:
        item.reply_due_at = to_storage(
            clock.resume(local(item.reply_due_at, runtime), paused, now, profile.reply.unit), tz
        )


def start_review(item: Complaint, requested_at: datetime, runtime: Runtime) -> None:
    """A 复查 runs against one deadline, its answer, from the request on."""
    item.ack_due_at = item.contact_due_at = item.supervise_due_at = None
    set_reply(item, requested_at, Limit.parse(runtime.settings.limits.review_answer), runtime)
    item.due_provisional = beyond_horizon(item, runtime)


def acknowledge(item: Complaint, issued_at: datetime, runtime: Runtime) -> None:
    """受理 (信访工作条例 Art 22–23): the written 受理告知 is issued; the answer period runs from it."""
    item.acknowledged_at = issued_at
    set_reply(item, issued_at, profile_of(item, runtime).reply, runtime)
    item.due_provisional = beyond_horizon(item, runtime)


def refresh_stage(item: Deadlined, runtime: Runtime) -> None:
    """next_due_at / warn_at for the current stage: what the overdue and due-soon lists query. A 受理告知 not
    yet issued binds in every working stage (签收 does not meet it)."""
    status = Status(item.status)
    pending_ack = item.ack_due_at if getattr(item, "acknowledged_at", None) is None else None
    item.next_due_at = stage_deadline(
        status,
        acknowledge=pending_ack,
        contact=item.contact_due_at,
        reply=item.reply_due_at,
        supervise=item.supervise_due_at,
    )
    if pending_ack is not None and status in (Status.ACCEPTED, Status.EXTENSION_REQUESTED, Status.SENDBACK_REQUESTED):
        item.next_due_at = min(d for d in (item.next_due_at, pending_ack) if d is not None)
    if item.next_due_at is None:
        item.warn_at = None
        return
    warn = clock_of(item, runtime).warn(local(item.next_due_at, runtime), profile_of(item, runtime).warn_lead)
    item.warn_at = to_storage(warn, runtime.settings.app.timezone)


def replay(item: Complaint, events: list[Event], runtime: Runtime) -> None:
    """Recompute the item's stored deadlines by today's calendar: from its registration, then each event
    in its history that moved a deadline, as the actions themselves did (see services.steps).

    For deadlines first estimated beyond the calendar's horizon, once the next year is known. The
    deadline profile is today's; a supervision without a recorded period keeps the date it was given.
    """
    set_initial(item, runtime)
    profile = profile_of(item, runtime)
    unit = item.unit_code
    paused = None
    for event in sorted(events, key=lambda e: (e.at, e.id or 0)):
        changes = event.changes or {}
        match event.action:
            case Action.REASSIGN:
                item.contact_due_at, _ = due_from(event.at, profile.contact, runtime, unit=unit)
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
                set_reply(item, event.at, profile.reply, runtime)
            case Action.CLOSE | Action.CLOSE_WITH_REASON:
                item.supervise_due_at = None
            case Action.REQUEST_REVIEW:
                start_review(item, event.at, runtime)
    item.suspended_at = paused
    item.due_provisional = beyond_horizon(item, runtime)
    refresh_stage(item, runtime)


def _replay_supervision(item: Complaint, event: Event, changes: dict, runtime: Runtime) -> None:
    unit = item.unit_code
    if changes.get("supervise_within"):  # a supervisor's 督办 with its period
        item.supervise_due_at, _ = due_from(event.at, Limit.parse(changes["supervise_within"]), runtime, unit=unit)
    elif changes.get("automatic"):  # the SLA sweep's: the default period, unless one was already running
        if item.supervise_due_at is None:
            default = Limit.parse(runtime.settings.limits.supervise_default)
            item.supervise_due_at, _ = due_from(event.at, default, runtime, unit=unit)
    elif isinstance(changes.get("supervise_due_at"), list) and changes["supervise_due_at"][1]:
        item.supervise_due_at = datetime.fromisoformat(changes["supervise_due_at"][1])


def beyond_horizon(item: Complaint, runtime: Runtime) -> bool:
    """A deadline (or a start) in a year not every layer of the unit's calendar has declared is an estimate."""
    calendar = clock_of(item, runtime).calendar
    days = [(local(v, runtime) - timedelta(microseconds=1)).date() for v in (getattr(item, n) for n in STORED) if v]
    days.append(local(item.received_at, runtime).date())
    return not all(calendar.is_known(day) for day in days)
