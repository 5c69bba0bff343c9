"""The exchange with other systems: signed webhooks on status and deadline changes (retried, paused, logged)
and the platforms' push and pull by their own reference."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select
from test_api_client import assert_error

from complaints.app import create_app
from complaints.jobs.outbox import deliver_outside
from complaints.models import Complaint, DeliveryAttempt, OutboxMessage
from complaints.notify import webhooks
from complaints.services import platform
from complaints.services.transitions import act

pytest_plugins = ["test_api_client"]


@pytest.fixture
def hooked(configure, providers, session, make_user):
    """Webhooks on, one subscriber for ATS at the local receiver."""
    runtime = configure(webhooks={"enabled": True, "timeout_seconds": 1})
    admin = make_user("admin", unit="KZ")
    subscriber = webhooks.add_subscriber(
        session=session, runtime=runtime, actor=admin, name="12345 平台", url=f"{providers.url}/hook", units=["ATS"]
    )
    providers.hook_secret = subscriber.secret
    return runtime, subscriber


def deliveries(session, subscriber):
    return list(
        session.exec(
            select(OutboxMessage).where(OutboxMessage.subscriber_id == subscriber.id).order_by(OutboxMessage.id)
        )
    )


def test_registration_and_each_status_or_deadline_change_is_posted_signed(
    hooked, session, providers, make_user, make_item
):
    runtime, subscriber = hooked
    from complaints.services import registration

    item = registration.register(
        session=session,
        runtime=runtime,
        actor=make_user("operator"),
        data={
            "channel": "call",
            "kind": "complaint",
            "unit_code": "ATS",
            "category": "fees",
            "summary": "反映收费问题",
        },
    )
    supervisor, handler = make_user("supervisor"), make_user("handler")
    act(
        session=session,
        runtime=runtime,
        actor=supervisor,
        item=item,
        action="dispatch",
        payload={"handler_id": handler.id},
    )
    act(
        session=session,
        runtime=runtime,
        actor=supervisor,
        item=item,
        action="supervise",
        payload={"note": "请加快", "due": "2 workdays"},
    )
    events = [(m.purpose, json.loads(m.body)["action"]) for m in deliveries(session, subscriber)]
    assert events == [
        ("status_changed", "register"),
        ("deadline_changed", "register"),
        ("status_changed", "dispatch"),
        ("deadline_changed", "supervise"),
    ]
    counts = deliver_outside(session=session, runtime=runtime, now=datetime.now(UTC))
    assert counts["sent"] == 4 and len(providers.delivered) == 4  # the receiver checked every signature
    body = json.loads(deliveries(session, subscriber)[2].body)
    assert body["item"]["tracking_no"] == item.tracking_no and body["changes"]["status"] == ["registered", "dispatched"]
    assert "complainant_name" not in body["item"] and "王丽" not in json.dumps(body, ensure_ascii=False)


def test_other_units_and_a_note_post_nothing(hooked, session, make_user, make_item):
    runtime, subscriber = hooked
    other = make_item(unit_code="AKT")
    act(
        session=session,
        runtime=runtime,
        actor=make_user("operator", unit="AKT"),
        item=other,
        action="note",
        payload={"note": "补充材料"},
    )
    assert deliveries(session, subscriber) == []


def test_signature_covers_timestamp_and_body():
    body = b'{"event": "status_changed"}'
    signature = webhooks.sign("s3cret", 1764633600, body)
    assert signature != webhooks.sign("s3cret", 1764633601, body)  # a replayed body with a new time fails
    assert signature != webhooks.sign("other", 1764633600, body)
    assert signature.startswith("sha256=") and len(signature) == 7 + 64


def _one_delivery(hooked, session, make_user, make_item):
    runtime, subscriber = hooked
    item = make_item()
    act(
        session=session,
        runtime=runtime,
        actor=make_user("supervisor"),
        item=item,
        action="dispatch",
        payload={"handler_id": make_user("handler").id},
    )
    (message,) = deliveries(session, subscriber)
    return runtime, subscriber, message


def test_retried_with_back_off_then_delivered(hooked, session, providers, make_user, make_item):
    runtime, _, message = _one_delivery(hooked, session, make_user, make_item)
    providers.script = ["error", "rate", "slow"]
    now = datetime.now(UTC)
    for minutes in (0, 1, 3, 7):
        deliver_outside(session=session, runtime=runtime, now=now + timedelta(minutes=minutes))
    outcomes = [
        a.outcome
        for a in session.exec(
            select(DeliveryAttempt).where(DeliveryAttempt.message_id == message.id).order_by(DeliveryAttempt.id)
        )
    ]
    assert outcomes == ["retry", "rate_limited", "timeout", "sent"] and message.status == "sent"
    keys = {r["headers"]["x-complaints-delivery"] for r in providers.requests}
    assert keys == {message.key}  # one delivery id on every try: the receiver drops repeats


def test_a_refusing_receiver_is_given_up(hooked, session, providers, make_user, make_item):
    runtime, _, message = _one_delivery(hooked, session, make_user, make_item)
    providers.script = ["reject"]
    deliver_outside(session=session, runtime=runtime, now=datetime.now(UTC))
    assert message.status == "failed" and "410" in message.last_error


def test_a_paused_subscriber_waits_and_gets_everything_on_resume(hooked, session, providers, make_user, make_item):
    runtime, subscriber, message = _one_delivery(hooked, session, make_user, make_item)
    webhooks.set_paused(session=session, subscriber_id=subscriber.id, paused=True)
    now = datetime.now(UTC)
    deliver_outside(session=session, runtime=runtime, now=now)
    assert message.status == "pending" and providers.requests == []
    webhooks.set_paused(session=session, subscriber_id=subscriber.id, paused=False)
    deliver_outside(session=session, runtime=runtime, now=now)
    assert message.status == "sent"


def test_subscribers_are_managed_by_prefecture_admins_over_the_api(client, bearer, make_user):
    admin, county_admin = make_user("admin", unit="KZ"), make_user("admin", unit="ATS")
    created = client.post(
        "/api/webhooks",
        headers=bearer(admin),
        json={"name": "信访系统", "url": "https://xf.example.org/hook", "units": ["ATS"]},
    )
    assert created.status_code == 201, created.text
    assert len(created.json()["secret"]) >= 32
    sid = created.json()["id"]
    assert client.post(f"/api/webhooks/{sid}/pause", headers=bearer(admin)).json()["paused"] is True
    listed = client.get("/api/webhooks", headers=bearer(admin)).json()
    assert [s["name"] for s in listed] == ["信访系统"] and "secret" not in listed[0]
    assert client.get(f"/api/webhooks/{sid}/deliveries", headers=bearer(admin)).json() == []
    assert_error(client.get("/api/webhooks", headers=bearer(county_admin)), 403)
    assert_error(client.post("/api/webhooks", headers=bearer(admin), json={"name": "x", "url": "ftp://x/y"}), 422)
    assert_error(client.post("/api/webhooks/999999/resume", headers=bearer(admin)), 404)


# ------------------------------------------------------------------ platform push and pull

ROW = {
    "工单编号": "GD20260603001",
    "来电时间": (datetime.now() - timedelta(days=1)).strftime("%Y-%m-%d %H:%M"),
    "来电人": "张伟",
    "来电号码": "13912345678",
    "诉求类型": "投诉",
    "承办单位": "阿图什市教育局",
    "诉求标题": "学校收取共建费",
    "诉求内容": "入学时被要求缴纳共建费",
}


@pytest.fixture
def platform_client(configure, settings, engine, connection, session):
    runtime = configure(platform={"enabled": True})
    app = create_app(runtime.settings, engine=engine, connection=connection, runtime=runtime)
    from fastapi.testclient import TestClient

    record, token = platform.add_client(
        session=session, runtime=runtime, name="12345", source="hotline12345", units=["ATS"]
    )
    with TestClient(app) as test_client:
        yield test_client, {"Authorization": f"Bearer {token}"}


def test_push_registers_once_and_pull_shows_progress(platform_client, session, runtime, make_user):
    client, auth = platform_client
    first = client.post("/api/platform/items", headers=auth, json={"items": [ROW]})
    assert first.status_code == 200, first.text
    (pushed,) = first.json()
    assert pushed["created"] is True and pushed["tracking_no"].startswith("ATS-")
    again = client.post("/api/platform/items", headers=auth, json={"items": [ROW]}).json()
    assert again == [{**pushed, "created": False}]
    item = session.exec(select(Complaint).where(Complaint.external_ref == "GD20260603001")).one()
    assert item.source == "hotline12345" and item.complainant_phone == "13912345678"
    handler = make_user("handler")
    act(
        session=session,
        runtime=runtime,
        actor=make_user("supervisor"),
        item=item,
        action="dispatch",
        payload={"handler_id": handler.id},
    )
    act(session=session, runtime=runtime, actor=handler, item=item, action="accept")
    progress = client.get("/api/platform/items/GD20260603001", headers=auth).json()
    assert progress["stage"] == "签收" and progress["status"] == "accepted" and progress["reply_text"] is None
    act(
        session=session,
        runtime=runtime,
        actor=handler,
        item=item,
        action="reply",
        payload={
            "text": "经核查，学校已退还所收费用。",
            "outcome": "support",
            "handling_notes": "约谈校长，责令退费",
            "result_text": "学校已退费",
        },
    )
    progress = client.get("/api/platform/items/GD20260603001", headers=auth).json()
    assert progress["stage"] == "反馈" and progress["handling_notes"] == "约谈校长，责令退费"
    assert progress["reply_text"].startswith("经核查")


def test_push_refuses_what_the_import_refuses_and_writes_nothing(platform_client, session):
    client, auth = platform_client
    bad = {**ROW, "工单编号": "GD2", "来电时间": "昨天"}
    response = client.post("/api/platform/items", headers=auth, json={"items": [{**ROW, "工单编号": "GD1"}, bad]})
    assert_error(response, 422, field="received_at")
    assert "第 2 件" in response.json()["error"]["message"]
    assert session.exec(select(Complaint).where(Complaint.external_ref.in_(["GD1", "GD2"]))).all() == []
    assert_error(client.post("/api/platform/items", headers=auth, json={"items": [{"诉求标题": "缺编号"}]}), 422)


def test_push_refuses_a_control_character(platform_client, session):
    client, auth = platform_client
    response = client.post("/api/platform/items", headers=auth, json={"items": [{**ROW, "工单编号": "GD\u00003"}]})
    assert_error(response, 422, field="external_ref")
    assert "含控制字符 U+0000" in response.json()["error"]["message"]
    assert session.exec(select(Complaint).where(Complaint.source == "hotline12345")).all() == []


def test_a_platform_reaches_only_its_units_and_its_items(platform_client, make_item):
    client, auth = platform_client
    assert_error(
        client.post("/api/platform/items", headers=auth, json={"items": [{**ROW, "承办单位": "阿克陶县教育局"}]}), 403
    )
    make_item(source="xinfang", external_ref="XF-1")
    assert_error(client.get("/api/platform/items/XF-1", headers=auth), 404)
    assert_error(client.get("/api/platform/items/GD-none", headers={"Authorization": "Bearer plat_wrong"}), 403)
    assert_error(client.get("/api/platform/items/GD-none"), 403)


def test_the_sla_sweeps_automatic_supervision_posts_its_deadline(hooked, session, make_user, make_item):
    """The sweep sets 督办 deadlines in SQL, outside `act`: their webhooks are posted all the same, once."""
    from complaints.jobs.sla import sla_sweep

    runtime, subscriber = hooked
    item = make_item()
    session.flush()
    later = datetime.now(UTC) + timedelta(days=30)  # long past the item's deadlines
    before = len(deliveries(session, subscriber))
    sla_sweep(session=session, runtime=runtime, now=later)
    sla_sweep(session=session, runtime=runtime, now=later)
    posted = [json.loads(m.body) for m in deliveries(session, subscriber)[before:]]
    assert [(p["event"], p["action"]) for p in posted] == [("deadline_changed", "supervise")]
    session.refresh(item)
    assert posted[0]["changes"]["supervise_due_at"] == [None, item.supervise_due_at.isoformat()]
    assert posted[0]["item"]["tracking_no"] == item.tracking_no


def test_imported_and_pushed_items_post_their_registration(hooked, session, make_user):
    """Items that arrive in bulk (file import, platform push) are registered outside `act`: each new one
    is posted like an item from intake, and a repeat of one already stored posts nothing."""
    from complaints.services.registration import register_many

    runtime, subscriber = hooked
    data = {
        "channel": "platform",
        "kind": "complaint",
        "unit_code": "ATS",
        "category": "fees",
        "summary": "反映学校收取共建费",
        "received_at": datetime.now(UTC) - timedelta(hours=2),
        "source": "hotline12345",
    }
    now = datetime.now(UTC)
    assert (
        register_many(
            session=session,
            runtime=runtime,
            actor=make_user("operator"),
            now=now,
            rows=[data | {"external_ref": "W1"}, data | {"external_ref": "W2"}],
        )
        == 2
    )
    assert (
        register_many(
            session=session, runtime=runtime, actor=make_user("operator"), now=now, rows=[data | {"external_ref": "W1"}]
        )
        == 0
    )
    posted = [json.loads(m.body) for m in deliveries(session, subscriber)]
    assert sorted((p["event"], p["item"]["external_ref"]) for p in posted) == [
        ("deadline_changed", "W1"),
        ("deadline_changed", "W2"),
        ("status_changed", "W1"),
        ("status_changed", "W2"),
    ]
    assert all(p["action"] == "register" for p in posted)


def test_a_recomputed_deadline_is_posted(hooked, session, settings, engine, make_user):
    """Deadlines recomputed once next year's calendar is known are deadline changes like any other."""
    from zoneinfo import ZoneInfo

    from test_jobs_provisional import with_2027

    from complaints.jobs.provisional import recompute_provisional
    from complaints.services import registration

    runtime, subscriber = hooked
    now = datetime(2026, 12, 28, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    item = registration.register(
        session=session,
        runtime=runtime,
        actor=make_user("operator"),
        now=now,
        data={
            "channel": "call",
            "kind": "complaint",
            "unit_code": "ATS",
            "category": "fees",
            "summary": "年底反映收费问题",
            "received_at": now,
        },
    )
    assert item.due_provisional
    before = len(deliveries(session, subscriber))
    known = with_2027(runtime.settings, engine)
    assert recompute_provisional(session=session, runtime=known, now=now)["recomputed"] == 1
    posted = [json.loads(m.body) for m in deliveries(session, subscriber)[before:]]
    assert [(p["event"], p["action"]) for p in posted] == [("deadline_changed", "deadline_recomputed")]
    assert posted[0]["changes"]["due_provisional"] == [True, False]  # the estimate was right: now final
    assert posted[0]["item"]["due_provisional"] is False
