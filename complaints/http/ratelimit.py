"""The public lookup's limits, counted in the database (complaints.services.counters), so that with
`--workers N` or several hosts on one database a client gets the same limit as from one process."""

from __future__ import annotations

from datetime import datetime

from fastapi import Request
from sqlmodel import Session

from complaints import auth
from complaints.clock import utcnow
from complaints.errors import DomainError, NotFound
from complaints.http.session import keep_when_refused
from complaints.i18n import gettext
from complaints.runtime import Runtime
from complaints.services import counters, public
from complaints.services.counters import Limit
from complaints.services.public import PublicStatus

PUBLIC_LOOKUPS_PER_MINUTE = 10
PUBLIC_MISSES_PER_HOUR = 10
PUBLIC_BY_ADDRESS = Limit(scope="public_address", limit=PUBLIC_LOOKUPS_PER_MINUTE, window=60)
PUBLIC_MISSES = Limit(scope="public_misses", limit=PUBLIC_MISSES_PER_HOUR, window=3600)


class RateLimited(DomainError):
    code = "rate_limited"
    http_status = 429


def _refuse_over(session: Session, rule: Limit, key: str, now: datetime) -> None:
    seconds = counters.retry_after(session, rule, key, now=now)
    if seconds is not None:
        raise RateLimited(
            gettext("查询过于频繁，请 {seconds} 秒后再试", seconds=seconds), field=None, retry_after=seconds
        )


def public_lookup(
    request: Request, *, session: Session, runtime: Runtime, tracking_no: str, phone_last4: str
) -> PublicStatus:
    """The complainant's status lookup behind two limits: per client address, and per tracking number for
    wrong answers, so that the 10,000 possible last four digits of one item cannot be tried from many
    addresses. A wrong answer is committed although it is refused, so that it counts."""
    by_address: Limit = request.app.state.public_limiter
    misses: Limit = request.app.state.public_misses
    now, address, key = utcnow(), auth.client_address(request), tracking_no.strip().upper()[:32]
    _refuse_over(session, by_address, address, now)
    _refuse_over(session, misses, key, now)
    counters.hit(session, by_address, address, now=now)
    try:
        return public.lookup(session=session, runtime=runtime, tracking_no=tracking_no, phone_last4=phone_last4)
    except NotFound:
        counters.hit(session, misses, key, now=now)
        keep_when_refused(session)  # committed by the request's session although the lookup is refused
        raise
