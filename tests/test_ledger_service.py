"""Closing an item writes its 附件2 entry; exports look like the annex and leave identities out."""

from datetime import date, datetime
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from complaints.errors import Forbidden
from complaints.models import AuditLog, LedgerEntry
from complaints.services import ledger
from complaints.services.transitions import act

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 6, 3, 11, 0, tzinfo=TZ)


@pytest.fixture
def closed_item(session, runtime, make_user, make_item):
    operator, handler, supervisor = make_user("operator"), make_user("handler"), make_user("supervisor")
    item = make_item(
        actor=operator, summary="王丽反映学校收取共建费，电话13812345678", received_at=T0, complainant_name="王丽"
    )
    steps = [
        (supervisor, "dispatch", {"handler_id": handler.id}),
        (handler, "accept", {}),
        (
            handler,
            "reply",
            {
                "text": "经核实，学校已退还所收费用。",
                "outcome": "support",
                "handling_notes": "到校核查，约谈校长",
                "result_text": '=HYPERLINK("http://x")',
            },
        ),
        (operator, "callback", {"resolved": True, "satisfaction": "satisfied"}),
        (handler, "close", {}),
    ]
    for hours, (actor, action, payload) in enumerate(steps, 1):
        act(
            session=session,
            runtime=runtime,
            actor=actor,
            item=item,
            action=action,
            payload=payload,
            now=datetime(2026, 6, 4, 10, 0, tzinfo=TZ).replace(hour=10 + hours),
        )
    return item, supervisor, handler


def test_closing_writes_a_deidentified_ledger_entry(session, closed_item):
    item, _supervisor, _handler = closed_item
    entry = session.exec(select(LedgerEntry).where(LedgerEntry.complaint_id == item.id)).one()
    assert entry.unit_code == "ATS" and item.tracking_no in entry.source and "来电" in entry.source
    assert "13812345678" not in entry.summary and "138****5678" in entry.summary
    assert "王丽" not in entry.summary and "王某" in entry.summary
    assert entry.handling == "到校核查，约谈校长"
    assert "处理意见：支持" in entry.result and "回访：满意" in entry.result


def test_annex2_export_contains_the_closed_item_as_text(session, runtime, closed_item):
    item, supervisor, _ = closed_item
    buffer = BytesIO()
    period = ledger.Period(unit_code="ATS", start=date(2026, 6, 1), end=date(2026, 6, 30))
    count = ledger.export(
        session=session, runtime=runtime, actor=supervisor, annex=2, period=period, fmt="xlsx", stream=buffer
    )
    assert count >= 1
    sheet = load_workbook(BytesIO(buffer.getvalue())).active
    assert sheet["A1"].value == "附件2"
    assert sheet["A2"].value == "义务教育招生入学工作问题线索管理台账"
    assert "阿图什市教育局" in sheet["A3"].value and supervisor.name in sheet["A3"].value
    values = [[c.value for c in row] for row in sheet.iter_rows(min_row=5)]
    mine = [row for row in values if row[1] and item.tracking_no in row[1]]
    assert len(mine) == 1
    result_cell = next(
        c for row in sheet.iter_rows(min_row=5) for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value
    )
    assert result_cell.data_type == "s"
    assert all("13812345678" not in str(v) for row in values for v in row)
    audit = session.exec(select(AuditLog).where(AuditLog.action == "ledger_export")).all()
    assert audit and audit[-1].detail["with_identity"] is False


def test_identity_export_is_recorded_and_refused_to_handlers(session, runtime, closed_item):
    _item, supervisor, handler = closed_item
    period = ledger.Period(unit_code="ATS", start=date(2026, 6, 1), end=date(2026, 6, 30))
    buffer = BytesIO()
    ledger.export(
        session=session,
        runtime=runtime,
        actor=supervisor,
        annex=2,
        period=period,
        fmt="csv",
        stream=buffer,
        with_identity=True,
    )
    assert "13812345678" in buffer.getvalue().decode("utf-8-sig")
    assert session.exec(select(AuditLog)).all()[-1].detail["with_identity"] is True
    with pytest.raises(Forbidden):
        ledger.export(
            session=session, runtime=runtime, actor=handler, annex=2, period=period, fmt="csv", stream=BytesIO()
        )


def test_a_confidential_reporter_never_leaves_in_an_identity_export(session, runtime, closed_item):
    item, supervisor, _handler = closed_item
    item.confidential = True
    session.flush()
    buffer = BytesIO()
    ledger.export(
        session=session,
        runtime=runtime,
        actor=supervisor,
        annex=2,
        fmt="csv",
        stream=buffer,
        period=ledger.Period(unit_code="ATS", start=date(2026, 6, 1), end=date(2026, 6, 30)),
        with_identity=True,
    )
    text = buffer.getvalue().decode("utf-8-sig")
    assert item.tracking_no in text and "13812345678" not in text and "王丽" not in text


def test_annex3_lists_referrals(session, runtime, make_user, make_item):
    supervisor, handler = make_user("supervisor"), make_user("handler")
    item = make_item(received_at=T0)
    for actor, action, payload in [
        (supervisor, "dispatch", {"handler_id": handler.id}),
        (handler, "accept", {}),
        (supervisor, "refer_discipline", {"violator": "阿图什市某小学", "violation": "收取共建费"}),
    ]:
        act(
            session=session,
            runtime=runtime,
            actor=actor,
            item=item,
            action=action,
            payload=payload,
            now=datetime(2026, 6, 5, 12, 0, tzinfo=TZ),
        )
    period = ledger.Period(unit_code="ATS", start=date(2026, 6, 1), end=date(2026, 6, 30))
    rows = list(ledger.annex3_rows(session=session, period=period, runtime=runtime))
    mine = [(r.subject, r.violation) for r in rows if r.subject == "阿图什市某小学"]
    assert mine == [("阿图什市某小学", "收取共建费")]


def test_supervisor_edit_survives_and_other_units_cannot_edit(session, runtime, closed_item, make_user):
    item, supervisor, _ = closed_item
    entry = session.exec(select(LedgerEntry).where(LedgerEntry.complaint_id == item.id)).one()
    ledger.edit_entry(
        session=session, runtime=runtime, actor=supervisor, entry_id=entry.id, changes={"remarks": "已整改到位"}
    )
    assert entry.remarks == "已整改到位" and entry.edited_by_id == supervisor.id
    from complaints.errors import NotFound

    with pytest.raises(NotFound):
        ledger.edit_entry(
            session=session,
            runtime=runtime,
            actor=make_user("supervisor", unit="WQ"),
            entry_id=entry.id,
            changes={"remarks": "x"},
        )
