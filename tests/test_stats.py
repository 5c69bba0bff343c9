"""The 三率 and the other measures, each built by hand: reopening, callbacks in two periods, items not
yet due and items overdue and still open. Every figure's items can be listed."""

from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from complaints.services import stats
from complaints.services.transitions import act
from complaints.settings import CallbackSettings

TZ = ZoneInfo("Asia/Shanghai")
JUNE, JULY = (date(2026, 6, 1), date(2026, 6, 30)), (date(2026, 7, 1), date(2026, 7, 31))
REPLY = {
    "text": "经核实已按政策处理完毕。",
    "outcome": "explain",
    "handling_notes": "电话核实",
    "result_text": "已解释政策",
}
HAPPY = {"resolved": True, "satisfaction": "satisfied"}
UNHAPPY = {"resolved": False, "satisfaction": "dissatisfied"}


def at(month: int, day: int, hour: int = 11) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=TZ)


@pytest.fixture
def ahq(make_user, make_item, session, runtime):
    """AHQ's people, a way to make an item and a way to move it on at a given time."""
    people = {
        "op": make_user("operator", unit="AHQ"),
        "handler": make_user("handler", unit="AHQ"),
        "sup": make_user("supervisor", unit="AHQ"),
    }

    def item(received: datetime):
        return make_item(actor=people["op"], unit_code="AHQ", received_at=received)

    def run(thing, when: datetime, *steps):
        for minutes, (who, action, payload) in enumerate(steps):
            payload = {"handler_id": people["handler"].id} if action == "dispatch" else payload
            act(
                session=session,
                runtime=runtime,
                actor=people[who],
                item=thing,
                action=action,
                payload=payload,
                now=when + timedelta(minutes=10 * minutes),
            )
        return thing

    return people, item, run


def figures(session, runtime, actor, period, now, key, settings=None):
    win = stats.window(
        runtime=replace(runtime, settings=settings) if settings else runtime,
        actor=actor,
        start=period[0],
        end=period[1],
        unit_code=None,
        now=now,
    )
    value = stats.measure(session, key, win)
    return value, win


def rate(session, runtime, actor, period, now, key, settings=None) -> tuple[int, int]:
    value, _ = figures(session, runtime, actor, period, now, key, settings)
    return value.numerator, value.denominator


def listed(session, runtime, actor, period, now, key, part) -> set[str]:
    _, win = figures(session, runtime, actor, period, now, key)
    items, total = stats.members(session=session, key=key, part=part, win=win)
    assert total == len(items)
    return {i.tracking_no for i in items}


def test_response_counts_an_item_once_its_contact_deadline_passed_or_it_was_contacted(session, runtime, ahq):
    people, item, run = ahq
    prompt = run(item(at(6, 3, 10)), at(6, 3), ("sup", "dispatch", None), ("handler", "accept", {}))
    late = run(item(at(6, 3, 10)), at(6, 3), ("sup", "dispatch", None))
    run(late, at(6, 8), ("handler", "accept", {}))  # contact was due by the end of 6/4
    never = run(item(at(6, 3, 10)), at(6, 3), ("sup", "dispatch", None))
    waiting = run(item(at(6, 22, 10)), at(6, 22), ("sup", "dispatch", None))  # contact due 6/23: not yet judged
    now = at(6, 22, 15)
    assert rate(session, runtime, people["sup"], JUNE, now, "response") == (1, 3)
    assert listed(session, runtime, people["sup"], JUNE, now, "response", "denominator") == {
        prompt.tracking_no,
        late.tracking_no,
        never.tracking_no,
    }
    assert waiting.tracking_no not in listed(session, runtime, people["sup"], JUNE, now, "response", "denominator")
    assert listed(session, runtime, people["sup"], JUNE, now, "response", "numerator") == {prompt.tracking_no}


def test_an_item_not_yet_due_alone_gives_no_rate_rather_than_zero(session, runtime, ahq):
    people, item, run = ahq
    run(item(at(6, 22, 10)), at(6, 22), ("sup", "dispatch", None))
    value, _ = figures(session, runtime, people["sup"], JUNE, at(6, 22, 15), "response")
    assert (value.numerator, value.denominator, value.percent) == (0, 0, None)


@pytest.fixture
def season(ahq):
    """Four items called back in June (and one again in July), reopened and sent back in between."""
    people, item, run = ahq
    handled = (("sup", "dispatch", None), ("handler", "accept", {}), ("handler", "reply", REPLY))
    # E: 不满意 on 6/10, sent back (退回重办), satisfied on 6/13 and closed
    e = run(item(at(6, 8, 9)), at(6, 8), *handled, ("op", "callback", UNHAPPY))
    run(e, at(6, 11), ("sup", "redo", {"note": "未核实收费经过，请重新调查"}))
    run(e, at(6, 12), ("handler", "reply", REPLY), ("op", "callback", HAPPY), ("handler", "close", {}))
    # F: satisfied on 6/10, closed, then reopened on 6/12: its result stays
    f = run(item(at(6, 8, 9)), at(6, 8), *handled, ("op", "callback", HAPPY), ("handler", "close", {}))
    run(f, at(6, 12), ("sup", "reopen", {"note": "诉求人再次来电，重新办理"}))
    # G: 不满意 on 6/29, sent back on 7/1, satisfied on 7/3: callbacks in two periods
    g = run(item(at(6, 22, 9)), at(6, 26), *handled, ("op", "callback", UNHAPPY))
    run(g, at(7, 1), ("sup", "redo", {"note": "请与学校核对后重新答复"}))
    run(g, at(7, 2), ("handler", "reply", REPLY), ("op", "callback", HAPPY))
    # H: the complainant could not be reached: no result either way
    h = run(
        item(at(6, 8, 9)), at(6, 8), *handled, ("op", "callback", {"resolved": False, "satisfaction": "unreachable"})
    )
    return people, {"E": e, "F": f, "G": g, "H": h}


def test_satisfaction_and_resolution_count_each_item_once_by_its_first_callback(session, runtime, season):
    people, items = season
    now = at(7, 20)
    sup = people["sup"]
    assert rate(session, runtime, sup, JUNE, now, "satisfaction") == (1, 3)  # F of E, F, G
    assert rate(session, runtime, sup, JUNE, now, "resolution") == (1, 3)
    assert listed(session, runtime, sup, JUNE, now, "satisfaction", "denominator") == {
        items[k].tracking_no for k in "EFG"
    }
    assert listed(session, runtime, sup, JUNE, now, "satisfaction", "numerator") == {items["F"].tracking_no}
    # G's second callback, in July, does not count again: its first one (不满意) stands
    assert rate(session, runtime, sup, JULY, now, "satisfaction") == (0, 0)


def test_reopening_never_removes_a_result(session, runtime, season):
    people, items = season
    assert items["F"].status == "accepted" and items["F"].satisfaction is None  # reopened, being redone
    assert rate(session, runtime, people["sup"], JUNE, at(7, 20), "satisfaction")[1] == 3


def test_the_last_callback_may_be_chosen_instead(session, runtime, season):
    people, items = season
    last = runtime.settings.model_copy(update={"callbacks": CallbackSettings(counted="last")})
    sup, now = people["sup"], at(7, 20)
    assert rate(session, runtime, sup, JUNE, now, "satisfaction", last) == (2, 3)  # E's 6/13 callback decides
    assert rate(session, runtime, sup, JULY, now, "satisfaction", last) == (1, 1)  # G, satisfied on 7/2


def test_reopen_and_redo_rates_beside_the_three(session, runtime, season):
    people, items = season
    sup, now = people["sup"], at(7, 20)
    assert rate(session, runtime, sup, JUNE, now, "reopen") == (1, 4)  # F, of the four replied in June
    assert rate(session, runtime, sup, JUNE, now, "redo") == (1, 4)  # E (G was sent back in July)
    assert rate(session, runtime, sup, JULY, now, "redo") == (1, 1)
    assert listed(session, runtime, sup, JUNE, now, "redo", "numerator") == {items["E"].tracking_no}


def test_on_time_counts_items_due_in_the_period_closed_or_overdue(session, runtime, ahq):
    people, item, run = ahq
    handled = (("sup", "dispatch", None), ("handler", "accept", {}))
    on_time = run(
        item(at(6, 1, 9)),
        at(6, 1),
        *handled,
        ("handler", "reply", REPLY),
        ("op", "callback", HAPPY),
        ("handler", "close", {}),
    )
    late = run(item(at(6, 1, 9)), at(6, 1), *handled)
    run(
        late,
        late.reply_due_at + timedelta(days=2),
        ("handler", "reply", REPLY),
        ("op", "callback", HAPPY),
        ("handler", "close", {}),
    )
    overdue = [run(item(at(6, 1, 9)), at(6, 1), *handled) for _ in range(2)]
    not_yet = run(item(at(6, 22, 9)), at(6, 22), *handled)  # due at the end of June, after `now`
    awaiting = run(item(at(6, 1, 9)), at(6, 1), *handled, ("handler", "reply", REPLY))  # answered in time
    now = at(6, 23, 15)
    assert on_time.reply_due_at < now < not_yet.reply_due_at < stats_end(JUNE)
    assert rate(session, runtime, people["sup"], JUNE, now, "on_time") == (1, 4)
    assert listed(session, runtime, people["sup"], JUNE, now, "on_time", "denominator") == {
        on_time.tracking_no,
        late.tracking_no,
        *(i.tracking_no for i in overdue),
    }
    assert awaiting.is_open and awaiting.tracking_no not in listed(
        session, runtime, people["sup"], JUNE, now, "on_time", "denominator"
    )
    assert figures(session, runtime, people["sup"], JUNE, now, "late")[0] == 3  # late + the two overdue
    assert figures(session, runtime, people["sup"], JUNE, now, "overdue_now")[0] == 2


def stats_end(period) -> datetime:
    return datetime.combine(period[1] + timedelta(days=1), datetime.min.time(), tzinfo=TZ)


def test_dashboard_page_shows_every_rate_with_its_definition_and_links(session, runtime, season):
    people, _items = season
    result = stats.dashboard(
        session=session, runtime=runtime, actor=people["sup"], start=JUNE[0], end=JUNE[1], now=at(7, 20)
    )
    assert set(result.rates) >= {
        "received",
        "response",
        "resolution",
        "satisfaction",
        "on_time",
        "reopen",
        "redo",
        "repeat",
        "overdue_now",
    }
    assert result.rates["received"] == 4 and result.rates["satisfaction"].denominator == 3
    assert dict(result.by_unit) == {"阿合奇县教科局": 4} and len(result.by_day) == 30
