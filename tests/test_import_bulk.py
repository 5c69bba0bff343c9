"""The bulk path of registration (imports, platforms): register_many stores what register() would."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from complaints.models import Complaint, Event
from complaints.services import registration
from complaints.services.categories import suggest_category
from complaints.services.registration import register_many

NOW = datetime(2026, 6, 3, 4, 0, tzinfo=UTC)


EXPECTED = [  # what each registration stores of the complainant and the item's kind
    {"track": "hotline", "confidential": False, "anonymous": False, "complainant_phone": "13812345678"},
    {"track": "xinfang", "confidential": True, "anonymous": False, "complainant_name": "李四"},
    {"track": "hotline", "confidential": False, "anonymous": True, "urgency": "urgent", "category": "platform"},
]


@pytest.mark.parametrize(
    ("fields", "expected"),
    list(
        zip(
            [
                {
                    "channel": "platform",
                    "kind": "complaint",
                    "complainant_name": "王丽",
                    "complainant_phone": "138 1234 5678",
                },
                {"channel": "letter", "kind": "report", "complainant_name": "李四"},  # 信访 track, confidential report
                {
                    "channel": "web",
                    "kind": "question",
                    "urgency": "urgent",
                    "category": "platform",
                },  # anonymous, urgent
            ],
            EXPECTED,
            strict=True,
        )
    ),
)
def test_a_bulk_row_is_registered_with_its_deadlines_and_first_event(session, runtime, make_user, fields, expected):
    """register_many stores rows through the same builders as register(): checked here on the stored row."""
    actor = make_user("operator", "supervisor", unit="KZ")
    data = {
        "unit_code": "ATS",
        "summary": "反映学校收取共建费",
        "details": "入学时被要求缴纳共建费",
        "received_at": NOW - timedelta(days=2),
        "source": "hotline12345",
    } | fields
    assert (
        register_many(session=session, runtime=runtime, actor=actor, rows=[data | {"external_ref": "B"}], now=NOW) == 1
    )
    bulk = session.exec(select(Complaint).where(Complaint.external_ref == "B")).one()
    stored = {
        "unit_code": "ATS",
        "status": "registered",
        "is_open": True,
        "registered_by_id": actor.id,
        "registered_unit_code": "KZ",
        "received_at": NOW - timedelta(days=2),
        "summary": "反映学校收取共建费",
        "urgency": "normal",
        "category": suggest_category(runtime.settings, data["summary"], data["details"]),
        "handling_notes": "",
        "extension_count": 0,
        "version": 1,
    } | expected
    for column, value in stored.items():
        assert getattr(bulk, column) == value, column
    assert bulk.tracking_no.startswith("ATS-2026-")
    assert bulk.reply_due_at > bulk.received_at and bulk.next_due_at is not None
    assert "共建" in bulk.search_text  # its search keys, set without the ORM's flush hook
    event = session.exec(select(Event).where(Event.complaint_id == bulk.id)).one()
    assert (event.action, event.to_status, event.actor_id, event.at) == ("register", "registered", actor.id, NOW)
    assert event.changes == {"category": bulk.category, "unit_code": "ATS"}


def test_a_row_stored_meanwhile_is_skipped_not_an_error(session, runtime, make_user):
    """Another transaction (the API, a second import) stored the same reference since the check."""
    actor = make_user("operator", "supervisor", unit="KZ")
    data = {
        "channel": "platform",
        "kind": "complaint",
        "unit_code": "ATS",
        "summary": "反映学校收取共建费",
        "received_at": NOW - timedelta(days=2),
        "source": "hotline12345",
    }
    registration.register(session=session, runtime=runtime, actor=actor, data=data | {"external_ref": "C"}, now=NOW)
    session.flush()
    rows = [data | {"external_ref": "C", "summary": "同一编号的另一份"}, data | {"external_ref": "D"}]
    assert register_many(session=session, runtime=runtime, actor=actor, rows=rows, now=NOW) == 1
    stored = session.exec(select(Complaint).where(Complaint.external_ref.in_(["C", "D"])).order_by(Complaint.id)).all()
    assert [(c.external_ref, c.summary) for c in stored] == [("C", "反映学校收取共建费"), ("D", "反映学校收取共建费")]
    events = session.exec(select(Event.action).where(Event.complaint_id == stored[1].id)).all()
    assert events == ["register"]
