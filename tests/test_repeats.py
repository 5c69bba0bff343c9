"""重复诉求: same phone, or a near-identical summary in the same unit, within the window."""

from datetime import timedelta

from sqlmodel import select

from complaints.clock import utcnow
from complaints.jobs.intake import repeat_check
from complaints.models import ComplaintLink, Event, Notification
from complaints.services import repeats
from complaints.services.transitions import act


def find(session, runtime, **fields):
    data = {"unit_code": "ATS", "phone": None, "summary": "", "now": utcnow()} | fields
    return repeats.find_repeats(session=session, runtime=runtime, **data)


def test_same_phone_is_found_in_any_unit_and_a_bad_phone_is_ignored(session, runtime, make_item):
    earlier = make_item(unit_code="WQ", complainant_phone="13812345678")
    assert [c.id for c in find(session, runtime, phone="138 1234 5678")] == [earlier.id]
    assert find(session, runtime, phone="1381") == []


def test_near_identical_summary_in_the_same_unit_only(session, runtime, make_item):
    earlier = make_item(summary="阿图什市第三小学要求新生缴纳共建费三千元", complainant_phone="13800000001")
    make_item(unit_code="WQ", summary="阿图什市第三小学要求新生缴纳共建费三千元", complainant_phone="13800000002")
    found = find(session, runtime, summary="阿图什市第三小学要求新生缴纳共建费3000元！")
    assert [c.id for c in found] == [earlier.id]
    assert find(session, runtime, summary="学区划分不合理，孩子上学太远") == []


def test_outside_the_window_is_not_a_repeat(session, runtime, make_item):
    make_item(complainant_phone="13800000003")
    later = utcnow() + timedelta(days=runtime.settings.repeats.window_days + 1)
    assert find(session, runtime, phone="13800000003", now=later) == []


def test_the_job_links_tells_the_handler_and_runs_once(session, runtime, make_user, make_item):
    handler, operator = make_user("handler"), make_user("operator")
    earlier = make_item(actor=operator)
    act(session=session, runtime=runtime, actor=operator, item=earlier, action="dispatch",
        payload={"handler_id": handler.id})
    repeat = make_item(actor=operator, summary="又一次反映学校收取共建费")
    first = repeat_check(session=session, runtime=runtime, now=utcnow())
    again = repeat_check(session=session, runtime=runtime, now=utcnow())
    assert first["linked"] >= 1 and again["linked"] == 0
    link = session.exec(select(ComplaintLink).where(ComplaintLink.complaint_id == repeat.id)).one()
    assert (link.other_id, link.kind) == (earlier.id, "repeat")
    notes = {e.complaint_id: e.note for e in session.exec(select(Event).where(Event.action == "repeat_link"))}
    assert earlier.tracking_no in notes[repeat.id] and repeat.tracking_no in notes[earlier.id]
    notice = session.exec(select(Notification).where(Notification.kind == "repeat",
                                                     Notification.complaint_id == repeat.id)).one()
    assert notice.user_id == handler.id and "同一来电号码" in notice.body


def test_a_supervisor_merges_a_repeat_with_mark_duplicate(session, runtime, make_user, make_item):
    supervisor = make_user("supervisor")
    earlier = make_item()
    repeat = make_item()
    repeat_check(session=session, runtime=runtime, now=utcnow())
    act(session=session, runtime=runtime, actor=supervisor, item=repeat, action="mark_duplicate",
        payload={"of": earlier.tracking_no})
    assert repeat.status == "duplicate" and repeat.duplicate_of_id == earlier.id
    # a merged item is no longer offered as a candidate
    assert [c.id for c in find(session, runtime, phone="13812345678")] == [earlier.id]
