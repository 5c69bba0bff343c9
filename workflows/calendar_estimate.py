"""What is certain about a year before its notice is published (pure).

The statutory holidays of 国务院令第795号 fall on fixed dates, on dates of the Chinese lunar calendar, or on a
solar term; the Islamic festivals Xinjiang observes follow the Hijri calendar (Umm al-Qura). Only the
bridging days and 调休 wait for the notice, so an estimate built from these is close but never final.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from hijridate import Hijri
from lunar_python import Lunar, Solar

# 国务院令第795号 (from 2025): 元旦 1, 春节 4 (除夕 to 初三), 清明 1, 劳动节 2, 端午 1, 中秋 1, 国庆 3
STATUTORY_DAYS = {"元旦": 1, "春节": 4, "清明节": 1, "劳动节": 2, "端午节": 1, "中秋节": 1, "国庆节": 3}


@cache
def statutory_holidays(year: int) -> dict[str, tuple[date, ...]]:
    """Each statutory holiday of the year and its days, from fixed dates, the lunar calendar and 清明."""
    new_year = _lunar(year, 1, 1)
    return {
        "元旦": (date(year, 1, 1),),
        "春节": tuple(new_year + timedelta(i) for i in range(-1, 3)),  # 除夕 is the eve of 初一
        "清明节": (_solar_term(year, "清明"),),
        "劳动节": (date(year, 5, 1), date(year, 5, 2)),
        "端午节": (_lunar(year, 5, 5),),
        "中秋节": (_lunar(year, 8, 15),),
        "国庆节": tuple(date(year, 10, d) for d in (1, 2, 3)),
    }


def _lunar(year: int, month: int, day: int) -> date:
    """The Gregorian date of a lunar month/day in the lunar year starting in `year`."""
    solar = Lunar.fromYmd(year, month, day).getSolar()
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


def _solar_term(year: int, name: str) -> date:
    """The day of a solar term (节气) in year."""
    solar: Solar = Lunar.fromYmd(year, 3, 1).getJieQiTable()[name]
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


@dataclass(frozen=True)
class Festival:
    """A festival on a Hijri month/day and the days off a region usually gives for it (from that day)."""

    name: str
    month: int
    day: int
    days: int = 1
    offset: int = 0  # first day off relative to the festival day


def festival_days(year: int, festival: Festival) -> tuple[date, ...]:
    """The estimated days off for festival in Gregorian year (a Hijri year is shorter: there may be two)."""
    found: list[date] = []
    for hijri_year in (year - 580, year - 579, year - 578):
        try:
            day = Hijri(hijri_year, festival.month, festival.day).to_gregorian()
        except (ValueError, OverflowError):  # outside the Umm al-Qura table
            continue
        first = date(day.year, day.month, day.day) + timedelta(festival.offset)
        found.extend(d for d in (first + timedelta(i) for i in range(festival.days)) if d.year == year)
    return tuple(sorted(found))
