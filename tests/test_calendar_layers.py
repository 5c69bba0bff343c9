"""Calendar layers: every day of 2024–2026 for Xinjiang, estimates, declarations, counting fixes, unit hours."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from workflows.calendar import CalendarUnknown, Source, WorkCalendar
from workflows.calendar_declare import (
    Declaration,
    DeclaredDay,
    ScheduleError,
    parse_csv,
    parse_lines,
    parse_toml,
    problems,
)
from workflows.calendar_estimate import Festival, festival_days, statutory_holidays
from workflows.calendar_file import overlay_calendar
from workflows.deadlines import Limit, days_end
from workflows.office_hours import OfficeHours, Period, Season
from workflows.policy import Clock

TZ = ZoneInfo("Asia/Shanghai")
REGIONAL = {  # the region's notices: 2025 and 2026 (2024 is not known here)
    2025: {*(date(2025, 3, d) for d in (29, 30, 31)), *(date(2025, 6, d) for d in range(6, 11))},
    2026: {*(date(2026, 3, d) for d in (20, 21, 22)), *(date(2026, 5, d) for d in range(27, 32))},
}


@pytest.fixture(scope="module")
def xinjiang() -> WorkCalendar:
    return overlay_calendar()


def _days(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(i) for i in range((date(year, 12, 31) - first).days + 1)]


def _national_expected(year: int) -> dict[date, bool]:
    oracle = holidays.China(years=year)
    makeup = set(oracle.weekend_workdays)
    return {d: (d.weekday() < 5 and d not in oracle) or d in makeup for d in _days(year)}


@pytest.mark.parametrize("year", [2025, 2026])
def test_every_day_of_a_declared_year_is_the_national_schedule_plus_the_region(xinjiang, year) -> None:
    expected = {d: working and d not in REGIONAL[year] for d, working in _national_expected(year).items()}
    assert [d for d in _days(year) if xinjiang.is_workday(d) != expected[d]] == []
    assert all(xinjiang.is_known(d) for d in _days(year))


def test_2024_is_regionally_undeclared_and_only_estimated(xinjiang) -> None:
    assert xinjiang.undeclared(2024) == ["xinjiang"] and xinjiang.horizon() == date(2026, 12, 31)
    with pytest.raises(CalendarUnknown, match="xinjiang"):
        xinjiang.is_workday(date(2024, 5, 6))
    festivals = {
        d for f in (Festival("肉孜节", 10, 1, 3), Festival("古尔邦节", 12, 10, 5)) for d in festival_days(2024, f)
    }
    assert date(2024, 4, 10) in festivals and date(2024, 6, 16) in festivals  # 1 Shawwal / 10 Dhu al-Hijjah 1445
    estimated = xinjiang.estimating()
    expected = {d: working and d not in festivals for d, working in _national_expected(2024).items()}
    assert [d for d in _days(2024) if estimated.is_workday(d) != expected[d]] == []


def test_the_issue_s_dates_in_kizilsu(xinjiang) -> None:
    assert not xinjiang.is_workday(date(2026, 3, 20)) and not xinjiang.is_workday(date(2026, 5, 27))
    assert xinjiang.add_workdays(date(2026, 5, 26), 5) == date(2026, 6, 5)
    assert xinjiang.day_name(date(2026, 5, 27)) == "古尔邦节"
    assert WorkCalendar().add_workdays(date(2026, 5, 26), 5) == date(2026, 6, 2)  # the national layer alone


def test_statutory_holidays_are_days_off_in_every_published_year() -> None:
    for year in (2025, 2026):
        expected = _national_expected(year)
        days = [d for days in statutory_holidays(year).values() for d in days]
        assert len(days) == 13 and not any(expected[d] for d in days), year


def test_islamic_festival_estimates_match_the_region_s_2026_notice() -> None:
    assert festival_days(2026, Festival("肉孜节", 10, 1, 3)) == tuple(sorted(REGIONAL[2026]))[:3]
    assert set(festival_days(2026, Festival("古尔邦节", 12, 10, 5))) == {d for d in REGIONAL[2026] if d.month == 5}


def test_an_undeclared_year_is_estimated_and_flagged(xinjiang) -> None:
    clock = Clock(xinjiang, OfficeHours.xinjiang_default(xinjiang))
    start = datetime(2026, 12, 1, 11, tzinfo=TZ)
    due, provisional = clock.due(start, Limit.parse("60 days"))  # Sat 2027-01-30 rolls to Mon 02-01
    assert provisional and due == datetime(2027, 2, 2, tzinfo=TZ)
    due, provisional = clock.due(datetime(2027, 2, 3, 11, tzinfo=TZ), Limit.parse("5 workdays"))
    assert provisional and due == datetime(2027, 2, 13, tzinfo=TZ)  # 除夕 2/5 to 初三 2/8 estimated off
    due, provisional = clock.due(datetime(2026, 12, 1, 11, tzinfo=TZ), Limit.parse("5 workdays"))
    assert not provisional and due == datetime(2026, 12, 9, tzinfo=TZ)


def test_a_suspended_calendar_day_period_rolls_forward_once(xinjiang) -> None:
    start_day, paused, resumed = date(2026, 8, 2), date(2026, 8, 10), date(2026, 8, 20)
    unrolled = start_day + timedelta(days=60)  # Thu 10-01, in the 国庆 holiday
    like = datetime(2026, 8, 2, 11, tzinfo=TZ)
    assert days_end(unrolled, like, xinjiang) == datetime(2026, 10, 9, tzinfo=TZ)  # rolled to Thu 10-08
    moved = days_end(unrolled + (resumed - paused), like, xinjiang)
    assert moved == datetime(2026, 10, 13, tzinfo=TZ)  # Sun 10-11 rolls to Mon 10-12, not 10-19


NATIONAL_2027 = """
2027-01-01 休 元旦
2027-02-05~2027-02-11 休 春节
2027-02-20 班 春节调休上班
2027-04-05 休 清明节
2027-05-01~2027-05-05 休 劳动节
2027-06-09 休 端午节
2027-09-15 休 中秋节
2027-10-01~2027-10-07 休 国庆节
2027-09-26 班 国庆节调休上班
"""


def _declaration(layer: str, year: int, days) -> Declaration:
    return Declaration(layer=layer, year=year, days=tuple(days), source=Source("通知", "国办发明电〔2026〕1号"))


def test_a_complete_national_year_passes_and_published_years_pass() -> None:
    assert problems(_declaration("national", 2027, parse_lines(NATIONAL_2027))) == []
    for year in (2025, 2026):
        expected = _national_expected(year)
        days = [DeclaredDay(d, w) for d, w in expected.items() if w == (d.weekday() >= 5)]
        assert problems(_declaration("national", year, days)) == [], year


def test_a_national_year_lacking_a_statutory_holiday_or_with_a_weekday_makeup_is_refused() -> None:
    days = [d for d in parse_lines(NATIONAL_2027) if d.name != "中秋节"]
    days.append(DeclaredDay(date(2027, 2, 19), True, "调休"))  # a Friday
    found = problems(_declaration("national", 2027, days))
    assert {p.code for p in found} == {"missing_holiday", "makeup_not_weekend"}
    assert any("中秋节" in p.detail and "2027-09-15" in p.detail for p in found)


def test_a_regional_year_must_name_both_festivals() -> None:
    days = parse_lines("2027-03-09~2027-03-11 休 肉孜节")
    found = problems(_declaration("xinjiang", 2027, days), required=("肉孜节", "古尔邦节"))
    assert [(p.code, p.detail) for p in found] == [("missing_festival", "古尔邦节")]
    days += parse_lines("2027-05-16~2027-05-20 休 古尔邦节")
    assert problems(_declaration("xinjiang", 2027, days), required=("肉孜节", "古尔邦节")) == []


def test_the_three_input_forms_read_the_same_schedule() -> None:
    lines = parse_lines("2027-02-05~2027-02-07 休 春节\n2027-02-20 班 春节调休上班")
    csv_days = parse_csv("date,end,kind,name\n2027-02-05,2027-02-07,休,春节\n2027-02-20,,班,春节调休上班\n")
    toml_days, source = parse_toml(
        'title = "国务院办公厅通知"\nnumber = "国办发明电〔2026〕1号"\npublished = 2026-11-10\n'
        'holidays = [{ start = 2027-02-05, end = 2027-02-07, name = "春节" }]\n'
        'workdays = [{ date = 2027-02-20, name = "春节调休上班" }]\n',
        2027,
    )
    assert lines == csv_days == toml_days and len(lines) == 4
    assert source == Source("国务院办公厅通知", "国办发明电〔2026〕1号", date(2026, 11, 10))
    with pytest.raises(ScheduleError, match="line 2"):
        parse_lines("2027-01-01 休 元旦\n2027-13-01 休 错")
    with pytest.raises(ScheduleError, match="休"):
        parse_lines("2027-01-01 玩 元旦")


def test_a_unit_has_its_own_hours_per_year_and_season_switch(xinjiang) -> None:
    prefecture = OfficeHours.xinjiang_default(xinjiang)
    h = lambda text: time.fromisoformat(text)  # noqa: E731
    akqi_2023 = (
        Season((5, 1), (Period(h("10:00"), h("13:30")), Period(h("16:30"), h("20:00")))),
        Season((10, 1), (Period(h("10:00"), h("14:00")), Period(h("16:00"), h("19:30")))),
    )
    akqi = OfficeHours(prefecture.seasons, xinjiang, TZ, years={2023: akqi_2023})
    summer = datetime(2023, 6, 1, 13, 45, tzinfo=TZ)  # Thursday
    assert prefecture.is_open(summer) and not akqi.is_open(summer)
    assert akqi.add_office_hours(datetime(2023, 6, 1, 10, tzinfo=TZ), 4) == datetime(2023, 6, 1, 17, tzinfo=TZ)
    assert prefecture.add_office_hours(datetime(2023, 6, 1, 10, tzinfo=TZ), 4) == datetime(2023, 6, 1, 14, tzinfo=TZ)
    winter = datetime(2023, 10, 9, 15, 45, tzinfo=TZ)  # Monday
    assert prefecture.is_open(winter) and not akqi.is_open(winter)
    assert akqi.office_hours_between(datetime(2023, 10, 9, tzinfo=TZ), datetime(2023, 10, 10, tzinfo=TZ)) == 7.5
    later = datetime(2025, 6, 3, 13, 45, tzinfo=TZ)  # another year: the prefecture's hours
    assert akqi.is_open(later) == prefecture.is_open(later) is True


def test_unit_overrides_apply_to_their_unit_only(tmp_path) -> None:
    from workflows.calendar_file import load_calendar_data

    path = tmp_path / "o.toml"
    path.write_text(
        '[[overrides]]\ndate = 2026-07-01\nworking = false\nunits = ["AHQ"]\nreason = "县里"\n', encoding="utf-8"
    )
    data = load_calendar_data(path)
    assert not WorkCalendar(data.for_unit("AHQ", [])).is_workday(date(2026, 7, 1))
    assert WorkCalendar(data.for_unit("ATS", [])).is_workday(date(2026, 7, 1))
