"""A sliding-window limiter kept in this process's memory.

Good for one process: with `--workers N` each worker counts on its own, so a client gets up to N times
the limit. A deployment with several workers that needs an exact limit puts it in the reverse proxy
(e.g. nginx `limit_req`) in front of the public lookup.
"""

from __future__ import annotations

import threading
import time
from collections import deque

from complaints import auth
from complaints.errors import DomainError, NotFound
from complaints.i18n import gettext
from complaints.services import public


class RateLimited(DomainError):
    code = "rate_limited"
    http_status = 429


class SlidingWindowLimiter:
    """At most `limit` hits per `window` seconds per key; memory bounded by `max_keys`."""

    def __init__(self, *, limit: int = 10, window: float = 60.0, max_keys: int = 50_000, clock=time.monotonic):
        self.limit, self.window, self.max_keys, self.clock = limit, window, max_keys, clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, *, count: bool = True) -> None:
        """Count a hit for `key` (or, with count=False, only check), or raise RateLimited saying when to retry."""
        now = self.clock()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                retry = max(1, int(hits[0] + self.window - now) + 1)
                raise RateLimited(gettext("查询过于频繁，请 {seconds} 秒后再试", seconds=retry),
                                  field=None, retry_after=retry)
            if not count:
                return
            hits.append(now)
            if len(self._hits) > self.max_keys:
                self._prune(now)

    def _prune(self, now: float) -> None:
        stale = [key for key, hits in self._hits.items() if not hits or hits[-1] <= now - self.window]
        for key in stale:
            del self._hits[key]
        while len(self._hits) > self.max_keys:  # still full: forget the oldest keys
            del self._hits[next(iter(self._hits))]


def public_lookup(request, *, session, runtime, tracking_no: str, phone_last4: str):
    """The complainant's status lookup behind two limits: per client address, and per tracking number for
    wrong answers (PUBLIC_MISSES_PER_HOUR), so that the 10,000 possible last four digits of one item cannot
    be tried from many addresses."""
    request.app.state.public_limiter.hit(auth.client_address(request))
    misses: SlidingWindowLimiter = request.app.state.public_misses
    key = tracking_no.strip().upper()[:32]
    misses.hit(key, count=False)
    try:
        return public.lookup(session=session, runtime=runtime, tracking_no=tracking_no, phone_last4=phone_last4)
    except NotFound:
        misses.hit(key)
        raise
