"""Callbacks are independent and every round is kept; after 不满意 a supervisor decides; reopening is limited."""

from datetime import datetime, timedelta
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from complaints.errors import Forbidden, InvalidInput
from complaints.models import CallbackRound, LedgerEntry, Notification
from complaints.services import callbacks, ledger
from complaints.services.steps import offered
from complaints.services.transitions import act
from workflows.lifecycle import Action, allowed_actions
from workflows.vocab import Role, Status

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 6, 3, 11, 0, tzinfo=TZ)
UNHAPPY = {"resolved": False, "satisfaction": "dissatisfied", "note": "诉求人认为学校仍在收费"}


@pytest.fixture
def staff(make_user):
    return {
        "op": make_user("operator"),
        "handler": make_user("handler"),
        "sup": make_user("supervisor"),
        "other_op": make_user("operator", unit="AKT"),
        "kz_sup": make_user("supervisor", unit="KZ"),
    }


@pytest.fixture
def replied(session, runtime, staff, make_item):
    item = make_item(actor=staff["op"], received_at=T0)
    for hours, (who, action, payload) in enumerate(
        [
            ("sup", "dispatch", {"handler_id": staff["handler"].id}),
            ("handler", "accept", {}),
            (
                "handler",
                "reply",
                {
                    "text": "经核实，学校已退还所收费用。",
                    "outcome": "support",
                    "handling_notes": "到校核查收费账目",
                    "result_text": "学校已退费",
                },
            ),
        ],
        1,
    ):
        act(
            session=session,
            runtime=runtime,
            actor=staff[who],
            item=item,
            action=action,
            payload=payload,
            now=T0 + timedelta(hours=hours),
        )
    return item


def fire(session, runtime, actor, item, action, payload=None, days=1):
    return act(
        session=session,
        runtime=runtime,
        actor=actor,
        item=item,
        action=action,
        payload=payload or {},
        now=T0 + timedelta(days=days),
    )


def actions_for(item, actor, settings) -> set[str]:
    roles = {Role(r) for r in actor.role_set}
    allowed = allowed_actions(Status(item.status), roles, is_assignee=item.handler_id == actor.id)
    return {a.value for a in offered(allowed, item, settings, actor)}


def test_the_handler_cannot_call_back_their_own_reply(session, runtime, staff, replied):
    with pytest.raises(Forbidden) as refused:
        fire(session, runtime, staff["handler"], replied, "callback", {"resolved": True, "satisfaction": "satisfied"})
    assert "承办人不能回访自己的答复" in refused.value.message
    assert replied.status == "replied" and "callback" not in actions_for(replied, staff["handler"], runtime.settings)


def test_only_the_registering_units_operators_or_supervisors_call_back(session, runtime, staff, replied):
    with pytest.raises(Forbidden):
        fire(session, runtime, staff["kz_sup"], replied, "callback", {"resolved": True, "satisfaction": "satisfied"})
    assert "callback" in actions_for(replied, staff["op"], runtime.settings)
    fire(session, runtime, staff["op"], replied, "callback", {"resolved": True, "satisfaction": "satisfied"})
    [round_] = session.exec(select(CallbackRound).where(CallbackRound.complaint_id == replied.id)).all()
    assert (round_.round, round_.actor_id, round_.reached, round_.resolved, round_.satisfaction) == (
        1,
        staff["op"].id,
        True,
        True,
        "satisfied",
    )


def test_after_dissatisfaction_the_handler_cannot_close(session, runtime, staff, replied):
    fire(session, runtime, staff["op"], replied, "callback", UNHAPPY)
    assert callbacks.needs_decision(replied)
    with pytest.raises(InvalidInput) as refused:
        fire(session, runtime, staff["handler"], replied, "close", days=2)
    assert "须由督办人决定" in refused.value.message and replied.status == "visited"
    assert "close" not in actions_for(replied, staff["handler"], runtime.settings)
    assert {"redo", "close_with_reason", "escalate"} <= actions_for(replied, staff["sup"], runtime.settings)
    assert {"close", "reopen"}.isdisjoint(actions_for(replied, staff["sup"], runtime.settings))


def test_redo_sends_it_back_with_a_fresh_reply_period_and_keeps_the_round(session, runtime, staff, replied):
    fire(session, runtime, staff["op"], replied, "callback", UNHAPPY)
    first_due = replied.reply_due_at
    fire(session, runtime, staff["sup"], replied, "redo", {"note": "未核实收费经过，请重新调查"}, days=3)
    assert replied.status == "accepted" and replied.handler_id == staff["handler"].id
    assert replied.reply_due_at > first_due and replied.reopen_count == 1
    assert "退回重办：未核实收费经过，请重新调查" in replied.decisions and "不满意" in replied.decisions
    fire(
        session,
        runtime,
        staff["handler"],
        replied,
        "reply",
        {
            "text": "经再次核实，学校已全额退费。",
            "outcome": "support",
            "handling_notes": "再次核查",
            "result_text": "学校已全额退费",
        },
        days=4,
    )
    fire(session, runtime, staff["op"], replied, "callback", {"resolved": True, "satisfaction": "satisfied"}, days=5)
    fire(session, runtime, staff["handler"], replied, "close", days=5)
    rounds = session.exec(
        select(CallbackRound).where(CallbackRound.complaint_id == replied.id).order_by(CallbackRound.id)
    ).all()
    assert [(r.round, r.satisfaction) for r in rounds] == [(1, "dissatisfied"), (2, "satisfied")]


def test_close_with_reason_goes_to_the_history_and_to_annex2(session, runtime, staff, replied):
    fire(session, runtime, staff["op"], replied, "callback", UNHAPPY)
    with pytest.raises(InvalidInput):  # the reason is required
        fire(session, runtime, staff["sup"], replied, "close_with_reason", {"reason": "beyond_policy"}, days=2)
    fire(
        session,
        runtime,
        staff["sup"],
        replied,
        "close_with_reason",
        {"reason": "beyond_policy", "note": "诉求人要求跨片区入学，超出政策规定，已当面解释"},
        days=2,
    )
    assert replied.status == "closed"
    entry = session.exec(select(LedgerEntry).where(LedgerEntry.complaint_id == replied.id)).one()
    assert "回访不满意、未解决，说明理由办结（诉求超出政策规定）：诉求人要求跨片区入学" in entry.handling
    assert "；诉求超出政策规定：诉求人要求跨片区入学，超出政策规定，已当面解释；" in entry.result
    buffer = BytesIO()
    ledger.export(
        session=session,
        runtime=runtime,
        actor=staff["sup"],
        annex=2,
        fmt="csv",
        stream=buffer,
        period=ledger.Period(unit_code="ATS", start=T0.date(), end=T0.date() + timedelta(days=30)),
    )
    assert "诉求超出政策规定" in buffer.getvalue().decode("utf-8-sig")


def test_escalation_leaves_the_decision_to_the_prefecture(session, runtime, staff, replied):
    fire(session, runtime, staff["op"], replied, "callback", UNHAPPY)
    fire(session, runtime, staff["sup"], replied, "escalate", {"note": "诉求人坚持要求，提请州局决定"}, days=2)
    assert replied.status == "visited" and replied.decision_escalated_at is not None
    told = session.exec(
        select(Notification).where(Notification.complaint_id == replied.id, Notification.kind == "decision")
    ).all()
    assert staff["kz_sup"].id in {n.user_id for n in told}
    with pytest.raises(Forbidden):
        fire(session, runtime, staff["sup"], replied, "redo", {"note": "请重新办理"}, days=3)
    assert actions_for(replied, staff["sup"], runtime.settings) & {"redo", "close_with_reason", "escalate"} == set()
    with pytest.raises(InvalidInput):  # nobody above the prefecture in this system
        fire(session, runtime, staff["kz_sup"], replied, "escalate", {"note": "再提请"}, days=3)
    fire(session, runtime, staff["kz_sup"], replied, "redo", {"note": "州局决定：重新调查收费情况"}, days=3)
    assert replied.status == "accepted" and replied.decision_escalated_at is None


def test_reopening_is_limited_and_past_it_only_the_prefecture_reopens(session, runtime, staff, replied):
    assert runtime.settings.limits.max_reopens == 2
    day = 1
    for _ in range(2):
        fire(session, runtime, staff["op"], replied, "callback", UNHAPPY, days=day)
        fire(session, runtime, staff["sup"], replied, Action.REDO, {"note": "请重新办理"}, days=day + 1)
        fire(
            session,
            runtime,
            staff["handler"],
            replied,
            "reply",
            {
                "text": "经再次核实，学校已全额退费。",
                "outcome": "support",
                "handling_notes": "再次核查",
                "result_text": "学校已全额退费",
            },
            days=day + 2,
        )
        day += 3
    fire(session, runtime, staff["op"], replied, "callback", UNHAPPY, days=day)
    with pytest.raises(Forbidden) as refused:
        fire(session, runtime, staff["sup"], replied, "redo", {"note": "请再重新办理"}, days=day + 1)
    assert "只能由州教育局决定" in refused.value.message
    assert "redo" not in actions_for(replied, staff["sup"], runtime.settings)
    fire(
        session,
        runtime,
        staff["sup"],
        replied,
        "close_with_reason",
        {"reason": "explained", "note": "已多次解释，诉求人仍不认可"},
        days=day + 1,
    )
    with pytest.raises(Forbidden):
        fire(session, runtime, staff["sup"], replied, "reopen", {"note": "再次办理"}, days=day + 2)
    fire(session, runtime, staff["kz_sup"], replied, "reopen", {"note": "州局决定再次办理"}, days=day + 2)
    assert replied.status == "accepted" and replied.reopen_count == 3
    assert len(callbacks.rounds_of(session=session, item=replied)) == 3
