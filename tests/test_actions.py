"""Firing actions: the handling journey, side paths, deadlines recomputed, and two people at once."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from complaints import statcounts
from complaints.errors import ActionNotAllowed, Conflict, InvalidInput
from complaints.models import Complaint, Event
from complaints.services import queries, registration
from complaints.services.transitions import act

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 6, 3, 11, 0, tzinfo=TZ)


def local(value):
    return value.astimezone(TZ).replace(tzinfo=None)


@pytest.fixture
def staff(make_user):
    return {
        "operator": make_user("operator"),
        "handler": make_user("handler", name="李承办"),
        "other_handler": make_user("handler"),
        "supervisor": make_user("supervisor"),
    }


@pytest.fixture
def item(session, runtime, staff):
    return registration.register(
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
            "complainant_name": "王丽",
            "complainant_phone": "13812345678",
        },
    )


def fire(session, runtime, actor, item, action, at_hours=1, **payload):
    return act(
        session=session,
        runtime=runtime,
        actor=actor,
        item=item,
        action=action,
        payload=payload,
        now=T0 + timedelta(hours=at_hours),
    )


def test_full_journey_from_registration_to_closure(session, runtime, staff, item):
    handler, supervisor = staff["handler"], staff["supervisor"]
    fire(session, runtime, staff["operator"], item, "dispatch", handler_id=handler.id)
    assert item.status == "dispatched" and item.handler_id == handler.id
    assert item.next_due_at == item.contact_due_at
    version = item.version
    fire(session, runtime, handler, item, "accept", 2, note="已电话联系")
    assert item.next_due_at == item.reply_due_at
    fire(
        session,
        runtime,
        handler,
        item,
        "reply",
        20,
        text="经核实，学校已退还所收费用并作出书面检查。",
        outcome="support",
        handling_notes="实地核查",
        result_text="已退费",
    )
    assert item.status == "replied" and item.next_due_at is None
    fire(session, runtime, staff["operator"], item, "callback", 30, resolved=True, satisfaction="satisfied")
    fire(session, runtime, handler, item, "close", 31)
    assert item.status == "closed" and not item.is_open and item.closed_at is not None
    events = queries.history(session=session, item=item)
    assert [e.action for e in events] == ["register", "dispatch", "accept", "reply", "callback", "close"]
    assert events[3].changes["reply_text"] == "经核实，学校已退还所收费用并作出书面检查。"
    assert [(e.from_status, e.to_status) for e in events[1:3]] == [
        ("registered", "dispatched"),
        ("dispatched", "accepted"),
    ]
    assert item.version == version + 4 and supervisor.id != handler.id  # one per stored change


def test_only_the_assigned_handler_may_reply(session, runtime, staff, item):
    fire(session, runtime, staff["supervisor"], item, "dispatch", handler_id=staff["handler"].id)
    fire(session, runtime, staff["handler"], item, "accept")
    with pytest.raises(ActionNotAllowed) as caught:
        fire(session, runtime, staff["other_handler"], item, "reply", text="我来答复这件诉求的内容", outcome="explain")
    assert "办理中" in caught.value.message and "备注（note）" in caught.value.message
    assert item.status == "accepted"


def test_illegal_action_names_status_and_allowed_actions(session, runtime, staff, item):
    with pytest.raises(ActionNotAllowed) as caught:
        fire(session, runtime, staff["supervisor"], item, "close")
    message = caught.value.message
    assert "已登记（registered）" in message
    assert "派单（dispatch）" in message and "不予受理（not_accept）" in message
    assert set(caught.value.details["allowed"]) == {"answer_now", "dispatch", "not_accept", "mark_duplicate", "note"}


def test_extension_moves_reply_deadline_within_the_cap_once(session, runtime, staff, item):
    handler, supervisor = staff["handler"], staff["supervisor"]
    fire(session, runtime, supervisor, item, "dispatch", handler_id=handler.id)
    fire(session, runtime, handler, item, "accept")
    assert local(item.reply_due_at) == datetime(2026, 6, 11)
    with pytest.raises(InvalidInput) as too_long:
        fire(session, runtime, handler, item, "request_extension", amount="6 workdays", note="需要调取材料")
    assert "5 workdays" in too_long.value.message
    fire(session, runtime, handler, item, "request_extension", amount="3 workdays", note="需要调取学校账目")
    assert item.status == "extension_requested"
    fire(session, runtime, supervisor, item, "approve_extension")
    assert item.status == "accepted" and item.extension_count == 1
    assert local(item.reply_due_at) == datetime(2026, 6, 16)  # 6/11, 6/12, 6/15
    with pytest.raises(InvalidInput):
        fire(session, runtime, handler, item, "request_extension", amount="1 workdays", note="再延一天")


def test_suspension_pauses_the_clock(session, runtime, staff, item):
    handler = staff["handler"]
    fire(session, runtime, staff["supervisor"], item, "dispatch", handler_id=handler.id)
    fire(session, runtime, handler, item, "accept")
    assert local(item.reply_due_at) == datetime(2026, 6, 11)
    act(
        session=session,
        runtime=runtime,
        actor=handler,
        item=item,
        action="suspend",
        payload={"note": "等待诉求人补充材料"},
        now=datetime(2026, 6, 4, 11, 0, tzinfo=TZ),
    )
    assert item.status == "suspended" and item.next_due_at is None
    act(
        session=session,
        runtime=runtime,
        actor=handler,
        item=item,
        action="resume",
        now=datetime(2026, 6, 9, 11, 0, tzinfo=TZ),
    )
    # suspended Thu 6/4 to Tue 6/9: three working days (6/5, 6/8, 6/9) added back
    assert local(item.reply_due_at) == datetime(2026, 6, 16)


def test_send_back_approved_returns_item_for_redispatch(session, runtime, staff, item):
    fire(session, runtime, staff["supervisor"], item, "dispatch", handler_id=staff["handler"].id)
    fire(session, runtime, staff["handler"], item, "send_back", reason="outside_remit", note="属于人社部门职责")
    assert item.status == "sendback_requested" and item.sendback_reason == "outside_remit"
    fire(session, runtime, staff["supervisor"], item, "approve_send_back")
    assert item.status == "registered" and item.handler_id is None


def test_send_back_needs_a_reason_code(session, runtime, staff, item):
    fire(session, runtime, staff["supervisor"], item, "dispatch", handler_id=staff["handler"].id)
    with pytest.raises(InvalidInput) as caught:
        fire(session, runtime, staff["handler"], item, "send_back", note="不归我们管")
    assert caught.value.field == "reason"


def test_reassign_gives_new_handler_a_fresh_contact_deadline(session, runtime, staff, item):
    fire(session, runtime, staff["supervisor"], item, "dispatch", handler_id=staff["handler"].id)
    act(
        session=session,
        runtime=runtime,
        actor=staff["supervisor"],
        item=item,
        action="reassign",
        payload={"handler_id": staff["other_handler"].id},
        now=datetime(2026, 6, 8, 15, 0, tzinfo=TZ),
    )
    assert item.handler_id == staff["other_handler"].id
    assert local(item.contact_due_at) == datetime(2026, 6, 10)


def test_out_of_office_handler_is_replaced_by_delegate(session, runtime, staff, item):
    from complaints.services.people import set_out_of_office

    set_out_of_office(
        session=session,
        settings=runtime.settings,
        actor=staff["handler"],
        user=staff["handler"],
        away=True,
        delegate=staff["other_handler"],
    )
    fire(session, runtime, staff["supervisor"], item, "dispatch", handler_id=staff["handler"].id)
    assert item.handler_id == staff["other_handler"].id


def test_a_delegate_who_cannot_handle_the_item_is_passed_over(session, runtime, staff, item):
    """A delegate named before the rule (or who lost the handler role since) does not receive the item."""
    staff["handler"].out_of_office, staff["handler"].delegate_id = True, staff["operator"].id
    fire(session, runtime, staff["supervisor"], item, "dispatch", handler_id=staff["handler"].id)
    assert item.handler_id == staff["handler"].id


def test_duplicate_links_to_the_earlier_item_and_refuses_cycles(session, runtime, staff, item, make_item):
    later = make_item(actor=staff["operator"])
    fire(session, runtime, staff["supervisor"], later, "mark_duplicate", of=item.tracking_no)
    assert later.status == "duplicate" and later.duplicate_of_id == item.id and not later.is_open
    with pytest.raises(InvalidInput):
        fire(session, runtime, staff["supervisor"], item, "mark_duplicate", of=str(item.id))


def test_question_answered_at_once_is_closed_at_intake(session, runtime, staff, make_item):
    question = make_item(
        actor=staff["operator"], kind="question", category="consultation", summary="请问一年级报名什么时候开始"
    )
    fire(session, runtime, staff["operator"], question, "answer_now", text="今年一年级网上报名为7月1日至7月10日。")
    assert question.status == "closed" and question.reply_text.startswith("今年")
    complaint = make_item(actor=staff["operator"])
    with pytest.raises(InvalidInput):
        fire(session, runtime, staff["operator"], complaint, "answer_now", text="这不是咨询")


def test_supervise_sets_its_own_deadline_and_reopen_after_dissatisfaction(session, runtime, staff, item):
    handler, supervisor = staff["handler"], staff["supervisor"]
    fire(session, runtime, supervisor, item, "dispatch", handler_id=handler.id)
    fire(session, runtime, handler, item, "accept")
    fire(session, runtime, supervisor, item, "supervise", note="请于两个工作日内答复", due="2 workdays")
    assert local(item.supervise_due_at) == datetime(2026, 6, 6)
    assert item.next_due_at == item.supervise_due_at  # earlier than the reply deadline
    fire(
        session,
        runtime,
        handler,
        item,
        "reply",
        text="经核实已处理完毕，请知悉。",
        outcome="explain",
        handling_notes="电话核实",
        result_text="已解释政策",
    )
    fire(
        session,
        runtime,
        staff["operator"],
        item,
        "callback",
        resolved=False,
        satisfaction="dissatisfied",
        note="不认可",
    )
    with pytest.raises(InvalidInput):  # after 不满意 the supervisor decides, with a reason: 退回重办
        fire(session, runtime, supervisor, item, "reopen", note="诉求人不满意，重新办理")
    fire(session, runtime, supervisor, item, "redo", note="诉求人不满意，请重新核实")
    assert item.status == "accepted" and item.satisfaction is None and item.is_open


def test_refer_to_discipline_inspection_records_annex3_fields(session, runtime, staff, item):
    fire(session, runtime, staff["supervisor"], item, "dispatch", handler_id=staff["handler"].id)
    fire(session, runtime, staff["handler"], item, "accept")
    fire(
        session,
        runtime,
        staff["supervisor"],
        item,
        "refer_discipline",
        violator="某小学",
        violation="收取共建费2000元",
        discipline_action="已移交县纪委监委",
    )
    assert item.status == "accepted" and item.referred_at is not None and item.violator == "某小学"


def test_stale_version_is_refused_and_changes_nothing(session, runtime, staff, item):
    fire(session, runtime, staff["supervisor"], item, "dispatch", handler_id=staff["handler"].id)
    with pytest.raises(Conflict):
        act(session=session, runtime=runtime, actor=staff["handler"], item=item, action="accept", expected_version=1)
    assert item.status == "dispatched"


def test_two_people_acting_at_once_second_gets_conflict(engine, runtime, settings):
    """Two real sessions: both read version 1; the first write wins, the second is refused whole."""
    from complaints.services.people import add_user

    with Session(engine, expire_on_commit=False) as setup:
        sup = add_user(
            session=setup,
            settings=settings,
            actor=None,
            username="conc_sup",
            name="甲",
            unit_code="AKT",
            roles=["supervisor"],
        )
        other = add_user(
            session=setup,
            settings=settings,
            actor=None,
            username="conc_sup2",
            name="乙",
            unit_code="AKT",
            roles=["supervisor"],
        )
        handler = add_user(
            session=setup,
            settings=settings,
            actor=None,
            username="conc_h",
            name="丙",
            unit_code="AKT",
            roles=["handler"],
        )
        item = registration.register(
            session=setup,
            runtime=runtime,
            actor=sup,
            data={
                "channel": "call",
                "kind": "complaint",
                "unit_code": "AKT",
                "category": "fees",
                "summary": "并发测试",
            },
        )
        setup.commit()
    try:
        with Session(engine) as first, Session(engine) as second:
            mine = first.get(Complaint, item.id)
            theirs = second.get(Complaint, item.id)
            act(
                session=first,
                runtime=runtime,
                actor=first.get(type(sup), sup.id),
                item=mine,
                action="note",
                payload={"note": "第一位的备注"},
            )
            first.commit()
            with pytest.raises(Conflict):
                act(
                    session=second,
                    runtime=runtime,
                    actor=second.get(type(other), other.id),
                    item=theirs,
                    action="dispatch",
                    payload={"handler_id": handler.id},
                )
            second.rollback()
        with Session(engine) as check:
            fresh = check.get(Complaint, item.id)
            notes = check.exec(select(Event).where(Event.complaint_id == item.id).order_by(Event.id)).all()
            assert fresh.status == "registered" and fresh.version == 2
            assert [e.action for e in notes] == ["register", "note"]
    finally:
        _remove(engine, item.id, [sup.id, other.id, handler.id])


def _remove(engine, item_id, user_ids):
    from sqlalchemy import delete

    from complaints.models import User

    with Session(engine) as cleanup:
        cleanup.exec(delete(Event).where(Event.complaint_id == item_id))
        cleanup.exec(delete(Complaint).where(Complaint.id == item_id))
        cleanup.exec(delete(User).where(User.id.in_(user_ids)))
        statcounts.rebuild(cleanup, TZ.key)  # the kept counts lose the rows deleted here
        cleanup.commit()
