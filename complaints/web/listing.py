"""The item list's query: filters and sorting read from the address, written back for links and saved views,
and the list as an xlsx workbook (complainants masked as in every list)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from io import BytesIO
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import xlsxwriter

from complaints.clock import to_storage
from complaints.errors import InvalidInput
from complaints.i18n import gettext
from complaints.presenters import channel_label, kind_label, local_text, status_label
from complaints.services import identity, queries
from complaints.settings import Settings
from workflows.vocab import Channel, Kind, Status

KEYS = (
    "q",
    "status",
    "unit_code",
    "category",
    "channel",
    "kind",
    "school",
    "handler",
    "from",
    "to",
    "due",
    "reviewed",
    "sort",
)
EXPORT_MAX = 5000
SORTABLE = {
    "tracking": "tracking",
    "due": "due",
    "status": "status",
    "category": "category",
    "received": "-received",
}  # column -> its first sort; a second click reverses it


def _day(value: str, field: str, tz: str, *, end: bool = False) -> datetime | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value[:10])
    except ValueError:
        raise InvalidInput(gettext("日期格式应为 YYYY-MM-DD"), field=field) from None
    return to_storage(datetime.combine(day + timedelta(days=1 if end else 0), time(), tzinfo=ZoneInfo(tz)), tz)


def params_of(query_params) -> dict[str, str]:
    """The list's own parameters from the address, each cut to a sane length."""
    return {key: str(query_params.get(key, ""))[:100] for key in KEYS if query_params.get(key)}


def filters_from(params: dict[str, str], settings: Settings, *, offset: int = 0, limit: int = 50) -> queries.ListFilter:
    tz = settings.app.timezone
    handler = params.get("handler", "")
    due = params.get("due", "")
    sort = params.get("sort") or ("due" if due else "-received")
    if sort not in queries.SORTS:
        sort = "-received"
    return queries.ListFilter(
        text=params.get("q") or None,
        status=params.get("status") if params.get("status") in set(Status) else None,
        unit_code=params.get("unit_code", "")[:8] or None,
        category=params.get("category", "")[:32] or None,
        channel=params.get("channel") if params.get("channel") in set(Channel) else None,
        kind=params.get("kind") if params.get("kind") in set(Kind) else None,
        school=params.get("school") or None,
        handler_id=int(handler) if handler.isdigit() and 0 < int(handler) < 2**31 else None,
        received_from=_day(params.get("from", ""), "from", tz),
        received_to=_day(params.get("to", ""), "to", tz, end=True),
        overdue=due == "overdue",
        due_soon=due == "due_soon",
        reviewed=params.get("reviewed") == "1",
        sort=sort,
        offset=max(0, min(offset, 10**6)),
        limit=limit,
    )


def query_string(params: dict[str, str], **changes: str) -> str:
    """The list's address with some parameters changed (empty ones left out)."""
    merged = {**params, **changes}
    return urlencode({key: merged[key] for key in KEYS if merged.get(key)})


def sort_link(params: dict[str, str], column: str) -> tuple[str, str]:
    """(address, aria-sort) of a sortable column's heading."""
    first = SORTABLE[column]
    current = params.get("sort") or ("due" if params.get("due") else "-received")
    reverse = first[1:] if first.startswith("-") else f"-{first}"
    chosen = reverse if current == first else first
    state = "none"
    if current in (first, reverse):
        state = "descending" if current.startswith("-") else "ascending"
    return "/items?" + query_string(params, sort=chosen), state


def workbook(items, names: dict[int, str], settings: Settings) -> bytes:
    """The listed items as one sheet; complainants masked, confidential ones hidden, no formulas."""
    tz = settings.app.timezone
    out = BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    sheet = book.add_worksheet(gettext("诉求列表"))
    bold = book.add_format({"bold": True, "border": 1, "bg_color": "#E5E7EB"})
    headings = [
        gettext("编号"),
        gettext("状态"),
        gettext("单位"),
        gettext("渠道"),
        gettext("类型"),
        gettext("类别"),
        gettext("涉及学校"),
        gettext("摘要"),
        gettext("诉求人"),
        gettext("诉求人电话"),
        gettext("承办人"),
        gettext("收到时间"),
        gettext("期限"),
    ]
    sheet.write_row(0, 0, headings, bold)
    for row, item in enumerate(items, start=1):
        who = identity.masked(item)
        category = settings.category_map.get(item.category)
        sheet.write_row(
            row,
            0,
            [
                item.tracking_no,
                status_label(item.status),
                item.unit_code,
                channel_label(item.channel),
                kind_label(item.kind),
                category.name if category else item.category,
                item.school or "",
                item.summary,
                who.name or "",
                who.phone or "",
                names.get(item.handler_id, ""),
                local_text(item.received_at, tz),
                local_text(item.next_due_at, tz),
            ],
        )
    sheet.set_column(0, 0, 18)
    sheet.set_column(7, 7, 40)
    sheet.autofilter(0, 0, max(1, len(items)), len(headings) - 1)
    sheet.freeze_panes(1, 0)
    book.close()
    return out.getvalue()
