"""重复诉求: same phone, or a near-identical summary in the same unit, within the window."""

from datetime import timedelta

from sqlmodel import select

from complaints.clock import utcnow
from complaints.jobs.intake import repeat_check
from complaints.models import ComplaintLink, Event, Notification
from complaints.services import repeats
from complaints.services.transitions import act

pytest_plugins = ["test_api_client"]  # the app wired to the test's transaction, and its clients


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
    act(
        session=session,
        runtime=runtime,
        actor=operator,
        item=earlier,
        action="dispatch",
        payload={"handler_id": handler.id},
    )
    repeat = make_item(actor=operator, summary="又一次反映学校收取共建费")
    first = repeat_check(session=session, runtime=runtime, now=utcnow())
    again = repeat_check(session=session, runtime=runtime, now=utcnow())
    assert first["linked"] >= 1 and again["linked"] == 0
    link = session.exec(select(ComplaintLink).where(ComplaintLink.complaint_id == repeat.id)).one()
    assert (link.other_id, link.kind) == (earlier.id, "repeat")
    notes = {e.complaint_id: e.note for e in session.exec(select(Event).where(Event.action == "repeat_link"))}
    assert earlier.tracking_no in notes[repeat.id] and repeat.tracking_no in notes[earlier.id]
    notice = session.exec(
        select(Notification).where(Notification.kind == "repeat", Notification.complaint_id == repeat.id)
    ).one()
    assert notice.user_id == handler.id and "同一来电号码" in notice.body


def test_a_supervisor_merges_a_repeat_with_mark_duplicate(session, runtime, make_user, make_item):
    supervisor = make_user("supervisor")
    earlier = make_item()
    repeat = make_item()
    repeat_check(session=session, runtime=runtime, now=utcnow())
    act(
        session=session,
        runtime=runtime,
        actor=supervisor,
        item=repeat,
        action="mark_duplicate",
        payload={"of": earlier.tracking_no},
    )
    assert repeat.status == "duplicate" and repeat.duplicate_of_id == earlier.id
    # a merged item is no longer offered as a candidate
    assert [c.id for c in find(session, runtime, phone="13812345678")] == [earlier.id]


def test_a_confidential_report_is_never_matched_by_phone_in_either_direction(session, runtime, make_user, make_item):
    """信访工作条例 Art 30: linking a 举报 to the reporter's other item by phone would tell whoever handles
    that item who reported; the report's content must not reach another unit either."""
    handler = make_user("handler")
    complaint = make_item(unit_code="ATS", complainant_phone="13911112222", summary="孩子入学被要求缴费")
    act(
        session=session,
        runtime=runtime,
        actor=make_user("supervisor"),
        item=complaint,
        action="dispatch",
        payload={"handler_id": handler.id},
    )
    report = make_item(
        unit_code="KZ",
        kind="report",
        confidential=True,
        complainant_phone="13911112222",
        summary="举报阿图什某校校长收取择校费",
    )
    session.flush()
    assert find(session, runtime, phone="13911112222", confidential=True) == []
    assert [c.id for c in find(session, runtime, phone="13911112222")] == [complaint.id]  # the report is not
    assert repeats.check_item(session=session, runtime=runtime, item=report, actor=handler, now=utcnow()) is None
    told = session.exec(select(Notification).where(Notification.user_id == handler.id)).all()
    assert not [n for n in told if "举报" in n.body or report.tracking_no in n.body]
    notes = session.exec(select(Event.note).where(Event.complaint_id == complaint.id)).all()
    assert not [n for n in notes if n and report.tracking_no in n]


def test_the_intake_check_shows_only_visible_items_and_no_confidential_report(
    client, session, runtime, make_user, make_item
):
    from complaints import auth

    mine = make_item(unit_code="ATS", complainant_phone="13900001111", summary="家长咨询划片范围")
    elsewhere = make_item(unit_code="AKT", complainant_phone="13900001111", summary="学校收取资料费")
    report = make_item(
        unit_code="ATS", kind="report", confidential=True, complainant_phone="13900001111", summary="举报某校长违规收费"
    )
    session.flush()
    _, token = auth.create_session(session=session, user=make_user("operator", unit="ATS"), kind="browser")
    client.cookies.set(auth.SESSION_COOKIE, token)
    found = client.get("/intake/check", params={"phone": "13900001111"}).json()["repeats"]
    assert [r["tracking_no"] for r in found] == [mine.tracking_no]
    assert elsewhere.tracking_no not in str(found) and report.tracking_no not in str(found)
    similar = client.get("/intake/check", params={"unit_code": "AKT", "summary": "学校收取资料费"}).json()
    assert elsewhere.tracking_no not in str(similar)  # another unit's items stay out of reach
