"""People: operators, handlers, supervisors and admins, each in one unit."""

from __future__ import annotations

from argon2 import PasswordHasher
from sqlalchemy import ColumnElement
from sqlmodel import Session, col, delete, func, select, update

from complaints.errors import Forbidden, InvalidInput, NotFound
from complaints.i18n import gettext
from complaints.models import AuditLog, AuthSession, RoutingRule, User
from complaints.privacy import normalise_phone
from complaints.services.scope import may_manage_person
from complaints.settings import Settings
from complaints.tables import id_of
from workflows.vocab import Role

_hasher = PasswordHasher()
MIN_PASSWORD = 8


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD or len(password) > 256:
        raise InvalidInput(gettext("密码长度应为 {min}–256 个字符", min=MIN_PASSWORD), field="password")
    return _hasher.hash(password)


def parse_roles(roles: list[str] | str) -> str:
    """Comma-joined, checked role names."""
    names = roles.split(",") if isinstance(roles, str) else roles
    names = [r.strip() for r in names if r.strip()]
    valid = [r.value for r in Role]
    bad = [r for r in names if r not in valid]
    if bad or not names:
        raise InvalidInput(
            gettext("未知角色：{bad}；可选：{valid}", bad=", ".join(bad) or gettext("（空）"), valid=", ".join(valid)),
            field="roles",
        )
    return ",".join(sorted(set(names), key=valid.index))


def check_unit(settings: Settings, unit_code: str, *, field: str = "unit_code") -> str:
    if unit_code not in settings.unit_map:
        valid = "、".join(f"{u.code}（{u.name}）" for u in settings.units)
        raise InvalidInput(gettext("未知单位：{code}；可选：{valid}", code=unit_code[:16], valid=valid), field=field)
    return unit_code


def add_user(
    *,
    session: Session,
    settings: Settings,
    actor: User | None,
    username: str,
    name: str,
    unit_code: str,
    roles: list[str] | str,
    password: str | None = None,
    phone: str | None = None,
    email: str | None = None,
) -> User:
    """Create a person, recorded in the audit log; the username must be new. `actor` is the admin who
    creates them (refused outside the units they manage); None only for the first admin and demo data."""
    username = username.strip()
    if not username or len(username) > 64 or not username.replace("_", "").replace(".", "").isalnum():
        raise InvalidInput(gettext("用户名应为1–64位字母、数字、下划线或点"), field="username")
    check_unit(settings, unit_code)
    if actor is not None:
        _check_manages(actor, unit_code, settings, field="unit_code")
    if session.exec(select(User).where(col(User.username) == username)).first():
        raise InvalidInput(gettext("用户名已存在：{username}", username=username), field="username")
    user = User(
        username=username,
        name=_checked_name(name),
        unit_code=unit_code,
        roles=parse_roles(roles),
        phone=normalise_phone(phone, field="phone"),
        email=email,
        password_hash=hash_password(password) if password else None,
    )
    session.add(user)
    session.flush()
    _audit(
        session,
        actor,
        "person_created",
        user,
        username=user.username,
        unit_code=user.unit_code,
        roles=user.roles,
        password=bool(password),
    )
    return user


def _checked_name(name: str | None) -> str:
    name = (name or "").strip()
    if not name or len(name) > 64:
        raise InvalidInput(gettext("姓名不能为空，且不超过64个字符"), field="name")
    return name


def _check_manages(actor: User, unit_code: str, settings: Settings, *, field: str) -> None:
    if not may_manage_person(actor, unit_code, settings):
        raise Forbidden(gettext("只有本单位（或州局）的管理员可以管理人员"), field=field)


def _audit(session: Session, actor: User | None, action: str, user: User, **detail) -> None:
    session.add(AuditLog(actor_id=actor.id if actor else None, action=action, detail={"user_id": user.id, **detail}))


def get_user(*, session: Session, user_id: int | None = None, username: str | None = None) -> User:
    user = (
        session.get(User, user_id)
        if user_id is not None
        else session.exec(select(User).where(col(User.username) == username)).first()
    )
    if user is None:
        raise NotFound(gettext("找不到用户：{user}", user=user_id if user_id is not None else username), field="user")
    return user


def count_admins(*, session: Session) -> int:
    return session.exec(select(func.count()).select_from(User).where(col(User.roles).contains("admin"))).one()


def set_out_of_office(
    *, session: Session, settings: Settings, actor: User, user: User, away: bool, delegate: User | None
) -> User:
    """Mark a person away (their items go to `delegate`) or back; by the person or an admin of their unit."""
    if actor.id != user.id:
        _check_manages(actor, user.unit_code, settings, field="user")
    if away and delegate is not None and (delegate.id == user.id or delegate.unit_code != user.unit_code):
        raise InvalidInput(gettext("代理人须为本单位的其他人员"), field="delegate_id")
    # items dispatched to the person go to the delegate, who must be able to work them
    if (
        away
        and delegate is not None
        and (not delegate.active or Role.HANDLER.value in user.role_set and Role.HANDLER.value not in delegate.role_set)
    ):
        raise InvalidInput(gettext("代理人须为在岗的承办人"), field="delegate_id")
    before = (user.out_of_office, user.delegate_id)
    user.out_of_office = away
    user.delegate_id = delegate.id if (away and delegate) else None
    if (user.out_of_office, user.delegate_id) != before:
        _audit(session, actor, "person_away", user, away=away, delegate_id=user.delegate_id)
    session.add(user)
    session.flush()
    return user


def update_user(*, session: Session, settings: Settings, actor: User, user: User, changes: dict) -> User:
    """Apply an admin's changes (name, roles, unit, active, phone, email, password, unlock), recorded in the
    audit log. Only an admin managing the person's unit (and the new one) may; nobody changes their own
    roles or unit or deactivates themselves (no self-lock-out, and no admin granting themselves a
    supervisor's sight of confidential reporters); a password set by an admin ends the person's sessions
    and tokens."""
    _check_manages(actor, user.unit_code, settings, field="user")
    _refuse_own_rights(actor, user, changes)
    before = {"roles": user.roles, "active": user.active, "unit_code": user.unit_code}
    if "name" in changes:
        user.name = _checked_name(changes["name"])
    if "roles" in changes:
        user.roles = parse_roles(changes["roles"])
    if changes.get("unit_code") is not None and changes["unit_code"] != user.unit_code:
        _move(session, settings, actor, user, changes["unit_code"])
    if changes.get("active") is not None:
        user.active = bool(changes["active"])
    if "phone" in changes:
        user.phone = normalise_phone(changes["phone"], field="phone")
    if "email" in changes:
        user.email = changes["email"] or None
    if changes.get("password"):
        user.password_hash = hash_password(changes["password"])
    if changes.get("password") or changes.get("unlock"):
        user.failed_logins, user.locked_until = 0, None
    if changes.get("password") and user.id != actor.id:
        session.execute(delete(AuthSession).where(col(AuthSession.user_id) == user.id))
    detail: dict[str, object] = {
        name: [before[name], getattr(user, name)] for name in before if before[name] != getattr(user, name)
    }
    detail.update({name: True for name in ("password", "unlock") if changes.get(name)})
    detail.update({name: True for name in ("name", "phone", "email") if name in changes})
    if detail:
        _audit(session, actor, "person_updated", user, **detail)
    session.add(user)
    session.flush()
    return user


def _refuse_own_rights(actor: User, user: User, changes: dict) -> None:
    if user.id != actor.id:
        return
    if "roles" in changes and parse_roles(changes["roles"]) != user.roles:
        raise InvalidInput(gettext("不能修改自己的角色，请由其他管理员办理"), field="roles")
    if changes.get("unit_code") is not None and changes["unit_code"] != user.unit_code:
        raise InvalidInput(gettext("不能修改自己的单位，请由其他管理员办理"), field="unit_code")
    if changes.get("active") is False:
        raise InvalidInput(gettext("不能停用自己的账户"), field="active")


def _move(session: Session, settings: Settings, actor: User, user: User, unit_code: str) -> None:
    """Another unit: its admins must agree; the old unit's routing rules and delegate no longer apply."""
    _check_manages(actor, check_unit(settings, unit_code), settings, field="unit_code")
    session.execute(delete(RoutingRule).where(col(RoutingRule.handler_id) == user.id))
    session.execute(update(User).where(col(User.delegate_id) == user.id).values(delegate_id=None))
    user.unit_code, user.out_of_office, user.delegate_id = unit_code, False, None


def list_users(
    *,
    session: Session,
    units: set[str] | None,
    unit_code: str | None = None,
    role: str | None = None,
    active: bool | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[User], int]:
    """People of `units` (None: all), filtered, ordered by unit then id, with the total."""
    where: list[ColumnElement[bool]] = []
    if units is not None:
        where.append(col(User.unit_code).in_(units))
    if unit_code:
        where.append(col(User.unit_code) == unit_code)
    if role:
        where.append(col(User.roles).contains(role))
    if active is not None:
        where.append(col(User.active).is_(active))
    query = select(User).where(*where).order_by(col(User.unit_code), col(User.id)).offset(offset).limit(limit)
    total = session.exec(select(func.count()).select_from(User).where(*where)).one()
    return list(session.exec(query)), total


def names_of(session: Session, ids) -> dict[int, str]:
    """The names of the people with these ids (None and 0 left out), in one query."""
    wanted = {i for i in ids if i}
    return {id_of(u): u.name for u in session.exec(select(User).where(col(User.id).in_(wanted)))} if wanted else {}
