"""Template versions: a supervisor proposes, another approves; the handler replies from it under their name."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from complaints.errors import Forbidden, InvalidInput
from complaints.models import Event
from complaints.services import replies
from complaints.services.transitions import act

TZ = ZoneInfo("Asia/Shanghai")
SOURCE = (
    '{% extends "_base.j2" %}{% block policy %}依据《中华人民共和国义务教育法》。{% endblock %}'
    "{% block topic %}收费问题{% endblock %}"
)


def test_propose_then_another_supervisor_approves(session, runtime, make_user):
    author, approver = make_user("supervisor"), make_user("supervisor")
    draft = replies.propose(
        session=session, runtime=runtime, actor=author, category="fees", locale="zh_Hans_CN", source=SOURCE
    )
    assert draft.status == "draft" and draft.version >= 1
    with pytest.raises(Forbidden):
        replies.approve(session=session, actor=author, template_id=draft.id)
    replies.approve(session=session, actor=approver, template_id=draft.id)
    assert replies.approved(session=session, category="fees", locale="zh_Hans").id == draft.id
    newer = replies.propose(
        session=session,
        runtime=runtime,
        actor=author,
        category="fees",
        locale="zh_Hans",
        source=SOURCE.replace("收费问题", "违规收费问题"),
    )
    replies.approve(session=session, actor=approver, template_id=newer.id)
    session.refresh(draft)
    assert draft.status == "retired" and newer.version == draft.version + 1


def test_broken_or_hostile_template_is_refused(session, runtime, make_user):
    author = make_user("supervisor")
    for source in ("{% if %}", "{{ undeclared_thing }}", "{{ ''.__class__.__mro__ }}"):
        with pytest.raises(InvalidInput):
            replies.propose(
                session=session, runtime=runtime, actor=author, category="fees", locale="zh_Hans", source=source
            )
    with pytest.raises(Forbidden):
        replies.propose(
            session=session,
            runtime=runtime,
            actor=make_user("handler"),
            category="fees",
            locale="zh_Hans",
            source=SOURCE,
        )


def test_handler_replies_from_the_standard_reply_and_the_text_is_kept(session, runtime, make_user, make_item):
    handler, supervisor = make_user("handler", name="李承办"), make_user("supervisor")
    item = make_item(received_at=datetime(2026, 6, 3, 11, 0, tzinfo=TZ), school="阿图什市第一小学")
    act(
        session=session,
        runtime=runtime,
        actor=supervisor,
        item=item,
        action="dispatch",
        payload={"handler_id": handler.id},
    )
    act(session=session, runtime=runtime, actor=handler, item=item, action="accept")
    draft = replies.draft_reply(session=session, runtime=runtime, actor=handler, item=item)
    assert "已收悉" in draft["text"] and "阿图什市教育局" in draft["text"] and "0908-4223232" in draft["text"]
    assert "2026年6月3日" in draft["text"] and "李承办" in draft["text"]
    sent = (
        draft["text"]
        .replace("【请填写调查核实情况】", "经核实，该校已退还费用。")
        .replace("【请填写电话沟通情况】", "您对处理结果表示满意")
    )
    act(
        session=session,
        runtime=runtime,
        actor=handler,
        item=item,
        action="reply",
        payload={
            "text": sent,
            "outcome": "explain",
            "template_id": draft["template_id"],
            "handling_notes": "承办人到校核实",
            "result_text": "学校已退还费用",
        },
    )
    event = session.exec(select(Event).where(Event.complaint_id == item.id, Event.action == "reply")).one()
    assert event.changes["reply_text"] == sent and event.actor_id == handler.id


def test_uyghur_reply_for_a_zone_question(session, runtime, make_user, make_item):
    handler = make_user("handler")
    item = make_item(category="zone", summary="新建小区对口学校未公布")
    draft = replies.draft_reply(session=session, runtime=runtime, actor=handler, item=item, locale="ug")
    assert any("\u0600" <= ch <= "\u06ff" for ch in draft["text"])
    assert replies.variables_for(item, runtime, handler, today=date(2026, 6, 3))["reply_date"] == date(2026, 6, 3)
