"""One HTTP call to a provider, and what its failure means for sending again.

A refused connection means the request never left: trying again is safe. A time-out means it may have
arrived: trying again is safe only where the provider drops a repeat (see each channel's
`retry_after_timeout_minutes`)."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass, field

MAX_BODY = 64 * 1024


class ChannelError(Exception):
    """Sending failed. outcome: retry (not delivered) | timeout (unknown) | rate_limited | rejected (final)."""

    def __init__(
        self,
        outcome: str,
        message: str,
        *,
        status_code: int | None = None,
        receipt: dict | None = None,
        retry_after_seconds: int | None = None,
    ):
        super().__init__(message)
        self.outcome, self.status_code, self.receipt = outcome, status_code, receipt
        self.retry_after_seconds = retry_after_seconds


@dataclass
class Receipt:
    """What the provider said when it accepted a message; `ref` is its id for it, where it gives one."""

    ref: str | None
    raw: dict = field(default_factory=dict)


@dataclass
class Answer:
    status: int
    body: bytes
    headers: dict

    def json(self) -> dict:
        try:
            value = json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise ChannelError("retry", f"HTTP {self.status}: not JSON", status_code=self.status) from exc
        if not isinstance(value, dict):
            raise ChannelError("retry", f"HTTP {self.status}: unexpected answer", status_code=self.status)
        return value


def call(
    method: str, url: str, *, timeout: float, body: bytes | None = None, headers: dict[str, str] | None = None
) -> Answer:
    """The provider's answer, whatever its status; ChannelError when there is none."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (configured https URLs)
            return Answer(response.status, response.read(MAX_BODY), dict(response.headers))
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, exc.read(MAX_BODY), dict(exc.headers or {}))
    except TimeoutError as exc:
        raise ChannelError("timeout", "no answer in time") from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError | socket.timeout):
            raise ChannelError("timeout", "no answer in time") from exc
        raise ChannelError("retry", f"cannot connect: {exc.reason}"[:300]) from exc
    except (ConnectionError, OSError) as exc:  # reset while reading: it may have arrived
        raise ChannelError("timeout", f"connection lost: {exc}"[:300]) from exc


def post_json(url: str, payload: dict, *, timeout: float, headers: dict[str, str] | None = None) -> Answer:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return call(
        "POST",
        url,
        timeout=timeout,
        body=body,
        headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
    )


def status_failure(answer: Answer, receipt: dict | None = None) -> ChannelError | None:
    """The failure an HTTP status alone tells (None for 2xx)."""
    if 200 <= answer.status < 300:
        return None
    if answer.status == 429:
        after = answer.headers.get("Retry-After")
        return ChannelError(
            "rate_limited",
            "HTTP 429",
            status_code=429,
            receipt=receipt,
            retry_after_seconds=int(after) if after and after.isdigit() else None,
        )
    outcome = "retry" if answer.status >= 500 or answer.status == 408 else "rejected"
    return ChannelError(outcome, f"HTTP {answer.status}", status_code=answer.status, receipt=receipt)
