"""One export row as the fields of ComplaintIn, through the source's column mapping. Cells come as the
file holds them: Excel numbers (a phone stored as 1.38e10), dates, text in several date formats."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from complaints.errors import InvalidInput
from complaints.i18n import gettext
from complaints.importing.readers import FileProblem, Formula
from complaints.models import SUMMARY_MAX
from complaints.settings import Settings, SourceSettings

REQUIRED = ("external_ref", "summary", "received_at")
EXCEL_EPOCH = datetime(1899, 12, 30)


class RowError(ValueError):
    def __init__(self, field: str | None, message: str):
        super().__init__(message)
        self.field, self.message = field, message


@dataclass(frozen=True)
class ColumnMap:
    """Field -> column index, found from the header row."""

    indexes: dict[str, int]
    width: int
    ignored: list[str]

    @classmethod
    def from_header(cls, header: list[str], source: SourceSettings) -> ColumnMap:
        indexes, missing = {}, []
        for field, names in source.columns.items():
            index = next((header.index(n) for n in names if n in header), None)
            if index is not None:
                indexes[field] = index
            elif field in REQUIRED or (field == "unit_code" and not source.unit_code):
                missing.append(f"{names[0]}（{gettext('可用列名')}：{'、'.join(names)}）")
        if missing:
            raise FileProblem(gettext("缺少必需的列：{columns}", columns="；".join(missing)))
        used = set(indexes.values())
        ignored = [name for i, name in enumerate(header) if i not in used and name]
        return cls(indexes=indexes, width=len(header), ignored=ignored)


def to_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def to_phone(value: object) -> str | None:
    """Excel keeps a phone typed into a number cell as 13800000000.0; as CSV text it may read 1.38E+10,
    which has lost digits and is refused rather than guessed."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return str(int(value))
    text = str(value).strip()
    if "e" in text.lower():
        try:
            number = Decimal(text)
        except InvalidOperation:
            return text
        digits = len(number.as_tuple().digits)
        if digits < len(str(int(number))) and digits < 11:
            raise RowError(
                "complainant_phone",
                gettext(
                    "电话号码被 Excel 显示为科学计数法（{text}），已丢失位数；请把该列设为文本后重新导出", text=text
                ),
            )
        return str(int(number))
    return text[:-2] if text.endswith(".0") and text[:-2].isdigit() else text


def to_datetime(value: object, formats: list[str]) -> datetime:
    """A naive local datetime from an Excel date, an Excel serial number or text in a known format."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, int | float) and 20_000 < value < 80_000:
        return EXCEL_EPOCH + timedelta(days=float(value))
    text = to_text(value)
    for pattern in formats:
        try:
            return _parse(text, pattern)
        except ValueError:
            continue
    raise RowError(
        "received_at",
        gettext("无法识别的日期：{text}（可用格式如 2026-06-03 10:30、2026/6/3、2026年6月3日）", text=text[:40]),
    )


# the exports' usual forms, read without strptime (a tenth of its time); anything else goes to strptime
_FAST = {
    "%Y-%m-%d %H:%M:%S": re.compile(r"(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})"),
    "%Y-%m-%d %H:%M": re.compile(r"(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})"),
}


def _parse(text: str, pattern: str) -> datetime:
    """datetime.strptime(text, pattern), sooner for the usual forms."""
    fast = _FAST.get(pattern)
    if fast is not None and (match := fast.fullmatch(text)):
        try:
            return datetime(*(int(part) for part in match.groups()))  # type: ignore[arg-type]  # mypy also fits the ints to tzinfo
        except ValueError:
            pass  # strptime decides, and says why
    return datetime.strptime(text, pattern)


def map_row(cells: Sequence[object], columns: ColumnMap, source: SourceSettings, settings: Settings) -> dict:
    """The ComplaintIn fields of one row, or RowError naming the field."""
    if len(cells) > columns.width and any(c not in (None, "") for c in cells[columns.width :]):
        raise RowError(
            None,
            gettext("本行有 {n} 个字段，表头只有 {m} 列（内容中可能有未加引号的逗号）", n=len(cells), m=columns.width),
        )
    for cell in cells:
        if isinstance(cell, Formula):
            raise RowError(
                None, gettext("单元格含公式 {formula}：不计算公式，请粘贴为数值后重新导出", formula=cell.text[:40])
            )
    value = {field: (cells[i] if i < len(cells) else None) for field, i in columns.indexes.items()}
    data: dict[str, object] = {
        "channel": source.channel,
        "kind": source.kind,
        "source": source.name,
        "external_ref": to_text(value.get("external_ref"))[:100],
    }
    if source.track:  # e.g. everything from the 信访信息系统 is formal 信访, whatever its channel
        data["track"] = source.track
    if not data["external_ref"]:
        raise RowError("external_ref", gettext("缺少编号（{column}）", column=source.columns["external_ref"][0]))
    summary = to_text(value.get("summary"))
    data["summary"] = summary if len(summary) <= SUMMARY_MAX else summary[: SUMMARY_MAX - 1] + "…"
    data["details"] = to_text(value.get("details")) or summary
    data["received_at"] = to_datetime(value.get("received_at"), source.date_formats)
    data["unit_code"] = _unit(to_text(value.get("unit_code")), source, settings)
    if kind := to_text(value.get("kind")):
        data["kind"] = source.kind_names.get(kind, kind)
    for field in ("complainant_name", "school", "category"):
        if text := to_text(value.get(field)):
            data[field] = text
    if phone := to_phone(value.get("complainant_phone")):
        data["complainant_phone"] = phone
    return data


def _unit(text: str, source: SourceSettings, settings: Settings) -> str:
    code = source.unit_names.get(text) or (text.upper() if text.upper() in settings.unit_map else None)
    if code is None and not text and source.unit_code:
        return source.unit_code
    if code is None:
        raise RowError("unit_code", gettext("未知承办单位：{text}", text=text[:40] or gettext("（空）")))
    return code


def row_error_from(exc: InvalidInput) -> RowError:
    return RowError(exc.field, exc.message)
