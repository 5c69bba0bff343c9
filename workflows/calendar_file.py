"""The deployment's calendar overlay file: regional layers year by year, declared national years,
overrides (common or per unit). Unknown keys are refused so that a typo is not silently ignored (pure)."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from workflows.calendar import DEFAULT_OVERLAY, CalendarData, Layer, Source, WorkCalendar, YearSchedule
from workflows.calendar_estimate import Festival, festival_days, statutory_holidays

_ENTRY_KEYS = {"date", "start", "end", "name", "note", "reason", "working", "units"}
_YEAR_KEYS = {"holidays", "workdays", "source", "title", "number", "published", "reported", "note"}
_LAYER_KEYS = {"label", "since", "required", "festivals", "years"}
_MAX_RANGE_DAYS = 366


def overlay_calendar(path: Path = DEFAULT_OVERLAY) -> WorkCalendar:
    """A calendar with the deployment's overlay file applied (every layer in it)."""
    return WorkCalendar(load_calendar_data(path))


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
    unknown = set(raw) - {"regional", "overrides", "years", "layers"}
    if unknown:
        raise ValueError(f"未知的键 / unknown keys: {sorted(unknown)}")
    regional = _dates_of(raw.get("regional", []), "regional")
    overrides: dict[date, bool] = {}
    per_unit: dict[str, dict[date, bool]] = {}
    for i, entry in enumerate(_table_list(raw.get("overrides", []), "overrides")):
        where = _where("overrides", i, entry)
        if not isinstance(entry, dict) or not isinstance(entry.get("working"), bool):
            raise ValueError(f"{where}: 需要 working = true/false / needs working = true or false")
        units = entry.get("units", [])
        if not isinstance(units, list) or not all(isinstance(u, str) for u in units):
            raise ValueError(f"{where}: units 应为单位代码数组 / units must be a list of unit codes")
        for day in _entry_dates(entry, where):
            for target in [per_unit.setdefault(u, {}) for u in units] or [overrides]:
                target[day] = entry["working"]
    years = {
        _year_key(key, "years"): year_schedule(key, block, "years")
        for key, block in _table(raw.get("years", {}), "years").items()
    }
    layers = tuple(_layer(name, block) for name, block in _table(raw.get("layers", {}), "layers").items())
    return CalendarData(
        extra_years=years,
        regional_holidays=frozenset(regional),
        overrides=overrides,
        layers=layers,
        national_estimate=national_estimate,
        unit_overrides=per_unit,
    )


@cache
def national_estimate(year: int) -> YearSchedule:
    """The statutory days off of 国务院令第795号 in year; no 调休 (that waits for the notice)."""
    names = {day: name for name, days in statutory_holidays(year).items() for day in days}
    return YearSchedule(holidays=frozenset(names), names=names)


def _layer(name: str, block: Any) -> Layer:
    """One [layers.NAME] block with its festivals (for estimates) and its declared years."""
    where = f"layers.{name}"
    if not isinstance(block, dict) or set(block) - _LAYER_KEYS:
        raise ValueError(f"{where}: 只允许 {sorted(_LAYER_KEYS)} / unexpected keys")
    festivals = tuple(
        _festival(f, f"{where}.festivals[{i}]")
        for i, f in enumerate(_table_list(block.get("festivals", []), f"{where}.festivals"))
    )
    years = {
        _year_key(key, f"{where}.years"): year_schedule(key, y, f"{where}.years")
        for key, y in _table(block.get("years", {}), f"{where}.years").items()
    }
    required = tuple(str(r) for r in _table_list(block.get("required", []), f"{where}.required"))
    return Layer(
        name=name,
        label=str(block.get("label", name)),
        years=years,
        since=int(block.get("since", 0)),
        required=required,
        estimate=_festival_estimate(festivals) if festivals else None,
    )


def _festival(raw: Any, where: str) -> Festival:
    """{ name = "肉孜节", hijri = "10-01", days = 3, offset = 0 }"""
    try:
        month, day = (int(x) for x in str(raw["hijri"]).split("-"))
        return Festival(
            name=str(raw["name"]), month=month, day=day, days=int(raw.get("days", 1)), offset=int(raw.get("offset", 0))
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f'{where}: 需要 name 与 hijri = "MM-DD" / needs name and hijri: {exc}') from None


def _festival_estimate(festivals: tuple[Festival, ...]) -> Callable[[int], YearSchedule]:
    @cache
    def estimate(year: int) -> YearSchedule:
        names = {day: f.name for f in festivals for day in festival_days(year, f)}
        return YearSchedule(holidays=frozenset(names), names=names)

    return estimate


def _year_key(key: str, section: str) -> int:
    """A [years.NNNN] key as an int."""
    if not str(key).isdigit() or len(str(key)) != 4:
        raise ValueError(f"{section}.{key}: 年份必须是四位数字 / year must be four digits")
    return int(key)


def year_schedule(key: str | int, block: Any, section: str = "years") -> YearSchedule:
    """One year block; every date must lie in that year, and no day may be both off and working."""
    where = f"{section}.{key}"
    if not isinstance(block, dict) or set(block) - _YEAR_KEYS:
        raise ValueError(f"{where}: 只允许 {sorted(_YEAR_KEYS)} / unexpected keys")
    names: dict[date, str] = {}
    holidays = _dates_of(block.get("holidays", []), f"{where}.holidays", names)
    workdays = _dates_of(block.get("workdays", []), f"{where}.workdays", names)
    stray = sorted(d for d in holidays | workdays if d.year != int(key))
    if stray:
        raise ValueError(f"{where}: {stray[0]} 不在该年 / is not in year {key}")
    both = sorted(holidays & workdays)
    if both:
        raise ValueError(f"{where}: {both[0]} 既是假日又是工作日 / is both a holiday and a workday")
    published = block.get("published") or block.get("reported")
    source = Source(
        title=str(block.get("title", block.get("source", ""))),
        number=str(block.get("number", "")),
        published=_as_date(published, where) if published else None,
    )
    return YearSchedule(holidays=frozenset(holidays), workdays=frozenset(workdays), names=names, source=source)


def _table(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{where}: 需要表 / must be a table")
    return value


def _table_list(value: Any, where: str) -> list[Any]:
    """An array (of tables or dates), or a clear error."""
    if not isinstance(value, list):
        raise ValueError(f"{where}: 需要数组 / must be an array ([[{where}]] or a list)")
    return value


def _dates_of(entries: Any, where: str, names: dict[date, str] | None = None) -> set[date]:
    """All dates named by a list of entries (their names collected into names)."""
    days: set[date] = set()
    for i, entry in enumerate(_table_list(entries, where)):
        found = _entry_dates(entry, _where(where, i, entry))
        days.update(found)
        if names is not None and isinstance(entry, dict) and entry.get("name"):
            names.update(dict.fromkeys(found, str(entry["name"])))
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
    return date_range(start, end, where)


def date_range(start: date, end: date, where: str) -> list[date]:
    """start..end inclusive, or a clear error for a reversed or over-long range."""
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
