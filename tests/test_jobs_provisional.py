"""A deadline beyond the known calendar is provisional until the year is loaded, then recomputed."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import select

from complaints.jobs.provisional import recompute_provisional
from complaints.models import Event
from complaints.runtime import Runtime
from complaints.services import complaints as service
from workflows.calendar import CalendarData, WorkCalendar, YearSchedule

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 28, 12, 0, tzinfo=TZ)


def test_provisional_deadline_is_recomputed_when_the_year_is_known(session, settings, engine, make_user):
    runtime = Runtime.load(settings, engine)
    item = service.register(session=session, runtime=runtime, actor=make_user("operator"), now=NOW,
                            data={"channel": "call", "kind": "complaint", "unit_code": "ATS", "category": "fees",
                                  "summary": "年底反映收费问题", "received_at": NOW})
    assert item.due_provisional  # 5 working days from 12/28 run into 2027, which is not yet known
    assert recompute_provisional(session=session, runtime=runtime, now=NOW) == {"provisional": 1,
                                                                               "recomputed": 0}
    # the admin loads 2027: New Year's Day off on Friday 1/1
    schedule = YearSchedule(holidays=frozenset({date(2027, 1, 1)}), workdays=frozenset())
    calendar = WorkCalendar(CalendarData(extra_years={2027: schedule}))
    runtime._clock = type(runtime.clock)(calendar, runtime.clock.office_hours)
    counts = recompute_provisional(session=session, runtime=runtime, now=NOW)
    assert counts == {"provisional": 1, "recomputed": 1}
    assert not item.due_provisional
    # 12/29, 12/30, 12/31, (1/1 off), 1/4, 1/5 -> ends with Tuesday 2027-01-05
    assert item.reply_due_at.astimezone(TZ).replace(tzinfo=None) == datetime(2027, 1, 6)
    events = session.exec(select(Event).where(Event.complaint_id == item.id,
                                              Event.action == "deadline_recomputed")).all()
    assert len(events) == 1
