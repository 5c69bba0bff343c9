"""The account that jobs act as: a supervisor of the prefecture bureau that can never log in."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from complaints.models import User
from complaints.settings import Settings
from workflows.vocab import Role


def system_user(*, session: Session, settings: Settings) -> User:
    """Get or create it: no password and inactive, so no login, no notifications, no digest.

    Race-free: two jobs starting together both insert-or-skip on the unique username (the second waits for
    the first's transaction, then skips), then read the one row; read-then-insert failed one of them."""
    username = settings.routing.system_username
    user = session.exec(select(User).where(User.username == username)).first()
    if user is not None:
        return user
    row = User(
        username=username,
        name="系统",
        unit_code=settings.app.prefecture_unit,
        roles=Role.SUPERVISOR.value,
        active=False,
        password_hash=None,
    ).model_dump(exclude={"id"})
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(insert(User).values(**row).on_conflict_do_nothing(index_elements=["username"]))
    return session.exec(select(User).where(User.username == username)).one()
