"""Notices to staff: every kind, written with the action; de-duplicated; per-person channels; templates
an admin edits; a failing channel never undoes the action."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from complaints import notify
from complaints.errors import InvalidInput
from complaints.jobs.outbox import deliver_notifications, deliver_outside
from complaints.models import DeliveryAttempt, Notification, OutboxMessage
from complaints.notify.kinds import save_template
from complaints.notify.staff import set_preferences
from complaints.services.transitions import act

NOW = datetime(2026, 6, 3, 4, 0, tzinfo=UTC)


def notices(session, user, kind=None):
    query = select(Notification).where(Notification.user_id == user.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return list(session.exec(query.order_by(Notification.id)))


@pytest.fixture
def working(session, runtime, make_user, make_item):
    """An item dispatched to a handler by a supervisor, accepted."""
    supervisor, handler = make_user("supervisor"), make_user("handler")
    item = make_item()
    act(
        session=session,
        runtime=runtime,
        actor=supervisor,
        item=item,
        action="dispatch",
        payload={"handler_id": handler.id},
    )
    act(session=session, runtime=runtime, actor=handler, item=item, action="accept")
    return item, supervisor, handler


def test_dispatch_tells_the_handler_with_number_and_deadline(working, session):
    item, supervisor, handler = working
    (note,) = notices(session, handler, "assigned")
    assert item.tracking_no in note.subject and note.complaint_id == item.id
    assert supervisor.name in note.body and "本阶段期限" in note.body


def test_reassignment_tells_the_new_handler(working, session, runtime, make_user):
    item, supervisor, _ = working
    other = make_user("handler")
    act(
        session=session,
        runtime=runtime,
        actor=supervisor,
        item=item,
        action="reassign",
        payload={"handler_id": other.id, "note": "请改由你办理"},
    )
    (note,) = notices(session, other, "assigned")
    assert "请改由你办理" in note.body


def test_supervision_tells_the_handler_with_its_deadline(working, session, runtime):
    item, supervisor, handler = working
    act(
        session=session,
        runtime=runtime,
        actor=supervisor,
        item=item,
        action="supervise",
        payload={"note": "请加快办理", "due": "2 workdays"},
    )
    (note,) = notices(session, handler, "supervised")
    assert "督办" in note.subject and "请加快办理" in note.body and "督办期限" in note.body


@pytest.mark.parametrize(("decision", "word"), [("approve_extension", "批准"), ("refuse_extension", "驳回")])
def test_extension_decision_tells_the_handler(working, session, runtime, decision, word):
    item, supervisor, handler = working
    act(
        session=session,
        runtime=runtime,
        actor=handler,
        item=item,
        action="request_extension",
        payload={"amount": "3 workdays", "note": "需要调查取证"},
    )
    act(
        session=session,
        runtime=runtime,
        actor=supervisor,
        item=item,
        action=decision,
        payload={"note": "理由充分"} if decision == "refuse_extension" else {},
    )
    (note,) = notices(session, handler, "extension_decision")
    assert word in note.subject and item.tracking_no in note.body


@pytest.mark.parametrize(("decision", "word"), [("approve_send_back", "同意"), ("refuse_send_back", "驳回")])
def test_send_back_decision_tells_whoever_asked(working, session, runtime, decision, word):
    item, supervisor, handler = working
    act(
        session=session,
        runtime=runtime,
        actor=handler,
        item=item,
        action="send_back",
        payload={"reason": "wrong_unit", "note": "不属本单位"},
    )
    act(
        session=session,
        runtime=runtime,
        actor=supervisor,
        item=item,
        action=decision,
        payload={"note": "请继续办理"} if decision == "refuse_send_back" else {},
    )
    (note,) = notices(session, handler, "sendback_decision")
    assert word in note.subject


def test_dissatisfied_callback_tells_the_handler_and_satisfied_does_not(working, session, runtime, make_user):
    item, supervisor, handler = working
    act(
        session=session,
        runtime=runtime,
        actor=handler,
        item=item,
        action="reply",
        payload={
            "text": "经核查，学校已退还所收费用。",
            "outcome": "support",
            "handling_notes": "约谈校长",
            "result_text": "学校已退费",
        },
    )
    act(
        session=session,
        runtime=runtime,
        actor=make_user("operator"),
        item=item,
        action="callback",
        payload={"resolved": False, "satisfaction": "dissatisfied", "note": "家长认为未退全"},
    )
    (note,) = notices(session, handler, "dissatisfied")
    assert "家长认为未退全" in note.body


def test_sign_off_kinds_through_the_one_function(working, session, runtime, make_user):
    item, supervisor, handler = working
    request = notify.staff(
        session=session, runtime=runtime, kind="sign_off_request", user=supervisor, item=item, actor=handler
    )
    decision = notify.staff(
        session=session,
        runtime=runtime,
        kind="sign_off_decision",
        user=handler.id,
        item=item,
        actor=supervisor,
        decision="通过",
    )
    assert "请审签" in request.subject and handler.name in request.body
    assert "审签通过" in decision.subject


def test_the_same_notice_twice_is_told_once_and_never_to_oneself(working, session, runtime):
    item, supervisor, handler = working
    first = notify.staff(
        session=session, runtime=runtime, kind="supervised", user=handler, item=item, actor=supervisor, now=NOW
    )
    again = notify.staff(
        session=session,
        runtime=runtime,
        kind="supervised",
        user=handler,
        item=item,
        actor=supervisor,
        now=NOW + timedelta(minutes=3),
    )
    later = notify.staff(
        session=session,
        runtime=runtime,
        kind="supervised",
        user=handler,
        item=item,
        actor=supervisor,
        now=NOW + timedelta(hours=1),
    )
    assert first is not None and again is None and later is not None
    assert (
        notify.staff(session=session, runtime=runtime, kind="supervised", user=handler, item=item, actor=handler)
        is None
    )


def test_confidential_item_notice_leaves_out_the_summary(session, runtime, make_user, make_item):
    supervisor, handler = make_user("supervisor"), make_user("handler")
    item = make_item(kind="report", summary="举报某某校长收受家长礼金")
    act(
        session=session,
        runtime=runtime,
        actor=supervisor,
        item=item,
        action="dispatch",
        payload={"handler_id": handler.id},
    )
    (note,) = notices(session, handler, "assigned")
    assert "校长" not in note.body and "保密件" in note.body


def test_an_edited_template_words_the_notice_and_a_broken_one_is_refused(working, session, runtime, make_user):
    item, supervisor, handler = working
    admin = make_user("admin")
    save_template(
        session=session,
        actor=admin,
        kind="supervised",
        subject="【督办】{{ tracking_no }}",
        body="{{ actor }}：请在 {{ supervise_due }} 前办结。",
    )
    note = notify.staff(session=session, runtime=runtime, kind="supervised", user=handler, item=item, actor=supervisor)
    assert note.subject == f"【督办】{item.tracking_no}" and note.body.startswith(supervisor.name)
    with pytest.raises(InvalidInput):
        save_template(session=session, actor=admin, kind="supervised", subject="{{ tracking_no", body="x")
    with pytest.raises(InvalidInput):
        save_template(session=session, actor=admin, kind="overdue", subject="a", body="b")


def test_a_person_without_email_for_a_kind_keeps_it_in_the_app_only(working, session, runtime):
    item, supervisor, handler = working
    set_preferences(session=session, user=handler, choices={"assigned": []})
    deliver_notifications(session=session, runtime=runtime, now=datetime.now(UTC))
    (note,) = notices(session, handler, "assigned")
    assert note.channel == "web" and note.sent_at is not None and note.read_at is None
    assert not session.exec(select(DeliveryAttempt).where(DeliveryAttempt.notification_id == note.id)).all()


def test_unknown_channel_or_kind_is_refused(session, make_user):
    user = make_user("handler")
    with pytest.raises(InvalidInput):
        set_preferences(session=session, user=user, choices={"assigned": ["pager"]})
    with pytest.raises(InvalidInput):
        set_preferences(session=session, user=user, choices={"nonsense": ["email"]})


def test_chosen_chat_channels_get_the_notice_and_sla_warnings_too(
    session, runtime, configure, providers, make_user, make_item
):
    from complaints.jobs.sla import sla_sweep

    chat = configure(
        notify={
            "wecom": {"enabled": True, "base_url": providers.url, "robot_key": "robot-key-1"},
            "dingtalk": {
                "enabled": True,
                "base_url": providers.url,
                "robot_token": "ding-token",
                "robot_secret": "SECding",
            },
        }
    )
    supervisor, handler = make_user("supervisor"), make_user("handler")
    handler.phone = "13900001111"
    set_preferences(session=session, user=handler, choices={"assigned": ["wecom", "dingtalk"], "overdue": ["wecom"]})
    item = make_item()
    act(
        session=session,
        runtime=chat,
        actor=supervisor,
        item=item,
        action="dispatch",
        payload={"handler_id": handler.id},
    )
    later = item.next_due_at + timedelta(minutes=1)
    sla_sweep(session=session, runtime=chat, now=later)
    deliver_notifications(session=session, runtime=chat, now=later)
    counts = deliver_outside(session=session, runtime=chat, now=later)
    sent = session.exec(select(OutboxMessage).where(OutboxMessage.user_id == handler.id)).all()
    assert sorted((m.channel, m.purpose) for m in sent) == [
        ("dingtalk_robot", "assigned"),
        ("wecom_robot", "assigned"),
        ("wecom_robot", "overdue"),
    ]
    assert counts["sent"] >= 3 and all(m.status == "sent" for m in sent)
    assert sum(item.tracking_no in text for text in providers.delivered) == 3


def test_a_failing_channel_neither_blocks_nor_undoes_the_action(session, runtime, configure, make_user, make_item):
    dead = configure(notify={"wecom": {"enabled": True, "base_url": "http://127.0.0.1:9", "robot_key": "k"}})
    supervisor, handler = make_user("supervisor"), make_user("handler")
    set_preferences(session=session, user=handler, choices={"assigned": ["wecom"]})
    item = make_item()
    act(
        session=session,
        runtime=dead,
        actor=supervisor,
        item=item,
        action="dispatch",
        payload={"handler_id": handler.id},
    )
    now = datetime.now(UTC)
    deliver_notifications(session=session, runtime=dead, now=now)
    counts = deliver_outside(session=session, runtime=dead, now=now)
    assert item.status == "dispatched" and item.handler_id == handler.id
    (message,) = session.exec(select(OutboxMessage).where(OutboxMessage.user_id == handler.id)).all()
    assert counts["retry"] == 1 and message.status == "pending" and "connect" in message.last_error
    (attempt,) = session.exec(select(DeliveryAttempt).where(DeliveryAttempt.message_id == message.id)).all()
    assert attempt.outcome == "retry"
