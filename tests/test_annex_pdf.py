"""附件1–3 printed: LibreOffice renders the exported workbooks to PDF, and every cell's whole text is on the
page (a row too short for its wrapped text prints cut). The pages are also rendered to PNG under
test-artifacts/annexes/ for a person to look at."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from complaints.services import checklist, ledger
from complaints.services.checklist import RowText
from complaints.services.transitions import act

pytestmark = pytest.mark.slow  # the annexes printed through LibreOffice; left out by make test-fast

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 6, 3, 11, 0, tzinfo=TZ)
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "annexes"
SUMMARY = (
    "反映其居住的新建小区“昆仑花园”对口学校至今未公布，孩子今年满六周岁需要上一年级，家长多次咨询学校和社区"
    "均未得到明确答复，担心错过报名时间，要求尽快明确划片范围并公开"
)
HANDLING = (
    "到阿图什市第一小学实地核查，调阅2026年新生报名台账和收费票据，约谈学校校长和财务负责人，"
    "核实学校以“共建费”名义向12名新生家长每人收取2000元"
)
RESULT = "责令学校于6月10日前全额退还所收费用，学校已退还并在校务公开栏公示，诉求人对处理结果表示认可"


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(
            f"{name} is needed for the print check: apt-get install libreoffice-calc poppler-utils (make browser-deps)"
        )
    return found


@pytest.fixture
def season(session, runtime, make_user, make_item):
    """A county's period with open and closed leads, a referral and the county's checklist text."""
    op, handler, sup = make_user("operator"), make_user("handler"), make_user("supervisor")
    steps = [
        (sup, "dispatch", {"handler_id": handler.id}),
        (handler, "accept", {}),
        (
            handler,
            "reply",
            {
                "text": "经核实，学校已退还所收费用。",
                "outcome": "support",
                "handling_notes": HANDLING,
                "result_text": RESULT,
            },
        ),
        (op, "callback", {"resolved": True, "satisfaction": "satisfied"}),
        (handler, "close", {}),
    ]
    for index, channel in enumerate(["call", "letter", "visit", "platform", "referral", "call"]):
        item = make_item(
            actor=op,
            received_at=T0 + timedelta(hours=index),
            channel=channel,
            summary=SUMMARY[: 40 + 12 * index],
            category="zone" if index % 2 else "fees",
        )
        done = steps[: index + 1]
        if channel in ("letter", "visit"):  # a formal 信访 reply leaves after the supervisor's 审签
            done = [
                step
                for s in done
                for step in (((handler, "submit_reply", s[2]), (sup, "approve_reply", {})) if s[1] == "reply" else (s,))
            ]
        for hours, (actor, action, payload) in enumerate(done, 1):
            act(
                session=session,
                runtime=runtime,
                actor=actor,
                item=item,
                action=action,
                payload=payload,
                now=T0 + timedelta(days=1, hours=hours),
            )
        if index == 2:
            act(
                session=session,
                runtime=runtime,
                actor=sup,
                item=item,
                action="refer_discipline",
                payload={
                    "violator": "阿图什市第一小学",
                    "violation": HANDLING,
                    "discipline_action": "已移交市纪委监委，责令退还违规收取的费用，对校长进行诫勉谈话",
                },
                now=T0 + timedelta(days=2),
            )
    period = ledger.Period(unit_code="ATS", start=date(2026, 6, 1), end=date(2026, 6, 30))
    checklist.save(
        session=session,
        runtime=runtime,
        actor=sup,
        period=period,
        texts={
            1: RowText(
                "印发《阿图什市2026年义务教育学校划片招生工作方案》，划片范围经市政府常务会议审议后在教育局网站、"
                "学校公示栏和家长群同步公布",
                "已落实，未发现划片不合理问题",
            ),
            7: RowText(
                "开展违规收费专项检查，覆盖全市公办义务教育学校", "发现1所学校以共建费名义收费，已责令全额退还并通报"
            ),
        },
    )
    return sup, period


def render(session, runtime, actor, period, folder: Path) -> list[Path]:
    books = []
    for annex in (1, 2, 3):
        path = folder / f"annex{annex}.xlsx"
        with path.open("wb") as stream:
            ledger.export(
                session=session, runtime=runtime, actor=actor, annex=annex, period=period, fmt="xlsx", stream=stream
            )
        books.append(path)
    profile = folder / "lo-profile"
    subprocess.run(
        [
            tool("soffice"),
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            *map(str, books),
        ],
        check=True,
        capture_output=True,
        timeout=240,
    )
    return books


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_every_cell_of_the_three_annexes_prints_whole(session, runtime, season, tmp_path):
    actor, period = season
    books = render(session, runtime, actor, period, tmp_path)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for book in books:
        pdf = book.with_suffix(".pdf")
        printed = squeeze(
            subprocess.run(
                [tool("pdftotext"), "-raw", str(pdf), "-"], check=True, capture_output=True, text=True, timeout=60
            ).stdout
        )
        cells = [
            str(cell.value)
            for sheet in load_workbook(book).worksheets
            for row in sheet.iter_rows()
            for cell in row
            if cell.value not in (None, "")
        ]
        assert len(cells) > 10, book  # the frame and at least one row
        missing = [text for text in cells if squeeze(text) not in printed]
        assert missing == [], (book.name, missing[:3])
        subprocess.run(
            [tool("pdftoppm"), "-r", "60", "-png", str(pdf), str(ARTIFACTS / book.stem)], check=True, timeout=60
        )
    assert SUMMARY[:52] in "".join(str(c.value) for c in load_workbook(books[1]).active["C"] if c.value)
