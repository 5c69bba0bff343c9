"""The calendar page: refusal, preview, confirm and withdraw of a year, through the forms."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from complaints import auth
from complaints.models import AuditLog, CalendarDeclaration

TZ = ZoneInfo("Asia/Shanghai")
NATIONAL_2027 = """2027-01-01 休 元旦
2027-02-05~2027-02-11 休 春节
2027-02-20 班 春节调休上班
2027-04-05 休 清明节
2027-05-01~2027-05-05 休 劳动节
2027-06-09 休 端午节
2027-09-15 休 中秋节
2027-10-01~2027-10-07 休 国庆节
"""


@pytest.fixture
def admin_web(client, session, make_user):
    _, token = auth.create_session(session=session, user=make_user("admin"), kind="browser")
    client.cookies.set(auth.SESSION_COOKIE, token)
    return client


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _form(token: str, text: str, **extra) -> dict:
    return {
        "csrf_token": token,
        "layer": "national",
        "year": "2027",
        "title": "国务院办公厅关于2027年部分节假日安排的通知",
        "number": "国办发明电〔2026〕9号",
        "published": "2026-11-12",
        "fmt": "lines",
        "schedule": text,
        **extra,
    }


def test_refused_previewed_confirmed_and_withdrawn(admin_web, session, make_user):
    home = admin_web.get("/admin/calendar")
    assert home.status_code == 200 and 'data-testid="layer-xinjiang-2024"' in home.text
    assert "未公布（估算）" in re.search(r'data-testid="layer-xinjiang-2024">(.*?)</td>', home.text).group(1)
    token = _csrf(home.text)
    lacking = NATIONAL_2027.replace("2027-09-15 休 中秋节\n", "")
    refused = admin_web.post("/admin/calendar/preview", data=_form(token, lacking))
    assert refused.status_code == 422 and "中秋节" in refused.text and 'data-testid="confirm"' not in refused.text
    preview = admin_web.post("/admin/calendar/preview", data=_form(token, NATIONAL_2027))
    assert preview.status_code == 200 and 'data-testid="confirm"' in preview.text
    assert "将调整期限的在办诉求" in preview.text
    assert session.exec(select(CalendarDeclaration)).all() == []  # a preview saves nothing
    done = admin_web.post(
        "/admin/calendar/confirm", data=_form(token, NATIONAL_2027, version="0"), follow_redirects=False
    )
    assert done.status_code == 303
    [row] = session.exec(select(CalendarDeclaration)).all()
    assert (row.layer, row.year, row.version, row.status, row.number) == (
        "national",
        2027,
        1,
        "active",
        "国办发明电〔2026〕9号",
    )
    again = admin_web.post("/admin/calendar/confirm", data=_form(token, NATIONAL_2027, version="0"))
    assert again.status_code == 409  # a second confirm based on the same preview is a conflict
    withdraw = admin_web.post(
        "/admin/calendar/withdraw-preview",
        data={"csrf_token": token, "layer": "national", "year": "2027", "reason": "录入有误"},
    )
    assert 'data-testid="confirm-withdraw"' in withdraw.text
    admin_web.post(
        "/admin/calendar/withdraw",
        data={"csrf_token": token, "layer": "national", "year": "2027", "reason": "录入有误"},
    )
    session.refresh(row)
    assert row.status == "withdrawn" and row.end_reason == "录入有误"
    assert [a.action for a in session.exec(select(AuditLog).where(AuditLog.action.like("calendar_%")))] == [
        "calendar_declare",
        "calendar_withdraw",
    ]


def test_an_upload_is_read_and_others_are_refused(admin_web, client, session, make_user):
    token = _csrf(admin_web.get("/admin/calendar").text)
    csv_text = "date,end,kind,name\n2027-03-09,2027-03-11,休,肉孜节\n"
    response = admin_web.post(
        "/admin/calendar/preview",
        data=_form(token, "", layer="xinjiang", fmt="lines"),
        files={"file": ("2027.csv", csv_text.encode("utf-8"), "text/csv")},
    )
    assert response.status_code == 422 and "古尔邦节" in response.text
    _, other = auth.create_session(session=session, user=make_user("supervisor"), kind="browser")
    client.cookies.set(auth.SESSION_COOKIE, other)
    assert client.get("/admin/calendar").status_code == 403


def test_a_written_notice_is_issued_from_the_item_page_and_printed(client, session, make_user, make_item):
    supervisor = make_user("supervisor")
    item = make_item(channel="letter")
    _, token = auth.create_session(session=session, user=supervisor, kind="browser")
    client.cookies.set(auth.SESSION_COOKIE, token)
    page = client.get(f"/items/{item.tracking_no}").text
    assert "出具受理告知书" in page and 'data-testid="acceptance-notice"' in page
    done = client.post(f"/items/{item.tracking_no}/acceptance-notice", data={"csrf_token": _csrf(page)})
    assert done.status_code == 200 and "信访事项受理告知书" in done.text and item.tracking_no in done.text
    assert "王丽：" in done.text and "60日" in done.text
    session.refresh(item)
    assert item.acknowledged_at is not None
    issued = item.acknowledged_at.astimezone(TZ).date()
    # 60 days from 受理; the last day of an estimated year rolls forward too (Sat/Sun -> Mon)
    last = (item.reply_due_at.astimezone(TZ) - timedelta(microseconds=1)).date()
    assert last >= issued + timedelta(days=60) and (last - issued).days <= 63 and last.weekday() < 5
    assert item.due_provisional  # it ends in 2027, which no layer has declared yet
    again = client.post(
        f"/items/{item.tracking_no}/acceptance-notice", data={"csrf_token": _csrf(page)}, follow_redirects=False
    )
    assert again.status_code == 303 and "notice_error" in again.headers["location"]
