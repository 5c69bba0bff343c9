"""The whole interface in Uyghur: no Chinese left in the chrome of the main pages, laid out right to left."""

from __future__ import annotations

import re

import pytest
from browser_helpers import shot
from conftest import PASSWORD
from test_decision import api, token

from complaints.settings import load_settings

pytestmark = pytest.mark.browser

CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")
# The chrome: navigation, headings, labels, buttons, table headers and the choices of vocabulary and
# config lists. Not user data: summaries, people's names (the handler lists), typed schools, a message as sent.
CHROME = """() => {
  const picked = document.querySelectorAll(
    'nav a, nav button, h1, h2, h3, label, button, th, dt, summary, legend, title, p.hint, '
    + 'svg text, select:not([name*=handler]):not([name*=delegate]):not(#lang-select) option, '
    + 'input[type=submit], a.button, .brand');
  const text = el => {  // what the page says, less the user data inside it (a message as it was sent)
    const copy = el.cloneNode(true);
    copy.querySelectorAll('[data-user-text]').forEach(part => part.remove());
    return copy.textContent;
  };
  return Array.from(picked, el => (el.value && el.tagName === 'INPUT' ? el.value : text(el))
                                  .replace(/\\s+/g, ' ').trim()).filter(Boolean);
}"""


def _sign_in(browser, server, username: str):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="ug-CN")
    page = context.new_page()
    page.goto(server + "/login?lang=ug")
    assert page.locator("html").get_attribute("dir") == "rtl"
    _assert_no_chinese(page, "login")
    shot(page, "ug-00-login")
    page.get_by_label("ئىشلەتكۈچى نامى").fill(username)
    page.get_by_label("پارول").fill(PASSWORD)
    page.get_by_role("button", name="كىرىش").click()
    page.wait_for_load_state("networkidle")
    return context, page


def _dispatched_to(server: str, username: str) -> str:
    """A new ATS item dispatched to `username` through the API: its tracking number."""
    op, sup = token(server, "ats_op"), token(server, "ats_sup")
    item = api(
        server,
        "POST",
        "/api/complaints",
        token=op,
        body={
            "channel": "call",
            "kind": "complaint",
            "unit_code": "ATS",
            "category": "zone",
            "summary": "反映新建小区划片学校未公布",
            "complainant_phone": "13987650000",
        },
    )
    people = api(server, "GET", "/api/people?unit=ATS&limit=500", token=sup)["data"]
    handler_id = next(p["id"] for p in people if p["username"] == username)
    api(server, "POST", f"/api/complaints/{item['tracking_no']}/actions/dispatch", {"handler_id": handler_id}, sup)
    return item["tracking_no"]


def _assert_no_chinese(page, where: str) -> list[str]:
    texts = page.evaluate(CHROME)
    assert texts, where
    # a language is named in its own language (中文 among the reply languages), as in the switcher; 【】 are
    # the fill-in marks every locale shares (complaints/replies/marks.py)
    chinese = [text for text in texts if CJK.search(text.replace("中文", "").replace("【", "").replace("】", ""))]
    assert not chinese, f"Chinese left in the Uyghur {where} page: {chinese}"
    assert page.locator("html").get_attribute("lang") == "ug"
    return texts


def test_the_main_pages_have_no_chinese_chrome_in_uyghur(browser, server):
    context, page = _sign_in(browser, server, "ats_sup")
    try:
        for path, name in (
            ("/board", "board"),
            ("/dashboard", "dashboard"),
            ("/intake", "intake"),
            ("/items", "items"),
        ):
            page.goto(server + path)
            texts = _assert_no_chinese(page, name)
            assert page.locator("html").get_attribute("dir") == "rtl"
            if name == "board":
                assert "نازارەت تاختىسى" in texts
                shot(page, "ug-01-board")
            if name == "dashboard":
                ug_names = [c.names["ug"][:10] for c in load_settings().categories]  # the chart's labels
                assert any(text.startswith(name) for text in texts for name in ug_names)
                shot(page, "ug-06-dashboard")
            if name == "intake":
                assert "ئەرز-شىكايەت تىزىملاش" in texts and "قائىدىگە خىلاپ ھەق ئېلىش" in texts
                shot(page, "ug-02-intake")
        page.locator("table a[href^='/items/']").first.click()
        page.wait_for_load_state("networkidle")
        texts = _assert_no_chinese(page, "item")
        assert "بىر تەرەپ قىلىش خاتىرىسى" in texts
    finally:
        context.close()


def test_a_handler_works_in_uyghur_and_drafts_a_uyghur_reply(browser, server):
    context, page = _sign_in(browser, server, "ats_h1")
    try:
        assert page.url.endswith("/inbox")
        texts = _assert_no_chinese(page, "inbox")
        assert "مېنىڭ ئىشلىرىم" in texts
        shot(page, "ug-03-inbox")
        page.locator("table a[href^='/items/']").first.click()
        page.wait_for_load_state("networkidle")
        _assert_no_chinese(page, "item")
        shot(page, "ug-04-item")
        # the chrome sits on the right: the page reads right to left
        heading = page.locator("main h1").first.bounding_box()
        assert heading["x"] + heading["width"] > 1366 / 2
        # an item being handled: the reply composer drafts the reply in Uyghur on request
        number = _dispatched_to(server, "ats_h1")
        page.goto(server + f"/items/{number}")
        page.wait_for_load_state("networkidle")
        page.locator("details > summary").filter(has_text=re.compile("^تاپشۇرۇۋېلىش$")).click()
        page.get_by_label("ئىنكاس قىلغۇچى بىلەن ئالاقىلاشقان ئەھۋال").fill("تېلېفوندا ئالاقىلاشتۇق")
        page.get_by_role("button", name="جەزملەشتۈرۈش: تاپشۇرۇۋېلىش").click()
        page.wait_for_load_state("networkidle")
        assert "بېجىرىلىۋاتىدۇ" in page.locator("main h1").first.inner_text()
        page.goto(page.url.split("?")[0].split("#")[0] + "?reply_locale=ug&reply_outcome=explain#reply")
        _assert_no_chinese(page, "reply composer")
        draft = page.get_by_label("جاۋاب مەزمۇنى").input_value()
        assert "ئاتۇش شەھەرلىك مائارىپ ئىدارىسىنىڭ ئوقۇغۇچى قوبۇل قىلىش مەسلىھەت تېلېفونىغا" in draft
        assert "【تەكشۈرۈپ ئېنىقلانغان ئەھۋالنى تولدۇرۇڭ】" in draft
        shot(page, "ug-05-reply-composer")
    finally:
        context.close()
