"""Working days in China as layers: the national schedule (chinesecalendar, then declared years), regional
schedules (Xinjiang), and overrides; a year is known only once every layer has declared it (pure)."""

from __future__ import annotations

import copy
from array import array
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import chinese_calendar

DEFAULT_OVERLAY = Path(__file__).with_name("calendar_overlay.toml")
DAY_KINDS = (
    "workday",
    "holiday",
    "weekend",
    "makeup_workday",
    "regional_holiday",
    "regional_workday",
    "override_workday",
    "override_dayoff",
)
_CHINESE_NAMES: dict[str, str] = {h.value: h.chinese for h in chinese_calendar.Holiday}
ESTIMATED_YEARS = 2  # years past the horizon that are estimated (and flagged provisional)


class CalendarUnknown(ValueError):
    """A date lies in a year not every layer has declared; in the strict calendar it is never guessed."""

    def __init__(self, when: date, first: date, horizon: date, detail: str = "") -> None:
        self.when, self.first, self.horizon = when, first, horizon
        suffix = f"（{detail}）" if detail else ""
        super().__init__(
            f"{when} 不在已知工作日历范围内（已知 {first} 至 {horizon}）{suffix}"
            f" / {when} is outside the known working-day calendar ({first} to {horizon})"
        )


@dataclass(frozen=True)
class Source:
    """Where a declared year comes from: the notice's title, number (文号) and publication date."""

    title: str = ""
    number: str = ""
    published: date | None = None

    def __str__(self) -> str:
        parts = [
            self.title,
            f"（{self.number}）" if self.number else "",
            f" {self.published.isoformat()}" if self.published else "",
        ]
        return "".join(parts).strip()


@dataclass(frozen=True)
class YearSchedule:
    """One year's published schedule: days off on weekdays and make-up working days (调休)."""

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    names: Mapping[date, str] = field(default_factory=dict)
    source: Source | None = None


@dataclass(frozen=True)
class Layer:
    """A schedule over the national one (a region's festivals and 调休), declared year by year."""

    name: str
    label: str = ""
    years: Mapping[int, YearSchedule] = field(default_factory=dict)
    since: int = 0  # years before this need no declaration: the layer was not kept then
    required: tuple[str, ...] = ()  # holidays a declared year must name (肉孜节, 古尔邦节)
    estimate: Callable[[int], YearSchedule] | None = None

    def declared(self, year: int) -> bool:
        """Whether this layer has nothing left to declare for year."""
        return year < self.since or year in self.years


@dataclass(frozen=True)
class CalendarData:
    """What the deployment adds to the national calendar; overrides win over everything."""

    extra_years: Mapping[int, YearSchedule] = field(default_factory=dict)
    regional_holidays: frozenset[date] = frozenset()
    overrides: Mapping[date, bool] = field(default_factory=dict)
    layers: tuple[Layer, ...] = ()
    national_estimate: Callable[[int], YearSchedule] | None = None
    unit_overrides: Mapping[str, Mapping[date, bool]] = field(default_factory=dict)

    def for_unit(self, unit: str, layers: Iterable[str]) -> CalendarData:
        """The calendar of one unit: the layers that apply to it and its own overrides over the common ones."""
        wanted = set(layers)
        overrides = {**self.overrides, **self.unit_overrides.get(unit, {})}
        return replace(self, layers=tuple(x for x in self.layers if x.name in wanted), overrides=overrides)


@cache
def national_years() -> tuple[int, int]:
    """First and last year chinesecalendar has data for (probed, so an upgrade extends it)."""
    first = last = 2004
    while _nationally_known(first - 1):
        first -= 1
    while _nationally_known(last + 1):
        last += 1
    return first, last


def _nationally_known(year: int) -> bool:
    """Whether chinesecalendar knows this year."""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@cache
def _national_flags(first_year: int, last_year: int) -> bytes:
    """1 per working day from Jan 1 of first_year to Dec 31 of last_year; cached: costs ~0.2 s."""
    start, end = date(first_year, 1, 1), date(last_year, 12, 31)
    days = (end - start).days + 1
    return bytes(chinese_calendar.is_workday(start + timedelta(i)) for i in range(days))


class WorkCalendar:
    """Answers working-day questions by index arithmetic over a table built once.

    The table runs past the horizon through ESTIMATED_YEARS estimated years when the data says how to
    estimate; the calendar itself refuses any date in a year not known, and `estimating()` is a view of
    the same table that answers for estimated years too.
    """

    def __init__(self, data: CalendarData | None = None, first_year: int = 2004) -> None:
        self.data = data or CalendarData()
        self._strict = True
        national_first, national_last = national_years()
        if not national_first <= first_year <= national_last:
            raise ValueError(f"{first_year} 年的工作日历未知 / no working-day data for {first_year}")
        known_last = national_last
        while known_last + 1 in self.data.extra_years:  # only consecutive years extend the horizon
            known_last += 1
        self.national_last = known_last
        self._known = frozenset(
            y for y in range(first_year, known_last + 1) if all(layer.declared(y) for layer in self.data.layers)
        )
        estimating = self.data.national_estimate is not None
        table_last = known_last + (ESTIMATED_YEARS if estimating else 0)
        self._first, self._table_last = date(first_year, 1, 1), date(table_last, 12, 31)
        self._last = date(max(self._known, default=first_year - 1), 12, 31)
        self._origin = self._first.toordinal()
        flags = self._build_flags(first_year, national_last, known_last)
        self._is_work = bytes(flags)
        self._before = array("l", [0])  # _before[i]: working days among the first i days
        for flag in flags:
            self._before.append(self._before[-1] + flag)
        self._work_index = array("l", (i for i, flag in enumerate(flags) if flag))

    def estimating(self) -> WorkCalendar:
        """The same calendar answering for undeclared and estimated years too (results are provisional)."""
        view = copy.copy(self)
        view._strict = False
        return view

    def _build_flags(self, first_year: int, national_last: int, known_last: int) -> bytearray:
        """National table, then declared or estimated years, each layer, regional days off, overrides."""
        flags = bytearray(_national_flags(first_year, national_last))
        day = date(national_last + 1, 1, 1)
        while day <= self._table_last:  # years the library does not know: Mon–Fri, then their schedule
            flags.append(day.weekday() < 5)
            day += timedelta(1)
        for year in range(national_last + 1, self._table_last.year + 1):
            schedule = self.data.extra_years.get(year) if year <= known_last else None
            if schedule is None and self.data.national_estimate is not None:
                schedule = self.data.national_estimate(year)
            self._apply(flags, schedule)
        for layer in self.data.layers:
            for year in range(max(first_year, layer.since), self._table_last.year + 1):
                schedule = layer.years.get(year)
                if schedule is None and layer.estimate is not None:
                    schedule = layer.estimate(year)
                self._apply(flags, schedule)
        self._set(flags, self.data.regional_holidays, False)
        for day, working in self.data.overrides.items():
            self._set(flags, (day,), working)
        return flags

    def _apply(self, flags: bytearray, schedule: YearSchedule | None) -> None:
        if schedule is not None:
            self._set(flags, schedule.holidays, False)
            self._set(flags, schedule.workdays, True)

    def _set(self, flags: bytearray, days: Iterable[date], working: bool) -> None:
        """Mark days inside the table; days outside it cannot be asked about anyway."""
        for day in days:
            i = day.toordinal() - self._origin
            if 0 <= i < len(flags):
                flags[i] = working

    def _index(self, day: date) -> int:
        """Position of a date in the table, or CalendarUnknown."""
        i = day.toordinal() - self._origin
        if not 0 <= i < len(self._is_work):
            raise CalendarUnknown(day, self._first, self._last)
        if self._strict and day.year not in self._known:
            missing = "、".join(self.undeclared(day.year)) or "—"
            raise CalendarUnknown(
                day, self._first, self._last, f"{day.year} 年尚未公布 / not yet declared by: {missing}"
            )
        return i

    def first_day(self) -> date:
        """First date known."""
        return self._first

    def horizon(self) -> date:
        """Last date known (every layer declared its year)."""
        return self._last

    def last_day(self) -> date:
        """Last date this view answers for: the horizon, or the last estimated day when estimating."""
        return self._last if self._strict else self._table_last

    def is_known(self, day: date) -> bool:
        """Whether every layer has declared the year of day."""
        return day.year in self._known

    def undeclared(self, year: int) -> list[str]:
        """Names of the layers ("national" first) that have not declared year."""
        missing = [] if year <= self.national_last else ["national"]
        return missing + [layer.name for layer in self.data.layers if not layer.declared(year)]

    def is_workday(self, day: date) -> bool:
        """Whether offices work on this date."""
        return bool(self._is_work[self._index(day)])

    def add_workdays(self, day: date, n: int) -> date:
        """The n-th working day after day (start day not counted); negative n counts backwards."""
        i = self._index(day)
        if n == 0:
            return day
        # position of the target in the list of working days, counted from the table start
        target = self._before[i + 1] + n - 1 if n > 0 else self._before[i] + n
        if not 0 <= target < len(self._work_index):
            beyond = self._table_last + timedelta(1) if n > 0 else self._first - timedelta(1)
            raise CalendarUnknown(beyond, self._first, self._last, f"{day} {n:+d} 个工作日 / workdays")
        found = date.fromordinal(self._origin + self._work_index[target])
        self._index(found)
        return found

    def workdays_between(self, a: date, b: date) -> int:
        """Working days in (a, b]; negative when b is before a."""
        return self._before[self._index(b) + 1] - self._before[self._index(a) + 1]

    def next_workday(self, day: date) -> date:
        """First working day strictly after day."""
        return self.add_workdays(day, 1)

    def day_kind(self, day: date) -> str:
        """Why a date is or is not a working day, for display (one of DAY_KINDS)."""
        working = self.is_workday(day)
        if day in self.data.overrides:
            return "override_workday" if self.data.overrides[day] else "override_dayoff"
        if day in self.data.regional_holidays:
            return "regional_holiday"
        for layer in self.data.layers:
            schedule = layer.years.get(day.year) or (layer.estimate(day.year) if layer.estimate else None)
            if schedule and day in (schedule.holidays if not working else schedule.workdays):
                return "regional_workday" if working else "regional_holiday"
        return self._national_kind(day, working)

    def _national_kind(self, day: date, working: bool) -> str:
        if day.year <= national_years()[1]:
            off, name = chinese_calendar.get_holiday_detail(day)
            if name:  # a named day is either a holiday or its 调休 working day
                return "holiday" if off else "makeup_workday"
        elif (day.weekday() >= 5) == working:
            return "makeup_workday" if working else "holiday"
        return "weekend" if day.weekday() >= 5 else "workday"

    def day_name(self, day: date) -> str:
        """The holiday's name when a declared or estimated schedule gives one ("" otherwise)."""
        schedules = [
            layer.years.get(day.year) or (layer.estimate(day.year) if layer.estimate else None)
            for layer in self.data.layers
        ]
        schedules.append(self.data.extra_years.get(day.year))
        if day.year > national_years()[1] and self.data.national_estimate:
            schedules.append(self.data.national_estimate(day.year))
        for schedule in schedules:
            if schedule and day in schedule.names:
                return schedule.names[day]
        if day.year <= national_years()[1]:
            name: str | None = chinese_calendar.get_holiday_detail(day)[1]  # untyped library: (bool, str | None)
            return _CHINESE_NAMES.get(name or "", name or "")
        return ""
