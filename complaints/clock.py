"""Time at the edge: the database stores aware UTC, the rules work in the deployment's zone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    """Now, as the aware UTC datetime the database stores."""
    return datetime.now(UTC)


@overload
def to_local(value: datetime, tz: str) -> datetime: ...
@overload
def to_local(value: None, tz: str) -> None: ...
def to_local(value: datetime | None, tz: str) -> datetime | None:
    """A stored datetime (naive values are read as UTC) as an aware datetime in `tz`."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(ZoneInfo(tz))


@overload
def to_storage(value: datetime, tz: str) -> datetime: ...
@overload
def to_storage(value: None, tz: str) -> None: ...
def to_storage(value: datetime | None, tz: str) -> datetime | None:
    """An aware datetime (naive values are read as local time in `tz`) as aware UTC.

    At the very ends of datetime's range (year 1 or 9999) the shift to UTC can fall outside it: the value
    is then clamped to the earliest or latest UTC datetime instead of raising OverflowError.
    """
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(tz))
    try:
        return value.astimezone(UTC)
    except OverflowError:
        return (datetime.min if value.year == datetime.min.year else datetime.max).replace(tzinfo=UTC)
