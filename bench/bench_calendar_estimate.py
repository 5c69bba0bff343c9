"""How close the estimate of an undeclared year comes: 2024–2026 treated as unknown.

For every start day of each year, the deadline of 1, 5 and 15 working days and of 60 calendar days (民法典
Art 203 roll-forward) is computed twice: on the declared calendar (chinesecalendar, plus the region's days
where this deployment knows them: 2025, 2026) and on the estimate (weekends, 国务院令第795号's statutory days
from the lunar calendar and 清明, the Hijri festivals of the Xinjiang layer). Prints how often they agree.

Run from the repository root: python bench/bench_calendar_estimate.py
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # import the project from a checkout

from workflows.calendar import WorkCalendar  # noqa: E402
from workflows.calendar_file import load_calendar_data, national_estimate  # noqa: E402

YEARS = (2024, 2025, 2026)
LIMITS = (("1 workdays", 1, True), ("5 workdays", 5, True), ("15 workdays", 15, True), ("60 days", 60, False))
IsWork = Callable[[date], bool]


def declared_and_estimated(year: int) -> tuple[IsWork, IsWork]:
    """The declared working days of a Xinjiang unit in year's row and their estimate, as predicates. The 2024
    row compares national days only (the region's 2024 days are not known here), the others national + region."""
    national = WorkCalendar()
    layer = load_calendar_data(Path(__file__).resolve().parents[1] / "workflows" / "calendar_overlay.toml").layers[0]
    regional = year in layer.years

    def declared(day: date) -> bool:
        if day.year > 2026:  # past the published schedules: compare on the estimate
            return estimated(day)
        known = layer.years.get(day.year)
        return national.is_workday(day) and not (regional and known and day in known.holidays)

    def estimated(day: date) -> bool:
        festivals = layer.estimate(day.year).holidays if regional and layer.estimate else frozenset()
        return day.weekday() < 5 and day not in national_estimate(day.year).holidays and day not in festivals

    return declared, estimated


def deadline(start: date, amount: int, workdays: bool, is_work: IsWork) -> date:
    """The last day of a period started on start (start not counted)."""
    day = start
    if workdays:
        while amount:
            day += timedelta(1)
            amount -= is_work(day)
        return day
    day = start + timedelta(amount)
    while not is_work(day):
        day += timedelta(1)
    return day


def main() -> None:
    print(f"{'year':<6}" + "".join(f"{label:>14}" for label, _, _ in LIMITS) + f"{'start days':>12}")
    totals = {label: [0, 0] for label, _, _ in LIMITS}
    for year in YEARS:
        declared, estimated = declared_and_estimated(year)
        starts = [date(year, 1, 1) + timedelta(i) for i in range((date(year, 12, 31) - date(year, 1, 1)).days + 1)]
        cells = []
        for label, amount, workdays in LIMITS:
            same = sum(
                deadline(s, amount, workdays, declared) == deadline(s, amount, workdays, estimated) for s in starts
            )
            totals[label][0] += same
            totals[label][1] += len(starts)
            cells.append(f"{100 * same / len(starts):>13.1f}%")
        print(f"{year:<6}" + "".join(cells) + f"{len(starts):>12}")
    print(f"{'all':<6}" + "".join(f"{100 * s / n:>13.1f}%" for s, n in totals.values()))
    print("2024: national days only (the region's 2024 notice is not known here); 2025–2026: national + Xinjiang")


if __name__ == "__main__":
    main()
