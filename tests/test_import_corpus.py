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
    return [
        [
            f"{prefix}{start + i:07d}",
            when(1 + i % 20, base),
            "王丽",
            f"138{start + i:08d}",
            "投诉",
            "阿图什市教育局",
            f"反映学校收取共建费问题{start + i}",
            "家长反映入学时被要求缴纳共建费三千元",
        ]
        for i in range(n)
    ]


def write_csv(path: Path, rows: list[list[str]], *, header=HEADER_12345, encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as stream:
        writer = csv.writer(stream)
        if header:
            writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(
    path: Path, rows: list[list[object]], *, title: str | None = None, group_row: bool = False, header=HEADER_12345
) -> Path:
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
        return import_file(
            session=session, runtime=runtime_ or runtime, actor=actor, path=path, source_name=source, now=utcnow()
        )

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


# ---------------------------------------------------------------- hostile files, built here rather than committed

WORKBOOK_PARTS = {
    "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.'
    'xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override '
    'PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
    'worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
    'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
    'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
    '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
    'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type='
    '"http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>",
}


def sheet_xml(rows: list[list[str]], *, dimension: str | None = None, extra: str = "") -> bytes:
    """A worksheet of inline strings, as a platform's exporter writes it."""

    def cell(text: str) -> str:
        return f'<c t="inlineStr"><is><t>{text}</t></is></c>'

    body = "".join(f'<row r="{n}">{"".join(cell(v) for v in row)}</row>' for n, row in enumerate(rows, 1))
    declared = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
        f'2006/main">{declared}<sheetData>{body}{extra}</sheetData></worksheet>'
    ).encode()


def raw_xlsx(path: Path, sheet: bytes, *, shared: tuple[bytes, int] | None = None) -> Path:
    """An XLSX put together with zipfile; `shared` = (one repeated <si> block, how many times)."""
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, text in WORKBOOK_PARTS.items():
            archive.writestr(name, text)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        with archive.open("xl/sharedStrings.xml", "w") as member:
            member.write(
                b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
                b'spreadsheetml/2006/main">'
            )
            block, times = shared or (b"", 0)
            for _ in range(times):
                member.write(block)
            member.write(b"</sst>")
    return path


def good_sheet(n: int = 2, *, start: int = 1, base: datetime | None = None) -> list[list[str]]:
    return [HEADER_12345, *rows_12345(n, start=start, base=base)]


def _damaged(folder: Path, base) -> Path:
    whole = sheet_xml(good_sheet(3, start=9100, base=base))
    return raw_xlsx(folder / "12345-damaged.xlsx", whole[: len(whole) - 80])  # cut inside a row: ParseError


def _billion_laughs(folder: Path, base) -> Path:  # entities nested ten deep, ten wide: 10^9 "lol"s
    entities = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(2, 10))
    prologue = f'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol1 "lollollollollol">{entities}]>'
    sheet = sheet_xml(good_sheet(1, start=9150, base=base)).replace(
        b'<?xml version="1.0" encoding="UTF-8"?>', prologue.encode()
    )
    return raw_xlsx(folder / "12345-laughs.xlsx", sheet.replace("<t>王丽</t>".encode(), b"<t>&lol9;</t>"))


def _shared_string_bomb(folder: Path, base) -> Path:  # 250,000 shared strings in 4 MB that zip to a few KB
    return raw_xlsx(
        folder / "12345-sst-bomb.xlsx",
        sheet_xml(good_sheet(1, start=9200, base=base)),
        shared=(b"<si><t>a</t></si>" * 1000, 250),
    )


def _row_far_below(folder: Path, base) -> Path:  # 5 KB: one cell at XFD1048576 under the real rows
    far = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    return raw_xlsx(folder / "12345-far-row.xlsx", sheet_xml(good_sheet(2, start=9300, base=base), extra=far))


def _wide_rows(folder: Path, base) -> Path:  # every row reaching column XFD: 16,384 cells each
    wide = "".join(f'<row r="{n}"><c r="XFD{n}" t="inlineStr"><is><t>x</t></is></c></row>' for n in range(4, 40))
    return raw_xlsx(folder / "12345-wide.xlsx", sheet_xml(good_sheet(2, start=9400, base=base), extra=wide))


def _unpacks_too_large(folder: Path, base) -> Path:
    import os

    path = raw_xlsx(folder / "12345-large.xlsx", sheet_xml(good_sheet(2, start=9500, base=base)))
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("xl/media/image1.bin", os.urandom(3 * 2**20).hex())  # 6 MB that hardly compress
    return path


def _not_a_zip(folder: Path, base) -> Path:
    path = folder / "12345-not-zip.xlsx"
    path.write_bytes("工单编号,来电时间\nGD1,2026-06-03\n".encode())
    return path


def _xlsx_named_csv(folder: Path, base) -> Path:
    path = write_xlsx(folder / "12345-renamed.xlsx", rows_12345(2, start=9600, base=base))
    return path.rename(path.with_suffix(".csv"))


def _utf16_without_bom(folder: Path, base) -> Path:
    path = folder / "12345-utf16.csv"
    path.write_bytes("\r\n".join(",".join(r) for r in good_sheet(2, start=9700, base=base)).encode("utf-16-le"))
    return path


def _neither_utf8_nor_gbk(folder: Path, base) -> Path:
    path = folder / "12345-cp1252.csv"
    path.write_bytes(",".join(HEADER_12345).encode() + b"\nGD9800001,caf\xe9 \xff\n")
    return path


import zipfile  # noqa: E402

#: Each hostile file, and the words its report must contain. Read with HOSTILE_LIMITS.
HOSTILE = {
    "damaged sheet XML": (_damaged, "文件已损坏"),
    "entity expansion": (_billion_laughs, "文件已损坏"),
    "shared-string bomb": (_shared_string_bomb, "压缩比异常"),
    "a cell at XFD1048576": (_row_far_below, "行数（含空行）超过上限 200000"),
    "rows 16,384 cells wide": (_wide_rows, "单元格数（含空单元格）超过上限 100000"),
    "unpacks too large": (_unpacks_too_large, "解压后过大"),
    "not a zip": (_not_a_zip, "不是有效的 Excel"),
    "an xlsx named .csv": (_xlsx_named_csv, "扩展名"),
    "UTF-16 without BOM": (_utf16_without_bom, "UTF-16"),
    "neither UTF-8 nor GBK": (_neither_utf8_nor_gbk, "可接受的编码"),
}
HOSTILE_LIMITS = {"max_cells": 100_000, "max_uncompressed_mb": 5}


def hostile_runtime(runtime, engine, **collection):
    from complaints.runtime import Runtime
    from complaints.settings import CollectionSettings

    limits = CollectionSettings(**(runtime.settings.collection.model_dump() | HOSTILE_LIMITS | collection))
    return Runtime(settings=runtime.settings.model_copy(update={"collection": limits}), engine=engine)


@pytest.mark.parametrize("name", HOSTILE)
def test_every_hostile_file_is_refused_naming_the_problem(session, importer, tmp_path, runtime, engine, name):
    build, words = HOSTILE[name]
    rejected(session, importer(build(tmp_path, None), runtime_=hostile_runtime(runtime, engine)), words)


def test_a_nul_in_the_reference_is_removed_and_noted(session, importer, tmp_path):
    rows = rows_12345(3)
    rows[1][0], rows[2][6] = "GD\x000000002", "标题\x0b带竖向制表符"
    result = importer(write_csv(tmp_path / "nul.csv", rows))
    assert result.ok and result.created == 3 and result.note_count == 2
    refs = session.exec(select(Complaint.external_ref).order_by(Complaint.id)).all()
    assert refs == ["GD0000001", "GD0000002", "GD0000003"]
    summary = session.exec(select(Complaint.summary).where(Complaint.external_ref == "GD0000003")).one()
    assert summary == "标题带竖向制表符"
    text = report_text(result)
    assert "第 3 行（工单编号）：已删除控制字符 U+0000" in text and "第 4 行（诉求标题）：已删除控制字符 U+000B" in text


def test_utf16_with_bom_is_read(session, importer, tmp_path):
    result = importer(write_csv(tmp_path / "12345.csv", rows_12345(2), encoding="utf-16"))
    assert result.ok and result.created == 2
    assert session.exec(select(Complaint.summary).order_by(Complaint.id)).first() == "反映学校收取共建费问题1"


def test_a_sheet_declaring_the_whole_grid_is_read_as_it_is(session, importer, tmp_path):
    path = raw_xlsx(tmp_path / "dim.xlsx", sheet_xml(good_sheet(3), dimension="A1:XFD1048576"))
    assert path.stat().st_size < 5000
    result = importer(path)
    assert result.ok and result.created == 3


@pytest.mark.slow  # about 10-40 s on two cores; left out by make test-fast
def test_an_xlsx_over_the_memory_limit_is_stopped(session, importer, tmp_path, runtime, engine):
    many = b"".join(b"<si><t>%07d</t></si>" % i for i in range(400_000))  # distinct: compresses only ~10x
    path = raw_xlsx(tmp_path / "sst.xlsx", sheet_xml(good_sheet(1)), shared=(many, 1))
    tight = hostile_runtime(runtime, engine, max_parse_memory_mb=64, max_uncompressed_mb=100)
    rejected(session, importer(path, runtime_=tight), "内存超过上限 64 MB")


def test_reading_stops_at_the_time_limit(session, importer, tmp_path, runtime, engine, monkeypatch):
    from complaints.importing import readers, xlsx_worker

    sheet = tmp_path / "t.xlsx"
    write_xlsx(sheet, rows_12345(3))
    with pytest.raises(xlsx_worker.Exceeded) as stopped:  # what the worker process runs
        xlsx_worker.convert(sheet, tmp_path / "rows.jsonl", max_rows=10, max_cells=100, max_seconds=-1)
    assert (stopped.value.what, stopped.value.limit) == ("seconds", -1)
    clock = iter(range(0, 10**6, 60))  # each look at the clock a minute later
    monkeypatch.setattr(readers.time, "monotonic", lambda: next(clock))
    big = write_csv(tmp_path / "slow.csv", rows_12345(3000))
    rejected(
        session, importer(big, runtime_=hostile_runtime(runtime, engine, max_parse_seconds=90)), "读取文件超过 90 秒"
    )


def test_blank_rows_count_against_the_row_limit(session, importer, tmp_path, runtime, engine):
    path = write_csv(tmp_path / "blank.csv", rows_12345(3) + [[""] * 8] * 10)
    rejected(
        session, importer(path, runtime_=hostile_runtime(runtime, engine, max_rows=12)), "行数（含空行）超过上限 12"
    )
    assert importer(path, runtime_=hostile_runtime(runtime, engine, max_rows=14)).created == 3
