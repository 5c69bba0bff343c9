"""The account that jobs act as: a supervisor of the prefecture bureau that can never log in."""

from __future__ import annotations

from sqlmodel import Session, select

from complaints.models import User
from complaints.settings import Settings
from workflows.vocab import Role


def system_user(*, session: Session, settings: Settings) -> User:
    """Get or create it: no password and inactive, so no login, no notifications, no digest."""
    username = settings.routing.system_username
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        user = User(username=username, name="系统", unit_code=settings.app.prefecture_unit,
                    roles=Role.SUPERVISOR.value, active=False, password_hash=None)
        session.add(user)
        session.flush()
    return user
