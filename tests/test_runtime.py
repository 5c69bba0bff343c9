"""A calendar day an admin adds in one process reaches the clocks of the others."""

from datetime import date

from sqlalchemy import delete
from sqlmodel import Session

from complaints import runtime as runtime_module
from complaints.models import CalendarOverride
from complaints.runtime import Runtime


def test_other_processes_pick_up_a_new_calendar_day(settings, engine, monkeypatch):
    api_process, scheduler_process = Runtime.load(settings, engine), Runtime.load(settings, engine)
    day = date(2026, 7, 15)  # a Wednesday
    assert scheduler_process.clock_for("ATS").calendar.is_workday(day)
    monkeypatch.setattr(runtime_module, "CALENDAR_CHECK_SECONDS", 0)
    with Session(engine) as session:
        session.add(CalendarOverride(unit_code="ATS", day=day, working=False, reason="测试"))
        session.commit()
    try:
        api_process.reload_calendar()  # the process where the admin saved it
        assert not api_process.clock_for("ATS").calendar.is_workday(day)
        assert not scheduler_process.clock_for("ATS").calendar.is_workday(day)  # noticed by the stamp check
        assert scheduler_process.clock_for("AKT").calendar.is_workday(day)  # another unit's day is its own
    finally:
        with Session(engine) as session:
            session.exec(delete(CalendarOverride).where(CalendarOverride.day == day))
            session.commit()
