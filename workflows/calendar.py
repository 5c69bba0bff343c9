"""Working days in China: national holidays and 调休, a regional overlay, manual overrides (pure)."""

from __future__ import annotations

import tomllib
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import chinese_calendar

DEFAULT_OVERLAY = Path(__file__).with_name("calendar_overlay.toml")
DAY_KINDS = (
    "workday",
    "holiday",
    "weekend",
    "makeup_workday",
    "regional_holiday",
    "override_workday",
    "override_dayoff",
)
_MAX_RANGE_DAYS = 366


class CalendarUnknown(ValueError):
    """A date lies outside the years whose working days are known; it is never guessed."""

    def __init__(self, when: date, first: date, horizon: date, detail: str = "") -> None:
        self.when, self.first, self.horizon = when, first, horizon
        suffix = f"（{detail}）" if detail else ""
        super().__init__(
            f"{when} 不在已知工作日历范围内（已知 {first} 至 {horizon}）{suffix}"
            f" / {when} is outside the known working-day calendar ({first} to {horizon})"
        )


@dataclass(frozen=True)
class YearSchedule:
    """One year's published schedule: days off on weekdays and make-up working days (调休)."""

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()


@dataclass(frozen=True)
class CalendarData:
    """What the deployment adds to the national calendar; overrides win over everything."""

    extra_years: dict[int, YearSchedule] = field(default_factory=dict)
    regional_holidays: frozenset[date] = frozenset()
    overrides: dict[date, bool] = field(default_factory=dict)


@cache
def _national_years() -> tuple[int, int]:
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
    """Answers working-day questions by index arithmetic over a table built once."""

    def __init__(self, data: CalendarData | None = None, first_year: int = 2004) -> None:
        self.data = data or CalendarData()
        national_first, national_last = _national_years()
        if not national_first <= first_year <= national_last:
            raise ValueError(f"{first_year} 年的工作日历未知 / no working-day data for {first_year}")
        last_year = national_last
        while last_year + 1 in self.data.extra_years:  # only consecutive years extend the horizon
            last_year += 1
        self._first, self._last = date(first_year, 1, 1), date(last_year, 12, 31)
        self._origin = self._first.toordinal()
        flags = self._build_flags(first_year, national_last, last_year)
        self._is_work = bytes(flags)
        self._before = array("l", [0])  # _before[i]: working days among the first i days
        for flag in flags:
            self._before.append(self._before[-1] + flag)
        self._work_index = array("l", (i for i, flag in enumerate(flags) if flag))

    @classmethod
    def from_overlay(cls, path: Path = DEFAULT_OVERLAY) -> WorkCalendar:
        """A calendar with the deployment's overlay file applied."""
        return cls(load_calendar_data(path))

    def _build_flags(self, first_year: int, national_last: int, last_year: int) -> bytearray:
        """National table, then extra years, regional days off, and overrides last."""
        flags = bytearray(_national_flags(first_year, min(national_last, last_year)))
        day = date(national_last + 1, 1, 1)
        while day <= self._last:  # years only the deployment knows: Mon–Fri, then its schedule
            flags.append(day.weekday() < 5)
            day += timedelta(1)
        for schedule in self.data.extra_years.values():
            self._set(flags, schedule.holidays, False)
            self._set(flags, schedule.workdays, True)
        self._set(flags, self.data.regional_holidays, False)
        for day, working in self.data.overrides.items():
            self._set(flags, (day,), working)
        return flags

    def _set(self, flags: bytearray, days: Iterable[date], working: bool) -> None:
        """Mark days inside the known range; days outside it cannot be asked about anyway."""
        for day in days:
            i = day.toordinal() - self._origin
            if 0 <= i < len(flags):
                flags[i] = working

    def _index(self, day: date) -> int:
        """Position of a date in the table, or CalendarUnknown."""
        i = day.toordinal() - self._origin
        if not 0 <= i < len(self._is_work):
            raise CalendarUnknown(day, self._first, self._last)
        return i

    def first_day(self) -> date:
        """First date known."""
        return self._first

    def horizon(self) -> date:
        """Last date known."""
        return self._last

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
            beyond = self._last + timedelta(1) if n > 0 else self._first - timedelta(1)
            raise CalendarUnknown(beyond, self._first, self._last, f"{day} {n:+d} 个工作日 / workdays")
        return date.fromordinal(self._origin + self._work_index[target])

    def workdays_between(self, a: date, b: date) -> int:
        """Working days in (a, b]; negative when b is before a."""
        return self._before[self._index(b) + 1] - self._before[self._index(a) + 1]

    def next_workday(self, day: date) -> date:
        """First working day strictly after day."""
        return self.add_workdays(day, 1)

    def day_kind(self, day: date) -> str:
        """Why a date is or is not a working day, for display (one of DAY_KINDS)."""
        self._index(day)
        if day in self.data.overrides:
            return "override_workday" if self.data.overrides[day] else "override_dayoff"
        if day in self.data.regional_holidays:
            return "regional_holiday"
        schedule = self.data.extra_years.get(day.year)
        if schedule and day in schedule.holidays:
            return "holiday"
        if schedule and day in schedule.workdays:
            return "makeup_workday"
        if day.year <= _national_years()[1]:
            off, name = chinese_calendar.get_holiday_detail(day)
            if name:  # a named day is either a holiday or its 调休 working day
                return "holiday" if off else "makeup_workday"
        return "weekend" if day.weekday() >= 5 else "workday"


# --- the overlay file ------------------------------------------------------------------------

_ENTRY_KEYS = {"date", "start", "end", "name", "note", "reason", "working"}


def load_calendar_data(path: Path) -> CalendarData:
    """Read the deployment's overlay TOML; a bad file raises ValueError naming the entry."""
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: TOML 格式错误 / invalid TOML: {exc}") from exc
    try:
        return parse_calendar_data(raw)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc


def parse_calendar_data(raw: dict[str, Any]) -> CalendarData:
    """Turn parsed TOML into CalendarData, refusing anything it does not understand."""
    unknown = set(raw) - {"regional", "overrides", "years"}
    if unknown:
        raise ValueError(f"未知的键 / unknown keys: {sorted(unknown)}")
    regional = _dates_of(raw.get("regional", []), "regional")
    overrides: dict[date, bool] = {}
    for i, entry in enumerate(_table_list(raw.get("overrides", []), "overrides")):
        where = _where("overrides", i, entry)
        if not isinstance(entry, dict) or not isinstance(entry.get("working"), bool):
            raise ValueError(f"{where}: 需要 working = true/false / needs working = true or false")
        for day in _entry_dates(entry, where):
            overrides[day] = entry["working"]
    years = {_year_key(key): _year_schedule(key, block) for key, block in raw.get("years", {}).items()}
    return CalendarData(extra_years=years, regional_holidays=frozenset(regional), overrides=overrides)


def _year_key(key: str) -> int:
    """A [years.NNNN] key as an int."""
    if not str(key).isdigit() or len(str(key)) != 4:
        raise ValueError(f"years.{key}: 年份必须是四位数字 / year must be four digits")
    return int(key)


def _year_schedule(key: str, block: Any) -> YearSchedule:
    """One [years.NNNN] block; every date must lie in that year."""
    if not isinstance(block, dict) or set(block) - {"holidays", "workdays", "source", "note"}:
        raise ValueError(f"years.{key}: 只允许 holidays, workdays, source, note / unexpected keys")
    holidays = _dates_of(block.get("holidays", []), f"years.{key}.holidays")
    workdays = _dates_of(block.get("workdays", []), f"years.{key}.workdays")
    stray = sorted(d for d in holidays | workdays if d.year != int(key))
    if stray:
        raise ValueError(f"years.{key}: {stray[0]} 不在该年 / is not in year {key}")
    both = sorted(holidays & workdays)
    if both:
        raise ValueError(f"years.{key}: {both[0]} 既是假日又是工作日 / is both a holiday and a workday")
    return YearSchedule(holidays=frozenset(holidays), workdays=frozenset(workdays))


def _table_list(value: Any, where: str) -> list[Any]:
    """An array (of tables or dates), or a clear error."""
    if not isinstance(value, list):
        raise ValueError(f"{where}: 需要数组 / must be an array ([[{where}]] or a list)")
    return value


def _dates_of(entries: Any, where: str) -> set[date]:
    """All dates named by a list of entries."""
    days: set[date] = set()
    for i, entry in enumerate(_table_list(entries, where)):
        days.update(_entry_dates(entry, _where(where, i, entry)))
    return days


def _where(section: str, i: int, entry: Any) -> str:
    """Entry locator for messages: section[index] plus its name."""
    name = entry.get("name") if isinstance(entry, dict) else None
    return f"{section}[{i}]" + (f" ({name})" if name else "")


def _entry_dates(entry: Any, where: str) -> list[date]:
    """Dates of one entry: a date, an ISO string, or a table with date or start/end (inclusive)."""
    if not isinstance(entry, dict):
        return [_as_date(entry, where)]
    unknown = set(entry) - _ENTRY_KEYS
    if unknown:
        raise ValueError(f"{where}: 未知的键 / unknown keys {sorted(unknown)}")
    if "date" in entry and not {"start", "end"} & set(entry):
        return [_as_date(entry["date"], where)]
    if "date" in entry or not {"start", "end"} <= set(entry):
        raise ValueError(f"{where}: 需要 date 或 start 与 end / needs date, or start and end")
    start, end = _as_date(entry["start"], where), _as_date(entry["end"], where)
    if not start <= end or (end - start).days >= _MAX_RANGE_DAYS:
        raise ValueError(f"{where}: 日期范围无效 / bad range {start}..{end}")
    return [start + timedelta(i) for i in range((end - start).days + 1)]


def _as_date(value: Any, where: str) -> date:
    """A TOML date or an ISO date string."""
    if type(value) is date:  # a TOML local date; a datetime is not a day
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: 不是日期 / not a date: {value!r}") from None
