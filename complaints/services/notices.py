"""The written 受理告知 of a formal 信访 item (信访工作条例 Art 22–23): its text from a template, and issuing
it, which is 受理: the 15 日 limit is met and the 60 日 answer period runs from that day (Art 34)."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from complaints.errors import Conflict, Forbidden, InvalidInput
from complaints.i18n import gettext
from complaints.models import Complaint, Event, User
from complaints.runtime import Runtime
from complaints.services import deadlines
from complaints.services.scope import can_see, roles_of
from complaints.tables import id_of
from workflows.events import EventKind
from workflows.vocab import Role, Status, Track

NOTICES = Path(__file__).resolve().parent.parent / "replies" / "notices"
_CHANNELS = {
    "letter": "来信",
    "visit": "来访",
    "call": "来电",
    "platform": "网上平台",
    "web": "网上",
    "referral": "上级交办",
}
_ISSUABLE = {
    Status.REGISTERED,
    Status.DISPATCHED,
    Status.ACCEPTED,
    Status.SUSPENDED,
    Status.EXTENSION_REQUESTED,
    Status.SENDBACK_REQUESTED,
}


@cache
def _environment() -> Environment:
    # the notice template is part of the program (not edited at run time), and renders plain text
    return Environment(
        loader=FileSystemLoader(NOTICES), undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True
    )


def _day(value: date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def acceptance_notice_text(*, runtime: Runtime, item: Complaint, issued_on: date) -> str:
    """The 受理告知书 of item as issued on issued_on (for the printable page and for letters)."""
    unit = runtime.settings.unit_map.get(item.unit_code)
    variables = {
        "name": item.complainant_name if item.complainant_name and not item.anonymous else "信访人",
        "received": _day(deadlines.local(item.received_at, runtime).date()),
        "channel": _CHANNELS.get(item.channel, item.channel),
        "summary": item.summary,
        "issued": _day(issued_on),
        "unit": unit.name if unit else item.unit_code,
        "tracking_no": item.tracking_no,
        "hotline": unit.hotline if unit else "",
    }
    return _environment().get_template("acceptance.zh_Hans.j2").render(**variables).strip() + "\n"


def issue_acceptance_notice(
    *,
    session: Session,
    runtime: Runtime,
    actor: User,
    item: Complaint,
    now: datetime,
    expected_version: int | None = None,
) -> Event:
    """Record the written 受理告知 on the item; the answer deadline is counted again from today."""
    if not can_see(actor, item, runtime.settings):
        raise Forbidden(gettext("无权查看该诉求件"))
    roles = roles_of(actor)
    if not (roles & {Role.SUPERVISOR, Role.OPERATOR} or (Role.HANDLER in roles and item.handler_id == actor.id)):
        raise Forbidden(gettext("只有承办人、登记人员或督办人可以出具受理告知"))
    if item.track != Track.XINFANG:
        raise InvalidInput(gettext("只有信访事项需要出具受理告知书"), field="action")
    if item.acknowledged_at is not None:
        raise Conflict(
            gettext("该事项已于 {day} 出具受理告知书", day=_day(deadlines.local(item.acknowledged_at, runtime).date()))
        )
    if Status(item.status) not in _ISSUABLE:
        raise InvalidInput(gettext("该事项当前状态不能出具受理告知书"), field="action")
    if expected_version is not None and item.version != expected_version:
        raise Conflict(gettext("该诉求件已被他人修改，请刷新后重试；您的操作未保存"), field="version")
    text = acceptance_notice_text(runtime=runtime, item=item, issued_on=deadlines.local(now, runtime).date())
    before = item.reply_due_at
    deadlines.acknowledge(item, now, runtime)
    deadlines.refresh_stage(item, runtime)
    item.updated_at = now
    session.add(item)
    event = Event(
        complaint=item,
        complaint_id=id_of(item),
        at=now,
        actor_id=actor.id,
        action=EventKind.ACKNOWLEDGE,
        from_status=item.status,
        to_status=item.status,
        note=gettext("已出具受理告知书（受理）"),
        changes={
            "acknowledged_at": now.isoformat(),
            "notice_text": text,
            "reply_due_at": [_iso(before), _iso(item.reply_due_at)],
        },
    )
    session.add(event)
    try:
        session.flush()
    except StaleDataError as exc:
        raise Conflict(gettext("该诉求件已被他人修改，请刷新后重试；您的操作未保存"), field="version") from exc
    return event


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
