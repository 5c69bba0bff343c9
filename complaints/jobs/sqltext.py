"""Text built inside SQL, so that set-based jobs write events and notifications without Python loops."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, String, case, func, literal
from sqlmodel import col

from complaints.models import User
from complaints.services.routing import has_role

_FIELD = re.compile(r"\{(\w+)\}")


def sql_format(template: str, **values: ColumnElement) -> ColumnElement[str]:
    """'诉求件 {tracking_no} 已超期' with {tracking_no} filled by a column: literal || column || literal."""
    parts: list[ColumnElement] = []
    for index, piece in enumerate(_FIELD.split(template)):
        if index % 2:
            parts.append(func.coalesce(values[piece], ""))
        elif piece:
            parts.append(literal(piece, String))
    result = parts[0] if parts else literal("", String)
    for part in parts[1:]:
        result = result.concat(part)
    return result


def local_due_text(column: ColumnElement, *, dialect: str, tz: str, now: datetime) -> ColumnElement[str]:
    """A stored UTC deadline as local 'YYYY-MM-DD HH:MM'; a midnight deadline reads as 24:00 of its last
    day (民法典 Art 203), as presenters.due_text shows it."""
    if dialect == "postgresql":
        local = func.timezone(tz, column)
        text = func.to_char(local, "YYYY-MM-DD HH24:MI")
        clock = func.to_char(local, "HH24:MI")
        day_before = func.to_char(local - func.make_interval(0, 0, 0, 1), "YYYY-MM-DD")
    else:  # SQLite: the zone's offset now (China keeps no daylight saving)
        offset = ZoneInfo(tz).utcoffset(now.replace(tzinfo=None))
        assert offset is not None, "a ZoneInfo always has an offset"
        shift = f"{int(offset.total_seconds() // 60):+d} minutes"
        text = func.strftime("%Y-%m-%d %H:%M", column, shift)
        clock = func.strftime("%H:%M", column, shift)
        day_before = func.date(column, shift, "-1 day")
    return case((clock == "00:00", day_before.concat(literal(" 24:00", String))), else_=text)


def supervisor_of_unit(unit_column: ColumnElement) -> ColumnElement[bool]:
    """Active supervisors of the item's unit (the inactive system account is never one)."""
    return (col(User.unit_code) == unit_column) & col(User.active).is_(True) & has_role("supervisor")
