"""Phone numbers: checking, normalising and masking (个人信息保护法 Art 51)."""

from __future__ import annotations

import re
from collections.abc import Sequence

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
    raise InvalidInput(
        gettext(
            "电话号码格式不正确：{phone}（应为11位手机号，或带区号的固定电话，如 0908-7625100）", phone=str(raw)[:32]
        ),
        field=field,
    )


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


# ---------------------------------------------------------------- free text in a de-identified file

_INTL = r"(?:(?:\+|00)\s?86|[(（]\s?(?:\+|00)?86\s?[)）])[\s-]?"  # +86, 0086, (+86), （86）
_MOBILE_TEXT = rf"(?:{_INTL})?(?P<mobile>1[3-9]\d(?:[\s.-]?\d){{8}})"  # 13812345678, 138 1234 5678, 138-1234-5678
_LANDLINE_TEXT = (  # 0908-7625100, (0908)7625100, 0908 762 5100, +86 908 7625100, 010-12345678 转 123
    rf"(?:{_INTL}[(（]?0?(?P<intl_area>[1-9]\d{{1,2}})[)）]?|[(（](?P<bracketed_area>0\d{{2,3}})[)）]|"
    rf"(?P<area>0\d{{2,3}}))[\s-]?(?P<local>\d{{3,4}}[\s.-]?\d{{4}})(?:\s?(?:-|转|ext\.?)\s?\d{{1,6}})?"
)
PHONE_IN_TEXT = re.compile(rf"(?<![0-9+])(?:{_MOBILE_TEXT}|{_LANDLINE_TEXT})(?![0-9])")
_ID_NUMBER_TEXT = (
    r"(?P<id_region>\d{6})(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]"
    r"(?![0-9A-Za-z])"
)
PERSONAL_NUMBER = re.compile(rf"(?<![0-9+])(?:{_ID_NUMBER_TEXT}|{_MOBILE_TEXT}|{_LANDLINE_TEXT})(?![0-9])")
# full-width digits, plus, brackets, dashes and spaces, as typed with a Chinese input method: read as ASCII
# (one character for one, so that what is found in the folded text is replaced in the original)
_FOLD = str.maketrans(
    {
        **{chr(0xFF10 + n): str(n) for n in range(10)},
        "＋": "+",
        "－": "-",
        "—": "-",
        "–": "-",
        "　": " ",
        "（": "(",
        "）": ")",
        "．": ".",
    }
)
_LIST_SEPARATORS = re.compile(r"[/、,，;；]")


def _phone_parts(match: re.Match) -> tuple[str, str]:
    """(area code with its 0, or "" for a mobile; the whole number as digits) of a phone found in text."""
    digits = re.compile(r"\D")
    if match.group("mobile"):
        return "", digits.sub("", match.group("mobile"))
    area = match.group("area") or match.group("bracketed_area") or "0" + match.group("intl_area")
    return area, area + digits.sub("", match.group("local"))


def public_numbers(hotlines: list[str]) -> frozenset[str]:
    """The bureau's own numbers, as digits: not personal data, never masked. A hotline written
    "0908-4223232 / 4223233" gives both numbers, the second with the first one's area code."""
    found: set[str] = set()
    for hotline in hotlines:
        area = ""
        for piece in _LIST_SEPARATORS.split(hotline or ""):
            if match := PHONE_IN_TEXT.search(piece):
                area, number = _phone_parts(match)
                found.add(number)
            elif area and 7 <= len(local := re.sub(r"\D", "", piece)) <= 8:
                found.add(area + local)
    return frozenset(found)


def deidentify(text: str | None, *, names: Sequence[str | None] = (), keep: frozenset[str] = frozenset()) -> str:
    """Free text fit for a de-identified file (个人信息保护法 Art 51, 信访工作条例 Art 30): every phone number in
    any common writing masked (138****5678, 0908-****) except the bureau's own numbers in `keep`, ID card
    numbers masked, and each of `names` (the item's complainant) reduced to the family name and 某."""
    text = text or ""
    pieces, last = [], 0
    for match in PERSONAL_NUMBER.finditer(text.translate(_FOLD)):
        pieces += [text[last : match.start()], _masked(match, keep) or text[match.start() : match.end()]]
        last = match.end()
    text = "".join([*pieces, text[last:]])
    for name in names:
        if name and len(name.strip()) >= 2:
            text = text.replace(name.strip(), name.strip()[0] + "某")
    return text


def _masked(match: re.Match, keep: frozenset[str]) -> str | None:
    """The masked form of a number found in text, or None for one of the bureau's own."""
    if region := match.group("id_region"):
        return f"{region}********{match.group()[-4:]}"
    area, number = _phone_parts(match)
    if number in keep:
        return None
    return f"{area}-****" if area else f"{number[:3]}****{number[-4:]}"
