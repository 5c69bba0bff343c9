"""No personal data in a de-identified file: phone numbers in any writing and the complainant's name typed into
any free-text field of 附件1–3 are masked, the bureau's own numbers are not, and the identity export never
holds a confidential reporter's identity."""

from __future__ import annotations

import re
from datetime import date, datetime
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from complaints.privacy import deidentify, public_numbers
from complaints.services import ledger
from complaints.services.transitions import act

TZ = ZoneInfo("Asia/Shanghai")
REPORTER, REPORTER_PHONE = "马依拉", "13512340000"
#: (as typed, the digits that must not survive); one writing per free-text field
TYPED = {
    "summary": ("138 1234 5678", "13812345678"),
    "handling": ("+86 139-8765-4321", "13987654321"),
    "result": ("0086 13700001111", "13700001111"),
    "remarks": ("（0908）7621234", "7621234"),
    "violator": ("+86 908 7629999", "7629999"),
    "violation": ("0998-2345671转12", "2345671"),
    "action": ("１３６００００２２２２", "13600002222"),
    "edited": ("138-0000-3333", "13800003333"),
}
HOTLINE = "0908-7625100"  # 阿图什市教育局's own number (config.toml): not personal data


@pytest.mark.parametrize(
    "typed, masked",
    [
        ("13812345678", "138****5678"),
        ("138 1234 5678", "138****5678"),
        ("138-1234-5678", "138****5678"),
        ("+86 138 1234 5678", "138****5678"),
        ("0086-13812345678", "138****5678"),
        ("(+86)13812345678", "138****5678"),
        ("１３８１２３４５６７８", "138****5678"),
        ("0908-7621234", "0908-****"),
        ("(0908) 762 1234", "0908-****"),
        ("0908－7621234", "0908-****"),
        ("010-12345678转123", "010-****"),
        ("+86 10 12345678", "010-****"),
        ("650102199001011234", "650102********1234"),
    ],
)
def test_each_common_writing_is_masked(typed, masked):
    assert deidentify(f"家长{typed}反映", names=["王丽"]) == f"家长{masked}反映"


def test_the_bureaus_numbers_dates_and_tracking_numbers_stay():
    keep = public_numbers(["0908-7625100", "0908-4223232 / 4223233"])
    text = "请拨打0908-7625100或0908-4223233咨询，12345热线，2026-06-03 10:30，ATS-2026-000123，收费3000元"
    assert deidentify(text, names=["王丽"], keep=keep) == text
    assert deidentify("王丽来电", names=["王丽"]) == "王某来电"


def texts_of(buffer: BytesIO) -> list[str]:
    sheet = load_workbook(BytesIO(buffer.getvalue())).active
    return [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]


def export(session, runtime, supervisor, annex: int, *, with_identity: bool = False) -> list[str]:
    buffer = BytesIO()
    ledger.export(
        session=session,
        runtime=runtime,
        actor=supervisor,
        annex=annex,
        fmt="xlsx",
        stream=buffer,
        period=ledger.Period(unit_code="ATS", start=date(2026, 6, 1), end=date(2026, 6, 30)),
        with_identity=with_identity,
    )
    return texts_of(buffer)


def assert_no_personal_data(cells: list[str]) -> None:
    for cell in cells:
        digits = re.sub(r"\D", "", cell.translate({0xFF10 + n: str(n) for n in range(10)}))
        assert REPORTER not in cell and REPORTER_PHONE not in digits, cell
        for field, (typed, kept_out) in TYPED.items():
            assert kept_out not in digits, (field, typed, cell)


@pytest.fixture
def reported(session, runtime, make_user, make_item):
    """A confidential 举报 whose reporter's name and numbers were typed into every free-text field."""
    operator, handler, supervisor = make_user("operator"), make_user("handler"), make_user("supervisor")
    item = make_item(
        actor=operator,
        kind="report",
        complainant_name=REPORTER,
        complainant_phone=REPORTER_PHONE,
        summary=f"{REPORTER}举报学校收取共建费，电话{TYPED['summary'][0]}，可拨{HOTLINE}核实",
        received_at=datetime(2026, 6, 3, 11, 0, tzinfo=TZ),
    )
    steps = [
        (supervisor, "dispatch", {"handler_id": handler.id}),
        (handler, "accept", {}),
        (
            supervisor,
            "refer_discipline",
            {
                "violator": f"某小学校长（举报人{REPORTER}，{TYPED['violator'][0]}）",
                "violation": f"收取共建费，知情人电话{TYPED['violation'][0]}",
                "discipline_action": f"已约谈，结果告知{REPORTER}（{TYPED['action'][0]}）",
            },
        ),
        (
            handler,
            "reply",
            {
                "text": "经核实，学校已退还所收费用。",
                "outcome": "support",
                "handling_notes": f"电话联系{REPORTER}（{TYPED['handling'][0]}）",
                "result_text": f"已退费，{REPORTER}确认，{TYPED['result'][0]}",
            },
        ),
        (operator, "callback", {"resolved": True, "satisfaction": "satisfied"}),
        (handler, "close", {"remarks": f"{REPORTER}要求保密，电话{TYPED['remarks'][0]}"}),
    ]
    for hours, (actor, action, payload) in enumerate(steps, 1):
        act(
            session=session,
            runtime=runtime,
            actor=actor,
            item=item,
            action=action,
            payload=payload,
            now=datetime(2026, 6, 4, 10, 0, tzinfo=TZ).replace(hour=9 + hours),
        )
    return item, supervisor


@pytest.mark.parametrize("with_identity", [False, True])
def test_annex2_holds_no_reporter_wherever_it_was_typed(session, runtime, reported, with_identity):
    item, supervisor = reported
    entry = ledger.write_entry(session=session, runtime=runtime, item=item)
    session.flush()
    ledger.edit_entry(
        session=session,
        runtime=runtime,
        actor=supervisor,
        entry_id=entry.id,
        changes={"remarks": f"{entry.remarks}；补记：{REPORTER}又来电{TYPED['edited'][0]}"},
    )
    cells = export(session, runtime, supervisor, 2, with_identity=with_identity)
    mine = [c for c in cells if item.tracking_no in c]
    assert len(mine) == 1 and REPORTER_PHONE not in mine[0]  # a confidential reporter: no identity added
    assert any("马某举报学校收取共建费，电话138****5678" in c for c in cells)
    assert_no_personal_data(cells)
    assert any(HOTLINE in c for c in cells)


def test_annex3_masks_the_subject_the_violation_and_the_action(session, runtime, reported):
    _item, supervisor = reported
    cells = export(session, runtime, supervisor, 3)
    assert any("某小学校长（举报人马某" in c for c in cells) and any("已约谈" in c for c in cells)
    assert_no_personal_data(cells)


def test_annex1_text_is_masked_too(session, runtime, reported):
    """The county's 落实举措 and 检查结论, as it types them on the checklist page, leave without phone numbers."""
    from complaints.services import checklist

    _item, supervisor = reported
    checklist.save(
        session=session,
        runtime=runtime,
        actor=supervisor,
        period=ledger.Period(unit_code="ATS", start=date(2026, 6, 1), end=date(2026, 6, 30)),
        texts={
            7: checklist.RowText(
                measures=f"设立举报电话{TYPED['summary'][0]}，咨询{HOTLINE}",
                conclusion=f"经查属实，家长{TYPED['handling'][0]}",
            )
        },
    )
    cells = export(session, runtime, supervisor, 1)
    assert any("设立举报电话138****5678" in c and HOTLINE in c for c in cells)
    assert any("经查属实，家长139****4321" in c for c in cells)
    assert_no_personal_data(cells)


def test_an_identity_export_names_a_complainant_who_is_not_confidential(session, runtime, make_user, make_item):
    supervisor, handler = make_user("supervisor"), make_user("handler")
    item = make_item(
        complainant_name="王丽",
        complainant_phone="13812345678",
        summary="王丽反映共建费，13812345678",
        received_at=datetime(2026, 6, 3, 11, 0, tzinfo=TZ),
    )
    for actor, action, payload in [
        (supervisor, "dispatch", {"handler_id": handler.id}),
        (handler, "accept", {}),
        (
            handler,
            "reply",
            {
                "text": "经核实，学校已退还所收费用。",
                "outcome": "support",
                "handling_notes": "到校核查",
                "result_text": "已退费",
            },
        ),
        (supervisor, "callback", {"resolved": True, "satisfaction": "satisfied"}),
        (handler, "close", {}),
    ]:
        act(
            session=session,
            runtime=runtime,
            actor=actor,
            item=item,
            action=action,
            payload=payload,
            now=datetime(2026, 6, 4, 12, 0, tzinfo=TZ),
        )
    row = next(
        r
        for r in ledger.annex2_rows(
            session=session,
            runtime=runtime,
            with_identity=True,
            period=ledger.Period("ATS", date(2026, 6, 1), date(2026, 6, 30)),
        )
        if item.tracking_no in r.source
    )
    assert row.source.endswith("王丽 13812345678") and row.summary == "王某反映共建费，138****5678"
