"""The 附件1–3 ledger writers: the workbook must look like the seed's annexes and be safe to open."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils.escape import unescape

from complaints.ledgers import (
    ANNEX1_CLOSED_HEADING,
    ANNEX1_COUNTS_SHEET,
    ANNEX1_GROUPS,
    ANNEX1_RECEIVED_HEADING,
    ANNEX1_ROWS,
    FORMS,
    Annex2Row,
    Annex3Row,
    HeaderInfo,
    checklist_counts,
    checklist_rows,
    write_csv,
    write_xlsx,
)

SEED = Path(__file__).resolve().parents[1].parent / "shared" / "seed" / "000_e2d8ce9269680bb2.txt"
HEADER = HeaderInfo("阿图什市教育局", "买买提·艾力", "0908-4223232")
HEADER_LINE = "县（市）教育局（签章）：阿图什市教育局    填报人：买买提·艾力    联系电话：0908-4223232"
ANNEX2_HEADINGS = [
    "序号",
    "问题线索来源（含群众来信来电、上访、平台举报等）",
    "问题线索摘要",
    "办理情况",
    "处理结果",
    "备注",
]
ANNEX3_HEADINGS = ["序号", "违规主体", "违规行为", "查处和追责情况"]
ANNEX1_HEADINGS = [
    "序号",
    "重点任务",
    "重点任务排查项目",
    "落实举措（简要填写印发文件或政策执行情况）",
    "检查结论",
]  # exactly the seed's columns
MULTILINE = "来电人反映：\n1. 新建小区“昆仑花园”对口学校未公布；\n2. 学校要求交纳“共建费”2000元。"
HANDLING = "转阿图什市教育局核实，已电话联系来电人解释政策"
INJECTIONS = ['=HYPERLINK("http://x")', "+1+1", "-2", "@SUM(A1)"]
FIRST_DATA = 5  # row 1 label, 2 title, 3 header line, 4 headings


def annex2_rows():
    return [
        Annex2Row(1, "12345政务服务便民热线", MULTILINE, HANDLING, "已办结，来电人表示理解", ""),
        Annex2Row(2, "群众来信", "反映某小学设立快慢班", "派督导组实地核查", "责令整改", "实名"),
        Annex2Row(3, *INJECTIONS, "\t制表符开头"),
    ]


def load(path):
    return openpyxl.load_workbook(path).active


def data_rows(ws):
    return [[c.value for c in row] for row in ws.iter_rows(min_row=FIRST_DATA)]


def merged(ws):
    return {str(r) for r in ws.merged_cells.ranges}


def assert_form_frame(ws, annex, headings):
    form = FORMS[annex]
    last = openpyxl.utils.get_column_letter(len(headings))
    assert ws.title == f"附件{annex}"
    assert ws["A1"].value == f"附件{annex}"
    assert ws["A2"].value == form.title
    assert f"A2:{last}2" in merged(ws) and f"A3:{last}3" in merged(ws)
    assert ws["A2"].font.b and ws["A2"].font.sz >= 16 and ws["A2"].alignment.horizontal == "center"
    assert ws["A3"].value == HEADER_LINE
    assert [c.value for c in ws[4]] == headings
    assert all(c.font.b and c.border.bottom.style == "thin" for c in ws[4])
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0
    assert ws.print_title_rows == "$2:$4"
    assert 0.3 <= ws.page_margins.left <= 1 and 0.3 <= ws.page_margins.top <= 1
    for col, column in enumerate(form.columns, 1):
        assert column_width(ws, col) == pytest.approx(column.width, abs=1)


def column_width(ws, col):
    # equal neighbouring widths are stored as one <col min max> range
    return next(d.width for d in ws.column_dimensions.values() if d.min <= col <= d.max)


def assert_data_cells_styled(ws, ncols):
    for row in ws.iter_rows(min_row=FIRST_DATA, max_col=ncols):
        for c in row:
            b = c.border
            assert (b.left.style, b.right.style, b.top.style, b.bottom.style) == ("thin",) * 4, c
            assert c.alignment.wrap_text and c.alignment.vertical == "top", c
            assert c.font.name == "宋体"


def test_annex1_rows_are_the_seeds_26_items_in_five_groups():
    seed = SEED.read_text(encoding="utf-8") if SEED.exists() else None
    assert [r.number for r in ANNEX1_ROWS] == list(range(1, 27))
    groups = {}
    for r in ANNEX1_ROWS:
        groups.setdefault(r.group, []).append(r.number)
    assert groups == {
        "优化招生入学政策措施": [1, 2, 3, 4],
        "严格规范招生行为": [5, 6, 7, 8, 9, 10],
        "强化招生信息公开": [11, 12, 13],
        "优化招生入学流程": [14, 15, 16, 17, 18, 19],
        "保障特殊群体入学": [20, 21, 22, 23, 24, 25, 26],
    }
    assert ANNEX1_ROWS[0].item == "学校划片招生范围是否科学合理"
    assert ANNEX1_ROWS[6].item == "是否收取或变相收取与入学挂钩、关联的“捐资助学款”“共建费”"
    assert ANNEX1_ROWS[18].item == "是否明确禁止利用各类APP、小程序随意反复采集学生相关信息"
    assert ANNEX1_ROWS[25].item == "是否建立与公安、民政等部分信息共享比对机制"
    if seed is not None:
        annex1 = seed[seed.index("附件1\n") : seed.index("附件2\n")]
        for r in ANNEX1_ROWS:
            assert f"\t{r.item}\n" in annex1, r


@pytest.mark.parametrize("annex", [1, 2, 3])
def test_forms_match_the_seed_text(annex):
    form = FORMS[annex]
    assert form.label == f"附件{annex}"
    assert form.header_line("A", "B", "C") == "县（市）教育局（签章）：A    填报人：B    联系电话：C"
    if SEED.exists():
        seed = SEED.read_text(encoding="utf-8")
        assert f"{form.label}\n{form.title}\n" in seed
        for heading in form.headings[:5]:
            assert f"\t{heading}\n" in seed


def test_annex2_workbook_looks_like_the_annex(tmp_path):
    path = tmp_path / "a2.xlsx"
    assert write_xlsx(2, HEADER, annex2_rows(), path) == 3
    ws = load(path)
    assert_form_frame(ws, 2, ANNEX2_HEADINGS)
    rows = data_rows(ws)
    assert rows[0] == [1, "12345政务服务便民热线", MULTILINE, HANDLING, "已办结，来电人表示理解", None]
    assert rows[1][2] == "反映某小学设立快慢班" and rows[1][5] == "实名"
    assert_data_cells_styled(ws, 6)
    assert ws["A5"].alignment.horizontal == "center"


def test_annex3_workbook(tmp_path):
    path = tmp_path / "a3.xlsx"
    rows = [
        Annex3Row(1, "某县第二小学", "收取与入学挂钩的“共建费”", "退还费用，校长诫勉谈话"),
        ("2", "某培训机构", "联合组织选拔性测试", "移交县纪委监委"),
    ]
    assert write_xlsx(3, HEADER, iter(rows), path) == 2
    ws = load(path)
    assert_form_frame(ws, 3, ANNEX3_HEADINGS)
    assert data_rows(ws) == [
        [1, "某县第二小学", "收取与入学挂钩的“共建费”", "退还费用，校长诫勉谈话"],
        ["2", "某培训机构", "联合组织选拔性测试", "移交县纪委监委"],
    ]
    assert_data_cells_styled(ws, 4)


def test_annex1_is_the_seeds_form_with_the_counts_on_a_second_sheet(tmp_path):
    path = tmp_path / "a1.xlsx"
    rows = checklist_rows(measures={1: "印发《划片方案》"}, conclusions={1: "已落实"})
    counts = checklist_counts(received={1: 4, 2: 4, 7: 2}, closed={1: 3, 2: 3, 7: 2}, total_received=6, total_closed=5)
    assert write_xlsx(1, HEADER, rows, path, counts=counts) == 26
    book = openpyxl.load_workbook(path)
    ws = book.worksheets[0]
    assert_form_frame(ws, 1, ANNEX1_HEADINGS)
    assert ws.max_column == 5
    rows = data_rows(ws)
    assert len(rows) == 26 and [r[0] for r in rows] == list(range(1, 27))
    assert rows[0] == [1, "优化招生入学政策措施", "学校划片招生范围是否科学合理", "印发《划片方案》", "已落实"]
    assert rows[6][2] == "是否收取或变相收取与入学挂钩、关联的“捐资助学款”“共建费”"
    assert rows[25][2] == "是否建立与公安、民政等部分信息共享比对机制"
    # 重点任务 merged over each group, the group's name in its first cell only
    assert {"B5:B8", "B9:B14", "B15:B17", "B18:B23", "B24:B30"} <= merged(ws)
    assert [ws[f"B{r}"].value for r in (5, 9, 15, 18, 24)] == [g for g, _ in ANNEX1_GROUPS]
    assert ws["B5"].alignment.vertical == "center" and ws["B5"].border.top.style == "thin"
    assert ws["B8"].border.bottom.style == "thin"
    for row in ws.iter_rows(min_row=FIRST_DATA, max_col=5):
        for c in row:
            assert c.border.left.style == "thin" and c.border.right.style == "thin", c
            if c.column != 2:  # openpyxl shows inner cells of a merge without top/bottom edges
                assert c.border.top.style == c.border.bottom.style == "thin", c
                assert c.alignment.wrap_text and c.alignment.vertical == "top", c
    sheet = book.worksheets[1]
    assert sheet.title == ANNEX1_COUNTS_SHEET
    assert [c.value for c in sheet[4]] == [
        "序号",
        "重点任务",
        "重点任务排查项目",
        ANNEX1_RECEIVED_HEADING,
        ANNEX1_CLOSED_HEADING,
    ]
    figures = [[c.value for c in row] for row in sheet.iter_rows(min_row=FIRST_DATA)]
    assert figures[0] == [1, "优化招生入学政策措施", "学校划片招生范围是否科学合理", 4, 3]
    assert figures[26][0].startswith("合计") and figures[26][3:] == [6, 5]  # not 10: each item once


def test_every_row_is_as_tall_as_its_wrapped_text(tmp_path):
    long = "反映其居住的新建小区对口学校至今未公布，" * 8
    write_xlsx(
        2,
        HEADER,
        [Annex2Row(1, "来电", "短", "", "", ""), Annex2Row(2, "来电", long, long, "", "")],
        tmp_path / "h.xlsx",
    )
    ws = load(tmp_path / "h.xlsx")
    short_row, long_row = ws.row_dimensions[FIRST_DATA].height, ws.row_dimensions[FIRST_DATA + 1].height
    assert short_row >= 15 and long_row >= 5 * short_row  # 160 characters in a 46-unit column: 8 lines
    assert ws.row_dimensions[4].height >= 45  # the source heading wraps over three lines


def test_annex1_blank_group_repeats_the_one_above(tmp_path):
    rows = [(1, "甲组", "一"), (2, "", "二"), (3, "乙组", "三")]
    write_xlsx(1, HEADER, rows, tmp_path / "g.xlsx")
    ws = load(tmp_path / "g.xlsx")
    assert "B5:B6" in merged(ws) and ws["B7"].value == "乙组"


def test_formula_injection_is_stored_as_literal_text(tmp_path):
    path = tmp_path / "inj.xlsx"
    write_xlsx(2, HEADER, annex2_rows(), path)
    ws = load(path)
    cells = ws[FIRST_DATA + 2][1:6]
    assert [c.value for c in cells] == [*INJECTIONS, "\t制表符开头"]
    for c in cells:
        assert c.data_type == "s", c
        assert c.quotePrefix  # Excel keeps it text even after the cell is edited
    assert not ws[FIRST_DATA][2].quotePrefix


def test_illegal_characters_are_stripped_not_fatal(tmp_path):
    rows = [Annex2Row(1, "热线\x00", "摘要\x01含\x1f控制字符\x0b", "办理\ud800", "结果\ufffe", "a\r\nb")]
    write_xlsx(2, HeaderInfo("单位\x07"), rows, tmp_path / "bad.xlsx")
    ws = load(tmp_path / "bad.xlsx")
    assert data_rows(ws)[0] == [1, "热线", "摘要含控制字符", "办理", "结果", "a\nb"]
    assert ws["A3"].value.startswith("县（市）教育局（签章）：单位    ")
    out = io.StringIO()
    write_csv(2, HEADER, rows, out)
    assert "摘要含控制字符" in out.getvalue()


def test_text_that_looks_like_markup_or_excels_escapes_reads_back_as_typed(tmp_path):
    """Rows are streamed as XML: text that is itself markup, Excel's own _xHHHH_ escape, spaces at the
    ends, characters outside the BMP and a cell at Excel's length limit all come back as they were typed."""
    typed = [
        "<r><t>粗体</t></r>",  # XlsxWriter's streamed mode takes this for rich text and writes it raw
        "<r>&</r>",
        '甲 & 乙 <丙> "丁"',
        "_x000D_ 不是回车",
        "  前后有空格  ",
        "表情😀家长",
    ]
    rows = [Annex2Row(i + 1, "来电", text, text, "", "") for i, text in enumerate(typed)]
    rows.append(Annex2Row(99, "来电", "长" * 40000, "😀" * 20000, "", ""))
    write_xlsx(2, HEADER, rows, tmp_path / "markup.xlsx")
    ws = load(tmp_path / "markup.xlsx")
    got = [[unescape(v) if isinstance(v, str) else v for v in row] for row in data_rows(ws)]  # as Excel reads
    assert [row[2] for row in got[:-1]] == typed and [row[3] for row in got[:-1]] == typed
    assert got[-1][2] == "长" * 32767  # Excel's limit for one cell, in UTF-16 units
    assert got[-1][3] == "😀" * (32767 // 2)  # each takes two of them
    assert all(ws.row_dimensions[FIRST_DATA + i].height >= 15 for i in range(len(rows)))


def test_csv_has_bom_frame_and_quote_prefixed_cells(tmp_path):
    buf = io.BytesIO()
    assert write_csv(2, HEADER, annex2_rows(), buf) == 3
    raw = buf.getvalue()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert lines[:4] == [["附件2"], ["义务教育招生入学工作问题线索管理台账"], [HEADER_LINE], ANNEX2_HEADINGS]
    assert lines[4] == ["1", "12345政务服务便民热线", MULTILINE, HANDLING, "已办结，来电人表示理解", ""]
    assert lines[6] == ["3", '\'=HYPERLINK("http://x")', "'+1+1", "'-2", "'@SUM(A1)", "'\t制表符开头"]
    # a path and a text stream work too; 附件1 repeats the group on every row
    write_csv(1, HEADER, checklist_rows(), tmp_path / "a1.csv")
    text = (tmp_path / "a1.csv").read_text(encoding="utf-8")
    assert text.startswith("\ufeff附件1")
    a1 = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(a1) == 4 + 26 and a1[3] == ANNEX1_HEADINGS
    assert a1[5][:2] == ["2", "优化招生入学政策措施"]


def test_stream_target_progress_and_generator_input():
    seen = []
    rows = (Annex2Row(i, "来电", f"摘要{i}") for i in range(1, 2502))
    buf = io.BytesIO()
    assert write_xlsx(2, HEADER, rows, buf, progress=seen.append) == 2501
    assert seen == [1000, 2000, 2501]
    buf.seek(0)
    ws = openpyxl.load_workbook(buf, read_only=True).active
    assert ws.max_row == 4 + 2501
    assert next(ws.iter_rows(min_row=2505, values_only=True)) == (2501, "来电", "摘要2501", None, None, None)


def test_empty_ledger_and_bad_input(tmp_path):
    assert write_xlsx(3, HeaderInfo(), [], tmp_path / "e.xlsx") == 0
    ws = load(tmp_path / "e.xlsx")
    assert ws["A3"].value == "县（市）教育局（签章）：    填报人：    联系电话：" and ws.max_row == 4
    with pytest.raises(ValueError):
        write_xlsx(4, HEADER, [], tmp_path / "x.xlsx")
    with pytest.raises(ValueError):
        write_csv(3, HEADER, [(1, 2, 3, 4, 5)], io.StringIO())


def test_failing_row_source_leaves_no_partial_file(tmp_path):
    def rows():
        yield Annex2Row(1, "来电", "摘要")
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        write_xlsx(2, HEADER, rows(), tmp_path / "partial.xlsx")
    assert not (tmp_path / "partial.xlsx").exists()
