"""How tall a row must be for its wrapped text to show whole when printed (pure).

Neither XlsxWriter nor LibreOffice sizes a row to its wrapped text when the workbook is opened for
printing: a row without a height prints one line high and cuts the rest. So each row gets a height
from its longest cell: the lines its text wraps to in the column's width, times a line's height.

Widths are Excel's column units (the width of a "0"). A CJK character of the 11 pt body font takes
about two units, a Latin letter or digit a little over one; a little is kept spare for the cell's
padding and for Latin words that wrap at a space. The count of wide characters comes from the UTF-8
length (three bytes for a CJK character), which keeps 100,000 rows fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import ceil
from typing import Any

LINE_POINTS = 15.6  # one line of 11 pt 宋体, or of the Noto Sans CJK that LibreOffice substitutes
PADDING_POINTS = 6.0
MAX_ROW_POINTS = 409.0  # the largest row height a workbook can hold
WIDE_UNITS, NARROW_UNITS = 2.1, 1.15
SPARE_UNITS = 1.5


def text_units(paragraph: str) -> float:
    """The column units one line of `paragraph` would take."""
    chars = len(paragraph)
    wide = (len(paragraph.encode("utf-8", "surrogatepass")) - chars) / 2  # a CJK character is 3 bytes, 1 character
    return wide * WIDE_UNITS + (chars - wide) * NARROW_UNITS


def line_count(text: str, width: float) -> int:
    usable = max(width - SPARE_UNITS, 1.0)
    return sum(max(1, ceil(text_units(paragraph) / usable)) for paragraph in text.split("\n"))


def row_height(values: Sequence[Any], widths: Sequence[float], *, minimum_lines: int = 1) -> float:
    """Points for a row of `values` in columns of `widths`: tall enough for its longest wrapped cell."""
    lines = minimum_lines
    for value, width in zip(values, widths, strict=False):
        if not isinstance(value, str) or not value:
            continue
        if "\n" in value:
            count = line_count(value, width)
        else:  # one paragraph, the usual case: line_count's sum without its loop
            chars = len(value)
            wide = (len(value.encode("utf-8", "surrogatepass")) - chars) / 2
            count = max(1, ceil((wide * WIDE_UNITS + (chars - wide) * NARROW_UNITS) / max(width - SPARE_UNITS, 1.0)))
        if count > lines:
            lines = count
    return min(MAX_ROW_POINTS, lines * LINE_POINTS + PADDING_POINTS)
