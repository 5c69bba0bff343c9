"""After a callback of 不满意 the handler cannot close: the supervisor decides on the item page, in Chromium."""

from __future__ import annotations

import json
import re
import urllib.request

import pytest
from browser_helpers import shot
from conftest import PASSWORD

pytestmark = pytest.mark.browser


def api(server: str, method: str, path: str, body: dict | None = None, token: str | None = None) -> dict:
    request = urllib.request.Request(
        server + path,
        method=method,
        data=json.dumps(body or {}).encode(),
        headers={"content-type": "application/json", **({"authorization": f"Bearer {token}"} if token else {})},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"{}")


def token(server: str, username: str) -> str:
    return api(server, "POST", "/api/auth/token", {"username": username, "password": PASSWORD, "name": "test"})["token"]


def open_action(page, name: str) -> None:
    page.locator("details > summary").filter(has_text=re.compile(f"^{name}$")).click()


def call_back_unhappy(login, server: str, number: str) -> None:
    page = login("ats_op")
    page.goto(f"{server}/items/{number}")
    open_action(page, "回访")
    page.get_by_label("满意度").select_option("dissatisfied")
    page.get_by_label("说明", exact=True).fill("诉求人认为学校仍在收取共建费")
    page.get_by_role("button", name="确认回访").click()
    assert page.locator(".flash.error").count() == 0
    assert "已回访" in page.locator("h1").last.inner_text()


@pytest.fixture(scope="module")
def replied(server):
    """An ATS item dispatched to ats_h1 and answered, through the API."""
    op, sup, handler = (token(server, name) for name in ("ats_op", "ats_sup", "ats_h1"))
    item = api(
        server,
        "POST",
        "/api/complaints",
        token=op,
        body={
            "channel": "call",
            "kind": "complaint",
            "unit_code": "ATS",
            "category": "fees",
            "summary": "反映阿图什市第三中学以共建费名义收取两千元",
            "complainant_phone": "13987654321",
        },
    )
    number = item["tracking_no"]
    handler_id = next(
        p["id"]
        for p in api(server, "GET", "/api/people?unit=ATS&limit=500", token=sup)["data"]
        if p["username"] == "ats_h1"
    )
    api(server, "POST", f"/api/complaints/{number}/actions/dispatch", {"handler_id": handler_id}, sup)
    api(server, "POST", f"/api/complaints/{number}/actions/accept", {}, handler)
    reply = {
        "text": "经核实，学校未收取共建费，所收为自愿订购的校服费。",
        "outcome": "explain",
        "handling_notes": "到校核查收费账目",
        "result_text": "所收为自愿订购的校服费",
    }
    api(server, "POST", f"/api/complaints/{number}/actions/reply", reply, handler)
    return {"number": number, "handler": handler, "reply": reply}


def test_after_dissatisfaction_the_handler_cannot_close_and_the_supervisor_sends_it_back(login, server, replied):
    number = replied["number"]
    call_back_unhappy(login, server, number)
    handler = login("ats_h1")
    handler.goto(f"{server}/items/{number}")
    assert handler.locator("details > summary").filter(has_text=re.compile("^办结$")).count() == 0
    assert "待督办人决定" in handler.get_by_test_id("callback-rounds").inner_text()
    supervisor = login("ats_sup")
    supervisor.goto(f"{server}/items/{number}")
    offered = supervisor.locator("details > summary").all_inner_texts()
    assert {"退回重办", "说明理由办结", "提请州局决定"} <= set(offered) and "办结" not in offered
    open_action(supervisor, "退回重办")
    supervisor.get_by_label("退回重办的理由及要求").fill("请调取学校收费凭证，核实是否收取共建费")
    shot(supervisor, "10-decision-redo")
    supervisor.get_by_role("button", name="确认退回重办").click()
    assert supervisor.locator(".flash.error").count() == 0
    assert "办理中" in supervisor.locator("h1").last.inner_text()
    timeline = supervisor.locator(".timeline").last.inner_text()
    assert "退回重办" in timeline and "请调取学校收费凭证" in timeline


def test_after_a_second_dissatisfaction_the_supervisor_closes_with_a_reason(login, server, replied):
    number = replied["number"]
    api(server, "POST", f"/api/complaints/{number}/actions/reply", replied["reply"], replied["handler"])
    call_back_unhappy(login, server, number)
    supervisor = login("ats_sup")
    supervisor.goto(f"{server}/items/{number}")
    assert "第2次回访" in supervisor.get_by_test_id("callback-rounds").inner_text()
    open_action(supervisor, "说明理由办结")
    supervisor.get_by_label("办结理由").select_option("beyond_policy")
    supervisor.get_by_label("向诉求人解释说明的情况").fill("校服费为自愿订购，不属于共建费，已向诉求人当面解释")
    supervisor.get_by_role("button", name="确认说明理由办结").click()
    assert supervisor.locator(".flash.error").count() == 0
    assert "已办结" in supervisor.locator("h1").last.inner_text()
    timeline = supervisor.locator(".timeline").last.inner_text()
    assert "说明理由办结" in timeline and "已向诉求人当面解释" in timeline
    shot(supervisor, "11-decision-closed")
    supervisor.goto(f"{server}/dashboard")
    assert "每件在统计期内只计一次" in supervisor.get_by_test_id("kpi-satisfaction").inner_text()
    supervisor.get_by_test_id("kpi-satisfaction").get_by_role("link").last.click()
    assert number in supervisor.locator("table").inner_text()  # the item is behind the 满意率's denominator
    shot(supervisor, "12-satisfaction-items")


def test_ranking_and_checklist_pages(login, server):
    supervisor = login("kz_sup")
    supervisor.goto(f"{server}/dashboard")
    assert supervisor.get_by_test_id("kpi-redo").count() == 1 and supervisor.get_by_test_id("kpi-reopen").count() == 1
    shot(supervisor, "13-dashboard")
    supervisor.goto(f"{server}/ranking")
    table = supervisor.get_by_test_id("ranking")
    assert table.locator("tbody tr").count() == 5 and "阿图什市教育局" in table.inner_text()
    shot(supervisor, "14-ranking")
    supervisor.goto(f"{server}/ledgers/checklist?unit_code=KZ")
    supervisor.get_by_label("第1行落实举措").fill("印发《克州2026年义务教育阳光招生实施方案》")
    supervisor.get_by_label("第1行检查结论").fill("已落实")
    supervisor.get_by_role("button", name="保存").click()
    assert "已保存 1 行" in supervisor.get_by_role("status").inner_text()
    assert "印发《克州2026年义务教育阳光招生实施方案》" in supervisor.locator(".timeline").inner_text()
    shot(supervisor, "15-checklist")
