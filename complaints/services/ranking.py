"""The monthly ranking (考核) of units and of handlers by the 三率, the on-time rate, late items and repeats."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import BinaryIO

import xlsxwriter
from sqlmodel import Session, col, select

from complaints.errors import InvalidInput
from complaints.i18n import gettext
from complaints.ledgers import layout
from complaints.models import Complaint, User
from complaints.runtime import Runtime
from complaints.services import stats
from complaints.services.scope import sees_all_units

#: the columns of the ranking, in the order they decide it (a rate: higher first; a count: lower first)
COLUMNS = ("satisfaction", "resolution", "response", "on_time", "late", "repeat", "received")
ORDER = {"satisfaction": -1, "resolution": -1, "response": -1, "on_time": -1, "late": 1, "repeat": 1}
GROUPS = {"unit": Complaint.unit_code, "handler": Complaint.handler_id}


@dataclass
class Row:
    key: object
    name: str
    figures: dict[str, stats.Rate | int] = field(default_factory=dict)
    rank: int = 0

    def sort_key(self) -> tuple:
        parts = []
        for column, direction in ORDER.items():
            value = self.figures.get(column)
            number = value.percent if isinstance(value, stats.Rate) else value
            # no figure (nothing to judge) ranks below any figure
            parts.append((1, 0) if number is None else (0, direction * number))
        return tuple(parts)


def month_bounds(month: str) -> tuple[date, date]:
    """'2026-06' -> (2026-06-01, 2026-06-30)."""
    try:
        year, number = (int(part) for part in month.split("-"))
        last = calendar.monthrange(year, number)[1]
        return date(year, number, 1), date(year, number, last)
    except (ValueError, TypeError):
        raise InvalidInput(gettext("月份格式应为 YYYY-MM"), field="month") from None


def rank(*, session: Session, runtime: Runtime, actor: User, month: str, by: str, now: datetime) -> list[Row]:
    """Every unit (or handler) `actor` may see, with its figures for `month`, best first."""
    if by not in GROUPS:
        raise InvalidInput(gettext("排名对象应为 unit 或 handler"), field="by")
    start, end = month_bounds(month)
    win = stats.window(runtime=runtime, actor=actor, start=start, end=end, unit_code=None, now=now)
    per_measure = stats.grouped_all(session, COLUMNS, win, GROUPS[by])
    rows = {key: Row(key, name) for key, name in _groups(session, runtime, actor, by, per_measure)}
    for column, values in per_measure.items():
        for key, value in values.items():
            if key in rows:
                rows[key].figures[column] = value
    ordered = sorted(rows.values(), key=Row.sort_key)
    for position, row in enumerate(ordered, 1):
        row.rank = position
    return ordered


def _groups(session: Session, runtime: Runtime, actor: User, by: str, per_measure) -> list[tuple[object, str]]:
    settings = runtime.settings
    if by == "unit":
        return [
            (u.code, u.name) for u in settings.units if sees_all_units(actor, settings) or u.code == actor.unit_code
        ]
    ids = {key for values in per_measure.values() for key in values if key is not None}
    people = session.exec(select(User).where(col(User.id).in_(ids))).all() if ids else []
    return [
        (p.id, f"{p.name}（{settings.unit_map[p.unit_code].name if p.unit_code in settings.unit_map else ''}）")
        for p in people
    ]


def headings() -> list[str]:
    return [gettext("名次"), gettext("名称")] + [gettext(stats.MEASURES[c].name) for c in COLUMNS]


def cell(key: str, value: stats.Rate | int | None) -> str | int:
    """A figure as shown: a rate with its fraction, "—" where there was nothing to judge."""
    if isinstance(value, stats.Rate):
        return f"{value.percent}%（{value.numerator}/{value.denominator}）" if value.denominator else "—"
    if value is None:
        return "—" if stats.MEASURES[key].denominator is not None else 0
    return value


def export(rows: list[Row], *, title: str, stream: BinaryIO) -> None:
    """The ranking as one printable sheet."""
    book = xlsxwriter.Workbook(stream, {"in_memory": True, "strings_to_formulas": False})
    sheet = book.add_worksheet(gettext("考核排名"))
    bold = book.add_format(
        {
            "bold": True,
            "border": 1,
            "align": "center",
            "valign": "vcenter",
            "text_wrap": True,
            "font_name": "宋体",
            "bg_color": "#F2F2F2",
        }
    )
    plain = book.add_format({"border": 1, "valign": "top", "text_wrap": True, "font_name": "宋体"})
    big = book.add_format({"bold": True, "font_size": 16, "align": "center", "font_name": "宋体"})
    names = headings()
    widths = [6, 28] + [17] * len(COLUMNS)
    sheet.merge_range(0, 0, 0, len(names) - 1, title, big)
    sheet.set_row(0, 30)
    sheet.set_row(1, layout.row_height(names, widths))
    for column, heading in enumerate(names):
        sheet.write_string(1, column, heading, bold)
        sheet.set_column(column, column, widths[column])
    for r, row in enumerate(rows, 2):
        values = [row.rank, row.name, *(cell(key, row.figures.get(key)) for key in COLUMNS)]
        sheet.set_row(r, layout.row_height(values, widths))  # as tall as its wrapped text
        for c, value in enumerate(values):
            (sheet.write_number if isinstance(value, int) else sheet.write_string)(r, c, value, plain)
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(1)
    book.close()
