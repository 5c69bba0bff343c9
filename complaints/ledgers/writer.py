"""Pure writers for the 附件1–3 ledgers: rows in, a workbook (or CSV) out. No database.

xlsx is written with XlsxWriter in ``constant_memory`` mode: each row goes to a temporary file
as soon as it is complete, so 100,000 附件2 rows take constant memory and a few seconds.
(openpyxl's write-only mode also streams, and supports merges and print titles, but without
lxml its pure-Python XML serialiser needs ~10 s for 100,000 rows on the reference machine.)

Untrusted text is made safe on the way out:

* characters that XML 1.0 cannot carry (C0 controls other than tab/LF/CR, lone surrogates,
  U+FFFE/U+FFFF) are removed instead of crashing the export;
* xlsx: every text value is written with ``write_string`` (stored as a string, never a
  formula), and values starting with ``= + - @ tab CR`` also get Excel's quote-prefix flag,
  so editing the cell in Excel does not turn it into a formula either. The text read back is
  the original, except that CR/CRLF line ends become LF (Excel's line break);
* CSV: such values are prefixed with a single quote ``'`` (OWASP, CSV injection).
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields, is_dataclass
from typing import Any

import xlsxwriter

from . import layout, sheetrows
from .forms import (
    ANNEX1_CLOSED_HEADING,
    ANNEX1_COUNTS_SHEET,
    ANNEX1_COUNTS_TITLE,
    ANNEX1_RECEIVED_HEADING,
    ANNEX1_ROWS,
    ANNEX1_TOTAL_LABEL,
    Column,
    Form,
    get_form,
)

__all__ = [
    "Annex1Counts",
    "Annex1Row",
    "Annex2Row",
    "Annex3Row",
    "HeaderInfo",
    "checklist_counts",
    "checklist_rows",
    "clean_text",
    "csv_safe",
    "write_csv",
    "write_xlsx",
]

Progress = Callable[[int], None]
PROGRESS_EVERY = 1000


@dataclass
class HeaderInfo:
    unit_name: str = ""
    filler: str = ""
    phone: str = ""


@dataclass
class Annex1Row:
    number: int
    group: str
    item: str
    measures: str = ""
    conclusion: str = ""


@dataclass
class Annex1Counts:
    """附件1's second sheet: items per checklist row, and totals that count an item once."""

    rows: list[tuple[int, str, str, int, int]]  # number, group, item, received, closed
    total_received: int = 0
    total_closed: int = 0


@dataclass
class Annex2Row:
    seq: Any
    source: str
    summary: str
    handling: str = ""
    result: str = ""
    remarks: str = ""


@dataclass
class Annex3Row:
    seq: Any
    subject: str
    violation: str
    action_taken: str = ""


_ROW_TYPES = {1: Annex1Row, 2: Annex2Row, 3: Annex3Row}
_FIELDS = {n: tuple(f.name for f in fields(t)) for n, t in _ROW_TYPES.items()}


def checklist_rows(
    measures: Mapping[int, str] | None = None, conclusions: Mapping[int, str] | None = None
) -> list[Annex1Row]:
    """The 26 rows of 附件1, with the county's 落实举措 and 检查结论 keyed by row number."""
    measures, conclusions = measures or {}, conclusions or {}
    return [
        Annex1Row(r.number, r.group, r.item, measures.get(r.number, ""), conclusions.get(r.number, ""))
        for r in ANNEX1_ROWS
    ]


def checklist_counts(
    received: Mapping[int, int] | None = None,
    closed: Mapping[int, int] | None = None,
    *,
    total_received: int = 0,
    total_closed: int = 0,
) -> Annex1Counts:
    received, closed = received or {}, closed or {}
    rows = [
        (r.number, r.group, r.item, int(received.get(r.number, 0)), int(closed.get(r.number, 0))) for r in ANNEX1_ROWS
    ]
    return Annex1Counts(rows, total_received, total_closed)


# XML 1.0 forbids these (a superset of openpyxl.cell.cell.ILLEGAL_CHARACTERS_RE).
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_MAX_CELL_TEXT = 32767  # Excel's limit for one cell


def clean_text(value: Any) -> str:
    """``value`` as text, without characters an xlsx file cannot hold."""
    text = value if isinstance(value, str) else str(value)
    return _ILLEGAL_XML.sub("", text)


def csv_safe(value: Any) -> Any:
    """A CSV cell: numbers unchanged, text cleaned and quote-prefixed if it could run as a formula."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = clean_text(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _values(annex: int, row: Any, width: int) -> list[Any]:
    """One row as a list of ``width`` values, from a dataclass, a mapping or a sequence."""
    if is_dataclass(row) and not isinstance(row, type):
        values = [getattr(row, name, "") for name in _FIELDS[annex]]
    elif isinstance(row, Mapping):
        values = [row.get(name, "") for name in _FIELDS[annex]]
    elif isinstance(row, (str, bytes)):
        raise TypeError(f"a ledger row must be a dataclass, mapping or sequence, not {type(row).__name__}")
    else:
        values = list(row)
    if len(values) > width:
        raise ValueError(f"附件{annex} has {width} columns, got a row of {len(values)} values: {values!r}")
    return values + [""] * (width - len(values))


def _annex1_groups(annex: int, rows: Iterable[Any], width: int):
    """Rows as value lists; in 附件1 a blank 重点任务 repeats the one above (as in the seed)."""
    group = ""
    for row in rows:
        values = _values(annex, row, width)
        if annex == 1:
            group = values[1] = values[1] or group
        yield values


class _Ticker:
    def __init__(self, progress: Progress | None) -> None:
        self.progress, self.count, self.reported = progress, 0, 0

    def tick(self) -> None:
        self.count += 1
        if self.progress is not None and self.count % PROGRESS_EVERY == 0:
            self.reported = self.count
            self.progress(self.count)

    def done(self) -> int:
        if self.progress is not None and self.reported != self.count:
            self.progress(self.count)
        return self.count


# ------------------------------------------------------------------------------------ xlsx
FONT = "宋体"  # SimSun: present wherever the bureaus' Excel/WPS runs; GB2312 charset below
TITLE_ROW, HEADER_ROW, HEADINGS_ROW = 1, 2, 3  # zero-based; A1 holds the 附件 label
FIRST_DATA_ROW = HEADINGS_ROW + 1


def _formats(wb: xlsxwriter.Workbook) -> dict[str, Any]:
    base = {"font_name": FONT, "font_charset": 134, "font_size": 11}
    cell = {**base, "border": 1, "text_wrap": True, "valign": "top"}
    return {
        "label": wb.add_format({**base, "font_name": "黑体", "font_size": 12}),
        "title": wb.add_format({**base, "bold": True, "font_size": 18, "align": "center", "valign": "vcenter"}),
        "header": wb.add_format({**base, "align": "left", "valign": "vcenter"}),
        "heading": wb.add_format({**cell, "bold": True, "align": "center", "valign": "vcenter", "bg_color": "#F2F2F2"}),
        "text": wb.add_format(cell),
        "text_quoted": wb.add_format({**cell, "quote_prefix": True}),
        "centred": wb.add_format({**cell, "align": "center"}),
        "centred_quoted": wb.add_format({**cell, "align": "center", "quote_prefix": True}),
        "group": wb.add_format({**cell, "align": "center", "valign": "vcenter"}),
    }


def _write_heading(ws: Any, form: Form, header: HeaderInfo, fmt: dict[str, Any]) -> None:
    last = len(form.columns) - 1
    for col, column in enumerate(form.columns):
        ws.set_column(col, col, column.width)
    ws.write_string(0, 0, form.label, fmt["label"])
    ws.set_row(TITLE_ROW, 36)
    ws.merge_range(TITLE_ROW, 0, TITLE_ROW, last, form.title, fmt["title"])
    ws.set_row(HEADER_ROW, 24)
    line = clean_text(form.header_line(header.unit_name, header.filler, header.phone))
    ws.merge_range(HEADER_ROW, 0, HEADER_ROW, last, line, fmt["header"])
    ws.set_row(HEADINGS_ROW, layout.row_height(form.headings, form.widths))
    for col, heading in enumerate(form.headings):
        ws.write_string(HEADINGS_ROW, col, heading, fmt["heading"])


def _page_setup(ws: Any) -> None:
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)  # one page wide, as many pages tall as needed
    ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.7)
    ws.center_horizontally()
    ws.repeat_rows(TITLE_ROW, HEADINGS_ROW)  # title, header line and headings on every page
    ws.set_footer("&C第 &P 页，共 &N 页")
    ws.freeze_panes(FIRST_DATA_ROW, 0)


def _cell_text(value: Any) -> str:
    """A text cell's content: without what XML cannot hold, LF line ends, at most what a cell holds."""
    text = _ILLEGAL_XML.sub("", value if type(value) is str else str(value))
    if len(text) > _MAX_CELL_TEXT // 2 and len(text.encode("utf-16-le")) > 2 * _MAX_CELL_TEXT:
        text = text.encode("utf-16-le")[: 2 * _MAX_CELL_TEXT].decode("utf-16-le", "ignore")  # Excel counts UTF-16
    if "\r" in text:  # Excel's line break is LF; a CR would be stored as _x000D_
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _cells(values: list[Any], plan: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """(value, style) for each cell: None for a blank, numbers as they are, text made safe (_cell_text) and
    given the quote-prefixed style when it could be taken for a formula. `plan` gives each column's
    (plain, quoted) styles."""
    out: list[tuple[Any, Any]] = []
    for value, (plain, quoted) in zip(values, plan, strict=True):
        if value is None or value == "":
            out.append((None, plain))
        elif type(value) is int or type(value) is float:
            out.append((value, plain))
        else:
            text = _cell_text(value)
            out.append((text, quoted if text.startswith(_FORMULA_START) else plain))
    return out


def _row_writer(ws: Any, form: Form, fmt: dict[str, Any], streaming: bool) -> Callable[[int, list[Any]], None]:
    """A function writing one row of values; the hot loop of a 100,000-row export.

    Streamed (附件2/3), the row goes out as one piece of XML (sheetrows); 附件1, built in memory for its
    merges, goes through XlsxWriter's cells."""
    plan = [
        (fmt["centred" if col.centred else "text"], fmt["centred_quoted" if col.centred else "text_quoted"])
        for col in form.columns
    ]
    widths, height, minimum = form.widths, layout.row_height, 2 if form.annex == 1 else 1

    if streaming:
        stream = sheetrows.row_streamer(ws, len(plan))
        xf_plan = [(sheetrows.xf_index(plain), sheetrows.xf_index(quoted)) for plain, quoted in plan]

        def write_streamed(r: int, values: list[Any]) -> None:
            row = _cells(values, xf_plan)
            stream(r, height([v for v, _ in row], widths, minimum_lines=minimum), row)

        return write_streamed

    blank, number, string, set_row = ws.write_blank, ws.write_number, ws.write_string, ws.set_row

    def write_row(r: int, values: list[Any]) -> None:
        row = _cells(values, plan)
        set_row(r, height([v for v, _ in row], widths, minimum_lines=minimum))  # before its cells
        for c, (value, style) in enumerate(row):
            if value is None:
                blank(r, c, None, style)
            elif type(value) is str:
                string(r, c, value, style)
            else:
                number(r, c, value, style)

    return write_row


def write_xlsx(
    annex: int,
    header: HeaderInfo,
    rows: Iterable[Any],
    path_or_stream: Any,
    *,
    progress: Progress | None = None,
    counts: Annex1Counts | None = None,
) -> int:
    """Write 附件``annex`` to a path or binary stream; returns the number of data rows written.

    Rows are consumed lazily; for 附件2/3 memory stays flat however many there are. 附件1 is a
    fixed 26-row form whose 重点任务 column is merged over each group, so it is built in memory.
    """
    form = get_form(annex)
    width = len(form.columns)
    streaming = form.annex != 1
    is_path = isinstance(path_or_stream, (str, os.PathLike))
    target = os.fspath(path_or_stream) if is_path else path_or_stream
    wb = xlsxwriter.Workbook(
        target,
        {
            "constant_memory": streaming,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    ticker = _Ticker(progress)
    try:
        fmt = _formats(wb)
        ws = wb.add_worksheet(form.label)
        _write_heading(ws, form, header, fmt)
        _page_setup(ws)
        runs: list[list[Any]] = []  # 附件1: [group, first_row, last_row]
        write_row = _row_writer(ws, form, fmt, streaming)
        r = FIRST_DATA_ROW
        for values in _annex1_groups(form.annex, rows, width):
            write_row(r, values)
            if not streaming:
                if runs and runs[-1][0] == values[1] and runs[-1][2] == r - 1:
                    runs[-1][2] = r
                else:
                    runs.append([values[1], r, r])
            r += 1
            ticker.tick()
        for group, first, last in runs:
            if last > first:
                ws.merge_range(first, 1, last, 1, clean_text(group), fmt["group"])
            else:
                ws.write_string(first, 1, clean_text(group), fmt["group"])
        if counts is not None:
            _write_counts(wb, counts, header, fmt)
    except BaseException:  # no half-written ledger left behind under the requested name
        with contextlib.suppress(Exception):
            wb.close()
            if is_path:
                os.remove(target)
        raise
    wb.close()
    return ticker.done()


COUNTS_FORM = Form(
    1,
    "附件1",
    ANNEX1_COUNTS_TITLE,
    (
        Column("序号", 6, centred=True),
        Column("重点任务", 14, centred=True),
        Column("重点任务排查项目", 60),
        Column(ANNEX1_RECEIVED_HEADING, 14, centred=True),
        Column(ANNEX1_CLOSED_HEADING, 14, centred=True),
    ),
)


def _write_counts(wb: xlsxwriter.Workbook, counts: Annex1Counts, header: HeaderInfo, fmt: dict[str, Any]) -> None:
    """附件1's second sheet: the complaint system's count of items per checklist row."""
    ws = wb.add_worksheet(ANNEX1_COUNTS_SHEET)
    _write_heading(ws, COUNTS_FORM, header, fmt)
    _page_setup(ws)
    write_row = _row_writer(ws, COUNTS_FORM, fmt, streaming=False)
    r = FIRST_DATA_ROW
    for values in counts.rows:
        write_row(r, list(values))
        r += 1
    ws.set_row(r, layout.row_height([ANNEX1_TOTAL_LABEL], [80]))
    ws.merge_range(r, 0, r, 2, ANNEX1_TOTAL_LABEL, fmt["group"])
    ws.write_number(r, 3, counts.total_received, fmt["centred"])
    ws.write_number(r, 4, counts.total_closed, fmt["centred"])


# ------------------------------------------------------------------------------------- csv
def write_csv(
    annex: int, header: HeaderInfo, rows: Iterable[Any], stream: Any, *, progress: Progress | None = None
) -> int:
    """Write 附件``annex`` as UTF-8 CSV with a BOM (so Excel reads the Chinese correctly).

    ``stream`` may be a text stream, a binary stream or a path. The label, title and header line
    come first, one per line, then the headings and the rows. 附件1's 重点任务 is repeated on every row.
    """
    form = get_form(annex)
    width = len(form.columns)
    if isinstance(stream, (str, os.PathLike)):
        with open(stream, "w", encoding="utf-8", newline="") as fh:
            return write_csv(annex, header, rows, fh, progress=progress)
    text = stream if isinstance(stream, io.TextIOBase) else io.TextIOWrapper(stream, encoding="utf-8", newline="")
    ticker = _Ticker(progress)
    try:
        text.write("\ufeff")
        out = csv.writer(text, lineterminator="\r\n")
        out.writerow([form.label])
        out.writerow([form.title])
        out.writerow([csv_safe(form.header_line(header.unit_name, header.filler, header.phone))])
        out.writerow(form.headings)
        for values in _annex1_groups(form.annex, rows, width):
            out.writerow([csv_safe(v) for v in values])
            ticker.tick()
    finally:
        text.flush()
        if text is not stream:
            text.detach()
    return ticker.done()
