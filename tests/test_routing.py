"""Routing: category from keywords, handler from the rule, else the least loaded; delegates stand in."""

from datetime import timedelta

import pytest
from sqlmodel import select

from complaints.clock import utcnow
from complaints.jobs.intake import auto_dispatch
from complaints.models import Event, RoutingRule
from complaints.services import people, routing
from complaints.services.categories import suggest_category
from complaints.services.transitions import act

LATER = timedelta(hours=1)  # past the operator's grace period


def dispatch_now(session, runtime):
    return auto_dispatch(session=session, runtime=runtime, now=utcnow() + LATER)


@pytest.mark.parametrize(
    ("summary", "details", "expected"),
    [
        ("学校收取共建费", "", "fees"),
        ("网上报名系统提交材料审核不通过", "", "platform"),
        ("无关内容", "", "other"),
        ("家长来电", "孩子辍学在家，请求劝返", "dropout"),
    ],
)
def test_category_is_suggested_from_keywords(runtime, summary, details, expected):
    found = suggest_category(runtime.settings, summary, details)
    assert found == expected


def test_summary_keywords_weigh_more_than_details(runtime):
    found = suggest_category(runtime.settings, "学校收取共建费", "学区")
    assert found == "fees"


def test_routing_rule_names_the_handler(session, runtime, make_user, make_item):
    chosen, _other = make_user("handler"), make_user("handler")  # the rule wins over the less loaded one
    session.add(RoutingRule(unit_code="ATS", category="fees", handler_id=chosen.id))
    item = make_item(category="fees")
    counts = dispatch_now(session, runtime)
    assert counts["dispatched"] >= 1
    assert item.status == "dispatched" and item.handler_id == chosen.id
    event = session.exec(select(Event).where(Event.complaint_id == item.id, Event.action == "dispatch")).one()
    assert "派单规则" in event.note and event.actor_id != chosen.id


def test_least_loaded_handler_of_the_unit_otherwise(session, runtime, make_user, make_item):
    busy, free = make_user("handler", unit="AHQ"), make_user("handler", unit="AHQ")
    earlier = make_item(unit_code="AHQ")
    act(
        session=session,
        runtime=runtime,
        actor=make_user("supervisor", unit="AHQ"),
        item=earlier,
        action="dispatch",
        payload={"handler_id": busy.id},
    )
    item = make_item(unit_code="AHQ", summary="反映孩子入学被要求交赞助费", complainant_phone="13900001111")
    repeat = make_item(unit_code="AHQ")  # same phone and summary as the earlier item
    dispatch_now(session, runtime)
    assert item.handler_id == free.id
    assert repeat.handler_id == busy.id  # a repeat goes to whoever handles the earlier item
    note = session.exec(select(Event.note).where(Event.complaint_id == repeat.id, Event.action == "dispatch")).one()
    assert "重复诉求" in note


def test_out_of_office_handlers_are_skipped_for_their_delegate(session, runtime, make_user, make_item):
    away, delegate = make_user("handler", unit="WQ"), make_user("handler", unit="WQ")
    people.set_out_of_office(
        session=session, settings=runtime.settings, actor=away, user=away, away=True, delegate=delegate
    )
    session.add(RoutingRule(unit_code="WQ", category="fees", handler_id=away.id))
    item = make_item(unit_code="WQ")
    dispatch_now(session, runtime)
    assert item.handler_id == delegate.id
    assert routing.least_loaded(session=session, unit_code="WQ").id == delegate.id


def test_items_within_the_grace_period_or_sent_back_are_left_to_people(session, runtime, make_user, make_item):
    handler, supervisor = make_user("handler", unit="AKT"), make_user("supervisor", unit="AKT")
    fresh = make_item(unit_code="AKT")
    auto_dispatch(session=session, runtime=runtime, now=utcnow())
    assert fresh.status == "registered"
    dispatch_now(session, runtime)
    assert fresh.handler_id == handler.id
    act(
        session=session,
        runtime=runtime,
        actor=handler,
        item=fresh,
        action="send_back",
        payload={"reason": "outside_remit", "note": "不属于本单位职责"},
    )
    act(session=session, runtime=runtime, actor=supervisor, item=fresh, action="approve_send_back")
    dispatch_now(session, runtime)
    assert fresh.status == "registered" and fresh.handler_id is None


def test_a_unit_without_handlers_is_counted_not_failed(session, runtime, make_item):
    item = make_item(unit_code="KZ")
    counts = dispatch_now(session, runtime)
    assert item.status == "registered" and counts["no_handler"] >= 1 and counts["failed"] == 0
