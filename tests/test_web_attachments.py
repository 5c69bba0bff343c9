"""Attachments on the pages: with the intake form, on the item page (preview, refusal), removal by a supervisor."""

import re

from sqlmodel import select
from test_attachments import AMR, EXE, PDF, png, stored_files
from test_web_pages import browser_as, csrf_of  # noqa: F401

from complaints.models import Attachment, Complaint


def test_intake_registers_the_item_with_its_scanned_letter(browser_as, make_user, session):  # noqa: F811
    web = browser_as(make_user("operator"))
    token = csrf_of(web.get("/intake").text)
    form = {
        "csrf_token": token,
        "channel": "letter",
        "kind": "complaint",
        "unit_code": "ATS",
        "summary": "来信反映学校收取择校费",
        "complainant_name": "王丽",
        "complainant_phone": "13812345678",
    }
    saved = web.post(
        "/intake",
        data=form,
        files=[("file", ("来信.pdf", PDF, "application/pdf")), ("file", ("录音.amr", AMR, "audio/amr"))],
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    number = re.search(r"/items/([A-Z]+-\d{4}-\d{6})", saved.headers["location"]).group(1)
    item = session.exec(select(Complaint).where(Complaint.tracking_no == number)).one()
    files = session.exec(select(Attachment.filename).where(Attachment.complaint_id == item.id)).all()
    assert files == ["来信.pdf", "录音.amr"]
    page = web.get(saved.headers["location"]).text
    assert "来信.pdf" in page and f"/items/{number}/attachments/" in page


def test_intake_without_its_csrf_token_stores_nothing(browser_as, make_user, settings):  # noqa: F811
    web = browser_as(make_user("operator"))
    web.get("/intake")
    before = stored_files(settings)
    refused = web.post(
        "/intake",
        data={"summary": "测试", "unit_code": "ATS", "channel": "call", "kind": "complaint"},
        files=[("file", ("来信.pdf", PDF, "application/pdf"))],
    )
    assert refused.status_code == 403
    assert stored_files(settings) == before


def test_intake_refuses_a_file_of_another_type_and_keeps_the_form(browser_as, make_user, session):  # noqa: F811
    web = browser_as(make_user("operator"))
    token = csrf_of(web.get("/intake").text)
    form = {
        "csrf_token": token,
        "channel": "call",
        "kind": "complaint",
        "unit_code": "ATS",
        "summary": "反映学校收取共建费（附件测试）",
    }
    refused = web.post("/intake", data=form, files=[("file", ("照片.jpg", EXE, "image/jpeg"))])
    assert refused.status_code == 422 and "照片.jpg" in refused.text and "PDF、JPEG" in refused.text
    assert 'id="intake"' in refused.text and "反映学校收取共建费（附件测试）" in refused.text  # the form, kept
    assert not session.exec(select(Complaint).where(Complaint.summary == "反映学校收取共建费（附件测试）")).all()


def test_the_item_page_uploads_previews_and_a_supervisor_removes(
    browser_as,  # noqa: F811
    make_user,
    make_item,
    session,
    settings,
):
    item = make_item()
    session.flush()
    web = browser_as(make_user("handler"))
    url = f"/items/{item.tracking_no}"
    token = csrf_of(web.get(url).text)
    bad = web.post(f"{url}/attachments", data={"csrf_token": token}, files=[("file", ("现场.png", EXE, "image/png"))])
    assert bad.status_code == 422 and "现场.png" in bad.text
    done = web.post(
        f"{url}/attachments",
        data={"csrf_token": token},
        files=[("file", ("现场.png", png(), "image/png")), ("file", ("来信.pdf", PDF, "application/pdf"))],
    )
    assert done.status_code == 200 and "已上传 2 个附件" in done.text
    [photo, letter] = session.exec(
        select(Attachment).where(Attachment.complaint_id == item.id).order_by(Attachment.id)
    ).all()
    assert f'src="{url}/attachments/{photo.id}?inline=1"' in done.text  # an image preview
    assert f'<iframe class="preview pdf" src="{url}/attachments/{letter.id}?inline=1"' in done.text
    inline = web.get(f"{url}/attachments/{photo.id}?inline=1")
    assert inline.status_code == 200 and inline.content == png()
    assert inline.headers["content-disposition"].startswith("inline")
    assert "删除附件" not in done.text  # a handler may not remove
    supervisor = browser_as(make_user("supervisor"))
    page = supervisor.get(url).text
    assert "删除附件" in page
    removed = supervisor.post(
        f"{url}/attachments/{photo.id}/remove", data={"csrf_token": csrf_of(page), "reason": "照片与本件无关"}
    )
    assert removed.status_code == 200 and "附件已删除" in removed.text and "照片与本件无关" in removed.text
    assert photo.storage_key not in {p.name for p in stored_files(settings)}
    assert supervisor.get(f"{url}/attachments/{photo.id}").status_code == 404
