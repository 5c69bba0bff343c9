"""The importer's bulk register_many stores exactly what the operators' register() stores."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from complaints.importing.bulk import register_many
from complaints.models import Complaint, Event
from complaints.services import complaints as service

NOW = datetime(2026, 6, 3, 4, 0, tzinfo=UTC)
SKIP = {"id", "tracking_no", "external_ref", "registered_at", "updated_at"}


@pytest.mark.parametrize(
    "fields",
    [
        {"channel": "platform", "kind": "complaint", "complainant_name": "王丽", "complainant_phone": "138 1234 5678"},
        {"channel": "letter", "kind": "report", "complainant_name": "李四"},  # 信访 track, confidential report
        {"channel": "web", "kind": "question", "urgency": "urgent", "category": "platform"},  # anonymous, urgent
    ],
)
def test_bulk_and_single_registration_store_the_same(session, runtime, make_user, fields):
    actor = make_user("operator", "supervisor", unit="KZ")
    data = {
        "unit_code": "ATS",
        "summary": "反映学校收取共建费",
        "details": "入学时被要求缴纳共建费",
        "received_at": NOW - timedelta(days=2),
        "source": "hotline12345",
    } | fields
    single = service.register(session=session, runtime=runtime, actor=actor, data=data | {"external_ref": "A"}, now=NOW)
    session.flush()
    assert (
        register_many(session=session, runtime=runtime, actor=actor, rows=[data | {"external_ref": "B"}], now=NOW) == 1
    )
    bulk = session.exec(select(Complaint).where(Complaint.external_ref == "B")).one()
    for column in Complaint.__table__.columns.keys():
        if column not in SKIP:
            assert getattr(bulk, column) == getattr(single, column), column
    found = session.exec(select(Event).where(Event.complaint_id.in_([single.id, bulk.id])))
    events = {e.complaint_id: e for e in found}
    for name in ("action", "to_status", "actor_id", "changes", "at"):
        assert getattr(events[bulk.id], name) == getattr(events[single.id], name), name


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
    service.register(session=session, runtime=runtime, actor=actor, data=data | {"external_ref": "C"}, now=NOW)
    session.flush()
    rows = [data | {"external_ref": "C", "summary": "同一编号的另一份"}, data | {"external_ref": "D"}]
    assert register_many(session=session, runtime=runtime, actor=actor, rows=rows, now=NOW) == 1
    stored = session.exec(select(Complaint).where(Complaint.external_ref.in_(["C", "D"])).order_by(Complaint.id)).all()
    assert [(c.external_ref, c.summary) for c in stored] == [("C", "反映学校收取共建费"), ("D", "反映学校收取共建费")]
    events = session.exec(select(Event.action).where(Event.complaint_id == stored[1].id)).all()
    assert events == ["register"]
