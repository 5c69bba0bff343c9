"""The ledgers: a 附件2 entry written when an item closes, 附件3 from referrals, 附件1 counts; exports."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import BinaryIO

from sqlalchemy import and_, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from complaints import privacy
from complaints.clock import to_local, utcnow
from complaints.errors import Forbidden, InvalidInput, NotFound
from complaints.i18n import gettext
from complaints.ledgers.writer import Annex1Row, Annex2Row, Annex3Row, HeaderInfo, write_csv, write_xlsx
from complaints.models import AuditLog, Complaint, LedgerEntry, User
from complaints.presenters import channel_label
from complaints.runtime import Runtime
from complaints.services import callbacks, checklist
from complaints.services.cohandling import names_for
from complaints.services.periods import Period, may_export
from complaints.tables import id_of
from workflows.vocab import LABELS, N_, Channel, Kind, Outcome, Satisfaction, Status


def deidentify(text: str, item: Complaint, keep: frozenset[str] = frozenset()) -> str:
    """Free text of `item` without its complainant's name or any phone number (privacy.deidentify)."""
    return privacy.deidentify(text, names=[item.complainant_name], keep=keep)


def bureau_numbers(runtime: Runtime) -> frozenset[str]:
    """The units' own hotlines and report lines: left as they are in a de-identified file."""
    return privacy.public_numbers([n for u in runtime.settings.units for n in (u.hotline, u.report_line)])


#: the source column in the seed's own words (附件2: 群众来信来电、上访、平台举报; 上级交办 items)
SOURCE_WORDS: dict[str, str] = {
    Channel.LETTER: "群众来信",
    Channel.CALL: "来电",
    Channel.VISIT: "上访",
    Channel.PLATFORM: "平台举报",
    Channel.WEB: "平台举报",
    Channel.REFERRAL: "上级交办",
}
#: what an open item is waiting for, as of the export
WAITING = {
    Status.REGISTERED: N_("待派单"),
    Status.DISPATCHED: N_("待承办人签收"),
    Status.ACCEPTED: N_("正在调查核实"),
    Status.SUSPENDED: N_("暂停办理，等待补充材料"),
    Status.EXTENSION_REQUESTED: N_("已申请延期，待批准"),
    Status.SENDBACK_REQUESTED: N_("已申请退单，待审批"),
    Status.REPLIED: N_("已答复，待回访"),
    Status.VISITED: N_("已回访，待办结"),
}
IN_PROGRESS = "办理中"  # 处理结果 until the item is closed


def entry_from_item(
    item: Complaint,
    runtime: Runtime,
    cooperating: list[str] | None = None,
    *,
    now: datetime | None = None,
    merged_into: str | None = None,
) -> dict[str, str]:
    """The 附件2 columns for an item as it stands (`now`: the export's time), de-identified; 主办 and 协办
    named when others cooperated."""
    tz = runtime.settings.app.timezone
    received = to_local(item.received_at, tz).strftime("%Y-%m-%d")
    source = f"{SOURCE_WORDS.get(item.channel, channel_label(item.channel))}（{received}，{item.tracking_no}）"
    handling = [item.handling_notes or _progress(item, runtime)]
    if cooperating:
        handling[0] = (
            gettext(
                "主办：{lead}；协办：{others}。",
                lead=runtime.settings.unit_map[item.unit_code].name,
                others="、".join(cooperating),
            )
            + handling[0]
        )
    if item.decisions:  # the supervisor's decisions after an unhappy callback, with their reasons
        handling.append(item.decisions)
    if item.is_open:
        handling.append(gettext("截至{day}：{state}", day=_day(now or utcnow(), tz), state=_waiting(item)))
    keep = bureau_numbers(runtime)
    return {
        "source": source,
        "summary": deidentify(item.summary, item, keep),
        "handling": deidentify("；".join(handling), item, keep),
        "result": deidentify(_result(item, merged_into), item, keep),
        "remarks": deidentify("；".join(_remarks(item, now)), item, keep),
    }


def _day(value: datetime | None, tz: str) -> str:
    return to_local(value, tz).strftime("%m月%d日") if value else "—"


def _progress(item: Complaint, runtime: Runtime) -> str:
    tz = runtime.settings.app.timezone
    unit = runtime.settings.unit_map[item.unit_code].name if item.unit_code in runtime.settings.unit_map else ""
    if item.dispatched_at is None:
        return gettext("{day}登记", day=_day(item.registered_at, tz))
    steps = [gettext("{day}派{unit}承办", day=_day(item.dispatched_at, tz), unit=unit)]
    if item.accepted_at:
        steps.append(gettext("{day}签收并联系诉求人", day=_day(item.accepted_at, tz)))
    if item.replied_at:
        steps.append(gettext("{day}答复", day=_day(item.replied_at, tz)))
    return "，".join(steps)


def _waiting(item: Complaint) -> str:
    if callbacks.needs_decision(item):
        return gettext("回访不满意或未解决，待督办人决定")
    return gettext(WAITING.get(Status(item.status), N_("正在办理")))


def _result(item: Complaint, merged_into: str | None) -> str:
    if item.status == Status.DUPLICATE:
        return gettext("已并单处理（并入{no}）", no=merged_into or "—")
    if item.status == Status.NOT_ACCEPTED:
        return gettext("不予受理：{reason}", reason=item.result_text or "—")
    if item.is_open:
        return IN_PROGRESS
    parts = [item.result_text] if item.result_text else []
    if item.outcome:
        parts.append(gettext("处理意见：{outcome}", outcome=gettext(LABELS[Outcome(item.outcome)])))
    if item.satisfaction:
        parts.append(gettext("回访：{value}", value=gettext(LABELS[Satisfaction(item.satisfaction)])))
    return "；".join(parts)


def _remarks(item: Complaint, now: datetime | None) -> list[str]:
    remarks = [item.remarks] if item.remarks else []
    if item.extension_count:
        remarks.append(gettext("经批准延期"))
    if item.referred_at:
        remarks.append(gettext("已移交纪检"))
    if item.is_open and item.next_due_at is not None and item.next_due_at < (now or utcnow()):
        remarks.append(gettext("已超期"))
    return remarks


def write_entry(*, session: Session, runtime: Runtime, item: Complaint) -> LedgerEntry:
    """Create or refresh the item's 附件2 entry (an item closed again after 复查 updates its row)."""
    entry = session.exec(select(LedgerEntry).where(col(LedgerEntry.complaint_id) == item.id)).first()
    values = entry_from_item(item, runtime, names_for(session, runtime, item))
    if entry is None:
        entry = LedgerEntry(
            complaint_id=id_of(item),
            unit_code=item.unit_code,
            closed_at=item.closed_at or utcnow(),
            source=values["source"],
            summary=values["summary"],
            handling=values["handling"],
            result=values["result"],
            remarks=values["remarks"],
        )
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
    if entry is None or not may_export(actor, entry.unit_code, runtime):
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


def _annex2_items(period: Period, runtime: Runtime, include_answered: bool):
    """Every problem lead the unit registered in the period, open or closed; an item under 复查 stays the
    county's lead. 咨询 answered at once at intake are left out unless asked for."""
    low, high = period.bounds(runtime.settings.app.timezone)
    owned = or_(
        and_(col(Complaint.unit_code) == period.unit_code, col(Complaint.reviewed_unit_code).is_(None)),
        col(Complaint.reviewed_unit_code) == period.unit_code,
    )
    where = [owned, col(Complaint.received_at) >= low, col(Complaint.received_at) < high]
    if not include_answered:
        where.append(
            ~and_(
                col(Complaint.kind) == Kind.QUESTION,
                col(Complaint.status) == Status.CLOSED,
                col(Complaint.dispatched_at).is_(None),
            )
        )
    return where


def annex2_count(*, session: Session, period: Period, runtime: Runtime, include_answered: bool = False) -> int:
    where = _annex2_items(period, runtime, include_answered)
    return session.exec(select(func.count()).select_from(Complaint).where(*where)).one()


def annex2_rows(
    *,
    session: Session,
    period: Period,
    runtime: Runtime,
    with_identity: bool,
    include_answered: bool = False,
    now: datetime | None = None,
) -> Iterator[Annex2Row]:
    now = now or utcnow()
    merged = aliased(Complaint)
    query = (
        select(Complaint, LedgerEntry, merged.tracking_no)
        .join(LedgerEntry, col(LedgerEntry.complaint_id) == Complaint.id, isouter=True)
        .join(merged, col(merged.id) == col(Complaint.duplicate_of_id), isouter=True)
        .where(*_annex2_items(period, runtime, include_answered))
        .order_by(col(Complaint.received_at), col(Complaint.id))
        .execution_options(yield_per=2000)
    )
    keep = bureau_numbers(runtime)
    for seq, (item, entry, merged_into) in enumerate(session.exec(query), 1):
        if entry is not None and entry.edited_at is not None and not item.is_open:
            values = {name: getattr(entry, name) for name in EDITABLE}  # a supervisor's correction stands
        else:
            values = entry_from_item(item, runtime, names_for(session, runtime, item), now=now, merged_into=merged_into)
        # each cell de-identified as it is written out, so an entry edited by hand or stored before is too
        cells = {name: deidentify(text or "", item, keep) for name, text in values.items()}
        source = cells["source"]
        # a confidential reporter's identity never leaves in a file (信访工作条例 Art 30): it is seen only
        # on the item page, where each view is recorded in the item's history
        if with_identity and not item.anonymous and not item.confidential:
            source = f"{source} {item.complainant_name or ''} {item.complainant_phone or ''}".rstrip()
        yield Annex2Row(seq, source, cells["summary"], cells["handling"], cells["result"], cells["remarks"])


def annex3_rows(*, session: Session, period: Period, runtime: Runtime) -> Iterator[Annex3Row]:
    low, high = period.bounds(runtime.settings.app.timezone)
    query = (
        select(Complaint)
        .where(
            col(Complaint.unit_code) == period.unit_code,
            col(Complaint.referred_at) >= low,
            col(Complaint.referred_at) < high,
        )
        .order_by(col(Complaint.referred_at), col(Complaint.id))
    )
    keep = bureau_numbers(runtime)
    for seq, item in enumerate(session.exec(query), 1):
        action = item.discipline_action or gettext(
            "已移交纪检部门（{date}）", date=_day(item.referred_at, runtime.settings.app.timezone)
        )
        yield Annex3Row(
            seq,
            deidentify(item.violator or "", item, keep),
            deidentify(item.violation or "", item, keep),
            deidentify(action, item, keep),
        )


def export(
    *,
    session: Session,
    runtime: Runtime,
    actor: User,
    annex: int,
    period: Period,
    fmt: str,
    stream: BinaryIO,
    with_identity: bool = False,
    progress: Callable[[int], None] | None = None,
    include_answered: bool = False,
) -> int:
    """Write one annex for one unit and period to `stream`; returns the number of rows."""
    if annex not in (1, 2, 3):
        raise InvalidInput(gettext("附件应为 1、2 或 3"), field="annex")
    if fmt not in ("xlsx", "csv"):
        raise InvalidInput(gettext("格式应为 xlsx 或 csv"), field="format")
    if period.unit_code not in runtime.settings.unit_map:
        raise InvalidInput(gettext("未知单位：{unit}", unit=period.unit_code[:16]), field="unit")
    if period.end < period.start or (period.end - period.start).days > 3660:
        raise InvalidInput(gettext("起止日期不正确"), field="to")
    if not may_export(actor, period.unit_code, runtime):
        raise Forbidden(gettext("只有该单位的督办人可以导出台账"), field="unit")
    unit = runtime.settings.unit_map[period.unit_code]
    header = HeaderInfo(unit_name=unit.name, filler=actor.name, phone=actor.phone or unit.hotline)
    counts = None
    if annex == 1:
        annex1 = checklist.rows(session=session, period=period)
        keep = bureau_numbers(runtime)
        for row in annex1:  # the county's own text carries no phone numbers out either
            row.measures, row.conclusion = (
                privacy.deidentify(text, keep=keep) for text in (row.measures, row.conclusion)
            )
        rows: Iterable[Annex1Row | Annex2Row | Annex3Row] = annex1
        counts = checklist.counts(session=session, period=period, runtime=runtime)
    elif annex == 2:
        rows = annex2_rows(
            session=session,
            period=period,
            runtime=runtime,
            with_identity=with_identity,
            include_answered=include_answered,
        )
    else:
        rows = annex3_rows(session=session, period=period, runtime=runtime)
    session.add(
        AuditLog(
            actor_id=actor.id,
            action="ledger_export",
            detail={
                "annex": annex,
                "unit": period.unit_code,
                "from": period.start.isoformat(),
                "to": period.end.isoformat(),
                "format": fmt,
                "with_identity": with_identity,
            },
        )
    )
    if fmt == "xlsx":
        return write_xlsx(annex, header, rows, stream, progress=progress, counts=counts)
    return write_csv(annex, header, rows, stream, progress=progress)
