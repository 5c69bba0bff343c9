"""Registering items: tracking numbers, deadlines by kind, and bad input refused with a clear error."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import func, select

from complaints import statcounts
from complaints.errors import ActionNotAllowed, InvalidInput
from complaints.models import Complaint, Event
from complaints.services import queries, registration

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 6, 3, 12, 0, tzinfo=TZ)
RECEIVED = datetime(2026, 6, 3, 11, 0, tzinfo=TZ)


def local(value):
    return value.astimezone(TZ).replace(tzinfo=None)


def register(session, runtime, actor, **fields):
    data = {
        "channel": "call",
        "kind": "complaint",
        "unit_code": "ATS",
        "category": "fees",
        "summary": "反映学校收取共建费",
        "received_at": RECEIVED,
    }
    data.update(fields)
    return registration.register(session=session, runtime=runtime, actor=actor, data=data, now=NOW)


def test_tracking_numbers_carry_unit_and_year_and_count_up(session, runtime, make_user):
    operator = make_user("operator")
    first = register(session, runtime, operator)
    second = register(session, runtime, operator)
    unit, year, number = first.tracking_no.split("-")
    assert (unit, year) == ("ATS", "2026") and len(number) == 6
    assert int(second.tracking_no.split("-")[2]) == int(number) + 1
    other = register(session, runtime, make_user("operator", unit="WQ"), unit_code="WQ")
    assert other.tracking_no.startswith("WQ-2026-")


def test_hotline_item_gets_contact_and_reply_deadlines_in_working_days(session, runtime, make_user):
    item = register(session, runtime, make_user("operator"))
    assert item.track == "hotline" and item.status == "registered" and item.is_open
    assert local(item.contact_due_at) == datetime(2026, 6, 5, 0, 0)  # end of Thu 6/4
    assert local(item.reply_due_at) == datetime(2026, 6, 11, 0, 0)  # 5 working days: 6/4..6/10
    assert item.ack_due_at is None and not item.due_provisional
    assert item.next_due_at == item.contact_due_at


def test_letter_is_formal_xinfang_with_15_and_60_day_limits(session, runtime, make_user):
    item = register(session, runtime, make_user("operator"), channel="letter")
    assert item.track == "xinfang"
    assert local(item.ack_due_at) == datetime(2026, 6, 19, 0, 0)  # 6/3 + 15 days = Thu 6/18
    # the 60 days run from 受理: until the 受理告知 is issued, from its last day, 6/18 + 60 = Mon 8/17
    assert local(item.reply_due_at) == datetime(2026, 8, 18, 0, 0)


def test_urgent_item_contact_within_two_office_hours(session, runtime, make_user):
    item = register(session, runtime, make_user("operator"), urgency="urgent")
    assert local(item.contact_due_at) == datetime(2026, 6, 3, 13, 0)  # summer hours 10–14, 16–20


def test_registration_is_recorded_in_history(session, runtime, make_user):
    operator = make_user("operator")
    item = register(session, runtime, operator)
    events = queries.history(session=session, item=item)
    assert [(e.action, e.to_status, e.actor_id) for e in events] == [("register", "registered", operator.id)]


def test_report_is_confidential_and_category_suggested_from_keywords(session, runtime, make_user):
    item = register(
        session,
        runtime,
        make_user("operator"),
        kind="report",
        category=None,
        summary="举报某小学违规设立重点班、快慢班",
        complainant_phone="0908 4223232",
    )
    assert item.confidential is True
    assert item.category == "key_classes"
    assert item.complainant_phone == "0908-4223232"


def test_anonymous_item_keeps_no_identity(session, runtime, make_user):
    item = register(
        session,
        runtime,
        make_user("operator"),
        anonymous=True,
        complainant_name="王丽",
        complainant_phone="13812345678",
    )
    assert item.anonymous and item.complainant_name is None and item.complainant_phone is None


@pytest.mark.parametrize(
    "field,value,fragment",
    [
        ("unit_code", "XYZ", "ATS（阿图什市教育局）"),
        ("category", "nonsense", "fees（违规收费）"),
        ("complainant_phone", "12345", "电话号码格式不正确"),
        ("complainant_phone", "1381234567", "电话号码格式不正确"),
        ("summary", "x" * 201, "summary"),
        ("details", "长" * 10_001, "details"),
        ("channel", "fax", "channel"),
        ("kind", "praise", "kind"),
        ("received_at", datetime(2026, 6, 4, 12, 0, tzinfo=TZ), "收到时间不能晚于当前时间"),
        ("unexpected", "x", "unexpected"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_writes_nothing(session, runtime, make_user, field, value, fragment):
    operator = make_user("operator")
    before = session.exec(select(func.count()).select_from(Complaint)).one()
    with pytest.raises(InvalidInput) as caught:
        register(session, runtime, operator, **{field: value})
    assert fragment in caught.value.message
    assert caught.value.field.startswith(field.split("_")[0]) or field in caught.value.message
    assert session.exec(select(func.count()).select_from(Complaint)).one() == before


def test_only_operators_and_supervisors_register(session, runtime, make_user):
    with pytest.raises(ActionNotAllowed):
        register(session, runtime, make_user("handler"))


def test_received_in_the_past_counts_from_when_it_arrived(session, runtime, make_user):
    item = register(session, runtime, make_user("operator"), received_at=datetime(2026, 5, 20, 9, 0, tzinfo=TZ))
    # 5/21, 22, 25, 26, then 古尔邦节 5/27–31 (Xinjiang), 6/1
    assert local(item.reply_due_at) == datetime(2026, 6, 2, 0, 0)
    overdue, _ = queries.list_complaints(
        session=session,
        runtime=runtime,
        actor=make_user("supervisor"),
        filters=queries.ListFilter(overdue=True),
        now=NOW,
    )
    assert item.id in {i.id for i in overdue}
    assert session.exec(select(func.count()).select_from(Event).where(Event.complaint_id == item.id)).one() == 1


def test_concurrent_registrations_in_one_unit_get_distinct_consecutive_numbers(engine, runtime, settings):
    """Registrations committed by separate threads at once (as several API processes do)."""
    from concurrent.futures import ThreadPoolExecutor

    from sqlmodel import Session, delete

    from complaints.db import unit_of_work
    from complaints.models import AuthSession, TrackingCounter, User
    from complaints.services import people

    with unit_of_work(engine) as session:
        actor = people.add_user(
            session=session,
            settings=settings,
            actor=None,
            username="concurrent_op",
            name="并发接线员",
            unit_code="AHQ",
            roles=["operator"],
        )
    data = {
        "channel": "call",
        "kind": "complaint",
        "unit_code": "AHQ",
        "category": "fees",
        "summary": "反映学校收取共建费",
        "received_at": RECEIVED,
    }

    def register_five(_):
        numbers = []
        for _ in range(5):
            with unit_of_work(engine) as session:
                item = registration.register(
                    session=session, runtime=runtime, actor=session.get(User, actor.id), data=data, now=NOW
                )
                numbers.append(item.tracking_no)
        return numbers

    try:
        with ThreadPoolExecutor(8) as pool:
            numbers = [n for batch in pool.map(register_five, range(8)) for n in batch]
        counts = sorted(int(n.rsplit("-", 1)[1]) for n in numbers)
        assert len(set(numbers)) == 40 and counts == list(range(counts[0], counts[0] + 40))
        if engine.dialect.name == "postgresql":  # increments commit without waiting for the disk (see docstring)
            from complaints.services.registration import _counter_engine

            with _counter_engine(engine.url).connect() as counter:
                assert counter.exec_driver_sql("SHOW synchronous_commit").scalar_one() == "off"
            with engine.connect() as ordinary:
                assert ordinary.exec_driver_sql("SHOW synchronous_commit").scalar_one() == "on"
    finally:
        with Session(engine) as session:
            ids = select(Complaint.id).where(Complaint.registered_by_id == actor.id)
            session.exec(delete(Event).where(Event.complaint_id.in_(ids)))
            session.exec(delete(Complaint).where(Complaint.registered_by_id == actor.id))
            session.exec(delete(TrackingCounter).where(TrackingCounter.unit_code == "AHQ"))
            session.exec(delete(AuthSession).where(AuthSession.user_id == actor.id))
            session.exec(delete(User).where(User.id == actor.id))
            statcounts.rebuild(session, TZ.key)  # the kept counts lose the rows deleted here
            session.commit()
