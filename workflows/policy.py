"""Which time limits apply to an item, and its deadlines for each stage (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from workflows.calendar import CalendarUnknown, WorkCalendar
from workflows.deadlines import Limit, LimitUnit, days_end, due_at, shift_after_pause, warn_at
from workflows.office_hours import OfficeHours
from workflows.vocab import Status


@dataclass(frozen=True)
class Profile:
    """The limits of one kind of item (parsed from config.toml's [limits.profiles.*])."""

    name: str
    contact: Limit
    reply: Limit
    warn_lead: Limit
    extension_cap: Limit
    max_extensions: int = 1
    acknowledge: Limit | None = None


@dataclass(frozen=True)
class ProfileRule:
    profile: str
    conditions: tuple[tuple[str, str], ...]  # (attribute, required value)

    def matches(self, attributes: dict[str, str]) -> bool:
        return all(attributes.get(key) == value for key, value in self.conditions)


@dataclass(frozen=True)
class Deadlines:
    acknowledge: datetime | None = None
    contact: datetime | None = None
    reply: datetime | None = None
    provisional: bool = False


class Clock:
    """Deadline arithmetic bound to one calendar and one set of office hours.

    A date in a year not every layer has declared is counted on the estimated calendar (weekends,
    statutory and lunar holidays, Hijri festivals) and the result is flagged provisional; only past the
    estimated years does a rough span stand in.
    """

    def __init__(self, calendar: WorkCalendar, office_hours: OfficeHours):
        self.calendar = calendar
        self.office_hours = office_hours
        self.estimated = calendar.estimating()
        self.estimated_hours = office_hours.with_calendar(self.estimated)

    def due(self, start: datetime, limit: Limit) -> tuple[datetime, bool]:
        """(deadline, provisional): outside the known calendar, a clearly flagged estimate."""
        try:
            return due_at(start, limit, calendar=self.calendar, office_hours=self.office_hours), False
        except CalendarUnknown:
            pass
        try:
            return due_at(start, limit, calendar=self.estimated, office_hours=self.estimated_hours), True
        except CalendarUnknown:
            return _estimate(start, limit), True

    def days_end(self, last: date, like: datetime) -> tuple[datetime, bool]:
        """(end, provisional) of a calendar-day period whose unrolled last day is `last`."""
        try:
            return days_end(last, like, self.calendar), False
        except CalendarUnknown:
            pass
        try:
            return days_end(last, like, self.estimated), True
        except CalendarUnknown:
            return datetime.combine(last + timedelta(days=1), time(0), like.tzinfo), True

    def is_known(self, moment: datetime) -> bool:
        """Whether the day of moment lies in a year every layer has declared."""
        return self.calendar.is_known(moment.date())

    def warn(self, due: datetime, lead: Limit) -> datetime:
        for calendar, hours in ((self.calendar, self.office_hours), (self.estimated, self.estimated_hours)):
            try:
                return warn_at(due, lead, calendar=calendar, office_hours=hours)
            except CalendarUnknown:
                continue
        return due - _estimate_span(lead)

    def extend(self, due: datetime, amount: Limit) -> tuple[datetime, bool]:
        """Move an end-of-day deadline on by `amount`, counted from its last day."""
        return self.due(due - timedelta(microseconds=1), amount)

    def resume(self, due: datetime, paused_at: datetime, resumed_at: datetime, unit: LimitUnit) -> datetime:
        for calendar, hours in ((self.calendar, self.office_hours), (self.estimated, self.estimated_hours)):
            try:
                return shift_after_pause(due, paused_at, resumed_at, unit, calendar, hours)
            except CalendarUnknown:
                continue
        return due + (resumed_at - paused_at)


def _estimate_span(limit: Limit) -> timedelta:
    """A deliberately rough span (7/5 calendar days per working day) for beyond the horizon."""
    if limit.unit is LimitUnit.WORKDAYS:
        return timedelta(days=limit.amount * 7 / 5)
    if limit.unit is LimitUnit.OFFICE_HOURS:
        return timedelta(hours=limit.amount * 3)
    if limit.unit is LimitUnit.HOURS:
        return timedelta(hours=limit.amount)
    return timedelta(days=limit.amount)


def _estimate(start: datetime, limit: Limit) -> datetime:
    if limit.unit in (LimitUnit.WORKDAYS, LimitUnit.DAYS):
        end_day = (start + _estimate_span(limit)).date() + timedelta(days=1)
        return start.replace(
            year=end_day.year, month=end_day.month, day=end_day.day, hour=0, minute=0, second=0, microsecond=0
        )
    return start + _estimate_span(limit)


def choose_profile(
    attributes: dict[str, str], rules: list[ProfileRule], profiles: dict[str, Profile], default: str
) -> Profile:
    """The first rule whose conditions all match decides; otherwise the default profile."""
    for rule in rules:
        if rule.matches(attributes):
            return profiles[rule.profile]
    return profiles[default]


def initial_deadlines(received_at: datetime, profile: Profile, clock: Clock) -> Deadlines:
    """Deadlines counted from when the item reached the bureau (which may be in the past)."""
    contact, p1 = clock.due(received_at, profile.contact)
    reply, p2 = clock.due(received_at, profile.reply)
    acknowledge, p3 = clock.due(received_at, profile.acknowledge) if profile.acknowledge else (None, False)
    return Deadlines(acknowledge=acknowledge, contact=contact, reply=reply, provisional=p1 or p2 or p3)


def stage_deadline(
    status: Status,
    *,
    acknowledge: datetime | None,
    contact: datetime | None,
    reply: datetime | None,
    supervise: datetime | None,
) -> datetime | None:
    """The deadline the current stage runs against (the earliest of those that apply)."""
    if status in (Status.REGISTERED, Status.DISPATCHED):
        # the answer deadline binds from the start too (it is the only one a 复查 has)
        candidates = [acknowledge, contact, reply, supervise]
    elif status in (
        Status.ACCEPTED,
        Status.EXTENSION_REQUESTED,
        Status.SENDBACK_REQUESTED,
        Status.REPLY_PENDING_APPROVAL,
    ):
        candidates = [reply, supervise]
    else:  # suspended (clock paused), replied / visited (waiting for callback), closed
        candidates = []
    present = [c for c in candidates if c is not None]
    return min(present) if present else None
