"""三率 and the volumes on the supervisor's dashboard, for a known set of items."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from complaints.services.stats import dashboard
from complaints.services.transitions import act

TZ = ZoneInfo("Asia/Shanghai")


def test_three_rates_for_a_known_set(session, runtime, make_user, make_item):
    op, handler, sup = make_user("operator", unit="AHQ"), make_user("handler", unit="AHQ"), \
        make_user("supervisor", unit="AHQ")

    def run(item, steps, day):
        for hour, (actor, action, payload) in enumerate(steps):
            act(session=session, runtime=runtime, actor=actor, item=item, action=action, payload=payload,
                now=datetime(2026, 6, day, 11 + hour, 0, tzinfo=TZ))

    received = datetime(2026, 6, 3, 10, 0, tzinfo=TZ)
    items = [make_item(actor=op, unit_code="AHQ", received_at=received) for _ in range(4)]
    reply = {"text": "经核实已按政策处理完毕。", "outcome": "explain"}
    # 1: accepted in time, satisfied, closed on time
    run(items[0], [(sup, "dispatch", {"handler_id": handler.id}), (handler, "accept", {}), (handler, "reply", reply),
                   (op, "callback", {"resolved": True, "satisfaction": "satisfied"}), (handler, "close", {})], 3)
    # 2: accepted late (contact due end of 6/4), not resolved, dissatisfied
    run(items[1], [(sup, "dispatch", {"handler_id": handler.id})], 3)
    run(items[1], [(handler, "accept", {}), (handler, "reply", reply),
                   (op, "callback", {"resolved": False, "satisfaction": "dissatisfied"})], 8)
    # 3: dispatched, never accepted; 4: only registered
    run(items[2], [(sup, "dispatch", {"handler_id": handler.id})], 3)
    result = dashboard(session=session, runtime=runtime, actor=sup, start=date(2026, 6, 1), end=date(2026, 6, 30),
                       now=datetime(2026, 6, 20, tzinfo=TZ))
    assert result.received == 4
    assert (result.response.numerator, result.response.denominator) == (1, 3)
    assert (result.resolution.numerator, result.resolution.denominator) == (1, 2)
    assert result.satisfaction.percent == 50.0
    assert (result.on_time.numerator, result.on_time.denominator) == (1, 1)
    assert result.overdue_now == 2  # item 3 (never contacted) and item 4 (never dispatched)
    assert dict(result.by_day)[date(2026, 6, 3)] == 4 and len(result.by_day) == 30
    assert dict(result.by_unit) == {"阿合奇县教科局": 4}
