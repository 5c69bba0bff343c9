"""The data rows of a streamed (``constant_memory``) worksheet, each written as one piece of XML.

XlsxWriter builds every cell as an object, a tuple of attributes and several escaping passes, which
made a 100,000-row 附件2 take six times as long as the same rows as CSV. A ledger row is always the same
few text cells in the same styles, so the row is put together here in one string, with the escaping
XlsxWriter applies to inline strings, and written to the worksheet's row file where XlsxWriter would
write it. Everything else in the workbook (headings, merges, page setup, styles, the zip) stays
XlsxWriter's: rows written here and by its own methods can be mixed, in increasing row order.

What the row holds is always escaped text: XlsxWriter itself, in this mode, writes a text that begins
with ``<r>`` and ends with ``</r>`` unescaped (taking it for rich text), so a summary typed that way
broke the workbook; here it is stored as the text it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

_NEEDS_ESCAPE = re.compile("[&<>\x00-\x08\x0b-\x1f]|_x[0-9a-fA-F]{4}_")
_LITERAL_ESCAPE = re.compile("(_x[0-9a-fA-F]{4}_)")  # Excel's own _xHHHH_ escape, typed as text
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f]")

Cell = tuple[Any, int]  # (value, the format's xf index): a str, an int or float, or None/"" for a blank


def inline_text(text: str) -> str:
    """`text` as the content of an inline string's <t>, as Excel reads it back unchanged."""
    if not _NEEDS_ESCAPE.search(text):
        return text
    text = _LITERAL_ESCAPE.sub(r"_x005F\1", text)
    text = _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def xf_index(fmt: Any) -> int:
    """The index a cell names its format by in the workbook's styles."""
    index: int = fmt._get_xf_index()
    return index


def row_streamer(ws: Worksheet, columns: int) -> Callable[[int, float, Sequence[Cell]], None]:
    """A function writing row `r` (zero-based) of `columns` cells at `height` points to streamed `ws`."""
    if not ws.constant_memory:
        raise ValueError("rows are streamed only into a constant_memory worksheet")
    letters = [xl_col_to_name(c) for c in range(columns)]
    last = columns - 1

    def write(r: int, height: float, cells: Sequence[Cell]) -> None:
        if r > ws.previous_row:
            ws._write_single_row(r)  # what XlsxWriter holds of the rows above goes out first
        if ws._check_dimensions(r, last):
            raise ValueError(f"row {r} is outside the worksheet or above rows already written")
        n = r + 1
        ht = int(height * 4.0 / 3.0 + 0.5) * 0.75  # as XlsxWriter stores a height: whole pixels
        parts = [f'<row r="{n}" ht="{ht:.16g}" customHeight="1">']
        for c, (value, xf) in enumerate(cells):
            if value is None or value == "":
                parts.append(f'<c r="{letters[c]}{n}" s="{xf}"/>')
            elif type(value) is int or type(value) is float:
                parts.append(f'<c r="{letters[c]}{n}" s="{xf}"><v>{value:.16G}</v></c>')
            else:
                text = inline_text(value)
                space = ' xml:space="preserve"' if text[0].isspace() or text[-1].isspace() else ""
                parts.append(f'<c r="{letters[c]}{n}" s="{xf}" t="inlineStr"><is><t{space}>{text}</t></is></c>')
        parts.append("</row>")
        ws.fh.write("".join(parts))
        ws.previous_row = n  # nothing of row r is left for XlsxWriter to write

    return write
