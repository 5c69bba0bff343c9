"""Personal information kept only as long as needed: closed items lose the complainant's name and phone
after their track's keeping period, with a history event; open, recent and archived 信访 items keep them."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError
from sqlmodel import select

from complaints.jobs.retention import erase_identity
from complaints.models import Event, lifecycle_write
from complaints.runtime import Runtime
from complaints.settings import PrivacySettings

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 27, 2, 30, tzinfo=TZ)
pytest_plugins = ["test_api_client"]  # the app wired to the test's transaction, and its clients


def closed(item, days_ago: int, status: str = "closed"):
    with lifecycle_write():  # ended long ago, without going through every step
        item.status, item.is_open = status, False
    item.closed_at = NOW - timedelta(days=days_ago) if status == "closed" else None
    item.updated_at = NOW - timedelta(days=days_ago)
    return item


def test_a_hotline_item_closed_three_years_ago_loses_name_and_phone_once(session, runtime, make_item):
    old = closed(make_item(summary="反映学校收取共建费"), days_ago=1096)
    duplicate = closed(make_item(), days_ago=1200, status="duplicate")  # ended without a closed_at
    recent = closed(make_item(), days_ago=1000)
    still_open = make_item()
    still_open.received_at = still_open.updated_at = NOW - timedelta(days=1500)
    archived = closed(make_item(channel="letter"), days_ago=4000)  # formal 信访: kept by default
    session.flush()
    assert archived.track == "xinfang"
    counts = erase_identity(session=session, runtime=runtime, now=NOW)
    assert counts == {"hotline": 2, "xinfang": 0}
    for gone in (old, duplicate):
        assert (gone.complainant_name, gone.complainant_phone) == (None, None) and gone.identity_erased_at == NOW
        [event] = session.exec(
            select(Event).where(Event.complaint_id == gone.id, Event.action == "identity_erased")
        ).all()
        assert "1095" in event.note and event.from_status == gone.status
    assert old.summary == "反映学校收取共建费"  # what it was about stays, for the ledgers
    for kept in (recent, still_open, archived):
        assert kept.complainant_phone == "13812345678" and kept.identity_erased_at is None
    assert erase_identity(session=session, runtime=runtime, now=NOW) == {"hotline": 0, "xinfang": 0}


def test_xinfang_items_are_erased_when_a_period_is_configured(session, runtime, engine, make_item):
    archived = closed(make_item(channel="letter"), days_ago=400)
    session.flush()
    shorter = Runtime(
        settings=runtime.settings.model_copy(update={"privacy": PrivacySettings(xinfang_identity_days=365)}),
        engine=engine,
    )
    assert erase_identity(session=session, runtime=shorter, now=NOW)["xinfang"] == 1
    assert archived.complainant_name is None


def test_a_keeping_period_too_short_for_a_review_is_refused():
    with pytest.raises(ValidationError, match="at least 60 days"):
        PrivacySettings(hotline_identity_days=30)
    assert PrivacySettings(hotline_identity_days=0).days_for("hotline") == 0


def test_after_erasure_the_page_says_so_and_the_public_lookup_finds_nothing(
    client, session, runtime, make_item, make_user
):
    from complaints import auth

    item = closed(make_item(), days_ago=1100)
    session.flush()
    erase_identity(session=session, runtime=runtime, now=NOW)
    session.flush()
    looked_up = client.post("/api/public/status", json={"tracking_no": item.tracking_no, "phone_last4": "5678"})
    assert looked_up.status_code == 404
    supervisor = make_user("supervisor")
    _, api_token = auth.create_session(session=session, user=supervisor, kind="api", name="test")
    shown = client.get(f"/api/complaints/{item.id}", headers={"Authorization": f"Bearer {api_token}"}).json()
    assert shown["identity_erased_at"] and shown["complainant"]["phone"] is None
    _, token = auth.create_session(session=session, user=supervisor, kind="browser")
    client.cookies.set(auth.SESSION_COOKIE, token)
    page = client.get(f"/items/{item.tracking_no}").text
    assert "已按保存期限删除" in page and "个人信息到期删除" in page and "5678" not in page
