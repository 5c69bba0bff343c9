"""A letter as PDF in the layout of GB/T 9704-2012 (信函格式), with fpdf2.

A4; text area 156 mm × 225 mm (left margin 28 mm, top 37 mm); body in 3号 (16 pt) at 22 lines a page
(a 10.2 mm line); the issuing unit in red above a red double rule, the 文号 below it on the right; the
title in 2号 (22 pt) bold, centred; the recipient flush left; paragraphs as sent (their two-character
indent is the text's own 　　); the unit and date at the right with the date four characters in, room
above them for the seal; the page number in 4号 as "— 1 —".
"""

from __future__ import annotations

import re

from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos

from complaints.letters import LetterParts
from complaints.letters.fonts import face

RED = (230, 0, 18)
LEFT, RIGHT, TOP, BOTTOM = 28.0, 26.0, 37.0, 35.0
WIDTH = 210.0 - LEFT - RIGHT  # 156 mm: 28 characters of 16 pt
LINE = 225.0 / 22  # 22 lines to the text area
BODY, TITLE, BANNER, FOLIO = 16, 22, 26, 14
CHAR = BODY * 25.4 / 72  # one character of body text, in mm


class _Letter(FPDF):
    def footer(self) -> None:
        self.set_y(-BOTTOM + 7)
        self.set_font("serif", "", FOLIO)
        align = "R" if self.page_no() % 2 else "L"
        self.cell(0, 7, f"— {self.page_no()} —", align=align)


def render(parts: LetterParts) -> bytes:
    pdf = _Letter(format="A4", unit="mm")
    pdf.set_margins(LEFT, TOP, RIGHT)
    pdf.set_auto_page_break(True, margin=BOTTOM)
    for style in ("", "B"):
        path, index = face(style)
        pdf.add_font("serif", style, path, collection_font_number=index)
    pdf.set_title(f"{parts.title} {parts.doc_no}")
    pdf.set_author(parts.unit_name)
    pdf.add_page()
    _banner(pdf, parts)
    _title(pdf, parts.title)
    _body(pdf, parts)
    _signature(pdf, parts)
    return bytes(pdf.output())


def _banner(pdf: FPDF, parts: LetterParts) -> None:
    """发文机关标志 in red, the red double rule, the 文号 flush right below it."""
    pdf.set_y(30)
    pdf.set_text_color(*RED)
    pdf.set_font("serif", "B", BANNER)
    pdf.cell(WIDTH, 12, parts.unit_name, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    y = pdf.get_y() + 4
    pdf.set_draw_color(*RED)
    pdf.set_line_width(0.8)
    pdf.line(LEFT, y, LEFT + WIDTH, y)
    pdf.set_line_width(0.3)
    pdf.line(LEFT, y + 1.2, LEFT + WIDTH, y + 1.2)
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("serif", "", BODY)
    pdf.set_y(y + 4)
    pdf.cell(WIDTH, LINE, parts.doc_no, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _title(pdf: FPDF, title: str) -> None:
    pdf.ln(LINE * 0.5)
    pdf.set_font("serif", "B", TITLE)
    pdf.multi_cell(WIDTH, LINE * 1.1, title, align="C", wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(LINE * 0.5)


def _body(pdf: FPDF, parts: LetterParts) -> None:
    pdf.set_font("serif", "", BODY)
    if parts.recipient:
        _paragraph(pdf, parts.recipient)
    for paragraph in parts.paragraphs:
        _paragraph(pdf, paragraph)


def _paragraph(pdf: FPDF, text: str) -> None:
    """Lines filled to the right edge (character spacing, as Chinese typesetting justifies), the last left."""
    lines = wrap(text, lambda chunk: pdf.get_string_width(chunk), WIDTH)
    for number, line in enumerate(lines):
        gap = 0.0
        if number < len(lines) - 1 and len(line) > 1:
            gap = max(0.0, (WIDTH - pdf.get_string_width(line)) / (len(line) - 1)) * 72 / 25.4
        pdf.set_char_spacing(gap)
        pdf.set_x(LEFT)
        pdf.cell(WIDTH + 2, LINE, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_char_spacing(0)


NO_LINE_START = set("，。、；：！？）》」』”’〕】…—·%,.;:!?)]}")  # 避头：never begins a line
NO_LINE_END = set("（《「『“‘〔【([{")  # 避尾：never ends a line


def wrap(text: str, width_of, width: float) -> list[str]:
    """Lines of at most ``width`` (a closing mark may hang past it), breaking between Chinese characters,
    never inside a run of Latin letters or digits, never before a closing or after an opening mark."""
    tokens = re.findall(r"[A-Za-z0-9\-./:@]+|.", text)
    lines, current = [], ""
    for token in tokens:
        if current and width_of(current + token) > width and token not in NO_LINE_START:
            carried = ""
            while current and current[-1] in NO_LINE_END:
                carried, current = current[-1] + carried, current[:-1]
            lines.append(current)
            current = carried + token
        else:
            current += token
    if current or not lines:
        lines.append(current)
    return lines


def _signature(pdf: FPDF, parts: LetterParts) -> None:
    """The unit centred over the date, the date four characters in from the right; room for the seal."""
    if pdf.get_y() + LINE * 5 > pdf.h - BOTTOM:
        pdf.add_page()
    pdf.ln(LINE * 2)  # the seal sits over the unit and date
    pdf.set_font("serif", "", BODY)
    date_width = pdf.get_string_width(parts.date_text)
    date_right = LEFT + WIDTH - 4 * CHAR
    centre = date_right - date_width / 2
    unit_width = pdf.get_string_width(parts.signature)
    pdf.set_x(max(LEFT, min(centre - unit_width / 2, LEFT + WIDTH - unit_width)))
    pdf.cell(unit_width, LINE, parts.signature, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_x(date_right - date_width)
    pdf.cell(date_width, LINE, parts.date_text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if parts.note:
        pdf.set_x(LEFT + 2 * CHAR)
        pdf.multi_cell(WIDTH - 2 * CHAR, LINE, parts.note, wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
