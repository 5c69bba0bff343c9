"""The pages for notice channels (each person's) and for wording, webhook subscribers and what was sent (admins)."""

import re

import pytest
from sqlmodel import select

from complaints import auth
from complaints.models import NoticePreference, NoticeTemplate, WebhookSubscriber


@pytest.fixture
def browser_as(client, session):
    def sign_in(user):
        _, token = auth.create_session(session=session, user=user, kind="browser")
        client.cookies.set(auth.SESSION_COOKIE, token)
        return client

    return sign_in


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_a_person_chooses_channels_per_kind_on_their_account_page(browser_as, make_user, session):
    handler = make_user("handler")
    browser = browser_as(handler)
    form = browser.get("/account/notices")
    assert form.status_code == 200 and "企业微信" in form.text and "督办" in form.text
    saved = browser.post(
        "/account/notices",
        data={
            "csrf_token": csrf_of(form.text),
            "assigned:wecom": "on",
            "assigned:email": "on",
            "wecom_handle": "zhangsan",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert session.get(NoticePreference, (handler.id, "assigned")).channels == ["email", "wecom"]
    assert session.get(NoticePreference, (handler.id, "overdue")).channels == []
    again = browser.get("/account/notices").text
    assert 'value="zhangsan"' in again and 'name="assigned:wecom" checked' in again
    refused = browser.post("/account/notices", data={"csrf_token": csrf_of(again), "wecom_handle": "has space"})
    assert refused.status_code == 422 and "空格" in refused.text


def test_admin_edits_wording_and_adds_a_subscriber_whose_secret_shows_once(browser_as, make_user, session):
    browser = browser_as(make_user("admin", unit="KZ"))
    html = browser.get("/admin/notices").text
    assert "新派诉求件" in html and "Webhook" in html
    token = csrf_of(html)
    browser.post(
        "/admin/notices/supervised",
        data={"csrf_token": token, "subject": "【督办】{{ tracking_no }}", "body": "请于 {{ supervise_due }} 前办结"},
    )
    assert session.get(NoticeTemplate, "supervised").subject == "【督办】{{ tracking_no }}"
    broken = browser.post("/admin/notices/supervised", data={"csrf_token": token, "subject": "{{ x", "body": "y"})
    assert broken.status_code == 422
    added = browser.post(
        "/admin/webhooks",
        data={
            "csrf_token": token,
            "name": "12345",
            "events": "status_changed",
            "url": "https://hook.example.org/in",
            "units": "ATS",
        },
    )
    row = session.exec(select(WebhookSubscriber).where(WebhookSubscriber.name == "12345")).one()
    assert row.secret in added.text and row.secret not in browser.get("/admin/notices").text
    browser.post(f"/admin/webhooks/{row.id}", data={"csrf_token": token, "paused": "1"})
    session.refresh(row)
    assert row.paused is True


def test_only_admins_reach_the_admin_page_and_county_admins_see_no_subscribers(browser_as, make_user):
    assert browser_as(make_user("handler")).get("/admin/notices").status_code == 403
    county = browser_as(make_user("admin", unit="ATS"))
    html = county.get("/admin/notices").text
    assert "新派诉求件" in html and "新增订阅" not in html
    assert (
        county.post(
            "/admin/webhooks", data={"csrf_token": csrf_of(html), "name": "x", "url": "https://x.example.org"}
        ).status_code
        == 403
    )


def test_intake_records_that_the_complainant_declines_texts(browser_as, make_user, session):
    from complaints.models import Complaint

    browser = browser_as(make_user("operator"))
    form = browser.get("/intake").text
    assert "短信告知" not in form  # SMS is off in this deployment: nothing to ask
    saved = browser.post(
        "/intake",
        data={
            "csrf_token": csrf_of(form),
            "channel": "call",
            "kind": "complaint",
            "unit_code": "ATS",
            "category": "fees",
            "summary": "反映学校收取共建费",
            "complainant_phone": "13812345678",
            "sms_consent": "no",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    number = saved.headers["location"].split("/items/")[1].split("?")[0]
    item = session.exec(select(Complaint).where(Complaint.tracking_no == number)).one()
    assert item.sms_consent is False
