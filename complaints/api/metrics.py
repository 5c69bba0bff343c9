"""Request timing, the user's language per request, and /metrics in the Prometheus text format.

Written by hand (the format is small) rather than with prometheus_client. The latency histogram lives
in each process: with `--workers N` every worker answers for its own requests, so scrape each worker
or read the database gauges (items by status, overdue), which are the same from any worker.
"""

from __future__ import annotations

import bisect
import threading
import time
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from complaints.i18n import current_locale, locale_for_scope
from complaints.models import Complaint

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Label values must come from a fixed set: any other method a client makes up is counted as "other".
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]


class LatencyHistogram:
    """Cumulative request-duration buckets per (method, route template)."""

    def __init__(self) -> None:
        self._series: dict[tuple[str, str], list[float]] = {}  # bucket counts..., +Inf count, sum
        self._lock = threading.Lock()

    def observe(self, method: str, route: str, seconds: float) -> None:
        with self._lock:
            series = self._series.setdefault((method, route), [0.0] * (len(BUCKETS) + 2))
            series[bisect.bisect_left(BUCKETS, seconds)] += 1
            series[-1] += seconds

    def clear(self) -> None:
        """Forget every series (as a restarted process would)."""
        with self._lock:
            self._series.clear()

    def lines(self) -> list[str]:
        name = "http_request_duration_seconds"
        out = [f"# HELP {name} Time to answer an HTTP request.", f"# TYPE {name} histogram"]
        with self._lock:
            snapshot = {key: list(values) for key, values in self._series.items()}
        for (method, route), values in sorted(snapshot.items()):
            labels = f'method="{method}",route="{_escape(route)}"'
            running = 0.0
            for bound, count in zip((*map(str, BUCKETS), "+Inf"), values[:-1], strict=True):
                running += count
                out.append(f'{name}_bucket{{{labels},le="{bound}"}} {running:.0f}')
            out.append(f"{name}_count{{{labels}}} {running:.0f}")
            out.append(f"{name}_sum{{{labels}}} {values[-1]:.6f}")
        return out


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class RequestMiddleware:
    """Pure ASGI (cheaper than BaseHTTPMiddleware): sets the locale, times the request, adds headers."""

    def __init__(self, app, histogram: LatencyHistogram) -> None:
        self.app, self.histogram = app, histogram

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        locale = locale_for_scope(scope)
        current_locale.set(locale)
        started = time.perf_counter()
        is_api = scope["path"].startswith("/api/")
        remember = _chosen_language(scope, locale)

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                extra = SECURITY_HEADERS + ([(b"cache-control", b"no-store")] if is_api else [])
                given = {name.lower() for name, _ in message.get("headers", [])}  # a response's own (a preview)
                message["headers"] = [*message.get("headers", []), *(h for h in extra if h[0] not in given), *remember]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope["method"] if scope["method"] in METHODS else "other"
            self.histogram.observe(method, template, time.perf_counter() - started)


def _chosen_language(scope, locale: str) -> list[tuple[bytes, bytes]]:
    """?lang= picks the interface language; a cookie keeps the choice for the next pages."""
    if b"lang=" not in scope.get("query_string", b""):
        return []
    cookie = f"lang={locale}; Max-Age=31536000; Path=/; SameSite=Lax"
    return [(b"set-cookie", cookie.encode("latin-1"))]


def render(*, session: Session, histogram: LatencyHistogram, now: datetime) -> str:
    """The exposition text: items by status, open overdue items, request latency."""
    by_status = dict(session.exec(select(Complaint.status, func.count()).group_by(Complaint.status)).all())
    overdue = session.exec(
        select(func.count())
        .select_from(Complaint)
        .where(col(Complaint.is_open).is_(True), col(Complaint.next_due_at) < now)
    ).one()
    lines = ["# HELP complaints_items Complaint items by status.", "# TYPE complaints_items gauge"]
    lines += [f'complaints_items{{status="{_escape(s)}"}} {n}' for s, n in sorted(by_status.items())]
    lines += [
        "# HELP complaints_overdue_items Open items past their current deadline.",
        "# TYPE complaints_overdue_items gauge",
        f"complaints_overdue_items {overdue}",
    ]
    return "\n".join(lines + histogram.lines()) + "\n"
