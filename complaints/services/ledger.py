"""The ledgers: a 附件2 entry written when an item closes, 附件3 from referrals, 附件1 counts; exports."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import BinaryIO

from sqlalchemy import func
from sqlmodel import Session, select

from complaints import privacy
from complaints.clock import to_local, to_storage, utcnow
from complaints.errors import Forbidden, InvalidInput, NotFound
from complaints.i18n import gettext
from complaints.ledgers.writer import Annex2Row, Annex3Row, HeaderInfo, checklist_rows, write_csv, write_xlsx
from complaints.models import AuditLog, Complaint, LedgerEntry, User
from complaints.presenters import channel_label
from complaints.runtime import Runtime
from complaints.services.scope import roles_of, sees_all_units
from workflows.vocab import LABELS, Outcome, Role, Satisfaction


def deidentify(text: str, item: Complaint, keep: frozenset[str] = frozenset()) -> str:
    """Free text of `item` without its complainant's name or any phone number (privacy.deidentify)."""
    return privacy.deidentify(text, names=[item.complainant_name], keep=keep)


def bureau_numbers(runtime: Runtime) -> frozenset[str]:
    """The units' own hotlines and report lines: left as they are in a de-identified file."""
    return privacy.public_numbers([n for u in runtime.settings.units for n in (u.hotline, u.report_line)])


def entry_from_item(item: Complaint, runtime: Runtime, cooperating: list[str] | None = None) -> dict[str, str]:
    """The 附件2 columns for a closed item, de-identified; 主办 and 协办 named when others cooperated."""
    tz = runtime.settings.app.timezone
    received = to_local(item.received_at, tz).strftime("%Y-%m-%d")
    source = f"{channel_label(item.channel)}（{received}，{item.tracking_no}）"
    handling = item.handling_notes or gettext("已派{unit}承办，{accepted}签收并联系诉求人，{replied}答复",
                                              unit=runtime.settings.unit_map[item.unit_code].name,
                                              accepted=_day(item.accepted_at, tz), replied=_day(item.replied_at, tz))
    result_parts = [item.result_text] if item.result_text else []
    if item.outcome:
        result_parts.append(gettext("处理意见：{outcome}", outcome=gettext(LABELS[Outcome(item.outcome)])))
    if item.satisfaction:
        result_parts.append(gettext("回访：{value}", value=gettext(LABELS[Satisfaction(item.satisfaction)])))
    if cooperating:
        handling = gettext("主办：{lead}；协办：{others}。", lead=runtime.settings.unit_map[item.unit_code].name,
                           others="、".join(cooperating)) + handling
    remarks = [item.remarks] if item.remarks else []
    if item.extension_count:
        remarks.append(gettext("经批准延期"))
    if item.referred_at:
        remarks.append(gettext("已移交纪检"))
    keep = bureau_numbers(runtime)
    return {"source": source, "summary": deidentify(item.summary, item, keep),
            "handling": deidentify(handling, item, keep), "result": deidentify("；".join(result_parts), item, keep),
            "remarks": deidentify("；".join(remarks), item, keep)}


def _day(value: datetime | None, tz: str) -> str:
    return to_local(value, tz).strftime("%m月%d日") if value else "—"


def write_entry(*, session: Session, runtime: Runtime, item: Complaint) -> LedgerEntry:
    """Create or refresh the item's 附件2 entry (an item closed again after 复查 updates its row)."""
    from complaints.services.cohandling import names_for

    entry = session.exec(select(LedgerEntry).where(LedgerEntry.complaint_id == item.id)).first()
    values = entry_from_item(item, runtime, names_for(session, runtime, item))
    if entry is None:
        entry = LedgerEntry(complaint_id=item.id, unit_code=item.unit_code, closed_at=item.closed_at or utcnow(),
                            **values)
    elif entry.edited_at is None:
        for key, value in values.items():
            setattr(entry, key, value)
        entry.closed_at = item.closed_at or utcnow()
    session.add(entry)
    return entry


EDITABLE = ("source", "summary", "handling", "result", "remarks")


def edit_entry(*, session: Session, runtime: Runtime, actor: User, entry_id: int, changes: dict) -> LedgerEntry:
    """A supervisor corrects an entry before export; their edit is kept through later closures."""
    entry = session.get(LedgerEntry, entry_id)
    if entry is None or not _may_export(actor, entry.unit_code, runtime):
        raise NotFound(gettext("找不到台账条目：{id}", id=entry_id), field="entry")
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        names = sorted(unknown)
        raise InvalidInput(gettext("不能修改的字段：{names}", names=", ".join(names)), field=names[0])
    for key, value in changes.items():
        if not isinstance(value, str) or len(value) > 4000:
            raise InvalidInput(gettext("{name} 应为不超过4000字的文本", name=key), field=key)
        setattr(entry, key, value)
    entry.edited_by_id, entry.edited_at = actor.id, utcnow()
    session.add(entry)
    session.flush()
    return entry


def _may_export(actor: User, unit_code: str, runtime: Runtime) -> bool:
    if Role.SUPERVISOR not in roles_of(actor) or not actor.active:
        return False
    return sees_all_units(actor, runtime.settings) or actor.unit_code == unit_code


@dataclass(frozen=True)
class Period:
    unit_code: str
    start: date
    end: date  # inclusive

    def bounds(self, tz: str) -> tuple[datetime, datetime]:
        return (to_storage(datetime.combine(self.start, time.min), tz),
                to_storage(datetime.combine(self.end + timedelta(days=1), time.min), tz))


def annex2_rows(*, session: Session, period: Period, runtime: Runtime, with_identity: bool) -> Iterator[Annex2Row]:
    low, high = period.bounds(runtime.settings.app.timezone)
    query = (select(LedgerEntry, Complaint).join(Complaint, Complaint.id == LedgerEntry.complaint_id)
             .where(LedgerEntry.unit_code == period.unit_code, LedgerEntry.closed_at >= low,
                    LedgerEntry.closed_at < high)
             .order_by(LedgerEntry.closed_at, LedgerEntry.id).execution_options(yield_per=2000))
    keep = bureau_numbers(runtime)
    for seq, (entry, item) in enumerate(session.exec(query), 1):
        # each cell de-identified as it is written out, so an entry edited by hand or stored before is too
        source, summary, handling, result, remarks = (deidentify(text, item, keep) for text in (
            entry.source, entry.summary, entry.handling, entry.result, entry.remarks))
        # a confidential reporter's identity never leaves in a file (信访工作条例 Art 30): it is seen only
        # on the item page, where each view is recorded in the item's history
        if with_identity and not item.anonymous and not item.confidential:
            source = f"{source} {item.complainant_name or ''} {item.complainant_phone or ''}".rstrip()
        yield Annex2Row(seq, source, summary, handling, result, remarks)


def annex3_rows(*, session: Session, period: Period, runtime: Runtime) -> Iterator[Annex3Row]:
    low, high = period.bounds(runtime.settings.app.timezone)
    query = (select(Complaint).where(Complaint.unit_code == period.unit_code, Complaint.referred_at >= low,
                                     Complaint.referred_at < high).order_by(Complaint.referred_at, Complaint.id))
    keep = bureau_numbers(runtime)
    for seq, item in enumerate(session.exec(query), 1):
        action = item.discipline_action or gettext("已移交纪检部门（{date}）",
                                                   date=_day(item.referred_at, runtime.settings.app.timezone))
        yield Annex3Row(seq, deidentify(item.violator or "", item, keep), deidentify(item.violation or "", item, keep),
                        deidentify(action, item, keep))


def annex1_rows(*, session: Session, period: Period, runtime: Runtime) -> list:
    """The 26 checklist rows with items received and closed in the period whose categories map to them."""
    low, high = period.bounds(runtime.settings.app.timezone)
    in_unit = Complaint.unit_code == period.unit_code
    received = session.exec(select(Complaint.category, func.count()).where(
        in_unit, Complaint.received_at >= low, Complaint.received_at < high).group_by(Complaint.category)).all()
    closed = session.exec(select(Complaint.category, func.count()).where(
        in_unit, Complaint.closed_at >= low, Complaint.closed_at < high, Complaint.status == "closed")
        .group_by(Complaint.category)).all()
    rows = checklist_rows(received=_by_row(received, runtime), closed=_by_row(closed, runtime))
    keep = bureau_numbers(runtime)
    for row in rows:  # the county's own text, when there is any, carries no phone numbers either
        row.measures, row.conclusion = (privacy.deidentify(text, keep=keep) for text in (row.measures, row.conclusion))
    return rows


def _by_row(counts, runtime: Runtime) -> dict[int, int]:
    rows: Counter[int] = Counter()
    for category, count in counts:
        for row in runtime.settings.category_map.get(category, None).annex1_rows \
                if category in runtime.settings.category_map else []:
            rows[row] += count
    return dict(rows)


def export(*, session: Session, runtime: Runtime, actor: User, annex: int, period: Period, fmt: str,
           stream: BinaryIO, with_identity: bool = False, progress: Callable[[int], None] | None = None) -> int:
    """Write one annex for one unit and period to `stream`; returns the number of rows."""
    if annex not in (1, 2, 3):
        raise InvalidInput(gettext("附件应为 1、2 或 3"), field="annex")
    if fmt not in ("xlsx", "csv"):
        raise InvalidInput(gettext("格式应为 xlsx 或 csv"), field="format")
    if period.unit_code not in runtime.settings.unit_map:
        raise InvalidInput(gettext("未知单位：{unit}", unit=period.unit_code[:16]), field="unit")
    if period.end < period.start or (period.end - period.start).days > 3660:
        raise InvalidInput(gettext("起止日期不正确"), field="to")
    if not _may_export(actor, period.unit_code, runtime):
        raise Forbidden(gettext("只有该单位的督办人可以导出台账"), field="unit")
    unit = runtime.settings.unit_map[period.unit_code]
    header = HeaderInfo(unit_name=unit.name, filler=actor.name, phone=actor.phone or unit.hotline)
    if annex == 1:
        rows = annex1_rows(session=session, period=period, runtime=runtime)
    elif annex == 2:
        rows = annex2_rows(session=session, period=period, runtime=runtime, with_identity=with_identity)
    else:
        rows = annex3_rows(session=session, period=period, runtime=runtime)
    session.add(AuditLog(actor_id=actor.id, action="ledger_export",
                         detail={"annex": annex, "unit": period.unit_code, "from": period.start.isoformat(),
                                 "to": period.end.isoformat(), "format": fmt, "with_identity": with_identity}))
    writer = write_xlsx if fmt == "xlsx" else write_csv
    return writer(annex, header, rows, stream, progress=progress)
