"""Who may see which items, and how much of the complainant they may see. Decided here, never by clients."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_, true
from sqlmodel import col

from complaints.models import Complaint, User
from complaints.settings import Settings
from workflows.vocab import Role


def roles_of(user: User) -> frozenset[Role]:
    return frozenset(Role(r) for r in user.role_set)


def sees_all_units(user: User, settings: Settings) -> bool:
    """Supervisors and admins of the prefecture bureau oversee every county."""
    roles = roles_of(user)
    return user.unit_code == settings.app.prefecture_unit and bool(roles & {Role.SUPERVISOR, Role.ADMIN})


def visible_filter(user: User, settings: Settings, *, following: bool = False) -> ColumnElement[bool]:
    """A WHERE clause selecting the items `user` may see. With `following`, also those a county bureau
    follows while the prefecture reviews its handling (信访 复查): an OR on another column, which keeps the
    database from walking the unit's index in order, so lists ask for it only when searching (reviews_filter
    lists the reviews themselves)."""
    if not user.active:
        return false()
    if sees_all_units(user, settings):
        return true()
    roles = roles_of(user)
    clauses = []
    if roles & {Role.SUPERVISOR, Role.HANDLER, Role.ADMIN}:
        clauses.append(col(Complaint.unit_code) == user.unit_code)
        if following:
            clauses.append(col(Complaint.reviewed_unit_code) == user.unit_code)
            clauses.append(cooperating_filter(user))
    if Role.HANDLER in roles:
        clauses.append(col(Complaint.handler_id) == user.id)
    if Role.OPERATOR in roles:
        clauses.append(col(Complaint.registered_unit_code) == user.unit_code)
    return or_(*clauses) if clauses else false()


def _marked(unit_code: str) -> str:
    return f",{unit_code},"


def cooperating_filter(user: User) -> ColumnElement[bool]:
    """Items on which the user's unit is a 协办 unit (its staff follow them like the 复查 items: in
    searches and in their own list, never by walking the unit's index)."""
    if not user.active or not roles_of(user) & {Role.SUPERVISOR, Role.HANDLER, Role.ADMIN}:
        return false()
    return col(Complaint.co_units).contains(_marked(user.unit_code), autoescape=True)


def cooperates_on(user: User, item: Complaint) -> bool:
    """The user's unit is a 协办 unit of the item (its staff see the summary and their sub-task)."""
    return bool(roles_of(user) & {Role.SUPERVISOR, Role.HANDLER, Role.ADMIN}) and _marked(user.unit_code) in (
        item.co_units or ""
    )


def sees_as_cooperator_only(user: User, item: Complaint, settings: Settings) -> bool:
    """Visible only through 协办: the page shows the summary and the unit's own sub-task, nothing more."""
    return user.active and cooperates_on(user, item) and not _sees_otherwise(user, item, settings)


def reviews_filter(user: User, settings: Settings) -> ColumnElement[bool]:
    """The 信访 复查 items among those `user` may see (visible_filter with `following`), found through the
    reviewed_unit_code index by a county rather than by walking all of the unit's items."""
    if not user.active:
        return false()
    reviewed = col(Complaint.reviewed_unit_code).is_not(None)
    if sees_all_units(user, settings):
        return reviewed
    roles = roles_of(user)
    clauses = []
    if roles & {Role.SUPERVISOR, Role.HANDLER, Role.ADMIN}:
        clauses.append(col(Complaint.reviewed_unit_code) == user.unit_code)
        if user.unit_code == settings.app.prefecture_unit:  # the reviewing bureau's own
            clauses.append(and_(col(Complaint.unit_code) == user.unit_code, reviewed))
    if Role.HANDLER in roles:
        clauses.append(and_(col(Complaint.handler_id) == user.id, reviewed))
    if Role.OPERATOR in roles:
        clauses.append(and_(col(Complaint.registered_unit_code) == user.unit_code, reviewed))
    return or_(*clauses) if clauses else false()


def can_see(user: User, item: Complaint, settings: Settings) -> bool:
    if not user.active:
        return False
    return _sees_otherwise(user, item, settings) or cooperates_on(user, item)


def _sees_otherwise(user: User, item: Complaint, settings: Settings) -> bool:
    if sees_all_units(user, settings):
        return True
    roles = roles_of(user)
    if roles & {Role.SUPERVISOR, Role.HANDLER, Role.ADMIN} and user.unit_code in (
        item.unit_code,
        item.reviewed_unit_code,
    ):
        return True
    if Role.HANDLER in roles and item.handler_id == user.id:
        return True
    return Role.OPERATOR in roles and item.registered_unit_code == user.unit_code


def may_see_identity(user: User, item: Complaint, settings: Settings) -> bool:
    """Full name and phone: the assigned handler and supervisors over the item's unit (DOMAIN §8); under
    复查 that is the reviewing bureau, not the county whose handling is complained of."""
    if not can_see(user, item, settings):
        return False
    if item.handler_id is not None and item.handler_id == user.id:
        return True
    if Role.SUPERVISOR in roles_of(user) and (user.unit_code == item.unit_code or sees_all_units(user, settings)):
        return True
    if cooperates_on(user, item) and not _sees_otherwise(user, item, settings):
        return _marked(user.unit_code) in (item.co_identity_units or "")  # granted to the 协办 unit
    # the operator who took a non-confidential call already heard the details
    return not item.confidential and item.registered_by_id == user.id


def has_role(user: User, *roles: Role) -> bool:
    return user.active and bool(roles_of(user) & set(roles))


def visible_units(user: User, settings: Settings) -> set[str] | None:
    """The units whose people `user` may look up (None: every unit)."""
    return None if sees_all_units(user, settings) else {user.unit_code}


def may_manage_person(actor: User, unit_code: str, settings: Settings) -> bool:
    """Admins manage the people of their own unit; the prefecture's admins manage every unit."""
    if not has_role(actor, Role.ADMIN):
        return False
    return actor.unit_code == settings.app.prefecture_unit or actor.unit_code == unit_code
