"""A reply that leaves is complete and consistent: no fill-in prompt left, its conclusion the chosen outcome,
办理情况 and 处理结果 given, and for formal 信访 (and listed categories) signed off by a supervisor (审签)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from complaints.errors import ActionNotAllowed, Forbidden, InvalidInput
from complaints.models import Event
from complaints.services import public, replies
from complaints.services.transitions import act

RECORDS = {"handling_notes": "承办人到校查阅收费账目，约谈校长", "result_text": "学校已全额退还共建费"}


@pytest.fixture
def staff(make_user):
    return {
        "handler": make_user("handler", name="李承办"),
        "supervisor": make_user("supervisor", name="赵科长"),
        "other_supervisor": make_user("supervisor"),
    }


def accepted(session, runtime, staff, make_item, **fields):
    item = make_item(**fields)
    act(
        session=session,
        runtime=runtime,
        actor=staff["supervisor"],
        item=item,
        action="dispatch",
        payload={"handler_id": staff["handler"].id},
    )
    act(session=session, runtime=runtime, actor=staff["handler"], item=item, action="accept")
    return item


def filled(text: str) -> str:
    return text.replace("【请填写调查核实情况】", "经核实，该校确曾收取共建费2000元。").replace(
        "【请填写电话沟通情况】", "您对处理结果表示认可"
    )


def reply(session, runtime, staff, item, text, outcome, action="reply", **records):
    return act(
        session=session,
        runtime=runtime,
        actor=staff["handler"],
        item=item,
        action=action,
        payload={"text": text, "outcome": outcome, **(RECORDS | records)},
    )


def draft(session, runtime, staff, item, outcome, locale="zh_Hans"):
    return replies.draft_reply(
        session=session, runtime=runtime, actor=staff["handler"], item=item, outcome=outcome, locale=locale
    )


@pytest.mark.parametrize("locale", ["zh_Hans", "ug"])
def test_an_unedited_standard_reply_is_refused_naming_what_to_fill_in(session, runtime, staff, make_item, locale):
    item = accepted(session, runtime, staff, make_item)
    composed = draft(session, runtime, staff, item, "support", locale)
    assert len(composed["prompts"]) == 2 and all(f"【{p}】" in composed["text"] for p in composed["prompts"])
    version = item.version
    with pytest.raises(InvalidInput) as refused:
        reply(session, runtime, staff, item, composed["text"], "support")
    assert refused.value.field == "text" and "还有 2 处待填写" in refused.value.message
    assert all(p[:40] in refused.value.message for p in composed["prompts"])
    assert (item.status, item.reply_text, item.version) == ("accepted", None, version)


def test_the_outcome_picks_the_conclusion_and_a_contradicting_one_is_refused(session, runtime, staff, make_item):
    item = accepted(session, runtime, staff, make_item)
    texts = {o: filled(draft(session, runtime, staff, item, o)["text"]) for o in ("support", "explain", "reject")}
    assert "予以支持" in texts["support"] and "解释说明" in texts["explain"] and "不予支持" in texts["reject"]
    # today's complaint: the text concludes 解释说明 while 处理意见 was left at 支持
    with pytest.raises(InvalidInput) as refused:
        reply(session, runtime, staff, item, texts["explain"], "support")
    assert (
        refused.value.field == "outcome" and "“解释说明”" in refused.value.message and "“支持”" in refused.value.message
    )
    with pytest.raises(InvalidInput):
        reply(session, runtime, staff, item, texts["support"], "reject")
    assert item.status == "accepted"
    reply(session, runtime, staff, item, texts["explain"], "explain")
    assert (item.status, item.outcome, item.reply_text) == ("replied", "explain", texts["explain"])
    assert item.handling_notes == RECORDS["handling_notes"] and item.result_text == RECORDS["result_text"]


def test_a_reply_in_uyghur_is_checked_against_the_uyghur_conclusions(session, runtime, staff, make_item):
    item = accepted(session, runtime, staff, make_item, category="zone")
    text = draft(session, runtime, staff, item, "reject", "ug")["text"]
    text = text.replace("【تەكشۈرۈپ ئېنىقلانغان ئەھۋالنى تولدۇرۇڭ】", "تەكشۈرۈلدى.").replace(
        "【تېلېفوندا ئالاقىلاشقان ئەھۋالنى تولدۇرۇڭ】", "چۈشەندۈردۇق"
    )
    with pytest.raises(InvalidInput, match="不一致"):
        reply(session, runtime, staff, item, text, "support")
    reply(session, runtime, staff, item, text, "reject")
    assert item.status == "replied"


@pytest.mark.parametrize("missing", ["handling_notes", "result_text"])
def test_handling_and_result_are_required_at_reply(session, runtime, staff, make_item, missing):
    item = accepted(session, runtime, staff, make_item)
    with pytest.raises(InvalidInput) as refused:
        reply(session, runtime, staff, item, "经核实，学校已退还所收费用。", "support", **{missing: ""})
    assert refused.value.field == missing and "附件2" in refused.value.message
    assert item.status == "accepted"


def test_a_formal_xinfang_reply_leaves_only_once_a_supervisor_signs_it_off(session, runtime, staff, make_item):
    item = accepted(session, runtime, staff, make_item, channel="letter")
    text = filled(draft(session, runtime, staff, item, "support")["text"])
    assert text.startswith("信访事项处理意见书")
    with pytest.raises(InvalidInput, match="审签"):
        reply(session, runtime, staff, item, text, "support")
    reply(session, runtime, staff, item, text, "support", action="submit_reply")
    assert (item.status, item.reply_text, item.replied_at, item.reply_draft) == (
        "reply_pending_approval",
        None,
        None,
        text,
    )
    found = public.lookup(session=session, runtime=runtime, tracking_no=item.tracking_no, phone_last4="5678")
    assert found.reply_text is None  # nothing has been sent yet
    with pytest.raises(ActionNotAllowed):
        act(session=session, runtime=runtime, actor=staff["handler"], item=item, action="approve_reply")
    act(
        session=session,
        runtime=runtime,
        actor=staff["supervisor"],
        item=item,
        action="return_reply",
        payload={"note": "请写明退费金额和退费时间"},
    )
    assert (item.status, item.reply_text, item.reply_draft) == ("accepted", None, text)  # back, draft kept
    revised = text.replace("2000元。", "2000元，已于6月5日全额退还。")
    reply(session, runtime, staff, item, revised, "support", action="submit_reply")
    act(session=session, runtime=runtime, actor=staff["supervisor"], item=item, action="approve_reply")
    assert (item.status, item.reply_text, item.reply_draft) == ("replied", revised, None)
    assert item.reply_approved_by_id == staff["supervisor"].id and item.reply_approved_at == item.replied_at
    sent = session.exec(select(Event).where(Event.complaint_id == item.id, Event.action == "approve_reply")).one()
    assert sent.changes["reply_text"] == revised and sent.changes["approved_by"] == staff["supervisor"].id
    assert item.tracking_no in sent.changes["sms_text"]


def test_nobody_signs_off_their_own_reply(session, runtime, make_user, make_item):
    both = make_user("handler", "supervisor")
    staff = {"handler": both, "supervisor": make_user("supervisor")}
    item = accepted(session, runtime, staff, make_item, channel="visit")
    text = filled(draft(session, runtime, staff, item, "explain")["text"])
    reply(session, runtime, staff, item, text, "explain", action="submit_reply")
    with pytest.raises(Forbidden, match="不能审签自己提交的答复"):
        act(session=session, runtime=runtime, actor=both, item=item, action="approve_reply")
    assert item.status == "reply_pending_approval"


def test_a_deployment_lists_categories_whose_hotline_replies_need_signoff(
    session, runtime, staff, make_item, monkeypatch
):
    monkeypatch.setattr(runtime.settings.replies, "signoff_categories", ["fees"])
    item = accepted(session, runtime, staff, make_item, category="fees")
    other = accepted(session, runtime, staff, make_item, category="zone")
    assert replies.needs_signoff(item, runtime.settings) and not replies.needs_signoff(other, runtime.settings)
    with pytest.raises(InvalidInput, match="审签"):
        reply(session, runtime, staff, item, "经核实，学校已退还所收费用。", "support")
    reply(session, runtime, staff, other, "经核实，该小区属于第二小学招生范围。", "explain")
    assert other.status == "replied"


def test_the_public_page_shows_the_reply_as_sent_masking_only_the_complainant(session, runtime, staff, make_item):
    item = accepted(session, runtime, staff, make_item, complainant_name="王丽", complainant_phone="13812345678")
    text = filled(draft(session, runtime, staff, item, "explain")["text"]).replace(
        "您对处理结果表示认可", "王丽女士留下的电话138 1234 5678已核对"
    )
    reply(session, runtime, staff, item, text, "explain")
    found = public.lookup(session=session, runtime=runtime, tracking_no=item.tracking_no, phone_last4="5678")
    shown = found.reply_text
    assert "0908-4223232 / 4223233" in shown and "阿图什市教育局" in shown and "李承办" in shown
    assert "王丽" not in shown and "王某女士" in shown and "1381234" not in shown and "138****5678" in shown
    assert shown.replace("王某", "王丽").replace("138****5678", "138 1234 5678") == text


def test_the_sms_is_in_the_language_the_reply_was_written_in(session, runtime, staff, make_item):
    item = accepted(session, runtime, staff, make_item, category="zone")
    text = draft(session, runtime, staff, item, "explain", "ug")["text"]
    text = text.replace("【تەكشۈرۈپ ئېنىقلانغان ئەھۋالنى تولدۇرۇڭ】", "تەكشۈرۈلدى.").replace(
        "【تېلېفوندا ئالاقىلاشقان ئەھۋالنى تولدۇرۇڭ】", "چۈشەندۈردۇق"
    )
    reply(session, runtime, staff, item, text, "explain")
    sent = session.exec(select(Event).where(Event.complaint_id == item.id, Event.action == "reply")).one()
    sms = sent.changes["sms_text"]
    assert item.tracking_no in sms and "جاۋاب" in sms and len(sms) <= 70
