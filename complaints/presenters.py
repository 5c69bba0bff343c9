"""Labels and local times for showing an item to a person (CLI, pages)."""

from __future__ import annotations

from datetime import datetime, timedelta

from complaints.clock import to_local
from complaints.i18n import N_, current_locale, gettext, is_rtl
from complaints.models import Complaint
from workflows.events import EVENT_LABELS, EventKind
from workflows.vocab import LABELS, Channel, Kind, Status, Urgency


def status_label(value: str) -> str:
    return gettext(LABELS[Status(value)])


def channel_label(value: str) -> str:
    return gettext(LABELS[Channel(value)])


def kind_label(value: str) -> str:
    return gettext(LABELS[Kind(value)])


def urgency_label(value: str) -> str:
    return gettext(LABELS[Urgency(value)])


def action_label(value: str) -> str:
    """The name of an event's kind (an action's or the system's); an unknown kind shows as written."""
    try:
        return gettext(EVENT_LABELS[EventKind(value)])
    except ValueError:
        return value


def _left_to_right(text: str) -> str:
    """A date and time keep their order inside right-to-left text (Unicode isolates, Uyghur pages)."""
    return f"\u2066{text}\u2069" if is_rtl(current_locale.get()) else text


def local_text(value: datetime | None, tz: str, *, with_time: bool = True) -> str:
    if value is None:
        return "—"
    local = to_local(value, tz)
    return _left_to_right(local.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d"))


def due_text(value: datetime | None, tz: str) -> str:
    """A deadline that ends at midnight reads as 24:00 of its last day (民法典 Art 203)."""
    if value is None:
        return "—"
    local = to_local(value, tz)
    if (local.hour, local.minute, local.second) == (0, 0, 0):
        return _left_to_right((local - timedelta(days=1)).strftime("%Y-%m-%d") + " 24:00")
    return _left_to_right(local.strftime("%Y-%m-%d %H:%M"))


def due_state(item: Complaint, now: datetime) -> str:
    """on_time | due_soon | overdue | none — the colour of an inbox row."""
    if not item.is_open or item.next_due_at is None:
        return "none"
    if item.next_due_at < now:
        return "overdue"
    if item.warn_at is not None and item.warn_at <= now:
        return "due_soon"
    return "on_time"


DUE_STATE_LABELS = {"on_time": N_("正常"), "due_soon": N_("即将超期"), "overdue": N_("已超期"), "none": "—"}
