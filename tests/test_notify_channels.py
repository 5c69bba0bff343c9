"""Each chat channel against the local provider stand-in: success, retry after a rate limit or an outage,
give up after a refusal or too many failures; app tokens fetched and refreshed."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from complaints.models import DeliveryAttempt, OutboxMessage
from complaints.notify.chat import DingtalkApp, DingtalkRobot, WecomApp, WecomRobot
from complaints.notify.messages import deliver_messages
from complaints.settings import DingtalkSettings, WecomSettings

NOW = datetime.now(UTC)


def channel_for(name, url):
    wecom = WecomSettings(
        enabled=True,
        base_url=url,
        robot_key="robot-key-1",
        corp_id="ww-corp",
        corp_secret="corp-secret",
        agent_id=1000002,
    )
    ding = DingtalkSettings(
        enabled=True,
        base_url=url,
        robot_token="ding-token",
        robot_secret="SECding",
        app_key="ding-app",
        app_secret="ding-secret",
        agent_id=42,
    )
    return {
        "wecom_robot": WecomRobot(wecom, 1),
        "wecom_app": WecomApp(wecom, 1),
        "dingtalk_robot": DingtalkRobot(ding, 1),
        "dingtalk_app": DingtalkApp(ding, 1),
    }[name]


def queue(session, user, channel, recipient="13900001111"):
    message = OutboxMessage(
        key=uuid.uuid4().hex,
        channel=channel,
        purpose="assigned",
        user_id=user.id,
        recipient=recipient,
        subject="新派诉求件：ATS-2026-000001",
        body="请于明日前联系诉求人",
        created_at=NOW,
        next_attempt_at=NOW,
    )
    session.add(message)
    session.flush()
    return message


def attempts(session, message):
    return [
        a.outcome
        for a in session.exec(
            select(DeliveryAttempt).where(DeliveryAttempt.message_id == message.id).order_by(DeliveryAttempt.id)
        )
    ]


CHANNELS = ["wecom_robot", "wecom_app", "dingtalk_robot", "dingtalk_app"]


@pytest.mark.parametrize("name", CHANNELS)
def test_success_stores_the_receipt(session, settings, providers, make_user, name):
    message = queue(session, make_user("handler"), name, recipient="zhangsan" if name.endswith("app") else "139")
    counts = deliver_messages(
        session=session, settings=settings, channels={name: channel_for(name, providers.url)}, now=NOW
    )
    assert counts["sent"] == 1 and message.status == "sent" and message.sent_at == NOW
    assert providers.delivered == ["新派诉求件：ATS-2026-000001\n请于明日前联系诉求人"]
    (attempt,) = session.exec(select(DeliveryAttempt).where(DeliveryAttempt.message_id == message.id)).all()
    assert attempt.outcome == "sent" and attempt.receipt["errcode"] == 0
    if name == "dingtalk_app":
        assert message.provider_ref == "4711"
    if name == "wecom_app":
        assert message.provider_ref == "wx-msg-1"


@pytest.mark.parametrize("name", CHANNELS)
def test_rate_limit_then_outage_then_success(session, settings, providers, make_user, name):
    message = queue(session, make_user("handler"), name, recipient="lisi")
    channels = {name: channel_for(name, providers.url)}
    providers.script = ["rate", "error"]
    deliver_messages(session=session, settings=settings, channels=channels, now=NOW)
    assert message.status == "pending" and message.next_attempt_at == NOW + timedelta(minutes=2)
    deliver_messages(session=session, settings=settings, channels=channels, now=NOW + timedelta(minutes=1))
    assert message.attempts == 1  # not due yet
    deliver_messages(session=session, settings=settings, channels=channels, now=NOW + timedelta(minutes=2))
    deliver_messages(session=session, settings=settings, channels=channels, now=NOW + timedelta(minutes=6))
    assert attempts(session, message) == ["rate_limited", "retry", "sent"] and message.status == "sent"
    assert len(providers.delivered) == 1


@pytest.mark.parametrize("name", CHANNELS)
def test_refusal_gives_up_at_once(session, settings, providers, make_user, name):
    message = queue(session, make_user("handler"), name, recipient="wangwu")
    providers.script = ["reject"]
    counts = deliver_messages(
        session=session, settings=settings, channels={name: channel_for(name, providers.url)}, now=NOW
    )
    assert counts["failed"] == 1 and message.status == "failed" and "errcode" in message.last_error
    assert providers.delivered == []


def test_repeated_outages_give_up_after_the_attempt_count(session, settings, providers, make_user):
    message = queue(session, make_user("handler"), "wecom_robot")
    channels = {"wecom_robot": channel_for("wecom_robot", providers.url)}
    providers.script = ["error"] * 10
    when = NOW
    for _ in range(settings.notify.max_attempts + 2):
        deliver_messages(session=session, settings=settings, channels=channels, now=when)
        when += timedelta(days=1)
    assert message.status == "failed" and message.attempts == settings.notify.max_attempts


def test_time_out_is_retried_for_a_chat_robot(session, settings, providers, make_user):
    message = queue(session, make_user("handler"), "dingtalk_robot")
    providers.script = ["slow"]
    channels = {"dingtalk_robot": channel_for("dingtalk_robot", providers.url)}
    deliver_messages(session=session, settings=settings, channels=channels, now=NOW)
    assert attempts(session, message) == ["timeout"] and message.status == "pending"
    deliver_messages(session=session, settings=settings, channels=channels, now=NOW + timedelta(minutes=5))
    assert message.status == "sent"


def test_an_expired_app_token_is_fetched_again(session, settings, providers, make_user):
    message = queue(session, make_user("handler"), "wecom_app", recipient="zhaoliu")
    channel = channel_for("wecom_app", providers.url)
    channel.tokens.token = "stale-token"
    deliver_messages(session=session, settings=settings, channels={"wecom_app": channel}, now=NOW)
    paths = [r["path"] for r in providers.requests]
    assert paths == ["/cgi-bin/message/send", "/cgi-bin/gettoken", "/cgi-bin/message/send"]
    assert message.status == "sent"


def test_the_robot_waits_when_its_minute_is_full(session, configure, providers, make_user):
    runtime = configure(notify={"wecom": {"per_minute": 1}})
    user = make_user("handler")
    first, second = queue(session, user, "wecom_robot"), queue(session, user, "wecom_robot")
    counts = deliver_messages(
        session=session,
        settings=runtime.settings,
        channels={"wecom_robot": channel_for("wecom_robot", providers.url)},
        now=NOW,
    )
    assert counts == {**counts, "sent": 1, "deferred": 1}
    assert first.status == "sent" and second.status == "pending"
    assert second.next_attempt_at == NOW + timedelta(minutes=1)


def test_a_channel_switched_off_cancels_what_waits(session, settings, make_user):
    message = queue(session, make_user("handler"), "wecom_robot")
    deliver_messages(session=session, settings=settings, channels={}, now=NOW)
    assert message.status == "cancelled"
