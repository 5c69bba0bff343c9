"""Texts to complainants: when they are sent and to whom, both providers' signed requests against the local
stand-in, and that a retry never sends a text twice."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

import pytest
from sqlmodel import select

from complaints.jobs.outbox import deliver_outside
from complaints.models import DeliveryAttempt, OutboxMessage
from complaints.services.transitions import act

TEMPLATES = {"registered": "SMS_100001", "replied": "SMS_100002", "callback": "SMS_100003"}


@pytest.fixture
def sms(configure, providers):
    def factory(provider="aliyun", **extra):
        return configure(
            sms={
                "enabled": True,
                "provider": provider,
                "sign_name": "克州教育局",
                "templates": TEMPLATES,
                "lookup_url": "https://example.org/status",
                "timeout_seconds": 1,
                "aliyun": {
                    "endpoint": providers.url,
                    "access_key_id": "LTAIexample",
                    "access_key_secret": "ali-secret",
                },
                "tencent": {
                    "endpoint": providers.url,
                    "secret_id": "AKIDexample",
                    "secret_key": "tc-key",
                    "sdk_app_id": "1400006666",
                },
                **extra,
            }
        )

    return factory


def texts(session, item):
    return list(
        session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.complaint_id == item.id, OutboxMessage.channel == "sms")
            .order_by(OutboxMessage.id)
        )
    )


def outcomes(session, message):
    return [
        a.outcome
        for a in session.exec(
            select(DeliveryAttempt).where(DeliveryAttempt.message_id == message.id).order_by(DeliveryAttempt.id)
        )
    ]


def test_registration_texts_the_tracking_number_through_alibaba(session, sms, providers):
    runtime = sms()
    item = register(session, runtime)
    (text,) = texts(session, item)
    assert text.purpose == "sms_registered" and text.subject == "SMS_100001" and item.tracking_no in text.body
    counts = deliver_outside(session=session, runtime=runtime, now=datetime.now(UTC))
    assert counts["sent"] == 1 and text.status == "sent" and text.provider_ref == f"biz-{text.key}"
    assert providers.delivered == ["13812345678"] and text.recipient == "138****5678"  # settled: number masked
    params = dict(parse_qsl(providers.requests[-1]["body"].decode()))
    assert params["SignatureNonce"] == text.key == params["OutId"] and params["SignName"] == "克州教育局"


def _operator(session, runtime):
    from complaints.services import people
    from tests.conftest import unique

    return people.add_user(
        session=session,
        settings=runtime.settings,
        actor=None,
        username=unique("op"),
        name="接线员",
        unit_code="ATS",
        roles=["operator"],
    )


def _call(**fields):
    data = {
        "channel": "call",
        "kind": "complaint",
        "unit_code": "ATS",
        "category": "fees",
        "summary": "反映学校收取共建费",
        "details": "家长反映入学时被要求缴纳共建费",
        "complainant_name": "王丽",
        "complainant_phone": "13812345678",
    }
    data.update(fields)
    return data


def register(session, runtime, **fields):
    from complaints.services import registration

    return registration.register(
        session=session, runtime=runtime, actor=_operator(session, runtime), data=_call(**fields)
    )


def test_who_is_not_texted(session, sms):
    runtime = sms()
    declined = register(session, runtime, sms_consent=False)
    confidential = register(session, runtime, kind="report", confidential=True)
    landline = register(session, runtime, complainant_phone="0908-7625100")
    anonymous = register(session, runtime, anonymous=True)
    imported = register(session, runtime, source="hotline12345", external_ref="GD-1")
    assert [texts(session, i) for i in (declined, confidential, landline, anonymous, imported)] == [[]] * 5
    agreed = register(session, runtime, kind="report", confidential=True, sms_consent=True)
    assert len(texts(session, agreed)) == 1


def test_nothing_is_queued_while_sms_is_off(session, runtime):
    assert texts(session, register(session, runtime)) == []


def test_reply_texts_at_once_and_invites_the_callback_a_day_later_unless_it_came(session, sms, make_user):
    runtime = sms()
    item = register(session, runtime, sms_consent=True)
    supervisor, handler = make_user("supervisor"), make_user("handler")
    act(
        session=session,
        runtime=runtime,
        actor=supervisor,
        item=item,
        action="dispatch",
        payload={"handler_id": handler.id},
    )
    act(session=session, runtime=runtime, actor=handler, item=item, action="accept")
    act(
        session=session,
        runtime=runtime,
        actor=handler,
        item=item,
        action="reply",
        payload={
            "text": "经核查，学校已退还所收费用。",
            "outcome": "support",
            "handling_notes": "约谈校长",
            "result_text": "学校已退费",
        },
    )
    registered, replied, callback = texts(session, item)
    assert (replied.purpose, callback.purpose) == ("sms_replied", "sms_callback")
    assert callback.next_attempt_at - replied.next_attempt_at == timedelta(hours=24)
    now = datetime.now(UTC)
    deliver_outside(session=session, runtime=runtime, now=now)
    assert (registered.status, replied.status, callback.status) == ("sent", "sent", "pending")
    act(
        session=session,
        runtime=runtime,
        actor=supervisor,
        item=item,
        action="callback",
        payload={"resolved": True, "satisfaction": "satisfied"},
    )
    deliver_outside(session=session, runtime=runtime, now=now + timedelta(days=2))
    assert callback.status == "cancelled"


def test_alibaba_time_out_retry_carries_the_same_nonce_and_is_not_sent_twice(session, sms, providers):
    runtime = sms()
    (text,) = texts(session, register(session, runtime))
    providers.script = ["slow"]
    now = datetime.now(UTC)
    deliver_outside(session=session, runtime=runtime, now=now)
    assert text.status == "pending" and outcomes(session, text) == ["timeout"]
    deliver_outside(session=session, runtime=runtime, now=now + timedelta(minutes=2))
    assert text.status == "sent" and outcomes(session, text) == ["timeout", "sent"]
    assert providers.delivered == ["13812345678"]  # once
    nonces = [r["body"].decode().split("SignatureNonce=")[1].split("&")[0] for r in providers.requests]
    assert nonces == [text.key, text.key]


def test_alibaba_time_out_past_the_nonce_window_is_left_uncertain(session, sms, providers):
    runtime = sms(backoff_minutes=20)
    (text,) = texts(session, register(session, runtime))
    providers.script = ["slow"]
    deliver_outside(session=session, runtime=runtime, now=datetime.now(UTC))
    assert text.status == "uncertain" and len(providers.requests) == 1


def test_tencent_signed_request_and_receipt(session, sms, providers):
    runtime = sms("tencent")
    (text,) = texts(session, register(session, runtime))
    deliver_outside(session=session, runtime=runtime, now=datetime.now(UTC))
    assert text.status == "sent" and text.provider_ref == "tc-serial-1"
    request = providers.requests[-1]
    assert request["headers"]["x-tc-action"] == "SendSms"
    assert b'"SessionContext": "' + text.key.encode() in request["body"]
    assert providers.delivered == ["+8613812345678"]


def test_tencent_time_out_is_never_sent_again(session, sms, providers):
    runtime = sms("tencent")
    (text,) = texts(session, register(session, runtime))
    providers.script = ["slow"]
    now = datetime.now(UTC)
    deliver_outside(session=session, runtime=runtime, now=now)
    deliver_outside(session=session, runtime=runtime, now=now + timedelta(hours=1))
    assert text.status == "uncertain" and len(providers.requests) == 1 and len(providers.delivered) == 1


@pytest.mark.parametrize("provider", ["aliyun", "tencent"])
def test_rate_limit_is_retried_and_refusal_gives_up(session, sms, providers, provider):
    runtime = sms(provider)
    (limited,) = texts(session, register(session, runtime))
    (refused,) = texts(session, register(session, runtime, complainant_phone="13912345678"))
    providers.script = ["rate", "reject"]
    now = datetime.now(UTC)
    deliver_outside(session=session, runtime=runtime, now=now)
    assert (limited.status, refused.status) == ("pending", "failed")
    deliver_outside(session=session, runtime=runtime, now=now + timedelta(minutes=2))
    assert limited.status == "sent" and outcomes(session, limited) == ["rate_limited", "sent"]


def test_a_recorded_receipt_is_never_sent_again(session, sms, providers):
    runtime = sms()
    (text,) = texts(session, register(session, runtime))
    text.provider_ref = "biz-earlier"  # e.g. the job died after the provider answered, before the status was set
    deliver_outside(session=session, runtime=runtime, now=datetime.now(UTC))
    assert text.status == "sent" and providers.requests == []


def test_a_wrong_secret_is_refused_by_the_provider(session, sms, providers):
    runtime = sms(aliyun={"endpoint": providers.url, "access_key_id": "LTAIexample", "access_key_secret": "wrong"})
    (text,) = texts(session, register(session, runtime))
    deliver_outside(session=session, runtime=runtime, now=datetime.now(UTC))
    assert text.status == "failed" and "SignatureDoesNotMatch" in text.last_error


def test_a_reply_that_needs_signoff_texts_the_complainant_when_it_is_signed_off(session, sms, make_user):
    runtime = sms()
    item = register(session, runtime, sms_consent=True, channel="letter")
    supervisor, handler = make_user("supervisor"), make_user("handler")
    act(
        session=session,
        runtime=runtime,
        actor=supervisor,
        item=item,
        action="dispatch",
        payload={"handler_id": handler.id},
    )
    act(session=session, runtime=runtime, actor=handler, item=item, action="accept")
    act(
        session=session,
        runtime=runtime,
        actor=handler,
        item=item,
        action="submit_reply",
        payload={
            "text": "经核查，学校已退还所收费用。",
            "outcome": "support",
            "handling_notes": "约谈校长",
            "result_text": "学校已退费",
        },
    )
    assert [m.purpose for m in texts(session, item)] == ["sms_registered"]  # nothing has left yet
    act(session=session, runtime=runtime, actor=supervisor, item=item, action="approve_reply")
    assert [m.purpose for m in texts(session, item)] == ["sms_registered", "sms_replied", "sms_callback"]
