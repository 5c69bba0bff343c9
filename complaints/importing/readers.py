"""Reading an export row by row (memory stays flat): CSV in UTF-8, UTF-8 with BOM or GB18030/GBK, and XLSX
read without evaluating anything. A cell is returned as the file holds it; mapping.py interprets it."""

from __future__ import annotations

import codecs
import csv
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from complaints.i18n import gettext

CHUNK = 1 << 20
HEADER_SCAN_ROWS = 10
_SPACE = re.compile(r"\s+")
csv.field_size_limit(1 << 24)


class FileProblem(Exception):
    """The file as a whole cannot be imported (too big, empty, unreadable, no header)."""


@dataclass(frozen=True)
class Formula:
    """A cell holding a formula: refused, never evaluated."""

    text: str


@dataclass(frozen=True)
class FileFacts:
    sha256: str
    size: int
    encoding: str | None  # for CSV


def normalise_header(value: object) -> str:
    return _SPACE.sub("", str(value or "")).replace("\ufeff", "").strip("*")


def scan(path: Path, *, max_bytes: int) -> FileFacts:
    """Size check, SHA-256 and (for CSV) the encoding: strict UTF-8 (BOM or not), otherwise GB18030."""
    size = path.stat().st_size
    if size > max_bytes:
        raise FileProblem(gettext("文件过大：{size} MB，上限 {limit} MB；请分成几个文件导出",
                                  size=round(size / 2**20, 1), limit=max_bytes // 2**20))
    if size == 0:
        raise FileProblem(gettext("文件是空的"))
    digest, decoder, utf8 = hashlib.sha256(), codecs.getincrementaldecoder("utf-8-sig")(errors="strict"), True
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
            if utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    encoding = None if path.suffix.lower() == ".xlsx" else ("utf-8-sig" if utf8 else "gb18030")
    return FileFacts(sha256=digest.hexdigest(), size=size, encoding=encoding)


def rows(path: Path, facts: FileFacts) -> Iterator[tuple[int, list[object]]]:
    """(row number as a person counts it, cells) for every non-blank row."""
    reader = _xlsx_rows(path) if path.suffix.lower() == ".xlsx" else _csv_rows(path, facts.encoding or "utf-8-sig")
    for number, cells in reader:
        if any(cell not in (None, "") for cell in cells):
            yield number, cells


def _csv_rows(path: Path, encoding: str) -> Iterator[tuple[int, list[object]]]:
    with path.open("r", encoding=encoding, errors="strict", newline="") as stream:
        try:
            yield from enumerate(csv.reader(stream), 1)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise FileProblem(gettext("CSV 文件格式错误：{error}", error=str(exc)[:200])) from exc


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[object]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=False, keep_links=False)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a damaged file
        raise FileProblem(gettext("无法读取 Excel 文件：{error}", error=str(exc)[:200])) from exc
    try:
        sheet = workbook.worksheets[0]
        for number, cells in enumerate(sheet.iter_rows(), 1):
            yield number, [Formula(str(c.value)) if c.data_type == "f" else c.value for c in cells]
    finally:
        workbook.close()


def find_header(stream: Iterator[tuple[int, list[object]]], known: set[str],
                header_row: int | None) -> tuple[int, list[str]]:
    """The header: the given row, or the first of the first rows naming at least two known columns
    (a title row merged across the sheet, or a group row above the real headings, is passed over)."""
    for number, cells in stream:
        names = [normalise_header(c) for c in cells]
        if header_row is not None:
            if number == header_row:
                return number, names
            continue
        if len(known.intersection(names)) >= 2:
            return number, names
        if number >= HEADER_SCAN_ROWS:
            break
    raise FileProblem(gettext("找不到表头：前 {n} 行中没有可识别的列名（如 {examples}）", n=HEADER_SCAN_ROWS,
                              examples="、".join(sorted(known)[:4])))
