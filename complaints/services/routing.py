"""Routing a new item: its handler from the routing table, else the
least-loaded handler of the unit; an out-of-office handler's delegate stands in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, String, func, literal
from sqlmodel import Session, col, select

from complaints.i18n import gettext
from complaints.models import Complaint, ComplaintLink, RoutingRule, User
from complaints.runtime import Runtime
from complaints.services.transitions import act
from workflows.lifecycle import Action
from workflows.vocab import N_


def has_role(role: str) -> ColumnElement[bool]:
    """User.roles is comma-separated: match a whole role name, never a prefix."""
    return literal(",", String).concat(User.roles).concat(literal(",", String)).like(f"%,{role},%")


def _is_handler(user: User | None, unit_code: str) -> bool:
    return user is not None and user.active and "handler" in user.role_set and user.unit_code == unit_code


def stand_in(*, session: Session, user: User) -> User:
    """The person who actually takes the item: the delegate of someone out of office, if there is one."""
    if user.out_of_office and user.delegate_id:
        delegate = session.get(User, user.delegate_id)
        if delegate is not None and delegate.active:
            return delegate
    return user


def least_loaded(*, session: Session, unit_code: str) -> User | None:
    """The active, in-office handler of the unit with the fewest open items (the longest-serving on a tie)."""
    load = (
        select(Complaint.handler_id, func.count().label("open_items"))
        .where(col(Complaint.is_open).is_(True), col(Complaint.handler_id).is_not(None))
        .group_by(col(Complaint.handler_id))
        .subquery()
    )
    query = (
        select(User)
        .outerjoin(load, load.c.handler_id == User.id)
        .where(
            col(User.unit_code) == unit_code,
            col(User.active).is_(True),
            col(User.out_of_office).is_(False),
            has_role("handler"),
        )
        .order_by(func.coalesce(load.c.open_items, 0), col(User.id))
    )
    return session.exec(query).first()


def _repeat_handler(session: Session, item: Complaint) -> User | None:
    """An item repeating an open one goes to whoever already handles the earlier one."""
    earlier = session.exec(
        select(Complaint)
        .join(ComplaintLink, col(ComplaintLink.other_id) == Complaint.id)
        .where(
            col(ComplaintLink.complaint_id) == item.id,
            col(ComplaintLink.kind) == "repeat",
            col(Complaint.is_open).is_(True),
            col(Complaint.handler_id).is_not(None),
        )
        .order_by(col(Complaint.id).desc())
    ).first()
    return session.get(User, earlier.handler_id) if earlier is not None else None


def choose_handler(*, session: Session, item: Complaint) -> tuple[User | None, str]:
    """(handler, why): a repeat's handler, the routing rule's, else the least loaded; None if nobody."""
    for why, candidate in (("repeat", _repeat_handler(session, item)), ("rule", _rule_handler(session, item))):
        if candidate is not None:
            chosen = stand_in(session=session, user=candidate)
            if _is_handler(chosen, item.unit_code):
                return chosen, why if chosen is candidate else f"{why}_delegate"
    return least_loaded(session=session, unit_code=item.unit_code), "least_loaded"


def _rule_handler(session: Session, item: Complaint) -> User | None:
    rule = session.exec(
        select(RoutingRule).where(
            col(RoutingRule.unit_code) == item.unit_code, col(RoutingRule.category) == item.category
        )
    ).first()
    return session.get(User, rule.handler_id) if rule is not None else None


def route(*, session: Session, runtime: Runtime, actor: User, item: Complaint, now: datetime) -> str | None:
    """Dispatch `item` to the chosen handler through the normal action; returns why, or None if nobody."""
    handler, why = choose_handler(session=session, item=item)
    if handler is None:
        return None
    act(
        session=session,
        runtime=runtime,
        actor=actor,
        item=item,
        action=Action.DISPATCH,
        now=now,
        payload={"handler_id": handler.id, "note": gettext(NOTES[why.removesuffix("_delegate")])},
    )
    return why


NOTES = {
    "repeat": N_("自动派单：重复诉求，派给原承办人"),
    "rule": N_("自动派单：按派单规则"),
    "least_loaded": N_("自动派单：派给本单位在办件最少的承办人"),
}
