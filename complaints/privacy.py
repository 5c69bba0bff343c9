"""Phone numbers: checking, normalising and masking (个人信息保护法 Art 51)."""

from __future__ import annotations

import re

from complaints.errors import InvalidInput
from complaints.i18n import gettext

MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-\d{7,8}(-\d{1,6})?$")
_SEPARATORS = re.compile(r"[\s()（）]")


def normalise_phone(raw: str | None, *, field: str = "complainant_phone") -> str | None:
    """A checked phone: 11-digit mobile, or landline with area code as 0908-7625100."""
    if raw is None or not str(raw).strip():
        return None
    text = _SEPARATORS.sub("", str(raw).strip())
    text = re.sub(r"^(\+86|0086)-?", "", text)
    digits = text.replace("-", "")
    if MOBILE.match(digits):
        return digits
    if LANDLINE.match(text):
        return text
    if digits.isdigit() and digits.startswith("0") and 10 <= len(digits) <= 12:
        area = 4 if digits[1:3] not in {"10", "20", "21", "22", "23", "24", "25", "27", "28", "29"} else 3
        candidate = f"{digits[:area]}-{digits[area:]}"
        if LANDLINE.match(candidate):
            return candidate
    raise InvalidInput(gettext("电话号码格式不正确：{phone}（应为11位手机号，或带区号的固定电话，如 0908-7625100）",
                               phone=str(raw)[:32]), field=field)


def mask_phone(phone: str | None) -> str | None:
    """138****5678 for mobiles; 0908-****100 for landlines."""
    if not phone:
        return phone
    if MOBILE.match(phone):
        return f"{phone[:3]}****{phone[-4:]}"
    if "-" in phone:
        area, rest = phone.split("-", 1)
        return f"{area}-{'*' * max(len(rest) - 3, 1)}{rest[-3:]}"
    return "*" * max(len(phone) - 4, 1) + phone[-4:]


def mask_name(name: str | None) -> str | None:
    """张** : keeps the family name only."""
    if not name:
        return name
    return name[0] + "*" * max(len(name) - 1, 1)
