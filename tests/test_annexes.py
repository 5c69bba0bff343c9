"""附件2 holds every problem lead of the period, open ones too; 附件1 is the seed's form, written by the county
per reporting period with history, its item counts on a second sheet."""

from datetime import date, datetime, timedelta
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from complaints.errors import Forbidden
from complaints.services import checklist, ledger
from complaints.services.checklist import RowText
from complaints.services.transitions import act

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 6, 3, 11, 0, tzinfo=TZ)
JUNE = ledger.Period(unit_code="ATS", start=date(2026, 6, 1), end=date(2026, 6, 30))
SEED_COLUMNS = ["序号", "重点任务", "重点任务排查项目", "落实举措（简要填写印发文件或政策执行情况）", "检查结论"]


@pytest.fixture
def staff(make_user):
    return {"op": make_user("operator"), "handler": make_user("handler"), "sup": make_user("supervisor")}


def run(session, runtime, staff, item, *steps, start=T0):
    for hours, (who, action, payload) in enumerate(steps, 1):
        payload = {"handler_id": staff["handler"].id} if action == "dispatch" else payload
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


def annex2(session, runtime, **options) -> dict[str, list]:
    rows = ledger.annex2_rows(
        session=session,
        period=JUNE,
        runtime=runtime,
        with_identity=False,
        now=datetime(2026, 6, 20, 12, 0, tzinfo=TZ),
        **options,
    )
    return {row.source.split("，")[1].rstrip("）"): row for row in rows}


def test_annex2_holds_open_leads_too_with_their_progress(session, runtime, staff, make_item):
    registered = make_item(actor=staff["op"], received_at=T0, channel="letter")
    visit = make_item(actor=staff["op"], received_at=T0, channel="visit")
    handling = run(
        session,
        runtime,
        staff,
        make_item(actor=staff["op"], received_at=T0, channel="call"),
        ("sup", "dispatch", None),
        ("handler", "accept", {}),
    )
    answered = run(
        session,
        runtime,
        staff,
        make_item(actor=staff["op"], received_at=T0, channel="platform"),
        ("sup", "dispatch", None),
        ("handler", "accept", {}),
        (
            "handler",
            "reply",
            {
                "text": "经核实，学校已退还所收费用。",
                "outcome": "support",
                "handling_notes": "到校核查",
                "result_text": "学校已退还共建费",
            },
        ),
    )
    closed = run(
        session,
        runtime,
        staff,
        make_item(actor=staff["op"], received_at=T0, channel="referral"),
        ("sup", "dispatch", None),
        ("handler", "accept", {}),
        (
            "handler",
            "reply",
            {
                "text": "经核实，学校已退还所收费用。",
                "outcome": "support",
                "handling_notes": "到校核查",
                "result_text": "学校已退还共建费",
            },
        ),
        ("op", "callback", {"resolved": True, "satisfaction": "satisfied"}),
        ("handler", "close", {}),
    )
    make_item(actor=staff["op"], received_at=T0 - timedelta(days=40))  # received in April: another period
    rows = annex2(session, runtime)
    assert set(rows) == {i.tracking_no for i in (registered, visit, handling, answered, closed)}
    assert rows[registered.tracking_no].source.startswith("群众来信（2026-06-03")
    assert [rows[i.tracking_no].source[:4] for i in (visit, handling, answered, closed)] == [
        "上访（2",
        "来电（2",
        "平台举报",
        "上级交办",
    ]
    for item in (registered, visit, handling, answered):
        assert rows[item.tracking_no].result == "办理中"
    assert "截至06月20日：待派单" in rows[registered.tracking_no].handling
    assert "签收并联系诉求人" in rows[handling.tracking_no].handling
    assert "已超期" in rows[handling.tracking_no].remarks  # its reply was due on 6/10
    assert "截至06月20日：已答复，待回访" in rows[answered.tracking_no].handling
    assert rows[closed.tracking_no].result.startswith("学校已退还共建费；处理意见：支持；回访：满意")
    assert "截至" not in rows[closed.tracking_no].handling
    assert [r.seq for r in rows.values()] == [1, 2, 3, 4, 5]


def test_questions_answered_at_once_are_left_out_unless_asked_for(session, runtime, staff, make_item):
    question = make_item(
        actor=staff["op"],
        received_at=T0,
        kind="question",
        category="consultation",
        summary="请问一年级报名什么时候开始",
    )
    act(
        session=session,
        runtime=runtime,
        actor=staff["op"],
        item=question,
        action="answer_now",
        payload={"text": "今年一年级网上报名为7月1日至7月10日。"},
        now=T0,
    )
    lead = make_item(actor=staff["op"], received_at=T0)
    assert set(annex2(session, runtime)) == {lead.tracking_no}
    assert set(annex2(session, runtime, include_answered=True)) == {lead.tracking_no, question.tracking_no}
    assert ledger.annex2_count(session=session, period=JUNE, runtime=runtime) == 1


def test_annex1_has_exactly_the_seeds_columns_and_the_countys_text(session, runtime, staff, make_item):
    checklist.save(
        session=session,
        runtime=runtime,
        actor=staff["sup"],
        period=JUNE,
        texts={
            1: RowText("印发《阿图什市2026年义务教育学校划片招生方案》，经市政府常务会议审议后向社会公布", "已落实"),
            7: RowText("开展违规收费专项检查，覆盖全部公办学校", "发现1所学校收取共建费，已责令退还"),
        },
    )
    zone = make_item(actor=staff["op"], received_at=T0, category="zone")  # 附件1 rows 1 and 2
    make_item(actor=staff["op"], received_at=T0, category="fees")  # row 7
    make_item(actor=staff["op"], received_at=T0, category="consultation")  # no row
    buffer = BytesIO()
    ledger.export(session=session, runtime=runtime, actor=staff["sup"], annex=1, period=JUNE, fmt="xlsx", stream=buffer)
    book = load_workbook(BytesIO(buffer.getvalue()))
    form, counts = book.worksheets
    assert [c.value for c in form[4]] == SEED_COLUMNS and form.max_column == 5
    assert [c.value for c in form[5]] == [
        1,
        "优化招生入学政策措施",
        "学校划片招生范围是否科学合理",
        "印发《阿图什市2026年义务教育学校划片招生方案》，经市政府常务会议审议后向社会公布",
        "已落实",
    ]
    assert form["E11"].value == "发现1所学校收取共建费，已责令退还"
    assert counts.title == "件数统计"
    by_row = {row[0]: row[3:5] for row in counts.iter_rows(min_row=5, max_row=30, values_only=True)}
    assert by_row[1] == (1, 0) and by_row[2] == (1, 0) and by_row[7] == (1, 0) and by_row[3] == (0, 0)
    total = [c.value for c in counts[31]]
    assert total[0].startswith("合计") and total[3] == 2  # zone counted once, though on two rows
    assert sum(v[0] for v in by_row.values()) == 3
    assert zone.category == "zone"


def test_the_countys_text_is_kept_per_period_with_its_history(session, runtime, staff, make_user):
    checklist.save(
        session=session,
        runtime=runtime,
        actor=staff["sup"],
        period=JUNE,
        texts={1: RowText("印发划片方案", "已落实"), 2: RowText("", "")},
    )
    assert (
        checklist.save(
            session=session,
            runtime=runtime,
            actor=staff["sup"],
            period=JUNE,
            texts={1: RowText("印发划片方案并公示", "已落实"), 2: RowText("", "")},
        )
        == 1
    )
    assert (
        checklist.save(
            session=session,
            runtime=runtime,
            actor=staff["sup"],
            period=JUNE,
            texts={1: RowText("印发划片方案并公示", "已落实")},
        )
        == 0
    )  # nothing changed
    versions = checklist.history(session=session, period=JUNE)
    assert [v.measures for v in versions] == ["印发划片方案并公示", "印发划片方案"]
    assert checklist.rows(session=session, period=JUNE)[0].measures == "印发划片方案并公示"
    july = ledger.Period(unit_code="ATS", start=date(2026, 7, 1), end=date(2026, 7, 25))
    assert checklist.rows(session=session, period=july)[0].measures == ""  # another reporting period
    with pytest.raises(Forbidden):
        checklist.save(
            session=session,
            runtime=runtime,
            actor=make_user("supervisor", unit="WQ"),
            period=JUNE,
            texts={1: RowText("x", "y")},
        )
