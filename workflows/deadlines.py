"""Time limits ("5 workdays", "2 office_hours", "60 days") and deadline arithmetic (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from workflows.calendar import WorkCalendar
from workflows.office_hours import OfficeHours


class LimitUnit(StrEnum):
    OFFICE_HOURS = "office_hours"
    WORKDAYS = "workdays"
    DAYS = "days"
    HOURS = "hours"  # plain clock hours


# Spellings accepted by Limit.parse; the English value is what str() writes back.
_UNIT_WORDS = {
    "office_hours": LimitUnit.OFFICE_HOURS,
    "office_hour": LimitUnit.OFFICE_HOURS,
    "office hours": LimitUnit.OFFICE_HOURS,
    "工作小时": LimitUnit.OFFICE_HOURS,
    "个工作小时": LimitUnit.OFFICE_HOURS,
    "workdays": LimitUnit.WORKDAYS,
    "workday": LimitUnit.WORKDAYS,
    "working days": LimitUnit.WORKDAYS,
    "工作日": LimitUnit.WORKDAYS,
    "个工作日": LimitUnit.WORKDAYS,
    "days": LimitUnit.DAYS,
    "day": LimitUnit.DAYS,
    "日": LimitUnit.DAYS,
    "天": LimitUnit.DAYS,
    "自然日": LimitUnit.DAYS,
    "个自然日": LimitUnit.DAYS,
    "hours": LimitUnit.HOURS,
    "hour": LimitUnit.HOURS,
    "h": LimitUnit.HOURS,
    "小时": LimitUnit.HOURS,
    "个小时": LimitUnit.HOURS,
}
_LIMIT_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(.+?)\s*$")
_DAY_UNITS = (LimitUnit.DAYS, LimitUnit.WORKDAYS)


@dataclass(frozen=True)
class Limit:
    """An amount of time in one unit."""

    amount: int | float
    unit: LimitUnit

    def __post_init__(self) -> None:
        object.__setattr__(self, "unit", LimitUnit(self.unit))  # a plain "workdays" string is fine
        if self.amount < 0:
            raise ValueError(f"时限不能为负 / a limit cannot be negative: {self.amount}")
        if self.unit in _DAY_UNITS and self.amount != int(self.amount):
            raise ValueError(f"天数必须是整数 / days must be whole: {self.amount}")

    @classmethod
    def parse(cls, text: str) -> Limit:
        """Parse '5 workdays', '2 office_hours', '60 days', '24 hours', '5个工作日', '15日'."""
        match = _LIMIT_RE.match(text) if isinstance(text, str) else None
        unit = _UNIT_WORDS.get(match.group(2).lower()) if match else None
        if match is None or unit is None:
            raise ValueError(
                f"无法识别的时限 / not a time limit: {text!r} "
                "(e.g. '5 workdays', '2 office_hours', '60 days', '24 hours')"
            )
        number = float(match.group(1))
        return cls(int(number) if number.is_integer() else number, unit)

    def __str__(self) -> str:
        return f"{self.amount} {self.unit.value}"


def due_at(start: datetime, limit: Limit, *, calendar: WorkCalendar, office_hours: OfficeHours) -> datetime:
    """The exclusive end of a limit started at start, in start's timezone."""
    _require_aware(start)
    if limit.unit is LimitUnit.HOURS:
        return start + timedelta(hours=limit.amount)
    if limit.unit is LimitUnit.OFFICE_HOURS:
        return office_hours.add_office_hours(start, limit.amount)
    if limit.unit is LimitUnit.WORKDAYS:
        return _end_of(calendar.add_workdays(start.date(), int(limit.amount)), start)
    return _end_of(_days_last_day(start.date(), int(limit.amount), calendar), start)


def _days_last_day(start_day: date, days: int, calendar: WorkCalendar) -> date:
    """民法典 Art 201/203: start day not counted; a last day off moves to the next working day."""
    calendar.is_workday(start_day)  # the start must be known too, so an unknown year is never guessed
    return roll_forward(start_day + timedelta(days=days), calendar)


def roll_forward(last: date, calendar: WorkCalendar) -> date:
    """民法典 Art 203: a period whose last day is a day off ends on the next working day."""
    return last if calendar.is_workday(last) else calendar.next_workday(last)


def days_end(last: date, like: datetime, calendar: WorkCalendar) -> datetime:
    """The exclusive end of a calendar-day period whose unrolled last day is `last` (rolled forward once)."""
    return _end_of(roll_forward(last, calendar), like)


def _end_of(day: date, like: datetime) -> datetime:
    """24:00 of day, written as 00:00 of the next day in like's timezone."""
    return datetime.combine(day + timedelta(1), time(0), like.tzinfo)


def _last_day(due: datetime) -> date:
    """The day a day-based period runs through (due is its exclusive end)."""
    return (due - timedelta(microseconds=1)).date()


def remaining(
    due: datetime, at: datetime, limit_unit: LimitUnit, calendar: WorkCalendar, office_hours: OfficeHours
) -> float:
    """Time left from at until due, in the limit's unit; negative once overdue.

    For day units the day of `at` is not counted, like a start day: working days (WORKDAYS) or
    calendar days (DAYS) after at's date up to the period's last day. 0 means today is the last day.
    """
    _require_aware(due, at)
    limit_unit, at = LimitUnit(limit_unit), at.astimezone(due.tzinfo)
    if limit_unit is LimitUnit.HOURS:
        return (due - at) / timedelta(hours=1)
    if limit_unit is LimitUnit.OFFICE_HOURS:
        return office_hours.office_hours_between(at, due)
    if limit_unit is LimitUnit.WORKDAYS:
        return calendar.workdays_between(at.date(), _last_day(due))
    calendar.is_workday(at.date())  # refuse an unknown year here too
    return (_last_day(due) - at.date()).days


def shift_after_pause(
    due: datetime,
    paused_at: datetime,
    resumed_at: datetime,
    unit: LimitUnit,
    calendar: WorkCalendar,
    office_hours: OfficeHours,
) -> datetime:
    """The new due after a suspension: the time left at the pause is counted again from resumption.

    Day units treat the resumption day like a start day (not counted), so pausing and resuming
    on the same day leaves the due unchanged. Calendar-day periods with a known unrolled last day are
    better moved with days_end(unrolled + paused days): the roll-forward is then applied once, after.
    """
    _require_aware(due, paused_at, resumed_at)
    unit, resumed_at = LimitUnit(unit), resumed_at.astimezone(due.tzinfo)
    left = remaining(due, paused_at, unit, calendar, office_hours)
    if unit is LimitUnit.HOURS:
        return resumed_at + timedelta(hours=left)
    if unit is LimitUnit.OFFICE_HOURS:
        return office_hours.add_office_hours(resumed_at, left)
    if unit is LimitUnit.WORKDAYS:
        return _end_of(calendar.add_workdays(resumed_at.date(), int(left)), due)
    return _end_of(_days_last_day(resumed_at.date(), int(left), calendar), due)


def warn_at(due: datetime, lead: Limit, *, calendar: WorkCalendar, office_hours: OfficeHours) -> datetime:
    """The moment an item becomes due soon: `lead` before due, counted back in lead's unit.

    For day units it is 00:00 of the day from which a fresh `lead` would end exactly at due, i.e.
    when only `lead` days remain after that day.
    """
    _require_aware(due)
    if lead.unit is LimitUnit.HOURS:
        return due - timedelta(hours=lead.amount)
    if lead.unit is LimitUnit.OFFICE_HOURS:
        return office_hours.subtract_office_hours(due, lead.amount)
    last = _last_day(due)
    if lead.unit is LimitUnit.WORKDAYS:
        day = calendar.add_workdays(last, -int(lead.amount))
    else:
        day = last - timedelta(days=int(lead.amount))
        calendar.is_workday(day)
    return datetime.combine(day, time(0), due.tzinfo)


def _require_aware(*moments: datetime) -> None:
    """Deadlines are wall-clock arithmetic: naive datetimes are refused rather than guessed."""
    for moment in moments:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"需要带时区的时间 / an aware datetime is required: {moment!r}")
