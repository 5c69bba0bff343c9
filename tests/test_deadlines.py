"""Limits and deadlines: 民法典 day counting, working days, office hours, pauses and warnings."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from workflows.calendar import CalendarUnknown, WorkCalendar
from workflows.calendar_file import overlay_calendar
from workflows.deadlines import Limit, LimitUnit, due_at, remaining, shift_after_pause, warn_at
from workflows.office_hours import OfficeHours

TZ = ZoneInfo("Asia/Shanghai")
U = LimitUnit


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=TZ)


@pytest.fixture(scope="module")
def national() -> WorkCalendar:
    return WorkCalendar()


@pytest.fixture(scope="module")
def ctx(national: WorkCalendar) -> dict:
    return {"calendar": national, "office_hours": OfficeHours.xinjiang_default(national)}


@pytest.fixture(scope="module")
def xj() -> dict:
    calendar = overlay_calendar()
    return {"calendar": calendar, "office_hours": OfficeHours.xinjiang_default(calendar)}


@pytest.mark.parametrize(
    ("text", "limit"),
    [
        ("5 workdays", Limit(5, U.WORKDAYS)),
        ("2 office_hours", Limit(2, U.OFFICE_HOURS)),
        ("1.5 office_hours", Limit(1.5, U.OFFICE_HOURS)),
        ("60 days", Limit(60, U.DAYS)),
        ("24 hours", Limit(24, U.HOURS)),
        ("5个工作日", Limit(5, U.WORKDAYS)),
        ("15日", Limit(15, U.DAYS)),
        ("2小时", Limit(2, U.HOURS)),
        ("2 工作小时", Limit(2, U.OFFICE_HOURS)),
        ("  1 Workday ", Limit(1, U.WORKDAYS)),
    ],
)
def test_parse(text: str, limit: Limit) -> None:
    parsed = Limit.parse(text)
    assert parsed == limit and parsed.unit is limit.unit
    assert Limit.parse(str(parsed)) == parsed


def test_str_is_canonical() -> None:
    assert str(Limit.parse("5个工作日")) == "5 workdays"
    assert str(Limit(1.5, "office_hours")) == "1.5 office_hours"
    assert Limit(3, "days").unit is U.DAYS


@pytest.mark.parametrize("junk", ["", "5", "workdays", "5 weeks", "-5 days", "1.5 workdays", "五个工作日", "5 days!"])
def test_parse_refuses_junk(junk: str) -> None:
    with pytest.raises(ValueError):
        Limit.parse(junk)


@pytest.mark.parametrize(
    ("start", "limit", "expected"),
    [
        (at(2024, 9, 25, 10), "5 days", at(2024, 10, 1)),  # last day Mon 9/30
        (at(2024, 9, 26, 10), "5 days", at(2024, 10, 9)),  # last day 10/1: moves past National Day
        (at(2024, 6, 3, 23, 59), "5 days", at(2024, 6, 12)),  # Sat 6/8 → Sun, 端午 Mon → Tue 6/11
        (at(2024, 2, 13, 9), "5 days", at(2024, 2, 19)),  # Sunday 2/18 is a 调休 working day: stays
        (at(2024, 8, 2, 16), "60 days", at(2024, 10, 9)),  # 信访 60 日 ending on 10/1
        (at(2024, 2, 8, 15), "3 workdays", at(2024, 2, 20)),  # 2/9, 2/18 (Sunday), 2/19
        (at(2024, 9, 27, 11), "5 workdays", at(2024, 10, 11)),  # 9/29, 9/30, 10/8, 10/9, 10/10
        (at(2024, 6, 3, 13), "2 office_hours", at(2024, 6, 3, 17)),
        (at(2024, 6, 7, 19), "2 office_hours", at(2024, 6, 11, 11)),
        (at(2024, 10, 1, 9), "24 hours", at(2024, 10, 2, 9)),  # clock hours ignore holidays
    ],
)
def test_due_at(ctx: dict, start: datetime, limit: str, expected: datetime) -> None:
    due = due_at(start, Limit.parse(limit), **ctx)
    assert due == expected and due.tzinfo is start.tzinfo


def test_due_at_keeps_the_start_timezone(ctx: dict) -> None:
    utc = timezone(timedelta(hours=8), "CST")
    due = due_at(datetime(2024, 2, 8, 15, tzinfo=utc), Limit(3, U.WORKDAYS), **ctx)
    assert due == datetime(2024, 2, 20, tzinfo=utc) and due.tzinfo is utc


def test_xinjiang_overlay_moves_deadlines(ctx: dict, xj: dict) -> None:
    start, limit = at(2025, 3, 27, 10), Limit(5, U.WORKDAYS)
    assert due_at(start, limit, **ctx) == at(2025, 4, 4)  # 3/28, 3/31, 4/1, 4/2, 4/3
    assert due_at(start, limit, **xj) == at(2025, 4, 8)  # 肉孜节 3/29–31 and 清明 4/4 are off
    # a 2-day limit whose last day is 肉孜节 Monday 3/31 moves to Tuesday
    assert due_at(at(2025, 3, 29, 10), Limit(2, U.DAYS), **ctx) == at(2025, 4, 1)
    assert due_at(at(2025, 3, 29, 10), Limit(2, U.DAYS), **xj) == at(2025, 4, 2)


@pytest.mark.parametrize(
    ("start", "limit"),
    [
        (at(2026, 12, 20, 10), "10 workdays"),
        (at(2026, 12, 20, 10), "15 days"),
        (at(2027, 1, 4, 10), "1 days"),
        (at(2026, 12, 31, 19), "5 office_hours"),
    ],
)
def test_unknown_years_are_never_guessed(ctx: dict, start: datetime, limit: str) -> None:
    with pytest.raises(CalendarUnknown):
        due_at(start, Limit.parse(limit), **ctx)


def test_remaining(ctx: dict) -> None:
    due = due_at(at(2024, 2, 8, 15), Limit(3, U.WORKDAYS), **ctx)  # last day 2/19
    assert remaining(due, at(2024, 2, 8, 16), U.WORKDAYS, **ctx) == 3
    assert remaining(due, at(2024, 2, 9, 12), U.WORKDAYS, **ctx) == 2
    assert remaining(due, at(2024, 2, 19, 12), U.WORKDAYS, **ctx) == 0  # today is the last day
    assert remaining(due, at(2024, 2, 21, 12), U.WORKDAYS, **ctx) == -2  # 2/20 and 2/21 overdue
    assert remaining(at(2024, 6, 3, 17), at(2024, 6, 3, 13), U.OFFICE_HOURS, **ctx) == 2.0
    assert remaining(at(2024, 3, 19), at(2024, 3, 5, 9), U.DAYS, **ctx) == 13
    assert remaining(at(2024, 3, 19), at(2024, 3, 18, 9), U.HOURS, **ctx) == 15.0


def test_shift_after_pause_workdays(ctx: dict) -> None:
    due = due_at(at(2024, 6, 3, 9), Limit(5, U.WORKDAYS), **ctx)
    assert due == at(2024, 6, 12)  # 6/4–6/7 and 6/11 (端午 Monday 6/10 off)
    # paused Wed 6/5: 6/6, 6/7, 6/11 remain; resumed Thu 6/13: 6/14, 6/17, 6/18
    assert shift_after_pause(due, at(2024, 6, 5, 15), at(2024, 6, 13, 9), U.WORKDAYS, **ctx) == at(2024, 6, 19)
    assert shift_after_pause(due, at(2024, 6, 5, 9), at(2024, 6, 5, 17), U.WORKDAYS, **ctx) == due


def test_shift_after_pause_office_hours(ctx: dict) -> None:
    due = due_at(at(2024, 6, 3, 13), Limit(6, U.OFFICE_HOURS), **ctx)
    assert due == at(2024, 6, 4, 11)
    # paused 17:00 with 3 h today + 1 h tomorrow left; resumed Wed 19:00: 1 h, then 3 h on Thursday
    assert shift_after_pause(due, at(2024, 6, 3, 17), at(2024, 6, 5, 19), U.OFFICE_HOURS, **ctx) == at(2024, 6, 6, 13)


def test_shift_after_pause_days_and_hours(ctx: dict) -> None:
    due = due_at(at(2024, 3, 1, 10), Limit(15, U.DAYS), **ctx)
    assert due == at(2024, 3, 19)  # 3/16 is Saturday → Monday 3/18
    # 13 calendar days left at the pause; from 3/10 the last day is Sat 3/23 → Mon 3/25
    assert shift_after_pause(due, at(2024, 3, 5, 9), at(2024, 3, 10, 9), U.DAYS, **ctx) == at(2024, 3, 26)
    due = at(2024, 3, 2, 12)
    assert shift_after_pause(due, at(2024, 3, 1, 12), at(2024, 3, 1, 18), U.HOURS, **ctx) == at(2024, 3, 2, 18)


def test_warn_at(ctx: dict) -> None:
    due = at(2024, 6, 18)  # last day Monday 6/17
    assert warn_at(due, Limit(1, U.WORKDAYS), **ctx) == at(2024, 6, 14)
    assert warn_at(due, Limit(3, U.DAYS), **ctx) == at(2024, 6, 14)
    assert warn_at(at(2024, 6, 4, 11), Limit(2, U.OFFICE_HOURS), **ctx) == at(2024, 6, 3, 19)
    assert warn_at(due, Limit(6, U.HOURS), **ctx) == at(2024, 6, 17, 18)
    with pytest.raises(CalendarUnknown):
        warn_at(at(2004, 1, 6), Limit(3, U.WORKDAYS), **ctx)


def test_warn_at_is_when_a_fresh_lead_would_end_at_due(ctx: dict) -> None:
    rng = random.Random(3)
    for _ in range(500):
        start = at(2024, 1, 1) + timedelta(minutes=rng.randrange(2 * 365 * 1440))
        limit = Limit(rng.randrange(5, 30), rng.choice([U.WORKDAYS, U.DAYS]))
        lead = Limit(rng.randrange(1, 5), limit.unit)
        due = due_at(start, limit, **ctx)
        warning = warn_at(due, lead, **ctx)
        assert start < warning < due
        if lead.unit is U.WORKDAYS:
            assert due_at(warning, lead, **ctx) == due
            assert remaining(due, warning, U.WORKDAYS, **ctx) == lead.amount


def test_naive_datetimes_are_refused(ctx: dict) -> None:
    with pytest.raises(ValueError, match="aware"):
        due_at(datetime(2024, 6, 3, 9), Limit(5, U.WORKDAYS), **ctx)
