"""A deadline beyond the known calendar is provisional until the year is loaded, then recomputed."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import select

from complaints.jobs.provisional import recompute_provisional
from complaints.models import Event
from complaints.runtime import Declared, Runtime
from complaints.services import queries, registration
from workflows.calendar import YearSchedule

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 28, 12, 0, tzinfo=TZ)


def test_provisional_deadline_is_recomputed_when_the_year_is_known(session, settings, engine, make_user):
    runtime = Runtime.load(settings, engine)
    item = registration.register(
        session=session,
        runtime=runtime,
        actor=make_user("operator"),
        now=NOW,
        data={
            "channel": "call",
            "kind": "complaint",
            "unit_code": "ATS",
            "category": "fees",
            "summary": "年底反映收费问题",
            "received_at": NOW,
        },
    )
    assert item.due_provisional  # 5 working days from 12/28 run into 2027, which is not yet known
    assert recompute_provisional(session=session, runtime=runtime, now=NOW) == {"provisional": 1, "recomputed": 0}
    # the admin loads 2027, nationally and regionally: New Year's Day off on Friday 1/1
    runtime = with_2027(settings, engine)
    counts = recompute_provisional(session=session, runtime=runtime, now=NOW)
    assert counts == {"provisional": 1, "recomputed": 1}
    assert not item.due_provisional
    # 12/29, 12/30, 12/31, (1/1 off), 1/4, 1/5 -> ends with Tuesday 2027-01-05
    assert item.reply_due_at.astimezone(TZ).replace(tzinfo=None) == datetime(2027, 1, 6)
    events = session.exec(
        select(Event).where(Event.complaint_id == item.id, Event.action == "deadline_recomputed")
    ).all()
    assert len(events) == 1


def with_2027(settings, engine) -> Runtime:
    """A runtime whose calendar knows 2027 in every layer (New Year's Day off), as after the admin loads it."""
    national = YearSchedule(holidays=frozenset({date(2027, 1, 1)}), workdays=frozenset())
    regional = YearSchedule(holidays=frozenset({date(2027, 3, 10), date(2027, 5, 17)}))
    return Runtime.load(settings, engine).with_declarations(
        [Declared("national", 2027, national), Declared("xinjiang", 2027, regional)]
    )


def handled(session, runtime, staff, summary):
    """A hotline item through dispatch, an approved extension, a suspension, a 督办 and a reassignment."""
    from datetime import timedelta

    from complaints.services.transitions import act

    start = datetime(2026, 12, 21, 10, 0, tzinfo=TZ)  # Monday
    item = registration.register(
        session=session,
        runtime=runtime,
        actor=staff["operator"],
        now=start,
        data={
            "channel": "call",
            "kind": "complaint",
            "unit_code": "ATS",
            "category": "fees",
            "summary": summary,
            "received_at": start,
        },
    )
    for hours, who, action, payload in (
        (1, "supervisor", "dispatch", {"handler_id": staff["handler"].id}),
        (2, "handler", "accept", {}),
        (24, "handler", "request_extension", {"amount": "5 workdays", "note": "需要调取学校账目"}),
        (25, "supervisor", "approve_extension", {}),
        (48, "handler", "suspend", {"note": "等待学校提供材料"}),
        (7 * 24, "handler", "resume", {"note": "材料已到"}),
        (8 * 24, "supervisor", "supervise", {"due": "3 workdays", "note": "请加快办理"}),
        (8 * 24 + 1, "supervisor", "reassign", {"handler_id": staff["other"].id}),
    ):
        act(
            session=session,
            runtime=runtime,
            actor=staff[who],
            item=item,
            action=action,
            payload=payload,
            now=start + timedelta(hours=hours),
        )
    return item


def test_an_extended_suspended_supervised_item_is_recomputed_as_if_the_year_had_been_known(
    session, settings, engine, make_user
):
    staff = {
        "operator": make_user("operator"),
        "handler": make_user("handler"),
        "other": make_user("handler"),
        "supervisor": make_user("supervisor"),
    }
    known_later = Runtime.load(settings, engine)
    item = handled(session, known_later, staff, "年底反映收费问题（日历未录入 2027 年时办理）")
    assert item.due_provisional and item.extension_count == 1
    full = with_2027(settings, engine)
    reference = handled(session, full, staff, "年底反映收费问题（日历已知 2027 年）")
    assert not reference.due_provisional

    counts = recompute_provisional(session=session, runtime=full, now=datetime(2027, 1, 4, 9, 0, tzinfo=TZ))
    assert counts == {"provisional": 1, "recomputed": 1}
    fields = ("ack_due_at", "contact_due_at", "reply_due_at", "supervise_due_at", "next_due_at", "warn_at")
    assert {f: getattr(item, f) for f in fields} == {f: getattr(reference, f) for f in fields}
    assert not item.due_provisional and item.status == reference.status
    # replaying an item whose deadlines were right all along changes nothing
    from complaints.services import deadlines

    deadlines.replay(reference, queries.history(session=session, item=reference), full)
    assert {f: getattr(item, f) for f in fields} == {f: getattr(reference, f) for f in fields}
    assert not session.is_modified(reference)
    [event] = session.exec(
        select(Event).where(Event.complaint_id == item.id, Event.action == "deadline_recomputed")
    ).all()
    # the estimate (New Year's Day, weekends) was right: only its provisional mark goes
    assert event.changes["due_provisional"] == [True, False] and "2027" in event.note
    # run again: nothing is provisional any more, nothing is recorded twice
    assert recompute_provisional(session=session, runtime=full, now=datetime(2027, 1, 4, 10, 0, tzinfo=TZ)) == {
        "provisional": 0,
        "recomputed": 0,
    }


def test_an_item_still_beyond_the_calendar_keeps_its_estimate_and_gets_no_event(session, settings, engine, make_user):
    runtime = Runtime.load(settings, engine)
    item = registration.register(
        session=session,
        runtime=runtime,
        actor=make_user("operator"),
        now=NOW,
        data={
            "channel": "letter",
            "kind": "complaint",
            "unit_code": "ATS",
            "category": "fees",
            "summary": "来信反映收费问题",
            "received_at": NOW,
        },
    )
    before = (item.ack_due_at, item.reply_due_at, item.version)
    assert item.due_provisional
    assert recompute_provisional(session=session, runtime=runtime, now=NOW) == {"provisional": 1, "recomputed": 0}
    session.flush()
    assert (item.ack_due_at, item.reply_due_at, item.version) == before and item.due_provisional
