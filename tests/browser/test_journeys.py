"""The three journeys, driven in Chromium as a person would, with a screenshot of each main page."""

from __future__ import annotations

import re
import subprocess
from io import BytesIO

import pytest
from browser_helpers import shot
from openpyxl import load_workbook

pytestmark = pytest.mark.browser
SUMMARY = "反映阿图什市第一小学入学收取共建费两千元"


def pdf_text(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


def no_error(page) -> None:
    """The page shows no error message (and if it does, the test says which)."""
    errors = page.locator(".flash.error")
    assert errors.count() == 0, errors.first.inner_text()


def open_action(page, name: str) -> None:
    """Open the form of one action on the item page."""
    page.locator("details > summary").filter(has_text=re.compile(f"^{name}$")).click()


@pytest.fixture(scope="module")
def state():
    return {}


def test_operator_logs_a_call_and_reads_out_the_tracking_number(login, state):
    page = login("ats_op")
    assert page.url.endswith("/intake")
    assert page.evaluate("document.activeElement.id") == "channel"  # autofocus: typing starts at once
    page.get_by_label("诉求类型").select_option("complaint")
    page.get_by_label("涉及学校").fill("阿图什市第一小学")
    page.get_by_label("问题线索摘要").fill(SUMMARY)
    page.get_by_label("诉求人姓名").fill("买买提")
    page.get_by_label("联系电话").fill("13912345678")
    page.wait_for_function("document.getElementById('category').value === 'fees'")  # suggested while typing
    shot(page, "01-intake")
    page.get_by_label("联系电话").press("Enter")  # Enter submits
    tracking = page.get_by_test_id("tracking-no")
    tracking.wait_for()
    number = tracking.inner_text().strip()
    assert re.fullmatch(r"ATS-\d{4}-\d{6}", number)
    font_size = tracking.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
    assert font_size >= 32  # large enough to read out on a live call
    shot(page, "02-registered")
    state["tracking"] = number


def test_supervisor_dispatches_it_to_a_handler(login, state):
    page = login("ats_sup")
    page.goto(page.url.split("/board")[0] + f"/items/{state['tracking']}")
    open_action(page, "派单")
    handler = page.get_by_label("承办人").locator("option", has_text="李承办").first.get_attribute("value")
    page.get_by_label("承办人").select_option(handler)
    page.get_by_role("button", name="确认派单").click()
    assert "已派单" in page.locator("h1").last.inner_text()


def test_handler_accepts_replies_from_standard_reply_and_closes(login, state, server):
    page = login("ats_h1")
    assert page.url.endswith("/inbox")
    shot(page, "03-inbox")
    page.get_by_role("link", name=state["tracking"]).click()
    open_action(page, "签收")
    page.get_by_label("联系诉求人情况").fill("已电话联系诉求人，了解收费经过")
    page.get_by_role("button", name="确认签收").click()
    assert "办理中" in page.locator("h1").last.inner_text()
    open_action(page, "答复")
    reply = page.get_by_label("答复内容")
    assert reply.input_value() == ""  # the outcome comes first
    page.get_by_label("处理意见").select_option("support")  # loads the reply that concludes 支持
    text = reply.input_value()
    assert "已收悉" in text and "阿图什市教育局" in text and "予以支持" in text
    marks = page.locator(".composer-marks mark")
    assert marks.count() == 2 and page.locator("[data-fill-ins]").is_visible()
    assert marks.first.bounding_box()["width"] > 20  # highlighted where the prompt sits
    page.get_by_role("button", name="下一处").click()
    assert (
        page.evaluate(
            "(() => { const a = document.getElementById('reply-text');"
            " return a.value.slice(a.selectionStart, a.selectionEnd); })()"
        )
        == "【请填写调查核实情况】"
    )
    page.get_by_label("办理情况").fill("到校核查，约谈校长，责令退费")
    page.get_by_label("处理结果").fill("学校已退还全部费用")
    shot(page, "04-reply-composer")
    reply.fill(
        text.replace("【请填写调查核实情况】", "经核实，该校已将所收费用全部退还。").replace(
            "【请填写电话沟通情况】", "您对处理结果表示满意"
        )
    )
    assert marks.count() == 0 and not page.locator("[data-fill-ins]").is_visible()
    page.get_by_role("button", name="确认答复").click()
    no_error(page)
    assert "已答复" in page.locator("h1").last.inner_text()
    assert "予以支持" in page.get_by_test_id("sent-reply").inner_text()
    assert state["tracking"] in page.get_by_test_id("sms-text").inner_text()
    with page.expect_popup() as popup:  # number and print the reply letter in one click
        page.locator("[data-letter=hotline]").get_by_role("button", name="编号并打印").click()
    popup.value.close()
    page.reload()
    link = page.locator("[data-letter=hotline]").get_by_role("link", name="打印（PDF）")
    doc_no = page.locator("[data-letter=hotline]").get_by_test_id("doc-no").inner_text()
    assert re.fullmatch(r"阿市教信〔\d{4}〕\d+号", doc_no)
    served = page.request.get(server + link.get_attribute("href"))
    assert served.ok and served.headers["content-type"] == "application/pdf"
    printed = re.sub(r"\s+", "", pdf_text(served.body()))
    assert doc_no in printed and "诉求办理答复函" in printed and "经核实，该校已将所收费用全部退还。" in printed
    shot(page, "04b-item-replied")
    assert page.locator("details > summary").filter(has_text=re.compile("^回访$")).count() == 0  # not their own
    caller = login("ats_op")  # the callback is made by the registering unit, not by the handler
    caller.goto(page.url.split("?")[0])
    open_action(caller, "回访")
    caller.get_by_label("问题已解决").check()
    caller.get_by_label("满意度").select_option("satisfied")
    caller.get_by_role("button", name="确认回访").click()
    no_error(caller)
    page.reload()
    open_action(page, "办结")
    page.get_by_role("button", name="确认办结").click()
    assert "已办结" in page.locator("h1").last.inner_text()
    shot(page, "05-item-closed")


def test_supervisor_presses_overdue_item_and_exports_annex2(login, state, server):
    page = login("ats_sup")
    assert page.url.endswith("/board")
    shot(page, "06-board")
    rows = page.locator("table").first.locator("tbody tr")
    first_link = rows.first.get_by_role("link").first
    overdue_no = first_link.inner_text().strip()
    rows.first.get_by_role("button", name="督办").click()
    assert f"已督办：{overdue_no}" in page.get_by_role("status").inner_text()
    page.goto(f"{server}/items/{overdue_no}")
    assert page.locator(".timeline").get_by_text("督办").count() >= 1
    page.goto(f"{server}/dashboard")
    assert page.get_by_text("响应率").count() == 1 and page.locator("svg").count() >= 2
    shot(page, "07-dashboard")
    page.goto(f"{server}/ledgers")
    shot(page, "08-ledgers")
    with page.expect_download() as download:
        page.get_by_role("button", name="导出").click()
    sheet = load_workbook(BytesIO(open(download.value.path(), "rb").read())).active
    assert sheet["A1"].value == "附件2"
    assert any(state["tracking"] in str(cell.value) for cell in sheet["B"])
    assert not any("13912345678" in str(cell.value) for row in sheet.iter_rows() for cell in row)


def test_public_status_page_shows_the_reply(browser, server, state):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = context.new_page()
    page.goto(server + "/status")
    page.get_by_label("受理编号").fill(state["tracking"])
    page.get_by_label("电话后四位").fill("5678")
    page.get_by_role("button", name="查询").click()
    assert page.get_by_test_id("public-status").inner_text() == "已办结"
    assert "买买提" not in page.content() and "13912345678" not in page.content()
    shot(page, "09-public-status")
    context.close()


def test_every_input_has_a_label(login, server):
    page = login("kz_sup")
    missing = {}
    for path in [
        "/intake",
        "/items",
        "/board",
        "/approvals",
        "/dashboard",
        "/ledgers",
        "/notifications",
        "/replies",
        "/status",
    ]:
        page.goto(server + path)
        unlabeled = page.evaluate("""() => [...document.querySelectorAll('input, select, textarea')]
            .filter(el => el.type !== 'hidden' && !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
            .map(el => el.name || el.id)""")
        if unlabeled:
            missing[path] = unlabeled
    assert missing == {}


NATIONAL_2027 = """2027-01-01 休 元旦
2027-02-05~2027-02-11 休 春节
2027-02-20 班 春节调休上班
2027-04-05 休 清明节
2027-05-01~2027-05-05 休 劳动节
2027-06-09 休 端午节
2027-10-01~2027-10-07 休 国庆节
"""


def test_admin_declares_next_year_previews_confirms_and_withdraws(login, server):
    page = login("admin", "admin-pass-2026")
    page.goto(server + "/admin")
    shot(page, "10-admin")
    page.get_by_role("link", name="录入或更正全年安排").click()
    assert "未公布（估算）" in page.get_by_test_id("layer-xinjiang-2024").inner_text()
    assert "已公布" in page.get_by_test_id("layer-xinjiang-2026").inner_text()
    page.get_by_label("日历层").select_option("national")
    page.get_by_label("年份").fill("2027")
    page.get_by_label("通知标题").fill("国务院办公厅关于2027年部分节假日安排的通知")
    page.get_by_label("文号").fill("国办发明电〔2026〕9号")
    page.get_by_label("全年安排").fill(NATIONAL_2027)  # 中秋节 left out
    page.get_by_role("button", name="预览").click()
    assert "中秋节" in page.get_by_test_id("calendar-error").inner_text()
    assert page.get_by_test_id("confirm").count() == 0
    page.get_by_label("全年安排").fill(NATIONAL_2027 + "2027-09-15 休 中秋节\n")
    page.get_by_role("button", name="预览").click()
    no_error(page)
    assert "将调整期限的在办诉求" in page.get_by_test_id("moves-count").inner_text()
    shot(page, "11-calendar-preview")
    page.get_by_test_id("confirm").click()
    no_error(page)
    assert "国办发明电〔2026〕9号" in page.get_by_test_id("declared").inner_text()
    assert "已公布" in page.get_by_test_id("layer-national-2027").inner_text()
    assert "未公布（估算）" in page.get_by_test_id("layer-xinjiang-2027").inner_text()  # still provisional
    shot(page, "12-calendar")
    row = page.get_by_test_id("declared").locator("tr", has_text="国办发明电〔2026〕9号")
    row.get_by_label("撤回原因").fill("文号录入有误")
    row.get_by_role("button", name="撤回…").click()
    page.get_by_test_id("confirm-withdraw").click()
    no_error(page)
    assert "已撤回：文号录入有误" in page.get_by_test_id("declared").inner_text()
    assert "未公布（估算）" in page.get_by_test_id("layer-national-2027").inner_text()


def test_supervisor_approves_an_extension_on_the_approvals_page(login, server):
    page = login("kz_sup")
    page.goto(server + "/approvals")
    shot(page, "10-approvals")
    row = page.locator("table.approvals").first.locator("tbody tr").first
    number = row.get_by_role("link").first.inner_text().strip()
    assert re.search(r"申请延期 \d+ (workdays|days)", row.inner_text())  # within the item's profile
    row.get_by_label("说明").fill("同意延期，请按期答复")
    row.get_by_role("button", name="批准延期").click()
    no_error(page)
    assert f"已完成：批准延期（{number}）" in page.get_by_role("status").inner_text()
    assert number not in page.locator("table.approvals").first.inner_text()
    page.goto(f"{server}/items/{number}")
    assert page.locator(".timeline").get_by_text("同意延期，请按期答复").count() == 1


def test_a_county_bureau_cooperates_and_the_lead_sees_its_input(login, server):
    lead = login("ats_sup")
    lead.goto(server + "/items?status=accepted")
    number = lead.locator("a[href^='/items/ATS-']").first.inner_text().strip()
    lead.goto(f"{server}/items/{number}")
    lead.get_by_label("协办单位", exact=True).select_option("AKT")
    lead.get_by_label("协办事项").fill("请核实该生家庭在阿克陶县的居住证办理情况")
    lead.get_by_role("button", name="增加协办单位").click()
    no_error(lead)
    assert "阿克陶县教育局" in lead.locator("#cooperation").inner_text()
    cooperator = login("akt_sup")
    cooperator.goto(server + "/cooperation")
    cooperator.get_by_role("link", name=number).click()
    shot(cooperator, "11-cooperation")
    assert "办理操作" not in cooperator.content()  # the lead unit acts on the item, not the cooperating one
    cooperator.get_by_label("协办意见").fill("经核实，居住证已于本月受理，正在审核")
    cooperator.get_by_role("button", name="提交协办意见").click()
    no_error(cooperator)
    lead.goto(f"{server}/items/{number}")
    assert "居住证已于本月受理" in lead.locator("#cooperation").inner_text()
