"""OfficeHours: periods, seasons, lunch gaps, days off, and the arithmetic against a slow reference."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from workflows.calendar import CalendarUnknown, WorkCalendar
from workflows.calendar_file import overlay_calendar
from workflows.office_hours import OfficeHours, Period, Season

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def calendar() -> WorkCalendar:
    return overlay_calendar().estimating()  # 2024: national days plus the estimated festivals


@pytest.fixture(scope="module")
def hours(calendar: WorkCalendar) -> OfficeHours:
    return OfficeHours.xinjiang_default(calendar)


@pytest.fixture(scope="module")
def uneven(calendar: WorkCalendar) -> OfficeHours:
    """Three seasons of different daily lengths (3 h, 7 h, 1.5 h), to exercise whole-day skipping."""
    return OfficeHours(
        [
            Season((6, 15), (Period(time(9), time(12)), Period(time(14), time(18)))),
            Season((3, 1), (Period(time(9), time(12)),)),
            Season((11, 1), (Period(time(10), time(11, 30)),)),
        ],
        calendar,
    )


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=TZ)


def reference_add(office: OfficeHours, start: datetime, hours: float) -> datetime:
    """Slow but obvious: walk every day and every period."""
    left, day = timedelta(hours=hours), start.date()
    while True:
        if office.calendar.is_workday(day):
            for period in office.season_for(day).periods:
                begin = max(datetime.combine(day, period.start, TZ), start)
                end = datetime.combine(day, period.end, TZ)
                if begin < end:
                    if left <= end - begin:
                        return begin + left
                    left -= end - begin
        day += timedelta(1)


@pytest.mark.parametrize(
    ("day", "first_start"),
    [
        (date(2024, 4, 30), (10, 1)),
        (date(2024, 5, 1), (5, 1)),
        (date(2024, 9, 30), (5, 1)),
        (date(2024, 10, 1), (10, 1)),
        (date(2025, 1, 15), (10, 1)),  # winter wraps over new year
    ],
)
def test_season_in_force(hours: OfficeHours, day: date, first_start: tuple[int, int]) -> None:
    assert hours.season_for(day).starts == first_start


@pytest.mark.parametrize(
    ("moment", "open_"),
    [
        (at(2024, 6, 3, 10), True),
        (at(2024, 6, 3, 13, 59), True),
        (at(2024, 6, 3, 14), False),  # lunch gap
        (at(2024, 6, 3, 15, 45), False),  # summer afternoon starts at 16:00
        (at(2024, 6, 3, 16), True),
        (at(2024, 6, 3, 20), False),
        (at(2024, 12, 2, 15, 45), True),  # winter afternoon starts at 15:30
        (at(2024, 12, 2, 19, 45), False),
        (at(2024, 6, 8, 11), False),  # Saturday
        (at(2024, 6, 10, 11), False),  # 端午节
        (at(2024, 9, 29, 11), True),  # Sunday 调休 working day
        (at(2025, 3, 31, 11), False),  # 肉孜节 (Xinjiang)
        (datetime(2024, 6, 3, 2, 30, tzinfo=UTC), True),  # 10:30 Beijing time
    ],
)
def test_is_open(hours: OfficeHours, moment: datetime, open_: bool) -> None:
    assert hours.is_open(moment) is open_


@pytest.mark.parametrize(
    ("start", "amount", "expected"),
    [
        (at(2024, 6, 3, 13), 2, at(2024, 6, 3, 17)),  # summer lunch gap 14–16
        (at(2024, 12, 2, 13), 2, at(2024, 12, 2, 16, 30)),  # winter lunch gap 14–15:30
        (at(2024, 6, 3, 10), 4, at(2024, 6, 3, 14)),  # exactly a period: ends at its end
        (at(2024, 6, 3, 14, 30), 1, at(2024, 6, 3, 17)),  # starts during lunch
        (at(2024, 6, 3, 22, 30), 1, at(2024, 6, 4, 11)),  # starts at night
        (at(2024, 6, 4, 3), 1, at(2024, 6, 4, 11)),  # starts before dawn
        (at(2024, 6, 7, 19), 2, at(2024, 6, 11, 11)),  # Fri night, weekend, 端午 Monday
        (at(2024, 6, 8, 12), 1, at(2024, 6, 11, 11)),  # starts on a Saturday
        (at(2024, 9, 30, 19), 2, at(2024, 10, 8, 11)),  # National Day, then winter
        (at(2024, 9, 30, 18), 7, at(2024, 10, 8, 16, 30)),  # summer 2 h, winter 4 h + 1 h after 15:30
        (at(2025, 4, 30, 19), 6, at(2025, 5, 6, 17, 30)),  # winter 0.5 h, 劳动节, summer 4 h + 1.5 h
        (at(2025, 3, 28, 19), 1, at(2025, 4, 1, 10, 30)),  # Fri: 0.5 h, skips 肉孜节 3/29–31
        (at(2024, 6, 3, 12), 0, at(2024, 6, 3, 12)),
    ],
)
def test_add_office_hours(hours: OfficeHours, start: datetime, amount: float, expected: datetime) -> None:
    assert hours.add_office_hours(start, amount) == expected
    assert hours.office_hours_between(start, expected) == pytest.approx(amount)


def test_result_keeps_the_input_timezone(hours: OfficeHours) -> None:
    start = datetime(2024, 6, 3, 5, tzinfo=UTC)  # 13:00 in Beijing
    due = hours.add_office_hours(start, 2)
    assert due.tzinfo is UTC and due == at(2024, 6, 3, 17)


def test_office_hours_between(hours: OfficeHours) -> None:
    assert hours.office_hours_between(at(2024, 6, 3, 13), at(2024, 6, 3, 17)) == 2.0
    assert hours.office_hours_between(at(2024, 6, 7, 12), at(2024, 6, 11, 12)) == 8.0
    assert hours.office_hours_between(at(2024, 9, 30, 0), at(2024, 10, 9, 0)) == 16.0  # 9/30 and 10/8
    assert hours.office_hours_between(at(2024, 6, 3, 17), at(2024, 6, 3, 13)) == -2.0
    assert hours.office_hours_between(at(2024, 6, 8, 9), at(2024, 6, 9, 21)) == 0.0
    # one week of 2024 winter: five days of 8 h
    assert hours.office_hours_between(at(2024, 12, 2), at(2024, 12, 9)) == 40.0


def test_subtract_office_hours(hours: OfficeHours) -> None:
    assert hours.subtract_office_hours(at(2024, 6, 4, 11), 2) == at(2024, 6, 3, 19)
    assert hours.subtract_office_hours(at(2024, 6, 3, 17), 2) == at(2024, 6, 3, 13)
    assert hours.subtract_office_hours(at(2024, 10, 8, 11), 2) == at(2024, 9, 30, 19)
    assert hours.add_office_hours(at(2024, 6, 4, 11), -2) == at(2024, 6, 3, 19)


def test_random_add_matches_reference_with_uneven_seasons(uneven: OfficeHours) -> None:
    rng = random.Random(7)
    for _ in range(300):
        start = at(2024, 1, 1) + timedelta(minutes=rng.randrange(2 * 365 * 1440))
        amount = rng.choice([rng.randrange(1, 40) / 4, rng.randrange(1, 1200) / 2])
        due = uneven.add_office_hours(start, amount)
        assert due == reference_add(uneven, start, amount), (start, amount)
        assert uneven.office_hours_between(start, due) == pytest.approx(amount)


def test_random_subtract_inverts_add(uneven: OfficeHours, hours: OfficeHours) -> None:
    rng = random.Random(11)
    for office in (uneven, hours):
        checked = 0
        while checked < 200:
            start = at(2024, 1, 1) + timedelta(minutes=rng.randrange(2 * 365 * 1440))
            if not office.is_open(start):
                continue
            amount = rng.randrange(1, 2400) / 4
            due = office.add_office_hours(start, amount)
            assert office.subtract_office_hours(due, amount) == start, (start, amount)
            checked += 1


def test_refuses_naive_and_unknown() -> None:
    hours = OfficeHours.xinjiang_default(overlay_calendar())
    with pytest.raises(ValueError, match="aware"):
        hours.add_office_hours(datetime(2024, 6, 3, 10), 1)
    with pytest.raises(CalendarUnknown):
        hours.add_office_hours(at(2026, 12, 31, 10), 20)
    with pytest.raises(CalendarUnknown):
        hours.is_open(at(2027, 1, 4, 11))


def test_bad_shapes_are_refused() -> None:
    with pytest.raises(ValueError):
        Period(time(14), time(10))
    with pytest.raises(ValueError):
        Season((5, 1), (Period(time(10), time(14)), Period(time(13), time(18))))
    with pytest.raises(ValueError):
        Season((2, 29), (Period(time(10), time(14)),))
