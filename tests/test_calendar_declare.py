"""Declaring a year (refusal, preview, confirm, correct, withdraw), unit hours, and the 信访 counting rules."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlmodel import select

from complaints.errors import Conflict, InvalidInput
from complaints.models import AuditLog, CalendarDeclaration, Event, Notification
from complaints.services import calendar as calendar_service
from complaints.services import queries, registration
from complaints.services.notices import acceptance_notice_text, issue_acceptance_notice
from complaints.services.transitions import act
from tests.test_calendar_layers import NATIONAL_2027, TZ

REGIONAL_2027 = "2027-03-09~2027-03-11 休 肉孜节\n2027-05-16~2027-05-20 休 古尔邦节\n"
NOW = datetime(2026, 12, 28, 12, 0, tzinfo=TZ)


def local(value):
    return value.astimezone(TZ).replace(tzinfo=None)


def _declaration(runtime, layer="national", text=NATIONAL_2027, year=2027):
    return calendar_service.parse(
        runtime=runtime,
        layer=layer,
        year=year,
        text=text,
        fmt="lines",
        title="国务院办公厅关于2027年部分节假日安排的通知",
        number="国办发明电〔2026〕9号",
        published=date(2026, 11, 12),
    )


def _handled_item(session, runtime, make_user, **fields):
    operator, handler = make_user("operator"), make_user("handler")
    data = {
        "channel": "call",
        "kind": "complaint",
        "unit_code": "ATS",
        "category": "fees",
        "summary": "年底反映收费问题",
        "received_at": NOW,
        **fields,
    }
    item = registration.register(session=session, runtime=runtime, actor=operator, now=NOW, data=data)
    act(
        session=session,
        runtime=runtime,
        actor=make_user("supervisor"),
        item=item,
        action="dispatch",
        payload={"handler_id": handler.id},
        now=NOW,
    )
    return item, handler


def test_a_year_missing_a_statutory_holiday_or_a_festival_is_refused_with_the_reason(session, runtime, make_user):
    admin = make_user("admin")
    lacking = _declaration(runtime, text=NATIONAL_2027.replace("2027-09-15 休 中秋节\n", "2027-02-19 班 调休\n"))
    with pytest.raises(InvalidInput) as caught:
        calendar_service.confirm(session=session, runtime=runtime, actor=admin, declaration=lacking, now=NOW)
    assert "中秋节" in caught.value.message and "2027-02-19 不是周末" in caught.value.message
    regional = _declaration(runtime, layer="xinjiang", text="2027-03-09~2027-03-11 休 肉孜节")
    with pytest.raises(InvalidInput, match="古尔邦节"):
        calendar_service.confirm(session=session, runtime=runtime, actor=admin, declaration=regional, now=NOW)
    assert session.exec(select(CalendarDeclaration)).all() == []
    with pytest.raises(InvalidInput, match="line 1|第 1 行"):
        _declaration(runtime, text="2027-01-01 玩 元旦")


def test_preview_shows_what_moves_and_writes_nothing(session, runtime, make_user):
    item, _ = _handled_item(session, runtime, make_user)
    assert item.due_provisional and local(item.reply_due_at) == datetime(2027, 1, 6)  # estimate: 1/1 off
    # a notice giving 1/4 off as well, and the region's 2027 days: 12/29, 30, 31, 1/5, 1/6
    national = _declaration(runtime, text=NATIONAL_2027 + "2027-01-04 休 元旦\n")
    moves = calendar_service.preview(
        session=session, runtime=runtime, layer="national", year=2027, declaration=national
    )
    [move] = [m for m in moves if m.item.id == item.id]
    assert move.days("reply_due_at") == 1 and move.provisional == (True, True)  # xinjiang has not declared 2027
    session.flush()
    assert local(item.reply_due_at) == datetime(2027, 1, 6) and item.due_provisional
    assert (
        session.exec(select(Event).where(Event.complaint_id == item.id, Event.action == "deadline_recomputed")).all()
        == []
    )


def test_confirm_correct_and_withdraw_a_year(session, runtime, make_user):
    admin = make_user("admin")
    item, handler = _handled_item(session, runtime, make_user)
    calendar_service.confirm(session=session, runtime=runtime, actor=admin, declaration=_declaration(runtime), now=NOW)
    assert item.due_provisional  # the region has not declared 2027 yet: still provisional
    runtime = runtime.with_declarations(
        [
            calendar_service.as_declared(r)
            for r in session.exec(select(CalendarDeclaration).where(CalendarDeclaration.status == "active"))
        ]
    )
    regional = _declaration(runtime, layer="xinjiang", text=REGIONAL_2027)
    calendar_service.confirm(session=session, runtime=runtime, actor=admin, declaration=regional, now=NOW)
    assert not item.due_provisional and local(item.reply_due_at) == datetime(2027, 1, 6)
    [event] = session.exec(
        select(Event).where(Event.complaint_id == item.id, Event.action == "deadline_recomputed")
    ).all()
    assert event.changes["due_provisional"] == [True, False] and "2027" in event.note
    notices = session.exec(
        select(Notification).where(Notification.user_id == handler.id, Notification.kind == "deadline_moved")
    ).all()
    assert len(notices) == 1 and item.tracking_no in notices[0].subject

    runtime = runtime.with_declarations(
        [
            calendar_service.as_declared(r)
            for r in session.exec(select(CalendarDeclaration).where(CalendarDeclaration.status == "active"))
        ]
    )
    corrected = _declaration(runtime, text=NATIONAL_2027 + "2027-01-04 休 元旦\n")
    with pytest.raises(Conflict):
        calendar_service.confirm(
            session=session, runtime=runtime, actor=admin, declaration=corrected, now=NOW, expected_version=0
        )
    row = calendar_service.confirm(
        session=session, runtime=runtime, actor=admin, declaration=corrected, now=NOW, expected_version=1
    )
    assert row.version == 2 and local(item.reply_due_at) == datetime(2027, 1, 7)
    versions = {r.version: r.status for r in calendar_service.history_of(session=session, layer="national")}
    assert versions == {1: "superseded", 2: "active"}

    runtime = runtime.with_declarations(
        [
            calendar_service.as_declared(r)
            for r in session.exec(select(CalendarDeclaration).where(CalendarDeclaration.status == "active"))
        ]
    )
    calendar_service.withdraw(
        session=session,
        runtime=runtime,
        actor=admin,
        layer="xinjiang",
        year=2027,
        reason="自治区通知有误，待重新公布",
        now=NOW,
    )
    assert item.due_provisional
    actions = [a.action for a in session.exec(select(AuditLog).where(AuditLog.actor_id == admin.id))]
    assert actions == ["calendar_declare", "calendar_declare", "calendar_declare", "calendar_withdraw"]
    with pytest.raises(InvalidInput):
        calendar_service.withdraw(
            session=session, runtime=runtime, actor=admin, layer="xinjiang", year=2027, reason="再撤一次", now=NOW
        )


def test_a_unit_counts_its_own_office_hours(session, runtime, make_user):
    received = datetime(2023, 6, 1, 13, 0, tzinfo=TZ)  # Thursday; 2023 is declared in every layer
    akqi = registration.register(
        session=session,
        runtime=runtime,
        actor=make_user("operator", unit="AHQ"),
        now=received,
        data={
            "channel": "call",
            "kind": "help",
            "unit_code": "AHQ",
            "category": "fees",
            "urgency": "urgent",
            "summary": "紧急求助",
            "received_at": received,
        },
    )
    atush = registration.register(
        session=session,
        runtime=runtime,
        actor=make_user("operator"),
        now=received,
        data={
            "channel": "call",
            "kind": "help",
            "unit_code": "ATS",
            "category": "fees",
            "urgency": "urgent",
            "summary": "紧急求助",
            "received_at": received,
        },
    )
    # 2 office hours: 阿合奇县 13:00–13:30 then 16:30–18:00; the prefecture's 13:00–14:00 then 16:00–17:00
    assert local(akqi.contact_due_at) == datetime(2023, 6, 1, 18, 0)
    assert local(atush.contact_due_at) == datetime(2023, 6, 1, 17, 0)
    assert not akqi.due_provisional


def test_formal_xinfang_runs_60_days_from_the_written_notice_and_pauses_once(session, runtime, make_user):
    received = datetime(2026, 7, 28, 11, 0, tzinfo=TZ)
    operator, handler, supervisor = make_user("operator"), make_user("handler"), make_user("supervisor")
    item = registration.register(
        session=session,
        runtime=runtime,
        actor=operator,
        now=received,
        data={
            "channel": "letter",
            "kind": "complaint",
            "unit_code": "ATS",
            "category": "fees",
            "summary": "来信反映共建费",
            "complainant_name": "王丽",
            "received_at": received,
        },
    )
    act(
        session=session,
        runtime=runtime,
        actor=supervisor,
        item=item,
        action="dispatch",
        payload={"handler_id": handler.id},
        now=received,
    )
    act(session=session, runtime=runtime, actor=handler, item=item, action="accept", now=received)
    assert item.next_due_at == item.ack_due_at  # 签收 does not meet the 受理告知 limit
    issued = datetime(2026, 8, 2, 10, 0, tzinfo=TZ)
    event = issue_acceptance_notice(session=session, runtime=runtime, actor=handler, item=item, now=issued)
    assert "2026年8月2日" in event.changes["notice_text"] and item.tracking_no in event.changes["notice_text"]
    assert "60日" in acceptance_notice_text(runtime=runtime, item=item, issued_on=date(2026, 8, 2))
    assert local(item.reply_due_at) == datetime(2026, 10, 9)  # 8/2 + 60 = 10/1 (国庆) -> Thu 10/8
    assert item.next_due_at == item.reply_due_at
    with pytest.raises(Conflict):
        issue_acceptance_notice(session=session, runtime=runtime, actor=handler, item=item, now=issued)
    act(
        session=session,
        runtime=runtime,
        actor=handler,
        item=item,
        action="suspend",
        payload={"note": "等待鉴定结论"},
        now=datetime(2026, 8, 10, 11, 0, tzinfo=TZ),
    )
    act(
        session=session,
        runtime=runtime,
        actor=handler,
        item=item,
        action="resume",
        now=datetime(2026, 8, 20, 11, 0, tzinfo=TZ),
    )
    assert local(item.reply_due_at) == datetime(2026, 10, 13)  # 10/1 + 10 = Sun 10/11 -> Mon 10/12, not 10/19
    from complaints.services import deadlines

    before = item.reply_due_at
    deadlines.replay(item, queries.history(session=session, item=item), runtime)
    assert item.reply_due_at == before  # the history replays to the same deadline


def test_a_letter_or_visit_cannot_be_answered_at_intake(session, runtime, make_user):
    operator = make_user("operator")
    for channel in ("letter", "visit"):
        item = registration.register(
            session=session,
            runtime=runtime,
            actor=operator,
            data={
                "channel": channel,
                "kind": "question",
                "unit_code": "ATS",
                "category": "consultation",
                "summary": "询问报名时间",
            },
        )
        with pytest.raises(InvalidInput, match="即时答复"):
            act(
                session=session,
                runtime=runtime,
                actor=operator,
                item=item,
                action="answer_now",
                payload={"text": "报名时间为7月1日至7月10日"},
            )
        assert item.status == "registered"


def test_items_from_the_xinfang_system_are_formal_xinfang_whatever_their_channel(runtime):
    from complaints.importing.mapping import ColumnMap, map_row

    source = next(s for s in runtime.settings.sources if s.name == "xinfang")
    online = source.model_copy(update={"channel": "web"})  # a deployment mapping 网上信访 to its own channel
    header = ["信访件编号", "登记日期", "信访人", "联系电话", "责任单位", "内容摘要", "信访内容"]
    row = ["XF-2026-1", "2026-06-03 10:00", "王丽", "13812345678", "阿图什市教育局", "反映共建费", "入学被收共建费"]
    for configured in (source, online):
        data = map_row(row, ColumnMap.from_header(header, configured), configured, runtime.settings)
        assert data["track"] == "xinfang"
