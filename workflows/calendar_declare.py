"""A year's schedule as an admin declares it (from a form, TOML or CSV) and the checks it must pass (pure)."""

from __future__ import annotations

import csv
import io
import re
import tomllib
from dataclasses import dataclass
from datetime import date

from workflows.calendar import Source, YearSchedule
from workflows.calendar_estimate import STATUTORY_DAYS, statutory_holidays
from workflows.calendar_file import date_range, year_schedule

NATIONAL = "national"
_OFF_WORDS = {"休", "放假", "假", "off", "holiday", "dayoff"}
_WORK_WORDS = {"班", "上班", "work", "workday", "makeup"}
_LINE_RE = re.compile(
    r"^\s*(\d{4}-\d{2}-\d{2})(?:\s*[~～至]\s*(\d{4}-\d{2}-\d{2}))?"
    r"[\s,，]+([^\s,，]+)(?:[\s,，]+(.*))?$"
)
FIRST_795_YEAR = 2025  # 国务院令第795号 applies from 2025


@dataclass(frozen=True)
class DeclaredDay:
    day: date
    working: bool  # True: a make-up working day (调休上班); False: a day off
    name: str = ""


@dataclass(frozen=True)
class Declaration:
    """One layer's whole schedule for one year, with the notice it comes from."""

    layer: str
    year: int
    days: tuple[DeclaredDay, ...]
    source: Source

    def schedule(self) -> YearSchedule:
        off = frozenset(d.day for d in self.days if not d.working)
        work = frozenset(d.day for d in self.days if d.working)
        return YearSchedule(
            holidays=off, workdays=work, names={d.day: d.name for d in self.days if d.name}, source=self.source
        )


@dataclass(frozen=True)
class Problem:
    """Why a declaration is refused: a code and what to fill into its message."""

    code: str  # missing_holiday | makeup_not_weekend | missing_festival | wrong_year | both | empty | bad_line
    detail: str = ""


class ScheduleError(ValueError):
    """A schedule text that cannot be read; `line` is 1-based when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.line = line
        super().__init__(f"第 {line} 行 / line {line}: {message}" if line else message)


def parse_lines(text: str) -> tuple[DeclaredDay, ...]:
    """One entry a line: `2027-01-01 休 元旦` or `2027-02-06~2027-02-13 休 春节` or `2027-02-14 班 春节调休`.
    Commas work as separators too, so a CSV with columns date,end,kind,name is read by parse_csv."""
    days: list[DeclaredDay] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _LINE_RE.match(line)
        if match is None:
            raise ScheduleError("应为“日期[~结束日期] 休/班 名称” / expected 'date[~end] off/work name'", number)
        days.extend(_entry(match.group(1), match.group(2), match.group(3), match.group(4) or "", number))
    return tuple(days)


def parse_csv(text: str) -> tuple[DeclaredDay, ...]:
    """A CSV file with a header naming date, kind and optionally end and name."""
    rows = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if not rows.fieldnames or not {"date", "kind"} <= {f.strip() for f in rows.fieldnames}:
        raise ScheduleError("CSV 需要表头 date,end,kind,name / the CSV needs a header date,end,kind,name", 1)
    days: list[DeclaredDay] = []
    for number, row in enumerate(rows, 2):
        row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        days.extend(_entry(row["date"], row.get("end") or None, row["kind"], row.get("name", ""), number))
    return tuple(days)


def parse_toml(text: str, year: int) -> tuple[tuple[DeclaredDay, ...], Source]:
    """A TOML block like the overlay's year blocks: title, number, published, holidays, workdays."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScheduleError(f"TOML 格式错误 / invalid TOML: {exc}") from exc
    try:
        schedule = year_schedule(year, raw, "schedule")
    except ValueError as exc:
        raise ScheduleError(str(exc)) from exc
    days = [DeclaredDay(d, False, schedule.names.get(d, "")) for d in schedule.holidays]
    days += [DeclaredDay(d, True, schedule.names.get(d, "")) for d in schedule.workdays]
    return tuple(sorted(days, key=lambda d: d.day)), schedule.source or Source()


def _entry(first: str, last: str | None, kind: str, name: str, line: int) -> list[DeclaredDay]:
    kind = kind.strip().lower()
    if kind not in _OFF_WORDS | _WORK_WORDS:
        raise ScheduleError(f"类型应为“休”或“班” / kind must be off or work: {kind[:12]!r}", line)
    try:
        start = date.fromisoformat(first)
        days = date_range(start, date.fromisoformat(last) if last else start, "")
    except ValueError as exc:
        raise ScheduleError(f"日期无效 / bad date: {exc}", line) from None
    return [DeclaredDay(day, kind in _WORK_WORDS, name.strip()[:40]) for day in days]


def problems(declaration: Declaration, *, required: tuple[str, ...] = ()) -> list[Problem]:
    """Everything that makes the declaration unacceptable; empty when it may be confirmed."""
    found: list[Problem] = []
    if not declaration.days:
        return [Problem("empty")]
    seen: dict[date, bool] = {}
    for entry in declaration.days:
        if entry.day.year != declaration.year:
            found.append(Problem("wrong_year", entry.day.isoformat()))
        if seen.get(entry.day, entry.working) != entry.working:
            found.append(Problem("both", entry.day.isoformat()))
        seen[entry.day] = entry.working
        if entry.working and entry.day.weekday() < 5:
            found.append(Problem("makeup_not_weekend", entry.day.isoformat()))
    if declaration.layer == NATIONAL and declaration.year >= FIRST_795_YEAR:
        found += _missing_statutory(declaration)
    names = " ".join(d.name for d in declaration.days if not d.working)
    found += [Problem("missing_festival", name) for name in required if name not in names]
    return found


def _missing_statutory(declaration: Declaration) -> list[Problem]:
    """Each statutory holiday's days must be off: declared off, or a weekend not declared working."""
    working = {d.day for d in declaration.days if d.working}
    off = {d.day for d in declaration.days if not d.working}
    missing = []
    for name, days in statutory_holidays(declaration.year).items():
        lacking = [d for d in days if d not in off and (d.weekday() < 5 or d in working)]
        if lacking:
            missing.append(
                Problem(
                    "missing_holiday", f"{name}（{STATUTORY_DAYS[name]}）: " + "、".join(d.isoformat() for d in lacking)
                )
            )
    return missing
