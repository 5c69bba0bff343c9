"""附件1: the county's 落实举措 and 检查结论 per checklist row and reporting period, kept with their history,
and the complaint system's count of items per row (each item counted once in the totals)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from complaints.clock import utcnow
from complaints.errors import Forbidden, InvalidInput
from complaints.i18n import gettext
from complaints.ledgers.forms import ANNEX1_ROWS
from complaints.ledgers.writer import Annex1Counts, Annex1Row, checklist_counts, checklist_rows
from complaints.models import ChecklistEntry, Complaint, User
from complaints.runtime import Runtime
from complaints.services.periods import Period, may_export
from workflows.vocab import Status

TEXT_MAX = 2000


@dataclass
class RowText:
    measures: str = ""
    conclusion: str = ""


def _versions(period: Period):
    return select(ChecklistEntry).where(
        col(ChecklistEntry.unit_code) == period.unit_code,
        col(ChecklistEntry.period_start) == period.start,
        col(ChecklistEntry.period_end) == period.end,
    )


def latest(*, session: Session, period: Period) -> dict[int, ChecklistEntry]:
    """The current text of each row the county has written for this period."""
    found: dict[int, ChecklistEntry] = {}
    for entry in session.exec(_versions(period).order_by(col(ChecklistEntry.id))):
        found[entry.row] = entry
    return found


def history(*, session: Session, period: Period) -> list[ChecklistEntry]:
    """Every version written for this period, newest first."""
    return list(session.exec(_versions(period).order_by(col(ChecklistEntry.id).desc())))


def save(*, session: Session, runtime: Runtime, actor: User, period: Period, texts: dict[int, RowText]) -> int:
    """Write a new version of each row whose text changed; returns how many rows changed."""
    if not may_export(actor, period.unit_code, runtime):
        raise Forbidden(gettext("只有该单位的督办人可以填写对照检查表"), field="unit")
    if period.end < period.start:
        raise InvalidInput(gettext("起止日期不正确"), field="to")
    current = latest(session=session, period=period)
    changed = 0
    for row, text in sorted(texts.items()):
        if not 1 <= row <= len(ANNEX1_ROWS):
            raise InvalidInput(gettext("附件1对应行应为1–26之间的数字"), field=f"row{row}")
        for name, value in (("measures", text.measures), ("conclusion", text.conclusion)):
            if len(value) > TEXT_MAX:
                raise InvalidInput(gettext("第{row}行的内容不能超过{n}字", row=row, n=TEXT_MAX), field=f"{name}{row}")
        before = current.get(row)
        if before is None and not (text.measures or text.conclusion):
            continue
        if before is not None and (before.measures, before.conclusion) == (text.measures, text.conclusion):
            continue
        session.add(
            ChecklistEntry(
                unit_code=period.unit_code,
                period_start=period.start,
                period_end=period.end,
                row=row,
                measures=text.measures,
                conclusion=text.conclusion,
                written_by_id=actor.id,
                written_at=utcnow(),
            )
        )
        changed += 1
    session.flush()
    return changed


def rows(*, session: Session, period: Period) -> list[Annex1Row]:
    current = latest(session=session, period=period)
    return checklist_rows(
        measures={r: e.measures for r, e in current.items()}, conclusions={r: e.conclusion for r, e in current.items()}
    )


def counts(*, session: Session, period: Period, runtime: Runtime) -> Annex1Counts:
    """Items received and closed in the period per checklist row (by their category's rows); an item
    whose category maps to several rows is counted on each, and once in the totals."""
    low, high = period.bounds(runtime.settings.app.timezone)
    in_unit = col(Complaint.unit_code) == period.unit_code
    received = session.exec(
        select(Complaint.category, func.count())
        .where(in_unit, col(Complaint.received_at) >= low, col(Complaint.received_at) < high)
        .group_by(col(Complaint.category))
    ).all()
    closed = session.exec(
        select(Complaint.category, func.count())
        .where(
            in_unit,
            col(Complaint.closed_at) >= low,
            col(Complaint.closed_at) < high,
            col(Complaint.status) == Status.CLOSED,
        )
        .group_by(col(Complaint.category))
    ).all()
    per_row_received, total_received = _by_row(received, runtime)
    per_row_closed, total_closed = _by_row(closed, runtime)
    return checklist_counts(per_row_received, per_row_closed, total_received=total_received, total_closed=total_closed)


def _by_row(counts, runtime: Runtime) -> tuple[dict[int, int], int]:
    rows: Counter[int] = Counter()
    total = 0
    for category, count in counts:
        mapped = (
            runtime.settings.category_map[category].annex1_rows if category in runtime.settings.category_map else []
        )
        for row in mapped:
            rows[row] += count
        total += count if mapped else 0
    return dict(rows), total
