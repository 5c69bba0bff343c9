"""Exports as platforms produce them, good and broken, written into a folder for the import tests."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

HEADER_12345 = ["工单编号", "来电时间", "来电人", "来电号码", "诉求类型", "承办单位", "诉求标题", "诉求内容"]


def when(days_ago: int = 1, base: datetime | None = None) -> str:
    base = (base or datetime.now(ZoneInfo("Asia/Shanghai"))).astimezone(ZoneInfo("Asia/Shanghai"))
    return (base - timedelta(days=days_ago)).strftime("%Y-%m-%d %H:%M")


def rows_12345(n: int, *, start: int = 1, prefix: str = "GD", base: datetime | None = None) -> list[list[str]]:
    return [[f"{prefix}{start + i:07d}", when(1 + i % 20, base), "王丽", f"138{start + i:08d}", "投诉",
             "阿图什市教育局", f"反映学校收取共建费问题{start + i}", "家长反映入学时被要求缴纳共建费三千元"]
            for i in range(n)]


def write_csv(path: Path, rows: list[list[str]], *, header=HEADER_12345, encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as stream:
        writer = csv.writer(stream)
        if header:
            writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list[object]], *, title: str | None = None, group_row: bool = False,
               header=HEADER_12345) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    if title:  # a title merged across the sheet, as platforms export it
        sheet.append([title])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    if group_row:  # a group heading merged over 来电人 / 来电号码
        sheet.append(["工单信息", None, "诉求人", None, "办理", None, "诉求", None])
        top = sheet.max_row
        for first in (1, 3, 5, 7):
            sheet.merge_cells(start_row=top, start_column=first, end_row=top, end_column=first + 1)
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


# ---------------------------------------------------------------- the corpus, file by file

import pytest  # noqa: E402
from sqlalchemy import func  # noqa: E402
from sqlmodel import select  # noqa: E402

from complaints.clock import utcnow  # noqa: E402
from complaints.importing.importer import import_file  # noqa: E402
from complaints.importing.report import report_text  # noqa: E402
from complaints.models import Complaint, ImportedFile  # noqa: E402


@pytest.fixture
def importer(session, runtime, make_user):
    actor = make_user("operator", "supervisor", unit="KZ")

    def run(path: Path, source: str = "hotline12345", runtime_=None):
        return import_file(session=session, runtime=runtime_ or runtime, actor=actor, path=path,
                           source_name=source, now=utcnow())

    return run


def count(session) -> int:
    return session.exec(select(func.count()).select_from(Complaint)).one()


def test_a_good_file_is_imported_once(session, importer, tmp_path):
    path = write_csv(tmp_path / "12345-a.csv", rows_12345(3))
    result = importer(path)
    assert result.ok and (result.rows, result.created) == (3, 3)
    item = session.exec(select(Complaint).where(Complaint.external_ref == "GD0000001")).one()
    assert (item.source, item.unit_code, item.channel, item.kind) == ("hotline12345", "ATS", "platform", "complaint")
    assert item.complainant_phone == "13800000001" and item.category == "fees"
    again = importer(path)
    assert again.already_imported and not again.ok and count(session) == 3
    grown = importer(write_csv(tmp_path / "12345-b.csv", rows_12345(4)))
    assert grown.ok and (grown.created, grown.existing) == (1, 3) and count(session) == 4
    assert session.exec(select(func.count()).select_from(ImportedFile)).one() == 2


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8"])
def test_gbk_without_bom_and_utf8_with_bom_are_read(session, importer, tmp_path, encoding):
    result = importer(write_csv(tmp_path / "12345.csv", rows_12345(2), encoding=encoding))
    assert result.ok and result.created == 2
    assert session.exec(select(Complaint.summary).order_by(Complaint.id)).first() == "反映学校收取共建费问题1"


def rejected(session, result, *expected: str) -> str:
    """The file was refused, the report says why, and nothing was written."""
    text = report_text(result)
    assert not result.ok and count(session) == 0, text
    for words in expected:
        assert words in text, text
    return text


def test_missing_column(session, importer, tmp_path):
    header = [h for h in HEADER_12345 if h != "诉求标题"]
    rows = [[c for i, c in enumerate(r) if i != 6] for r in rows_12345(2)]
    rejected(session, importer(write_csv(tmp_path / "x.csv", rows, header=header)), "缺少必需的列", "诉求标题")


def test_extra_header_columns_are_ignored_but_extra_fields_in_a_row_are_not(session, importer, tmp_path):
    rows = [r + ["备注"] for r in rows_12345(2)]
    result = importer(write_csv(tmp_path / "a.csv", rows, header=HEADER_12345 + ["处理备注"]))
    assert result.ok and result.ignored_columns == ["处理备注"]
    session.rollback()
    shifted = rows_12345(3)
    shifted[1] = shifted[1] + ["多出的字段"]
    rejected(session, importer(write_csv(tmp_path / "b.csv", shifted)), "第 3 行", "未加引号的逗号")


def test_empty_file_and_header_only(session, importer, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    rejected(session, importer(empty), "文件是空的")
    rejected(session, importer(write_csv(tmp_path / "h.csv", [])), "没有数据行")


def test_duplicated_rows(session, importer, tmp_path):
    rows = rows_12345(3)
    rows.append(rows[0])
    rejected(session, importer(write_csv(tmp_path / "d.csv", rows)), "第 5 行", "与第 2 行重复")


def test_bad_dates_name_each_row(session, importer, tmp_path):
    rows = rows_12345(4)
    rows[1][1], rows[3][1] = "2026-13-45", "昨天下午"
    text = rejected(session, importer(write_csv(tmp_path / "dates.csv", rows)), "第 3 行", "第 5 行", "无法识别的日期")
    assert "共检查 4 行，其中 2 行有问题" in text


def test_dates_in_several_formats(session, importer, tmp_path):
    rows = rows_12345(3)
    day = datetime.now(ZoneInfo("Asia/Shanghai")) - timedelta(days=2)
    rows[0][1], rows[1][1], rows[2][1] = day.strftime("%Y/%m/%d"), day.strftime("%Y年%m月%d日"), day.strftime("%Y%m%d")
    assert importer(write_csv(tmp_path / "f.csv", rows)).created == 3


def test_phone_in_a_number_cell(session, importer, tmp_path):
    rows = rows_12345(2)
    rows[0][3], rows[1][3] = 13800000000, 1.3912345678e10
    assert importer(write_xlsx(tmp_path / "n.xlsx", rows)).ok
    phones = session.exec(select(Complaint.complainant_phone).order_by(Complaint.id)).all()
    assert phones == ["13800000000", "13912345678"]


def test_phone_that_csv_shows_in_scientific_notation_has_lost_digits(session, importer, tmp_path):
    rows = rows_12345(2)
    rows[1][3] = "1.38E+10"
    rejected(session, importer(write_csv(tmp_path / "e.csv", rows)), "第 3 行", "科学计数法")


def test_merged_header_cells(session, importer, tmp_path):
    path = write_xlsx(tmp_path / "m.xlsx", rows_12345(3), title="12345工单导出（2026年6月）", group_row=True)
    result = importer(path)
    assert result.ok and result.created == 3


def test_a_formula_is_a_row_error_and_never_evaluated(session, importer, tmp_path):
    rows = rows_12345(2)
    rows[1][6] = '=HYPERLINK("http://example.com","点我")'
    rejected(session, importer(write_xlsx(tmp_path / "f.xlsx", rows)), "第 3 行", "公式")


def test_a_file_over_the_size_limit_is_refused_before_reading(session, importer, tmp_path, runtime, engine):
    from complaints.runtime import Runtime
    from complaints.settings import CollectionSettings

    big = tmp_path / "big.csv"
    with big.open("wb") as stream:  # 50 MB, sparse: written in no time
        stream.write(",".join(HEADER_12345).encode() + b"\n")
        stream.seek(50 * 2**20)
        stream.write(b"\n")
    small_limit = runtime.settings.model_copy(update={"collection": CollectionSettings(max_file_mb=40)})
    rejected(session, importer(big, runtime_=Runtime(settings=small_limit, engine=engine)), "文件过大", "40 MB")


def test_one_bad_row_rejects_the_whole_file(session, importer, tmp_path):
    rows = rows_12345(50)
    rows[37][5] = "不存在的教育局"
    rejected(session, importer(write_csv(tmp_path / "u.csv", rows)), "第 39 行", "未知承办单位")


def test_unknown_source(session, importer, tmp_path):
    rejected(session, importer(write_csv(tmp_path / "x.csv", rows_12345(1)), source="fax"), "未知来源")
