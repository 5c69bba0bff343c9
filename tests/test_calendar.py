"""WorkCalendar: national schedule against the `holidays` oracle, overlay, overrides, horizon."""

from __future__ import annotations

import random
import re
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import holidays
import pytest

from workflows.calendar import (
    DAY_KINDS,
    DEFAULT_OVERLAY,
    CalendarData,
    CalendarUnknown,
    WorkCalendar,
    YearSchedule,
)
from workflows.calendar_file import load_calendar_data, overlay_calendar

XINJIANG_DAYS = {
    date(2022, 5, 5),
    *(date(2022, 7, d) for d in range(9, 14)),
    date(2023, 4, 21),
    *(date(2023, 6, d) for d in range(28, 31)),
    *(date(2025, 3, d) for d in range(29, 32)),
    *(date(2025, 6, d) for d in range(6, 11)),
    *(date(2026, 3, d) for d in range(20, 23)),
    *(date(2026, 5, d) for d in range(27, 32)),
}


@pytest.fixture(scope="module")
def national() -> WorkCalendar:
    return WorkCalendar()


@pytest.fixture(scope="module")
def xinjiang() -> WorkCalendar:
    return overlay_calendar()


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(i) for i in range((last - first).days + 1)]


def test_every_day_2024_2026_matches_holidays_package(national: WorkCalendar) -> None:
    oracle = holidays.China(years=range(2024, 2027))
    makeup = {d for d in oracle.weekend_workdays if 2024 <= d.year <= 2026}
    assert len(makeup) == 19  # the 调休 Saturdays/Sundays of three published schedules
    days = _days(date(2024, 1, 1), date(2026, 12, 31))
    expected = {d: (d.weekday() < 5 and d not in oracle) or d in makeup for d in days}
    mismatches = [d for d in days if national.is_workday(d) != expected[d]]
    assert len(days) == 1096 and mismatches == []


def test_day_kind_agrees_with_is_workday(xinjiang: WorkCalendar) -> None:
    working = {"workday", "makeup_workday", "override_workday", "regional_workday"}
    estimated = xinjiang.estimating()  # 2024 and 2027–2028 are estimated, the rest declared
    for day in _days(date(2022, 1, 1), date(2028, 12, 31)):
        kind = estimated.day_kind(day)
        assert kind in DAY_KINDS
        assert (kind in working) == estimated.is_workday(day), day


@pytest.mark.parametrize(
    ("day", "working", "kind"),
    [
        (date(2024, 2, 4), True, "makeup_workday"),  # Sunday
        (date(2026, 2, 14), True, "makeup_workday"),  # Saturday
        (date(2025, 2, 4), False, "holiday"),  # Tuesday
        (date(2026, 2, 23), False, "holiday"),  # Monday
        (date(2024, 2, 18), True, "makeup_workday"),
        (date(2024, 10, 1), False, "holiday"),
        (date(2024, 6, 8), False, "weekend"),
        (date(2024, 6, 7), True, "workday"),
    ],
)
def test_known_facts(national: WorkCalendar, day: date, working: bool, kind: str) -> None:
    assert national.is_workday(day) is working
    assert national.day_kind(day) == kind


def test_default_overlay_holds_the_xinjiang_days() -> None:
    data = load_calendar_data(DEFAULT_OVERLAY)
    (layer,) = data.layers
    assert layer.name == "xinjiang" and sorted(layer.years) == [2022, 2023, 2025, 2026]  # 2024 not known here
    assert set().union(*(y.holidays for y in layer.years.values())) == XINJIANG_DAYS
    assert all(y.source and y.source.title for y in layer.years.values())
    assert layer.years[2026].source.published == date(2025, 12, 26)
    assert data.overrides == {} and data.extra_years == {} and data.regional_holidays == frozenset()


def test_regional_days_are_days_off(national: WorkCalendar, xinjiang: WorkCalendar) -> None:
    for day in XINJIANG_DAYS:
        assert not xinjiang.is_workday(day)
        assert xinjiang.day_kind(day) == "regional_holiday"
    assert national.is_workday(date(2025, 3, 31)) and not xinjiang.is_workday(date(2025, 3, 31))
    # Thu 2025-03-27 + 3: national Fri 28, Mon 31, Tue 4/1; Xinjiang skips 3/29–31.
    assert national.add_workdays(date(2025, 3, 27), 3) == date(2025, 4, 1)
    assert xinjiang.add_workdays(date(2025, 3, 27), 3) == date(2025, 4, 2)


def test_overrides_are_applied_last() -> None:
    data = CalendarData(
        regional_holidays=frozenset({date(2025, 6, 9)}),
        overrides={date(2024, 2, 4): False, date(2024, 2, 10): True, date(2025, 6, 9): True},
    )
    calendar = WorkCalendar(data)
    assert not calendar.is_workday(date(2024, 2, 4))
    assert calendar.day_kind(date(2024, 2, 4)) == "override_dayoff"
    assert calendar.is_workday(date(2024, 2, 10))
    assert calendar.day_kind(date(2024, 2, 10)) == "override_workday"
    assert calendar.is_workday(date(2025, 6, 9))  # beats the regional day off


def test_extra_year_extends_the_horizon() -> None:
    schedule = YearSchedule(
        holidays=frozenset({date(2027, 1, 1), date(2027, 2, 8)}), workdays=frozenset({date(2027, 2, 14)})
    )
    calendar = WorkCalendar(CalendarData(extra_years={2027: schedule, 2029: YearSchedule()}))
    assert calendar.horizon() == date(2027, 12, 31)  # 2029 does not follow 2027, so it is not known
    assert not calendar.is_workday(date(2027, 1, 1))  # Friday, declared holiday
    assert calendar.is_workday(date(2027, 1, 4))
    assert calendar.is_workday(date(2027, 2, 14)) and calendar.day_kind(date(2027, 2, 14)) == "makeup_workday"
    assert calendar.add_workdays(date(2026, 12, 31), 1) == date(2027, 1, 4)
    assert calendar.workdays_between(date(2026, 12, 31), date(2027, 1, 8)) == 5
    with pytest.raises(CalendarUnknown):
        calendar.is_workday(date(2028, 1, 3))


def test_commented_example_year_parses(tmp_path: Path) -> None:
    text = DEFAULT_OVERLAY.read_text(encoding="utf-8")
    block = text[text.index("# [years.2027]") :]
    uncommented = re.sub(r"^# ?", "", block, flags=re.MULTILINE)
    (tmp_path / "o.toml").write_text(uncommented, encoding="utf-8")
    calendar = WorkCalendar(load_calendar_data(tmp_path / "o.toml"))
    assert calendar.horizon() == date(2027, 12, 31)
    assert not calendar.is_workday(date(2027, 2, 8)) and calendar.is_workday(date(2027, 2, 14))


@pytest.mark.parametrize("day", [date(2027, 1, 4), date(2003, 12, 31), date(2030, 6, 1)])
def test_unknown_dates_raise(national: WorkCalendar, day: date) -> None:
    with pytest.raises(CalendarUnknown) as caught:
        national.is_workday(day)
    assert str(day) in str(caught.value) and "2026-12-31" in str(caught.value)
    assert isinstance(caught.value, ValueError) and caught.value.horizon == date(2026, 12, 31)


def test_unknown_results_raise(national: WorkCalendar) -> None:
    assert national.horizon() == date(2026, 12, 31)
    assert national.add_workdays(date(2026, 12, 24), 4) == date(2026, 12, 30)
    with pytest.raises(CalendarUnknown, match="2027-01-01"):
        national.add_workdays(date(2026, 12, 24), 7)
    with pytest.raises(CalendarUnknown):
        national.add_workdays(date(2004, 1, 5), -3)
    with pytest.raises(CalendarUnknown):
        national.workdays_between(date(2026, 12, 1), date(2027, 1, 5))


def test_add_workdays(national: WorkCalendar) -> None:
    assert national.add_workdays(date(2024, 2, 8), 3) == date(2024, 2, 19)
    assert national.add_workdays(date(2024, 2, 8), 0) == date(2024, 2, 8)
    assert national.add_workdays(date(2024, 2, 10), 0) == date(2024, 2, 10)  # a day off stays put
    assert national.add_workdays(date(2024, 2, 19), -1) == date(2024, 2, 18)
    assert national.add_workdays(date(2024, 2, 17), -2) == date(2024, 2, 8)
    assert national.next_workday(date(2024, 9, 30)) == date(2024, 10, 8)
    assert national.next_workday(date(2024, 9, 28)) == date(2024, 9, 29)  # Sunday 调休


def test_workdays_between(national: WorkCalendar) -> None:
    assert national.workdays_between(date(2024, 2, 8), date(2024, 2, 19)) == 3
    assert national.workdays_between(date(2024, 2, 19), date(2024, 2, 8)) == -3
    assert national.workdays_between(date(2024, 2, 10), date(2024, 2, 17)) == 0
    # 2024 had 251 working days; Jan 1 (元旦) is not one, so (1/1, 12/31] holds them all
    assert national.workdays_between(date(2024, 1, 1), date(2024, 12, 31)) == 251


def test_random_agreement_with_day_by_day(national: WorkCalendar) -> None:
    rng = random.Random(20240208)
    first = date(2024, 1, 1)
    for _ in range(2000):
        a = first + timedelta(rng.randrange(1096))
        x = min(a + timedelta(rng.randrange(60)), date(2026, 12, 31))
        walked = sum(chinese_calendar.is_workday(d) for d in _days(a + timedelta(1), x))
        between = national.workdays_between(a, x)
        assert between == walked
        last_workday = next(d for d in reversed(_days(a, x)) if national.is_workday(d) or d == a)
        assert national.add_workdays(a, between) == last_workday
        n = rng.randrange(1, 21)
        if a + timedelta(n * 3) < date(2026, 12, 20):
            day, left = a, n
            while left:
                day += timedelta(1)
                left -= chinese_calendar.is_workday(day)
            assert national.add_workdays(a, n) == day
            back = a
            while not chinese_calendar.is_workday(back):
                back -= timedelta(1)
            assert national.add_workdays(day, -n) == back  # the last working day on or before a


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[regional]]\ndate = 2025-3-31\n", "invalid TOML"),
        ("[[regional]]\ndate = 2025-03-31\nname = 1\nwhen = 2\n", "regional[0]"),
        ('[[regional]]\ndate = 2025-03-31\n[[regional]]\nname = "古尔邦节"\n', "regional[1] (古尔邦节)"),
        ("[[regional]]\nstart = 2025-06-10\nend = 2025-06-06\n", "bad range"),
        ('[[regional]]\ndate = "2025-13-01"\n', "not a date"),
        ("[[overrides]]\ndate = 2025-06-06\n", "overrides[0]"),
        ("[years.2027]\nholidays = [2028-01-01]\n", "not in year 2027"),
        ("[years.27]\nholidays = []\n", "four digits"),
        ("[year.2027]\n", "unknown keys"),
        ("regional = 3\n", "must be an array"),
    ],
)
def test_bad_overlay_files_name_the_problem(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "overlay.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(message)) as caught:
        load_calendar_data(path)
    assert str(path) in str(caught.value)


def test_invalid_toml_reports_the_line(tmp_path: Path) -> None:
    path = tmp_path / "overlay.toml"
    path.write_text("[[regional]]\ndate = 2025-03-31\nname = 肉孜节\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 3"):
        load_calendar_data(path)


def test_construction_is_cheap_after_the_first(national: WorkCalendar) -> None:
    import time

    started = time.perf_counter()
    WorkCalendar(CalendarData(overrides={date(2025, 1, 2): False}))
    assert time.perf_counter() - started < 0.1  # the national table is cached per process


def test_first_year_must_be_known() -> None:
    assert WorkCalendar(first_year=2020).first_day() == date(2020, 1, 1)
    with pytest.raises(CalendarUnknown):
        WorkCalendar(first_year=2020).is_workday(date(2019, 12, 31))
    with pytest.raises(ValueError, match="2003"):
        WorkCalendar(first_year=2003)
