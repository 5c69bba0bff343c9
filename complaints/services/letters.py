"""Official letters of an item: which it has, issuing one with its 文号, and its parts for printing.

A letter is made from text the item's history recorded: a sent reply (处理意见书 / 复查意见书 for formal
信访, a reply letter for the hotline), or the 受理告知 notice. Issuing gives it the next number of its
unit's yearly sequence (阿教信〔2026〕12号) once; printing it again shows the same number and text.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from complaints.clock import to_local, utcnow
from complaints.errors import NotFound
from complaints.i18n import gettext
from complaints.letters import TITLES, LetterParts, parse
from complaints.models import Complaint, Event, Letter, LetterCounter, User
from complaints.runtime import Runtime
from complaints.services import identity
from complaints.tables import id_of
from workflows.events import EventKind
from workflows.lifecycle import Action
from workflows.vocab import LABELS, Channel

SENT = (Action.REPLY.value, Action.APPROVE_REPLY.value)  # the events whose reply_text left the bureau


@dataclass(frozen=True)
class LetterSource:
    kind: str
    event: Event
    text: str | None  # None: written when issued (the standard 受理告知 notice)


def sources(*, session: Session, item: Complaint) -> dict[str, LetterSource]:
    """The letters this item can have now, by kind, each from the latest text recorded for it."""
    events = session.exec(
        select(Event).where(col(Event.complaint_id) == item.id).order_by(col(Event.id))
    ).all()  # as appended
    found: dict[str, LetterSource] = {}
    reviewed = False
    for event in events:
        if event.action == Action.REGISTER.value and item.track == "xinfang":
            found["acceptance"] = LetterSource("acceptance", event, None)  # until a written notice is recorded
        changes = event.changes or {}
        if changes.get("notice_text"):  # the written 受理告知 recorded on the item
            found["acceptance"] = LetterSource("acceptance", event, changes["notice_text"])
        reviewed = reviewed or event.action == Action.REQUEST_REVIEW.value
        if event.action in SENT and changes.get("reply_text"):
            kind = ("review" if reviewed else "decision") if item.track == "xinfang" else "hotline"
            found[kind] = LetterSource(kind, event, changes["reply_text"])
    return found


def issued(*, session: Session, item: Complaint) -> dict[str, Letter]:
    """The letters already issued for the item's current sources, by kind."""
    current = {s.event.id for s in sources(session=session, item=item).values()}
    letters = session.exec(select(Letter).where(col(Letter.complaint_id) == item.id).order_by(col(Letter.id))).all()
    return {letter.kind: letter for letter in letters if letter.source_event_id in current}


def issue(*, session: Session, runtime: Runtime, actor: User, item: Complaint, kind: str) -> Letter:
    """The letter of this kind, numbered on first issue (the number and the text then never change)."""
    source = sources(session=session, item=item).get(kind)
    if source is None:
        raise NotFound(gettext("该诉求件目前没有这份文书"), field="kind")
    existing = _existing(session, item, source)
    if existing is not None:
        return existing
    unit_code = _issuing_unit(item, kind)
    now = utcnow()
    year = to_local(now, runtime.settings.app.timezone).year
    text = source.text if source.text is not None else acceptance_notice(item=item, runtime=runtime)
    try:
        with session.begin_nested():  # two first prints at once: one number, the other reads it
            seq = _next_number(session, unit_code, year)
            letter = Letter(
                complaint_id=id_of(item),
                kind=kind,
                source_event_id=id_of(source.event),
                unit_code=unit_code,
                year=year,
                seq=seq,
                doc_no=doc_no(runtime, unit_code, year, seq),
                text=text,
                issued_at=now,
                issued_by_id=actor.id,
            )
            session.add(letter)
            session.add(
                Event(
                    complaint_id=id_of(item),
                    at=now,
                    actor_id=actor.id,
                    action=EventKind.ISSUE_LETTER,
                    from_status=item.status,
                    to_status=item.status,
                    note=f"{TITLES[kind]} {letter.doc_no}",
                    changes={"letter": kind, "doc_no": letter.doc_no},
                )
            )
            session.flush()
    except IntegrityError:
        existing = _existing(session, item, source)
        if existing is None:
            raise
        return existing
    return letter


def _existing(session: Session, item: Complaint, source: LetterSource) -> Letter | None:
    return session.exec(
        select(Letter).where(
            col(Letter.complaint_id) == item.id,
            col(Letter.kind) == source.kind,
            col(Letter.source_event_id) == source.event.id,
        )
    ).first()


def _issuing_unit(item: Complaint, kind: str) -> str:
    """A 复查意见书 is the reviewing bureau's; the county's own letters stay the county's after a review."""
    return item.unit_code if kind == "review" or not item.reviewed_unit_code else item.reviewed_unit_code


def _next_number(session: Session, unit_code: str, year: int) -> int:
    """The unit's next number for the year, in the caller's transaction: concurrent issues queue on the
    counter's row (PostgreSQL) or the single writer (SQLite), and a rolled-back issue leaves no gap."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(LetterCounter).values(unit_code=bindparam("unit"), year=bindparam("year"), value=1)
    upsert = statement.on_conflict_do_update(
        index_elements=["unit_code", "year"], set_={"value": col(LetterCounter.value) + 1}
    ).returning(col(LetterCounter.value))
    return session.execute(upsert, {"unit": unit_code, "year": year}).scalar_one()


def doc_no(runtime: Runtime, unit_code: str, year: int, seq: int) -> str:
    """阿教信〔2026〕12号 (GB/T 9704-2012: 机关代字, 年份 in 六角括号, 序号 without leading zeros)."""
    unit = runtime.settings.unit_map[unit_code]
    return f"{unit.doc_prefix or unit.name}〔{year}〕{seq}号"


def parts(*, session: Session, runtime: Runtime, actor: User, item: Complaint, letter: Letter) -> LetterParts:
    """What the letter prints; the complainant is named only to those who may see who they are."""
    unit = runtime.settings.unit_map[letter.unit_code]
    who = identity.for_viewer(session=session, settings=runtime.settings, actor=actor, item=item)
    generic = "信访人：" if item.track == "xinfang" else "诉求人："
    recipient = None if not who.masked else generic  # None: the salutation the reply was sent with
    result = parse(
        letter.text, title=TITLES[letter.kind], unit_name=unit.name, doc_no=letter.doc_no, recipient=recipient
    )
    if not result.recipient:
        result = replace(result, recipient=f"{who.name}：" if who.name and not who.masked else generic)
    if not result.date_text:
        issued_on = to_local(letter.issued_at, runtime.settings.app.timezone).date()
        result = replace(result, date_text=f"{issued_on.year}年{issued_on.month}月{issued_on.day}日")
    return result


def acceptance_notice(*, item: Complaint, runtime: Runtime) -> str:
    """The standard 受理告知 (信访工作条例 Art 22–23): received, accepted, answered within 60 日."""
    tz = runtime.settings.app.timezone
    unit = runtime.settings.unit_map[_issuing_unit(item, "acceptance")]
    received, accepted = to_local(item.received_at, tz).date(), to_local(item.registered_at, tz).date()
    day, channel = f"{accepted.year}年{accepted.month}月{accepted.day}日", LABELS[Channel(item.channel)]
    return "\n".join(
        [
            f"　　您于{received.year}年{received.month}月{received.day}日以{channel}形式提出的信访事项"
            f"（{item.summary.rstrip('。')}）已收悉。",
            f"　　根据《信访工作条例》第二十二条、第二十三条的规定，该事项属于{unit.name}职责范围，决定予以受理，"
            "并自受理之日起六十日内办结；情况复杂的，经批准可以适当延长办理期限，延长期限不超过三十日，届时将告知您延期理由。",
            f"　　受理编号：{item.tracking_no}。您可凭受理编号和电话后四位查询办理进度，或拨打{unit.hotline}咨询。",
            "　　特此告知。",
            "",
            unit.name,
            day,
        ]
    )
