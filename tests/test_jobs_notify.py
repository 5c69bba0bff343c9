"""The outbox: grouped delivery, retries with backoff, the SMTP adapter; digest; calendar horizon warning."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from complaints.jobs.calendar_horizon import calendar_horizon
from complaints.jobs.digest import daily_digest
from complaints.jobs.sla import sla_sweep
from complaints.models import Digest, Notification
from complaints.notify.adapters import DeliveryError, LogAdapter, Message, SmtpAdapter
from complaints.notify.outbox import deliver
from complaints.services.transitions import act
from complaints.settings import NotifySettings, SmtpSettings

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 6, 3, 12, 0, tzinfo=TZ)


def notify(session, user, kind="overdue", subject="诉求件已超期", created=NOW):
    note = Notification(user_id=user.id, kind=kind, subject=subject, body="请尽快办理", created_at=created)
    session.add(note)
    session.flush()
    return note


class Failing:
    name = "failing"

    def __init__(self, permanent=False):
        self.permanent, self.calls = permanent, 0

    def send(self, message):
        self.calls += 1
        raise DeliveryError("connection refused", permanent=self.permanent)


def test_one_message_per_person_and_each_row_marked_sent(session, make_user):
    handler = make_user("handler")
    notes = [notify(session, handler, subject=f"提醒{i}") for i in range(3)]
    adapter = LogAdapter()
    counts = deliver(session=session, settings=NotifySettings(), adapter=adapter, now=NOW)
    assert counts["sent"] >= 3 and len([m for m in adapter.sent if m.user_id == handler.id]) == 1
    assert all(n.sent_at == NOW and n.channel == "log" for n in notes)
    mine = [m for m in adapter.sent if m.user_id == handler.id][0]
    assert "3" in mine.subject and "提醒2" in mine.text


def test_failures_back_off_and_give_up(session, make_user):
    settings = NotifySettings(max_attempts=3, backoff_minutes=2)
    note = notify(session, make_user("handler"))
    adapter = Failing()
    deliver(session=session, settings=settings, adapter=adapter, now=NOW)
    assert note.attempts == 1 and note.sent_at is None and "refused" in note.last_error
    deliver(session=session, settings=settings, adapter=adapter, now=NOW + timedelta(minutes=1))
    assert note.attempts == 1  # the second attempt waits 2 minutes
    deliver(session=session, settings=settings, adapter=adapter, now=NOW + timedelta(minutes=2))
    deliver(session=session, settings=settings, adapter=adapter, now=NOW + timedelta(minutes=6))
    assert note.attempts == 3
    deliver(session=session, settings=settings, adapter=adapter, now=NOW + timedelta(days=1))
    assert note.attempts == 3 and note.sent_at is None  # given up


def test_permanent_failure_gives_up_at_once(session, make_user):
    note = notify(session, make_user("handler"))
    deliver(session=session, settings=NotifySettings(), adapter=Failing(permanent=True), now=NOW)
    assert note.attempts == NotifySettings().max_attempts


def test_smtp_adapter_sends_text_and_html(monkeypatch):
    sent = []

    class FakeSMTP:
        def __init__(self, host, port, timeout):
            sent.append(("connect", host, port))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def starttls(self):
            sent.append(("starttls",))

        def login(self, user, password):
            sent.append(("login", user))

        def send_message(self, message):
            sent.append(("send", message))

    monkeypatch.setattr("complaints.notify.adapters.smtplib.SMTP", FakeSMTP)
    adapter = SmtpAdapter(SmtpSettings(enabled=True, host="mail.example", username="bot", password="x"))
    adapter.send(Message(1, "李承办", "li@example.org", "每日汇总", "文本", "<p>汇总</p>"))
    email = sent[-1][1]
    assert [s[0] for s in sent] == ["connect", "starttls", "login", "send"]
    assert email["Subject"] == "每日汇总" and "li@example.org" in email["To"]
    assert email.get_body(("html",)).get_content().strip() == "<p>汇总</p>"
    with pytest.raises(DeliveryError) as refused:
        adapter.send(Message(1, "李承办", None, "x", "y"))
    assert refused.value.permanent


def test_digest_lists_new_due_soon_overdue_and_closed(session, runtime, make_user, make_item):
    handler, supervisor = make_user("handler", name="李承办"), make_user("supervisor", name="赵督办")
    item = make_item(received_at=NOW - timedelta(days=10), summary="<b>共建费</b>问题")
    act(
        session=session,
        runtime=runtime,
        actor=supervisor,
        item=item,
        action="dispatch",
        payload={"handler_id": handler.id},
        now=NOW - timedelta(hours=1),
    )
    overdue_at = item.next_due_at + timedelta(hours=1)
    counts = daily_digest(session=session, runtime=runtime, now=overdue_at)
    again = daily_digest(session=session, runtime=runtime, now=overdue_at)
    assert counts["digests"] >= 2 and again["digests"] == 0
    digest = session.exec(select(Digest).where(Digest.user_id == handler.id)).one()
    assert "李承办" in digest.html and item.tracking_no in digest.html and "已超期" in digest.html
    assert "&lt;b&gt;共建费&lt;/b&gt;" in digest.html and "<b>共建费" not in digest.html
    sent = session.exec(
        select(Notification).where(Notification.user_id == supervisor.id, Notification.kind == "digest")
    ).one()
    assert item.tracking_no in sent.body


def test_digest_skips_non_working_days(session, runtime):
    saturday = datetime(2026, 6, 6, 18, 0, tzinfo=TZ)
    assert daily_digest(session=session, runtime=runtime, now=saturday) == {"skipped_non_workday": 1}


def test_calendar_horizon_warns_admins_once_a_day(session, runtime, make_user):
    admin = make_user("admin")
    horizon = runtime.clock.calendar.horizon()
    now = datetime(horizon.year, horizon.month, horizon.day, 4, 0, tzinfo=UTC) - timedelta(days=35)
    first = calendar_horizon(session=session, runtime=runtime, now=now)
    again = calendar_horizon(session=session, runtime=runtime, now=now + timedelta(hours=3))
    next_day = calendar_horizon(session=session, runtime=runtime, now=now + timedelta(days=1))
    assert first["days_left"] == 35 and first["notified"] >= 1 and again["notified"] == 0
    assert next_day["notified"] >= 1
    notes = session.exec(select(Notification).where(Notification.user_id == admin.id)).all()
    assert len(notes) == 2 and str(horizon.year + 1) in notes[0].body
    far = now - timedelta(days=200)
    assert calendar_horizon(session=session, runtime=runtime, now=far)["notified"] == 0


def test_sla_notices_reach_the_log_adapter(session, runtime, make_user, make_item):
    handler = make_user("handler")
    item = make_item()
    act(
        session=session,
        runtime=runtime,
        actor=make_user("supervisor"),
        item=item,
        action="dispatch",
        payload={"handler_id": handler.id},
    )
    later = item.next_due_at + timedelta(minutes=1)
    sla_sweep(session=session, runtime=runtime, now=later)
    adapter = LogAdapter()
    deliver(session=session, settings=NotifySettings(), adapter=adapter, now=later)
    # the dispatch notice and the overdue one go in one message
    mine = [m for m in adapter.sent if m.user_id == handler.id]
    assert len(mine) == 1 and "超期" in mine[0].text and item.tracking_no in mine[0].text
