"""The monthly ranking (考核) of units and handlers, on a page and as xlsx."""

from datetime import datetime, timedelta
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from test_web_pages import browser_as  # noqa: F401

from complaints.errors import InvalidInput
from complaints.services import ranking
from complaints.services.transitions import act

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 6, 3, 11, 0, tzinfo=TZ)
NOW = datetime(2026, 7, 10, 12, 0, tzinfo=TZ)


@pytest.fixture
def june(session, runtime, make_user, make_item):
    """WQ: two items, both satisfied; AKT: two items, one dissatisfied and one left overdue."""
    people = {}
    for unit in ("WQ", "AKT"):
        people[unit] = {
            "op": make_user("operator", unit=unit),
            "handler": make_user("handler", unit=unit, name=f"{unit}承办"),
            "sup": make_user("supervisor", unit=unit),
        }

    def handle(unit, satisfaction):
        staff = people[unit]
        item = make_item(actor=staff["op"], unit_code=unit, received_at=T0)
        steps = [
            ("sup", "dispatch", {"handler_id": staff["handler"].id}),
            ("handler", "accept", {}),
            (
                "handler",
                "reply",
                {
                    "text": "经核实已按政策处理完毕。",
                    "outcome": "explain",
                    "handling_notes": "电话核实",
                    "result_text": "已解释政策",
                },
            ),
        ]
        if satisfaction:
            steps.append(("op", "callback", {"resolved": satisfaction == "satisfied", "satisfaction": satisfaction}))
        for hours, (who, action, payload) in enumerate(steps, 1):
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

    handle("WQ", "satisfied"), handle("WQ", "satisfied"), handle("AKT", "dissatisfied")
    late = make_item(actor=people["AKT"]["op"], unit_code="AKT", received_at=T0)
    act(
        session=session,
        runtime=runtime,
        actor=people["AKT"]["sup"],
        item=late,
        action="dispatch",
        payload={"handler_id": people["AKT"]["handler"].id},
        now=T0,
    )
    return people


def test_units_are_ranked_by_the_three_rates_then_on_time_and_late(session, runtime, make_user, june):
    prefecture = make_user("supervisor", unit="KZ")
    rows = ranking.rank(session=session, runtime=runtime, actor=prefecture, month="2026-06", by="unit", now=NOW)
    order = [row.key for row in rows]
    assert order.index("WQ") < order.index("AKT")
    wq, akt = (next(r for r in rows if r.key == code) for code in ("WQ", "AKT"))
    assert (wq.figures["satisfaction"].numerator, wq.figures["satisfaction"].denominator) == (2, 2)
    assert (akt.figures["satisfaction"].numerator, akt.figures["satisfaction"].denominator) == (0, 1)
    assert akt.figures["late"] == 1 and akt.figures["received"] == 2
    assert len(rows) == len(runtime.settings.units)  # units with nothing to judge are listed too, last
    assert ranking.cell("satisfaction", rows[-1].figures.get("satisfaction")) == "—"


def test_handlers_are_ranked_and_a_county_sees_only_its_own(session, runtime, june):
    rows = ranking.rank(session=session, runtime=runtime, actor=june["AKT"]["sup"], month="2026-06", by="unit", now=NOW)
    assert [r.key for r in rows] == ["AKT"]
    handlers = ranking.rank(
        session=session, runtime=runtime, actor=june["AKT"]["sup"], month="2026-06", by="handler", now=NOW
    )
    assert [r.name.split("（")[0] for r in handlers] == ["AKT承办"]
    with pytest.raises(InvalidInput):
        ranking.rank(session=session, runtime=runtime, actor=june["AKT"]["sup"], month="2026-13", by="unit", now=NOW)


def test_the_ranking_page_and_its_export(browser_as, make_user, june):  # noqa: F811
    web = browser_as(make_user("supervisor", unit="KZ"))
    page = web.get("/ranking?month=2026-06&by=unit")
    assert page.status_code == 200 and "乌恰县教育局" in page.text and "100.0%（2/2）" in page.text
    exported = web.get("/ranking/export?month=2026-06&by=unit")
    assert exported.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(BytesIO(exported.content)).active
    assert sheet["A1"].value == "2026-06 考核排名（按单位）"
    assert [c.value for c in sheet[2]][:3] == ["名次", "名称", "满意率"]
    names = [sheet.cell(row=r, column=2).value for r in range(3, sheet.max_row + 1)]
    assert names.index("乌恰县教育局") < names.index("阿克陶县教育局")
