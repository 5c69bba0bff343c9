"""Accounts: password login with lock-out, browser sessions and API tokens (only their hashes are stored).

Service functions take the session as a keyword and flush; the caller (request, CLI command) commits.
The few helpers that take a FastAPI request or response are here so the JSON API and the web pages
share one cookie and one limiter.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam
from sqlmodel import Session, col, delete, select

from complaints.clock import utcnow
from complaints.errors import DomainError, InvalidInput, NotFound, Unauthenticated
from complaints.i18n import gettext
from complaints.models import AuditLog, AuthSession, User
from complaints.services import counters
from complaints.services.people import hash_password
from complaints.settings import Settings
from complaints.tables import id_of

SESSION_COOKIE = "complaints_session"
BROWSER_TTL = timedelta(hours=12)  # sliding: each use (at most every TOUCH_EVERY) extends it
API_TOKEN_PREFIX = "cpt_"
API_TOKEN_DAYS, API_TOKEN_MAX_DAYS = 90, 365
TOUCH_EVERY = timedelta(minutes=5)  # how often last_used_at is written (not on every request)
FREE_ATTEMPTS = 5  # failures before the first lock
FIRST_LOCK, MAX_LOCK = timedelta(seconds=30), timedelta(hours=1)  # doubles with each further failure

_hasher = PasswordHasher()


class LockedOut(DomainError):
    code = "locked_out"
    http_status = 429


UNKNOWN_NAMES = "login_unknown"  # failed logins for usernames that are no account (services.counters)


def _unknown_name_locked_until(session: Session, name: str) -> datetime | None:
    """Names that are no account are locked out like real accounts, counted in the database for every
    process, so that a lock-out does not tell whether an account exists."""
    failures, last_at = counters.running_count(session, UNKNOWN_NAMES, name)
    lock = lock_duration(failures)
    return last_at + lock if lock and last_at else None


@cache
def _dummy_hash() -> str:
    """Verified against when the user is unknown, so both cases take the same time."""
    return _hasher.hash(secrets.token_hex(16))


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def token_hash(token: str) -> str:
    """Tokens are 256 random bits, so a plain SHA-256 suffices (argon2 is for guessable passwords)."""
    return hashlib.sha256(token.encode()).hexdigest()


def audit(session: Session, action: str, actor: User | None, **detail) -> None:
    session.add(AuditLog(actor_id=actor.id if actor else None, action=action, detail=detail or None))


def lock_duration(failed_logins: int) -> timedelta | None:
    """No lock for the first FREE_ATTEMPTS failures, then 30 s doubling up to an hour."""
    over = failed_logins - FREE_ATTEMPTS
    if over < 0:
        return None
    return min(FIRST_LOCK * 2 ** min(over, 16), MAX_LOCK)


def _refuse_if_locked(locked_until: datetime | None, now: datetime, *, field: str) -> None:
    if locked_until is not None and locked_until > now:
        seconds = max(1, math.ceil((locked_until - now).total_seconds()))
        raise LockedOut(
            gettext(
                "登录失败次数过多，账户已暂时锁定，请 {minutes} 分钟后再试", minutes=max(1, math.ceil(seconds / 60))
            ),
            field=field,
            retry_after=seconds,
        )  # the API sends it as Retry-After


def _count_failure(session: Session, user: User, now: datetime) -> None:
    """One more failed password: locked for lock_duration() once past FREE_ATTEMPTS."""
    user.failed_logins += 1
    lock = lock_duration(user.failed_logins)
    user.locked_until = now + lock if lock else None
    session.add(user)


def authenticate(
    *, session: Session, username: str, password: str, client: str = "", now: datetime | None = None
) -> User:
    """The user whose password this is, or Unauthenticated / LockedOut; failures are counted (flushed)."""
    now = now or utcnow()
    name = username.strip()[:64]
    user = session.exec(select(User).where(User.username == name)).first()
    _refuse_if_locked(
        user.locked_until if user is not None else _unknown_name_locked_until(session, name), now, field="username"
    )
    stored = user.password_hash if user is not None and user.password_hash else _dummy_hash()
    if not _verify(stored, password) or user is None or not user.active or not user.password_hash:
        if user is not None:
            _count_failure(session, user, now)
        else:
            counters.add_to_running_count(session, UNKNOWN_NAMES, name, now=now)
        audit(session, "login_failed", user, username=username[:64], client=client)
        session.flush()
        raise Unauthenticated(gettext("用户名或密码错误"), field="password")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.failed_logins, user.locked_until = 0, None
    session.add(user)
    audit(session, "login", user, client=client)
    return user


def create_session(
    *,
    session: Session,
    user: User,
    kind: str = "browser",
    name: str = "",
    ttl: timedelta = BROWSER_TTL,
    now: datetime | None = None,
) -> tuple[AuthSession, str]:
    """A new browser session or API token; the token itself is returned once and never stored."""
    now = now or utcnow()
    token = (API_TOKEN_PREFIX if kind == "api" else "") + secrets.token_urlsafe(32)
    record = AuthSession(
        token_hash=token_hash(token),
        user_id=id_of(user),
        kind=kind,
        name=name[:64],
        created_at=now,
        expires_at=now + ttl,
        last_used_at=now,
    )
    session.add(record)
    session.flush()
    return record, token


def login_browser(
    *, session: Session, settings: Settings, username: str, password: str, client: str = ""
) -> tuple[User, str]:
    """Check the password and open a browser session: (user, cookie value)."""
    user = authenticate(session=session, username=username, password=password, client=client)
    _, token = create_session(session=session, user=user)
    return user, token


def issue_api_token(*, session: Session, user: User, name: str, days: int = API_TOKEN_DAYS) -> tuple[AuthSession, str]:
    """A bearer token for an integration, valid `days` days."""
    if not name.strip() or len(name) > 64:
        raise InvalidInput(gettext("令牌名称不能为空，且不超过64个字符"), field="name")
    if not 1 <= days <= API_TOKEN_MAX_DAYS:
        raise InvalidInput(gettext("有效期应为 1–{days} 天", days=API_TOKEN_MAX_DAYS), field="days")
    record, token = create_session(session=session, user=user, kind="api", name=name.strip(), ttl=timedelta(days=days))
    audit(session, "token_created", user, token_id=record.id, name=record.name)
    return record, token


@cache
def _resolve_statement():
    """The session record and its user in one round trip, built once: every request signs in with it, and
    building the expression (and its cache key) again each time cost more than running it."""
    return (
        select(AuthSession, User)
        .join(User, col(User.id) == col(AuthSession.user_id))
        .where(col(AuthSession.token_hash) == bindparam("token_hash"))
    )


def resolve(*, session: Session, token: str, now: datetime | None = None) -> tuple[User, AuthSession] | None:
    """The active user and session a token belongs to, or None (unknown, expired, deactivated)."""
    if not token or len(token) > 128:
        return None
    now = now or utcnow()
    found = session.execute(_resolve_statement(), {"token_hash": token_hash(token)}).first()
    if found is None:
        return None
    record, user = found
    if record.expires_at <= now or not user.active:
        return None
    if record.last_used_at is None or now - record.last_used_at > TOUCH_EVERY:
        record.last_used_at = now
        if record.kind == "browser":
            record.expires_at = now + BROWSER_TTL
        session.add(record)
    return user, record


def revoke(*, session: Session, record: AuthSession) -> None:
    session.delete(record)
    session.flush()


def list_tokens(*, session: Session, user: User) -> list[AuthSession]:
    query = select(AuthSession).where(AuthSession.user_id == user.id, AuthSession.kind == "api")
    return list(session.exec(query.order_by(col(AuthSession.id))))


def revoke_token(*, session: Session, user: User, token_id: int) -> None:
    """Revoke one of the user's own API tokens; someone else's is NotFound."""
    record = session.get(AuthSession, token_id)
    if record is None or record.user_id != user.id or record.kind != "api":
        raise NotFound(gettext("找不到令牌：{id}", id=token_id), field="token_id")
    audit(session, "token_revoked", user, token_id=token_id)
    revoke(session=session, record=record)


def change_password(*, session: Session, user: User, current: str, new: str, keep: AuthSession | None = None) -> None:
    """Set a new password after checking the current one; every other session of the user ends. A wrong
    current password counts towards the lock-out like a failed login (flushed; the caller commits it), so a
    borrowed session cannot be used to guess it."""
    now = utcnow()
    _refuse_if_locked(user.locked_until, now, field="current_password")
    if not user.password_hash or not _verify(user.password_hash, current):
        _count_failure(session, user, now)
        audit(session, "password_change_failed", user)
        session.flush()
        raise InvalidInput(gettext("当前密码不正确"), field="current_password")
    if current == new:
        raise InvalidInput(gettext("新密码不能与当前密码相同"), field="new_password")
    try:
        user.password_hash = hash_password(new)
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field="new_password") from None
    session.add(user)
    others = delete(AuthSession).where(col(AuthSession.user_id) == user.id)
    if keep is not None:
        others = others.where(col(AuthSession.id) != keep.id)
    session.exec(others)
    audit(session, "password_changed", user)
    session.flush()


def csrf_token(session_token: str, settings: Settings) -> str:
    """The CSRF token bound to a browser session: cookie-authenticated writes must echo it in X-CSRF-Token."""
    key = settings.app.secret_key.encode()
    return hmac.new(key, b"csrf:" + session_token.encode(), hashlib.sha256).hexdigest()


def set_session_cookie(response, token: str, *, settings: Settings, scheme: str = "http") -> None:
    """HttpOnly and SameSite always; Secure when the request came over HTTPS (behind a reverse proxy that
    says so in X-Forwarded-Proto, see `serve --forwarded-allow-ips`) or `app.https` is set."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=settings.app.https or scheme == "https",
        max_age=int(BROWSER_TTL.total_seconds()),
        path="/",
    )


def clear_session_cookie(response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


def logout_browser(*, session: Session, request) -> None:
    """End the browser session named by the request's cookie (if any)."""
    token = request.cookies.get(SESSION_COOKIE, "")
    found = resolve(session=session, token=token) if token else None
    if found is not None:
        audit(session, "logout", found[0])
        revoke(session=session, record=found[1])


def client_address(request) -> str:
    """The peer address (uvicorn rewrites it from X-Forwarded-For only for --forwarded-allow-ips proxies)."""
    return request.client.host if request.client else "unknown"
