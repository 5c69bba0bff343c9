"""The demo data reads like a real season: work only in office hours on working days, callbacks by the
registering unit, replies and 处理结果 that fit each item's category and outcome, varied wording."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from complaints.clock import to_local
from complaints.demo import load_demo
from complaints.demo_text import TOPICS
from complaints.models import CallbackRound, Complaint, Event, User

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 7, 20, 12, 0, tzinfo=TZ)  # three months back: 端午 (6/19) and the May holidays included


def pattern(template: str) -> str:
    """A demo template as a regular expression: each {placeholder} matches some text."""
    return ".+?".join(re.escape(part) for part in re.split(r"\{\w+\}", template))


@pytest.mark.slow  # about 10-40 s on two cores; left out by make test-fast
def test_demo_season(session, runtime):
    assert "已载入演示数据：120 件诉求" in load_demo(session=session, runtime=runtime, items=120, now=NOW)
    items = session.exec(select(Complaint).where(Complaint.source == "demo")).all()
    events = session.exec(select(Event).where(Event.complaint_id.in_([i.id for i in items]))).all()
    hours = runtime.clock.office_hours
    assert all(hours.is_open(to_local(e.at, runtime.settings.app.timezone)) for e in events)
    holidays = {
        e.at.date() for e in events if not runtime.clock.calendar.is_workday(to_local(e.at, "Asia/Shanghai").date())
    }
    assert holidays == set()
    people = {u.id: u for u in session.exec(select(User))}
    for callback in session.exec(select(CallbackRound)):
        item = next(i for i in items if i.id == callback.complaint_id)
        assert "operator" in people[callback.actor_id].role_set and callback.actor_id != item.handler_id
    replied = [i for i in items if i.reply_text and i.kind != "question"]
    assert len(replied) > 40 and len({i.reply_text for i in replied}) == len(replied)
    for item in replied:
        finding, result = getattr(TOPICS[item.category], item.outcome)
        assert re.search(pattern(finding), item.reply_text), (item.category, item.outcome, item.reply_text)
        assert re.fullmatch(pattern(result), item.result_text.split("；")[0]), (item.outcome, item.result_text)
        assert "{" not in item.reply_text + item.result_text + item.handling_notes
    assert {i.outcome for i in replied} == {"support", "explain", "reject"}
    assert {e.action for e in events} >= {"redo", "close_with_reason", "callback", "close"}
    assert any(i.is_open for i in items) and sum(i.status == "closed" for i in items) > len(items) / 2
