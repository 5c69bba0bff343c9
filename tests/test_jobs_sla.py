"""The SLA sweep: one event per item entering due-soon and overdue, notifications, automatic 督办."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from complaints.jobs.sla import sla_sweep
from complaints.models import Event, Notification
from complaints.presenters import due_text
from complaints.services import registration
from complaints.services.transitions import act

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 6, 3, 11, 0, tzinfo=TZ)


@pytest.fixture
def staff(make_user):
    return {
        "operator": make_user("operator"),
        "handler": make_user("handler"),
        "supervisor": make_user("supervisor"),
        "other_unit": make_user("supervisor", unit="WQ"),
    }


@pytest.fixture
def item(session, runtime, staff):
    created = registration.register(
        session=session,
        runtime=runtime,
        actor=staff["operator"],
        now=T0,
        data={
            "channel": "call",
            "kind": "complaint",
            "unit_code": "ATS",
            "category": "fees",
            "summary": "反映学校收取共建费",
            "received_at": T0,
            "complainant_phone": "13812345678",
        },
    )
    act(
        session=session,
        runtime=runtime,
        actor=staff["operator"],
        item=created,
        action="dispatch",
        payload={"handler_id": staff["handler"].id},
        now=T0 + timedelta(minutes=5),
    )
    return created


def events(session, item, *actions):
    found = session.exec(select(Event).where(Event.complaint_id == item.id).order_by(Event.id)).all()
    return [e for e in found if e.action in actions]


def notices(session, item, kind):
    return session.exec(
        select(Notification).where(Notification.complaint_id == item.id, Notification.kind == kind)
    ).all()


def test_due_soon_gives_one_event_and_tells_the_handler_once(session, runtime, staff, item):
    moment = item.warn_at + timedelta(minutes=1)
    assert moment < item.next_due_at
    first = sla_sweep(session=session, runtime=runtime, now=moment)
    second = sla_sweep(session=session, runtime=runtime, now=moment + timedelta(minutes=5))
    assert first["due_soon"] == 1 and second["due_soon"] == 0 and second["overdue"] == 0
    [event] = events(session, item, "sla_due_soon")
    assert event.to_status == "dispatched" and "即将超期" in event.note
    [notice] = notices(session, item, "due_soon")
    assert notice.user_id == staff["handler"].id and item.tracking_no in notice.subject
    assert item.warned_due_at == item.next_due_at and item.status == "dispatched"


def test_overdue_tells_handler_and_unit_supervisors_and_supervises_automatically(session, runtime, staff, item):
    version = item.version
    moment = item.next_due_at + timedelta(minutes=1)
    first = sla_sweep(session=session, runtime=runtime, now=moment)
    again = sla_sweep(session=session, runtime=runtime, now=moment + timedelta(hours=1))
    assert first["overdue"] == 1 and again["overdue"] == 0 and again["due_soon"] == 0
    assert [e.action for e in events(session, item, "sla_overdue", "supervise", "sla_due_soon")] == [
        "sla_overdue",
        "supervise",
    ]
    supervise = events(session, item, "supervise")[0]
    assert supervise.changes == {"automatic": True} and "自动督办" in supervise.note
    assert {n.user_id for n in notices(session, item, "overdue")} == {staff["handler"].id, staff["supervisor"].id}
    assert item.status == "dispatched" and item.overdue_due_at == item.next_due_at
    assert item.supervise_due_at > moment and item.version == version  # bookkeeping, not an edit
    assert due_text(item.supervise_due_at, "Asia/Shanghai") in supervise.note
    [handler_notice] = [n for n in notices(session, item, "overdue") if n.user_id == staff["handler"].id]
    assert item.tracking_no in handler_notice.subject and item.summary in handler_notice.body
    assert due_text(item.next_due_at, "Asia/Shanghai") in handler_notice.body


def test_a_new_deadline_is_watched_again(session, runtime, staff, item):
    sla_sweep(session=session, runtime=runtime, now=item.next_due_at + timedelta(minutes=1))
    act(
        session=session,
        runtime=runtime,
        actor=staff["handler"],
        item=item,
        action="accept",
        now=item.next_due_at + timedelta(minutes=2),
    )
    assert item.next_due_at != item.overdue_due_at
    result = sla_sweep(session=session, runtime=runtime, now=item.next_due_at + timedelta(minutes=1))
    assert result["overdue"] == 1
    assert len(events(session, item, "sla_overdue")) == 2


def test_the_due_text_reads_midnight_as_24_00_of_the_last_day(session, runtime, item):
    sla_sweep(session=session, runtime=runtime, now=item.next_due_at + timedelta(minutes=1))
    [event] = events(session, item, "sla_overdue")
    local = item.next_due_at.astimezone(TZ)
    expected = (
        (local - timedelta(days=1)).strftime("%Y-%m-%d 24:00")
        if local.hour == 0 and local.minute == 0
        else local.strftime("%Y-%m-%d %H:%M")
    )
    assert expected in event.note


def test_closed_and_unscheduled_items_are_left_alone(session, runtime, make_item):
    closed = make_item(kind="question")
    act(
        session=session,
        runtime=runtime,
        actor=closed_actor(session, closed),
        item=closed,
        action="answer_now",
        payload={"text": "已当场答复政策"},
    )
    result = sla_sweep(session=session, runtime=runtime, now=closed.received_at + timedelta(days=60))
    assert result["overdue"] == 0 and not events(session, closed, "sla_overdue")


def closed_actor(session, item):
    from complaints.models import User

    return session.get(User, item.registered_by_id)


def test_supervisors_get_one_notice_per_sweep_listing_the_items(session, runtime, staff, item, make_item):
    others = [
        make_item(received_at=T0, summary=f"反映收费问题{i}", complainant_phone=f"1390000000{i}") for i in range(3)
    ]
    moment = item.next_due_at + timedelta(hours=1)
    sla_sweep(session=session, runtime=runtime, now=moment)
    [notice] = session.exec(
        select(Notification).where(Notification.user_id == staff["supervisor"].id, Notification.kind == "overdue")
    ).all()
    assert notice.complaint_id is None and "4 件超期" in notice.subject
    assert all(i.tracking_no in notice.body for i in [item, *others])


def test_a_lapsed_supervision_is_reported_to_the_prefecture_once_per_deadline(session, runtime, staff, item, make_user):
    prefecture_supervisor = make_user("supervisor", unit="KZ")
    act(
        session=session,
        runtime=runtime,
        actor=staff["handler"],
        item=item,
        action="accept",
        now=T0 + timedelta(hours=1),
    )
    act(
        session=session,
        runtime=runtime,
        actor=staff["supervisor"],
        item=item,
        action="supervise",
        payload={"due": "1 workdays", "note": "请于明日前答复"},
        now=T0 + timedelta(hours=2),
    )
    lapsed = item.supervise_due_at + timedelta(minutes=1)
    assert lapsed < item.reply_due_at  # the 督办 ran out before the item's own deadline
    counts = sla_sweep(session=session, runtime=runtime, now=lapsed)
    assert counts["supervision_lapsed"] == 1 and counts["escalated"] >= 2  # the handler and the prefecture
    [event] = events(session, item, "supervision_lapsed")
    assert "已报克州教育局提级督办" in event.note and item.escalated_due_at == item.supervise_due_at
    upward = session.exec(
        select(Notification).where(
            Notification.user_id == prefecture_supervisor.id, Notification.kind == "supervision_lapsed"
        )
    ).all()
    assert len(upward) == 1 and item.tracking_no in upward[0].body and "1 件督办逾期" in upward[0].subject
    assert notices(session, item, "supervision_lapsed")[0].user_id == staff["handler"].id
    # the next sweep reports nothing new; a fresh 督办 deadline that lapses is reported again
    assert sla_sweep(session=session, runtime=runtime, now=lapsed + timedelta(minutes=5))["supervision_lapsed"] == 0
    act(
        session=session,
        runtime=runtime,
        actor=staff["supervisor"],
        item=item,
        action="supervise",
        payload={"due": "1 workdays", "note": "再次督办"},
        now=lapsed + timedelta(minutes=10),
    )
    again = sla_sweep(session=session, runtime=runtime, now=item.supervise_due_at + timedelta(minutes=1))
    assert again["supervision_lapsed"] == 1 and len(events(session, item, "supervision_lapsed")) == 2


def test_the_prefectures_own_lapsed_supervision_is_not_escalated(session, runtime, make_user):
    operator, handler = make_user("operator", unit="KZ"), make_user("handler", unit="KZ")
    supervisor = make_user("supervisor", unit="KZ")
    item = registration.register(
        session=session,
        runtime=runtime,
        actor=operator,
        now=T0,
        data={
            "channel": "call",
            "kind": "complaint",
            "unit_code": "KZ",
            "category": "fees",
            "summary": "反映州直学校收费",
            "received_at": T0,
        },
    )
    act(
        session=session,
        runtime=runtime,
        actor=supervisor,
        item=item,
        action="dispatch",
        payload={"handler_id": handler.id},
        now=T0,
    )
    act(
        session=session,
        runtime=runtime,
        actor=supervisor,
        item=item,
        action="supervise",
        payload={"due": "1 workdays", "note": "请抓紧"},
        now=T0,
    )
    counts = sla_sweep(session=session, runtime=runtime, now=item.supervise_due_at + timedelta(minutes=1))
    assert counts["supervision_lapsed"] == 0 and not events(session, item, "supervision_lapsed")
