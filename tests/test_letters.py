"""Official letters: made from the text that was sent, numbered per unit and year, printed as PDF (GB/T 9704)
and DOCX, scoped like the item, the complainant named only to those who may see who they are."""

from __future__ import annotations

import io
import re
import subprocess
import threading

import docx
import pytest
from sqlmodel import Session

from complaints import auth
from complaints.db import make_engine, upgrade
from complaints.services import letters, replies
from complaints.services.transitions import act

pytest_plugins = ["test_api_client"]  # the app wired to the test's transaction, and its clients

RECORDS = {"handling_notes": "到校查阅收费账目", "result_text": "学校已全额退费"}


def flat(text: str) -> str:
    return re.sub(r"[\s\u3000]+", "", text)


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF")
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode("utf-8")


@pytest.fixture
def staff(make_user):
    return {"handler": make_user("handler", name="李承办"), "supervisor": make_user("supervisor")}


def sent(session, runtime, staff, item, outcome="support"):
    """Dispatched, accepted and answered (signed off when it must be); the text sent is returned."""
    act(
        session=session,
        runtime=runtime,
        actor=staff["supervisor"],
        item=item,
        action="dispatch",
        payload={"handler_id": staff["handler"].id},
    )
    act(session=session, runtime=runtime, actor=staff["handler"], item=item, action="accept")
    text = replies.draft_reply(session=session, runtime=runtime, actor=staff["handler"], item=item, outcome=outcome)[
        "text"
    ]
    text = text.replace("【请填写调查核实情况】", "经核实，该校曾向12名新生收取共建费每人2000元。").replace(
        "【请填写电话沟通情况】", "您对处理结果表示认可"
    )
    signed = replies.needs_signoff(item, runtime.settings)
    act(
        session=session,
        runtime=runtime,
        actor=staff["handler"],
        item=item,
        action="submit_reply" if signed else "reply",
        payload={"text": text, "outcome": outcome, **RECORDS},
    )
    if signed:
        act(session=session, runtime=runtime, actor=staff["supervisor"], item=item, action="approve_reply")
    session.flush()
    return text


def test_a_xinfang_item_has_its_acceptance_notice_and_decision_numbered_in_order(session, runtime, staff, make_item):
    item = make_item(channel="letter", complainant_name="王丽")
    text = sent(session, runtime, staff, item)
    assert set(letters.sources(session=session, item=item)) == {"acceptance", "decision"}
    decision = letters.issue(session=session, runtime=runtime, actor=staff["handler"], item=item, kind="decision")
    again = letters.issue(session=session, runtime=runtime, actor=staff["supervisor"], item=item, kind="decision")
    notice = letters.issue(session=session, runtime=runtime, actor=staff["handler"], item=item, kind="acceptance")
    assert again.id == decision.id and decision.text == text
    year = decision.year
    assert re.fullmatch(rf"阿市教信〔{year}〕\d+号", decision.doc_no)
    assert (notice.unit_code, notice.year, notice.seq) == ("ATS", year, decision.seq + 1)
    parts = letters.parts(session=session, runtime=runtime, actor=staff["handler"], item=item, letter=decision)
    assert parts.recipient == "尊敬的王丽：" and parts.title == "信访事项处理意见书"
    printed = flat(pdf_text(_pdf(parts)))
    for piece in ("阿图什市教育局", "信访事项处理意见书", decision.doc_no, "尊敬的王丽："):
        assert flat(piece) in printed
    body = [line for line in text.splitlines()[2:] if line.strip()]  # the title and number lines print apart
    assert all(flat(line) in printed for line in body)


def _pdf(parts) -> bytes:
    from complaints.letters import pdf

    return pdf.render(parts)


@pytest.mark.parametrize("channel", ["call", "letter"])
def test_the_letter_prints_and_downloads_from_the_item_page(browser_as, session, runtime, staff, make_item, channel):
    item = make_item(channel=channel)
    text = sent(session, runtime, staff, item, outcome="explain")
    kind, title = ("hotline", "诉求办理答复函") if channel == "call" else ("decision", "信访事项处理意见书")
    web = browser_as(staff["handler"])
    page = web.get(f"/items/{item.tracking_no}").text
    assert f'action="/items/{item.tracking_no}/letters/{kind}"' in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = web.post(f"/items/{item.tracking_no}/letters/{kind}", data={"csrf_token": token})
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("inline")
    letter = letters.issued(session=session, item=item)[kind]
    printed = flat(pdf_text(response.content))
    assert flat(title) in printed and flat(letter.doc_no) in printed and "阿图什市教育局" in printed
    assert all(
        flat(line) in printed
        for line in text.splitlines()
        if line.strip() and line.strip() != title and line.strip() != item.tracking_no
    )
    assert letter.doc_no in web.get(f"/items/{item.tracking_no}").text  # numbered once, shown on the page
    word = web.get(f"/items/{item.tracking_no}/letters/{kind}.docx")
    assert word.status_code == 200 and word.headers["content-disposition"].startswith("attachment")
    paragraphs = [p.text for p in docx.Document(io.BytesIO(word.content)).paragraphs]
    assert paragraphs[:2] == ["阿图什市教育局", letter.doc_no] and title in paragraphs
    assert flat("".join(paragraphs)).count(flat(text.splitlines()[-3])) >= 1


def test_another_unit_gets_404_and_a_confidential_reporter_is_not_named(
    browser_as, session, runtime, staff, make_item, make_user
):
    item = make_item(kind="report", summary="举报学校违规收费", complainant_name="赵敏")
    assert item.confidential
    sent(session, runtime, staff, item)
    letter = letters.issue(session=session, runtime=runtime, actor=staff["handler"], item=item, kind="hotline")
    session.flush()
    outsider = browser_as(make_user("supervisor", unit="AKT"))
    assert outsider.get(f"/items/{item.tracking_no}/letters/hotline.pdf").status_code == 404
    page = browser_as(staff["handler"]).get(f"/items/{item.tracking_no}")
    printed = pdf_text(browser_as(staff["handler"]).get(f"/items/{item.tracking_no}/letters/hotline.pdf").content)
    assert page.status_code == 200 and "赵敏" not in printed and "诉求人：" in flat(printed)
    assert letter.doc_no in flat(printed)


def test_a_review_decision_is_the_prefecture_bureaus_letter(session, runtime, staff, make_item, make_user):
    from datetime import timedelta

    item = make_item(channel="letter")
    sent(session, runtime, staff, item, outcome="reject")
    act(
        session=session,
        runtime=runtime,
        actor=make_user("operator"),
        item=item,
        action="callback",
        payload={"resolved": False, "satisfaction": "dissatisfied"},
    )
    act(
        session=session,
        runtime=runtime,
        actor=staff["supervisor"],
        item=item,
        action="close_with_reason",
        payload={"reason": "explained", "note": "已向信访人解释政策"},
    )
    act(
        session=session,
        runtime=runtime,
        actor=staff["supervisor"],
        item=item,
        action="request_review",
        payload={"note": "对处理意见不服"},
        now=item.closed_at + timedelta(days=1),
    )
    kz = {"handler": make_user("handler", unit="KZ"), "supervisor": make_user("supervisor", unit="KZ")}
    sent(session, runtime, kz, item, outcome="support")
    found = letters.sources(session=session, item=item)
    assert set(found) == {"acceptance", "decision", "review"}
    review = letters.issue(session=session, runtime=runtime, actor=kz["handler"], item=item, kind="review")
    decision = letters.issue(session=session, runtime=runtime, actor=kz["handler"], item=item, kind="decision")
    assert review.doc_no.startswith("克教信〔") and decision.doc_no.startswith("阿市教信〔")
    assert review.text.startswith("信访事项复查意见书")


def test_numbers_are_unique_under_concurrent_issues(scratch_url):
    """Eight letters numbered at once, each in its own transaction: 1–8, no gap, no repeat."""
    from complaints.services.letters import _next_number

    upgrade(scratch_url)
    engine = make_engine(scratch_url)
    numbers, errors = [], []

    def issue_one():
        try:
            with Session(engine) as session:
                numbers.append(_next_number(session, "ATS", 2026))
                session.commit()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=issue_one) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    engine.dispose()
    assert errors == [] and sorted(numbers) == list(range(1, 9))


@pytest.fixture
def browser_as(client, session):
    def sign_in(user):
        _, token = auth.create_session(session=session, user=user, kind="browser")
        client.cookies.set(auth.SESSION_COOKIE, token)
        return client

    return sign_in


def test_a_written_acceptance_notice_recorded_on_the_item_is_the_letter_printed(session, runtime, staff, make_item):
    from complaints.models import Event

    item = make_item(channel="visit")
    session.flush()
    notice = (
        "信访事项受理告知书\n王丽：\n　　您反映的收费问题已受理，将于六十日内办结。\n\n阿图什市教育局\n2026年12月1日"
    )
    session.add(
        Event(
            complaint_id=item.id,
            actor_id=staff["supervisor"].id,
            action="acknowledge",
            from_status=item.status,
            to_status=item.status,
            changes={"notice_text": notice},
        )
    )
    session.flush()
    letter = letters.issue(session=session, runtime=runtime, actor=staff["supervisor"], item=item, kind="acceptance")
    assert letter.text == notice
    printed = flat(
        pdf_text(
            _pdf(letters.parts(session=session, runtime=runtime, actor=staff["supervisor"], item=item, letter=letter))
        )
    )
    assert "信访事项受理告知书" in printed and "您反映的收费问题已受理，将于六十日内办结。" in printed
    assert flat(letter.doc_no) in printed and "2026年12月1日" in printed


def test_the_standard_acceptance_notice_until_one_is_written(session, runtime, staff, make_item):
    from complaints.letters import letter_pdf

    item = make_item(channel="letter")
    session.flush()
    letter = letters.issue(session=session, runtime=runtime, actor=staff["supervisor"], item=item, kind="acceptance")
    assert "决定予以受理" in letter.text and item.tracking_no in letter.text
    printed = flat(
        pdf_text(letter_pdf(letter.text, kind="acceptance", unit_name="阿图什市教育局", doc_no=letter.doc_no))
    )
    assert "信访事项受理告知书" in printed and flat(letter.doc_no) in printed and "六十日内办结" in printed
