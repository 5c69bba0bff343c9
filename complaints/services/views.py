"""Saved views: each person's own named item lists (the list's filters and sorting as a query string)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from complaints.errors import InvalidInput, NotFound
from complaints.i18n import gettext
from complaints.models import SavedView, User
from complaints.tables import id_of

MAX_VIEWS = 30


def mine(*, session: Session, actor: User) -> list[SavedView]:
    return list(session.exec(select(SavedView).where(col(SavedView.user_id) == actor.id).order_by(col(SavedView.name))))


def save(*, session: Session, actor: User, name: str, query: str) -> SavedView:
    """Save (or replace, by name) one of `actor`'s views."""
    name = " ".join((name or "").split())[:64]
    if not name:
        raise InvalidInput(gettext("请为视图起个名字"), field="name")
    if len(query) > 1000:
        raise InvalidInput(gettext("视图的筛选条件过长"), field="query")
    view = session.exec(
        select(SavedView).where(col(SavedView.user_id) == actor.id, col(SavedView.name) == name)
    ).first()
    if view is None:
        if len(mine(session=session, actor=actor)) >= MAX_VIEWS:
            raise InvalidInput(gettext("最多保存 {n} 个视图", n=MAX_VIEWS), field="name")
        view = SavedView(user_id=id_of(actor), name=name, query=query)
    view.query = query
    session.add(view)
    session.flush()
    return view


def delete(*, session: Session, actor: User, view_id: int) -> None:
    view = session.get(SavedView, view_id) if 0 < view_id <= 2**31 - 1 else None
    if view is None or view.user_id != actor.id:  # someone else's view is no view of yours
        raise NotFound(gettext("找不到该视图"), field="view")
    session.delete(view)
    session.flush()
