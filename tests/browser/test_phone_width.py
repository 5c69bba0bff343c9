"""Every main page at 390 px wide (a phone in a school or a village): nothing wider than the screen, so no
page scrolls sideways; wide tables scroll inside themselves. And the keyboard help opens with "?"."""

from __future__ import annotations

import pytest
from browser_helpers import shot

pytestmark = pytest.mark.browser
WIDTH = 390
PAGES = {
    "ats_op": ["/intake", "/items", "/notifications"],
    "ats_h1": ["/inbox", "/items?q=收费"],
    "ats_sup": ["/board", "/approvals", "/dashboard", "/ledgers", "/replies", "/items?due=overdue"],
    "admin": ["/admin"],
}


WIDEST = """() => Array.from(document.querySelectorAll("body *"))
  .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1)
  .filter(el => !el.closest("table, .table-wrap"))
  .slice(0, 5)
  .map(el => el.tagName + "." + el.className + "#" + el.id + " " + Math.round(el.getBoundingClientRect().right))"""


def overflow(page) -> int:
    """How far the page reaches past the right edge of the screen (0: not at all)."""
    return page.evaluate(
        "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth) - window.innerWidth"
    )


def fits(page, where: str) -> None:
    assert overflow(page) <= 0, (where, page.evaluate(WIDEST))


@pytest.mark.parametrize("username", list(PAGES))
def test_every_page_fits_a_phone_screen(login, server, username):
    page = login(username, "admin-pass-2026" if username == "admin" else "demo-pass-2026", width=WIDTH, height=844)
    fits(page, "after login")
    for path in PAGES[username]:
        page.goto(server + path)
        page.wait_for_load_state("networkidle")
        assert page.locator("main").count() == 1, path
        fits(page, path)
        shot(page, f"390-{username}{path.replace('/', '-').split('?')[0]}")
    page.goto(server + "/items")
    first = page.locator('table tbody a[href^="/items/"]').first
    href = first.get_attribute("href")
    page.goto(server + href)
    page.wait_for_load_state("networkidle")
    fits(page, href)
    shot(page, f"390-{username}-item")


def test_public_and_login_pages_fit_a_phone_screen(browser, server):
    context = browser.new_context(viewport={"width": WIDTH, "height": 844}, locale="zh-CN")
    page = context.new_page()
    for path in ("/login", "/status"):
        page.goto(server + path)
        fits(page, path)
    context.close()


def test_the_keyboard_help_opens_with_a_question_mark(login, server):
    page = login("ats_h1")
    page.goto(server + "/inbox")
    page.keyboard.press("?")
    assert page.locator("dialog#shortcuts").is_visible()
    assert "列表中下一件" in page.locator("dialog#shortcuts").inner_text()
    page.keyboard.press("Escape")
    assert not page.locator("dialog#shortcuts").is_visible()
    page.keyboard.press("j")
    assert page.locator("tr.current").count() == 1


def test_a_photo_is_uploaded_and_previewed_on_the_item_page(login, server):
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\xb3\x26\x1e" * 120 for _ in range(80))
    photo = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 120, 80, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
    page = login("ats_sup", width=WIDTH, height=844)
    page.goto(server + "/items")
    page.goto(server + page.locator('table tbody a[href^="/items/"]').first.get_attribute("href"))
    page.locator("#attach-file").set_input_files([{"name": "现场照片.png", "mimeType": "image/png", "buffer": photo}])
    page.get_by_role("button", name="上传", exact=True).click()
    page.wait_for_load_state("networkidle")
    assert "已上传 1 个附件" in page.locator(".flash").first.inner_text()
    preview = page.locator("#attachments img.preview").first
    assert preview.is_visible() and preview.evaluate("img => img.naturalWidth") == 120
    fits(page, "item page with a photo")
    shot(page, "390-item-attachment")
