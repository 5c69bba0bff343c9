"""Official letters (公文, GB/T 9704-2012 信函格式) made from the text that was sent: PDF and DOCX (pure).

``parse()`` splits a sent reply into the parts a letter lays out (title, recipient, body, unit, date);
``pdf.render()`` and ``docx.render()`` lay those parts out on A4. Nothing here reads the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from workflows.vocab import N_

# the kinds of letter and their titles (the document's own words, Chinese)
TITLES = {
    "acceptance": N_("信访事项受理告知书"),
    "decision": N_("信访事项处理意见书"),
    "review": N_("信访事项复查意见书"),
    "hotline": N_("诉求办理答复函"),
}
_TRACKING = re.compile(r"^[A-Z]{1,8}-\d{4}-\d{3,}$")
_DATE = re.compile(r"\d")


@dataclass(frozen=True)
class LetterParts:
    """What a letter shows, in order: banner (the unit), 文号, title, recipient, body, signature, note."""

    unit_name: str
    doc_no: str
    title: str
    recipient: str
    paragraphs: list[str]
    date_text: str
    note: str = ""  # 附注, e.g. （承办人：李承办）
    signature: str = field(default="")  # the unit name as it signs (defaults to unit_name)


def parse(text: str, *, title: str, unit_name: str, doc_no: str, recipient: str | None = None) -> LetterParts:
    """The parts of a sent reply: its own title and tracking line dropped (the letter prints the title and
    文号), its salutation as recipient unless another is given, its closing unit and date as the signature."""
    lines = [line.rstrip() for line in (text or "").splitlines()]
    lines = [line for line in lines if line.strip()]
    if lines and lines[0].strip() == title:
        lines.pop(0)
    if lines and _TRACKING.match(lines[0].strip()):
        lines.pop(0)
    salutation = ""
    if lines and not lines[0].startswith("\u3000") and lines[0].rstrip().endswith(("：", ":")):
        salutation = lines.pop(0).strip()
    date_text, signature = "", unit_name
    if (
        len(lines) >= 2
        and _DATE.search(lines[-1])
        and len(lines[-1]) <= 20
        and len(lines[-2]) <= 40
        and not lines[-2].startswith("\u3000")
    ):
        date_text, signature = lines.pop().strip(), lines.pop().strip()
    note = ""
    if lines and not lines[-1].startswith("\u3000") and len(lines[-1]) <= 40 and "：" in lines[-1]:
        note = f"（{lines.pop().strip()}）"  # 承办人：李承办
    return LetterParts(
        unit_name=unit_name,
        doc_no=doc_no,
        title=title,
        recipient=salutation if recipient is None else recipient,
        paragraphs=lines,
        date_text=date_text,
        note=note,
        signature=signature,
    )


def letter_pdf(text: str, *, kind: str, unit_name: str, doc_no: str, recipient: str | None = None) -> bytes:
    """A letter of ``kind`` (e.g. "acceptance" with the 受理告知 notice text) as PDF, straight from its text."""
    from complaints.letters import pdf

    return pdf.render(parse(text, title=TITLES[kind], unit_name=unit_name, doc_no=doc_no, recipient=recipient))
