"""Office hours: periods a day by season, on working days only (pure)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from workflows.calendar import WorkCalendar

_ZERO = timedelta(0)
_TINY = timedelta(microseconds=1)


@dataclass(frozen=True)
class Period:
    """One stretch of office time on a day, [start, end)."""

    start: time
    end: time

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise ValueError(f"时段无效 / period must end after it starts: {self.start}–{self.end}")

    def length(self) -> timedelta:
        """Duration of the period."""
        return datetime.combine(date.min, self.end) - datetime.combine(date.min, self.start)


@dataclass(frozen=True)
class Season:
    """Periods in force from a month/day until the next season starts."""

    starts: tuple[int, int]
    periods: tuple[Period, ...]

    def __post_init__(self) -> None:
        date(2001, *self.starts)  # not a leap year: a season cannot start on a day most years lack
        ordered = all(a.end <= b.start for a, b in zip(self.periods, self.periods[1:], strict=False))
        if not self.periods or not ordered:
            raise ValueError(f"季节 {self.starts} 的时段必须有序且不重叠 / periods must be ordered")

    def daily(self) -> timedelta:
        """Office time on one working day."""
        return sum((p.length() for p in self.periods), _ZERO)


def _hm(text: str) -> time:
    """'15:30' as a time."""
    return time.fromisoformat(text)


class OfficeHours:
    """Counts time only inside office periods on working days.

    Periods are wall-clock times in `tz` (the input's own timezone when tz is None); results
    are returned in the input's timezone.
    """

    def __init__(
        self,
        seasons: Sequence[Season],
        calendar: WorkCalendar,
        tz: tzinfo | None = None,
        years: Mapping[int, Sequence[Season]] | None = None,
    ) -> None:
        """`seasons` apply every year; `years` gives a year its own seasons (hours and switch dates)."""
        if not seasons or any(not s for s in (years or {}).values()):
            raise ValueError("至少需要一个季节 / at least one season is required")
        self.seasons = tuple(sorted(seasons, key=lambda s: s.starts))
        self.years = {year: tuple(sorted(s, key=lambda x: x.starts)) for year, s in (years or {}).items()}
        self.calendar = calendar
        self.tz = tz

    def with_calendar(self, calendar: WorkCalendar) -> OfficeHours:
        """The same hours over another calendar (the estimating view)."""
        return OfficeHours(self.seasons, calendar, self.tz, self.years)

    def seasons_of(self, year: int) -> tuple[Season, ...]:
        """The seasons in force in year."""
        return self.years.get(year, self.seasons)

    def _local(self, moment: datetime) -> datetime:
        """The moment on the office's wall clock; naive datetimes are refused."""
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"需要带时区的时间 / an aware datetime is required: {moment!r}")
        return moment.astimezone(self.tz) if self.tz else moment

    @classmethod
    def xinjiang_default(cls, calendar: WorkCalendar) -> OfficeHours:
        """Xinjiang offices on Beijing time (2022–2023 notices): summer from 5/1, winter from 10/1."""
        summer = Season((5, 1), (Period(_hm("10:00"), _hm("14:00")), Period(_hm("16:00"), _hm("20:00"))))
        winter = Season((10, 1), (Period(_hm("10:00"), _hm("14:00")), Period(_hm("15:30"), _hm("19:30"))))
        return cls((summer, winter), calendar, ZoneInfo("Asia/Shanghai"))

    def season_for(self, day: date) -> Season:
        """The season with the latest start on or before day, wrapping over new year."""
        seasons = self.seasons_of(day.year)
        current = None
        for season in seasons:
            if season.starts <= (day.month, day.day):
                current = season
        return current or self.seasons_of(day.year - 1)[-1]

    def _season_bounds(self, day: date) -> tuple[date, date]:
        """First and last date of the run of the season in force on day."""
        key = (day.month, day.day)
        starts = [s.starts for s in self.seasons_of(day.year)]
        before = [s for s in starts if s <= key]
        first = date(day.year, *before[-1]) if before else date(day.year - 1, *self.seasons_of(day.year - 1)[-1].starts)
        after = [s for s in starts if s > key]
        following = date(day.year, *after[0]) if after else date(day.year + 1, *self.seasons_of(day.year + 1)[0].starts)
        return first, following - timedelta(1)

    def _windows(self, day: date, tz: tzinfo | None) -> Iterator[tuple[datetime, datetime]]:
        """Aware (start, end) of each office period on day; none on a day off."""
        if not self.calendar.is_workday(day):
            return
        for period in self.season_for(day).periods:
            yield datetime.combine(day, period.start, tz), datetime.combine(day, period.end, tz)

    def is_open(self, moment: datetime) -> bool:
        """Whether the office is open at this moment."""
        moment = self._local(moment)
        return any(start <= moment < end for start, end in self._windows(moment.date(), moment.tzinfo))

    def add_office_hours(self, start: datetime, hours: float) -> datetime:
        """The moment when `hours` of office time have passed since start."""
        local, left = self._local(start), timedelta(hours=hours)
        if left < _ZERO:
            return self.subtract_office_hours(start, -hours)
        if left == _ZERO:
            return start
        return self._forward(local, left).astimezone(start.tzinfo)

    def _forward(self, start: datetime, left: timedelta) -> datetime:
        """Walk forward from start on the office clock until `left` office time is used."""
        tz, day = start.tzinfo, start.date()
        for window_start, window_end in self._windows(day, tz):
            begin = max(window_start, start)
            if begin < window_end:
                if left <= window_end - begin:
                    return begin + left
                left -= window_end - begin
        while True:
            day = self.calendar.next_workday(day)
            per_day = self.season_for(day).daily()
            if left > per_day:  # skip whole days of this season at once; keep the last to walk
                in_season = 1 + self.calendar.workdays_between(day, self._clip(self._season_bounds(day)[1]))
                skip = min((left - _TINY) // per_day, in_season)
                left -= per_day * skip
                day = self.calendar.add_workdays(day, skip - 1)
                continue
            for window_start, window_end in self._windows(day, tz):
                if left <= window_end - window_start:
                    return window_start + left
                left -= window_end - window_start

    def subtract_office_hours(self, end: datetime, hours: float) -> datetime:
        """The latest moment with `hours` of office time between it and end."""
        local, left = self._local(end), timedelta(hours=hours)
        if left < _ZERO:
            return self.add_office_hours(end, -hours)
        if left == _ZERO:
            return end
        return self._backward(local, left).astimezone(end.tzinfo)

    def _backward(self, end: datetime, left: timedelta) -> datetime:
        """Walk back from end on the office clock until `left` office time is used."""
        tz, day = end.tzinfo, end.date()
        for window_start, window_end in reversed(list(self._windows(day, tz))):
            finish = min(window_end, end)
            if window_start < finish:
                if left <= finish - window_start:
                    return finish - left
                left -= finish - window_start
        while True:
            day = self.calendar.add_workdays(day, -1)
            per_day = self.season_for(day).daily()
            if left > per_day:
                season_first = max(self._season_bounds(day)[0], self.calendar.first_day())
                in_season = self.calendar.workdays_between(season_first, day)
                in_season += self.calendar.is_workday(season_first)
                skip = min((left - _TINY) // per_day, in_season)
                left -= per_day * skip
                day = self.calendar.add_workdays(day, -(skip - 1))
                continue
            for window_start, window_end in reversed(list(self._windows(day, tz))):
                if left <= window_end - window_start:
                    return window_end - left
                left -= window_end - window_start

    def office_hours_between(self, a: datetime, b: datetime) -> float:
        """Office hours in [a, b]; negative when b is before a."""
        a = self._local(a)
        b = self._local(b).astimezone(a.tzinfo)  # both ends on the same wall clock
        if b < a:
            return -self.office_hours_between(b, a)
        total = self._overlap(a.date(), a, b)
        if b.date() > a.date():
            total += self._overlap(b.date(), a, b)
            total += self._whole_days(a.date() + timedelta(1), b.date() - timedelta(1))
        return total / timedelta(hours=1)

    def _overlap(self, day: date, a: datetime, b: datetime) -> timedelta:
        """Office time on day that lies within [a, b]."""
        total = _ZERO
        for window_start, window_end in self._windows(day, a.tzinfo):
            total += max(_ZERO, min(window_end, b) - max(window_start, a))
        return total

    def _whole_days(self, first: date, last: date) -> timedelta:
        """Office time of every working day in [first, last], one season run at a time."""
        total = _ZERO
        while first <= last:
            run_end = min(self._season_bounds(first)[1], last)
            days = self.calendar.workdays_between(first, run_end) + self.calendar.is_workday(first)
            total += self.season_for(first).daily() * days
            first = run_end + timedelta(1)
        return total

    def _clip(self, day: date) -> date:
        """A date no later than the last day the calendar answers for."""
        return min(day, self.calendar.last_day())
