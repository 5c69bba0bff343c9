"""The same letter as DOCX (python-docx), for officials who edit it in WPS or Word before stamping.

The page and type follow the PDF (GB/T 9704-2012): A4, margins 37/26/35/28 mm, a fixed 28.95 pt line,
body 仿宋_GB2312 16 pt, title 方正小标宋简体 22 pt, the unit in red above a red rule, the 文号 at the
right. Those are the fonts bureau computers have; Noto Serif CJK SC is named as the fallback.
"""

from __future__ import annotations

from io import BytesIO

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from complaints.letters import LetterParts

BODY_FONT, TITLE_FONT, FALLBACK = "仿宋_GB2312", "方正小标宋简体", "Noto Serif CJK SC"
RED = RGBColor(0xE6, 0x00, 0x12)


def render(parts: LetterParts) -> bytes:
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    document.core_properties.title = f"{parts.title} {parts.doc_no}"
    document.core_properties.author = parts.unit_name
    _line(
        document,
        parts.unit_name,
        font=TITLE_FONT,
        size=26,
        bold=True,
        color=RED,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        rule=True,
    )
    _line(document, parts.doc_no, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _line(document, "")
    _line(document, parts.title, font=TITLE_FONT, size=22, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    _line(document, "")
    if parts.recipient:
        _line(document, parts.recipient)
    for paragraph in parts.paragraphs:
        _line(document, paragraph, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    _line(document, "")
    _line(document, parts.signature + "\u3000" * 2, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _line(document, parts.date_text + "\u3000" * 4, align=WD_ALIGN_PARAGRAPH.RIGHT)
    if parts.note:
        _line(document, "\u3000\u3000" + parts.note)
    out = BytesIO()
    document.save(out)
    return out.getvalue()


def _line(
    document,
    text: str,
    *,
    font: str = BODY_FONT,
    size: int = 16,
    bold: bool = False,
    color: RGBColor | None = None,
    align=WD_ALIGN_PARAGRAPH.LEFT,
    rule: bool = False,
) -> None:
    paragraph = document.add_paragraph()
    paragraph.alignment = align
    spacing = paragraph.paragraph_format
    spacing.line_spacing_rule, spacing.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(28.95)
    spacing.space_before = spacing.space_after = Pt(0)
    run = paragraph.add_run(text)
    run.font.size, run.font.bold, run.font.name = Pt(size), bold, FALLBACK
    if color is not None:
        run.font.color.rgb = color
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), font)
    if rule:
        _red_rule(paragraph)


def _red_rule(paragraph) -> None:
    """The red double rule under the unit (a paragraph border, so it moves with the text in WPS)."""
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "thinThickSmallGap"), ("w:sz", "24"), ("w:space", "4"), ("w:color", "E60012")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    paragraph._p.get_or_add_pPr().append(borders)
