"""Translations through Babel. Message ids are Chinese, the working language; `en` and `ug` translate.

`ky_Arab` (Kyrgyz in Arabic script, the prefecture's own language) is not in CLDR: it is defined here
(CUSTOM_LOCALES) as a reply language, written right to left, with formats borrowed from locales CLDR has.
"""

from __future__ import annotations

import datetime as dt
import re
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

from complaints.suffixes import attach
from workflows.vocab import N_  # noqa: F401 - marks a string for extraction; translated where it is shown

LOCALE_DIR = Path(__file__).parent / "locales"
DEFAULT_LOCALE = "zh_Hans_CN"
SUPPORTED = ("zh_Hans_CN", "en", "ug")
current_locale: ContextVar[str] = ContextVar("current_locale", default=DEFAULT_LOCALE)


@dataclass(frozen=True)
class CustomLocale:
    """A locale CLDR lacks: which CLDR locale lends its data, and how dates are written."""

    numbers: str  # Babel locale for digits and separators
    plurals: str  # Babel locale for plural rules
    date_pattern: str  # one pattern for every date width (no month names in another script)
    direction: str = "rtl"


# Kyrgyz in Arabic script: CLDR's `ky` is Cyrillic, so its month names cannot be used, and Uyghur's
# month names are spelt the Uyghur way. Dates are numeric (2026-05-28, as in official documents here);
# digits and separators as in Uyghur (Western digits, the same as the Chinese documents beside them);
# plural rules are Kyrgyz's own.
CUSTOM_LOCALES = {"ky_Arab": CustomLocale(numbers="ug", plurals="ky", date_pattern="yyyy-MM-dd")}


def format_date(value: dt.date, *, format: str = "long", locale: str) -> str:  # noqa: A002
    """A date in `locale`, custom locales included (every width of theirs is the one numeric pattern)."""
    custom = CUSTOM_LOCALES.get(locale)
    if custom is not None:
        pattern = custom.date_pattern if format in ("full", "long", "medium", "short") else format
        return babel_format_date(value, format=pattern, locale=custom.numbers)
    return babel_format_date(value, format=format, locale=locale)


def format_number(value: int | float, *, locale: str) -> str:
    custom = CUSTOM_LOCALES.get(locale)
    return format_decimal(value, locale=custom.numbers if custom else locale)


@cache
def translations(locale: str) -> NullTranslations:
    """The catalog for `locale`, read from its .po file; Chinese (the message ids) needs none."""
    po_path = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if locale.startswith("zh") or not po_path.exists():
        return NullTranslations()
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=locale)
    compiled = BytesIO()
    write_mo(compiled, catalog)  # compiled in memory: no build step, no binary files in the repository
    compiled.seek(0)
    return Translations(fp=compiled, domain="messages")


def gettext(message: str, **values) -> str:
    """Translate into the current locale, then fill {named} values."""
    locale = current_locale.get()
    text = translations(locale).gettext(message)
    if values and locale == "ug":
        text, values = _uyghur_genitives(text, values)
    return text.format(**values) if values else text


_GENITIVE = re.compile(r"\{(\w+)\} نىڭ")


def _uyghur_genitives(text: str, values: dict) -> tuple[str, dict]:
    """'{unit} نىڭ' in a Uyghur message: the genitive written onto the value as Uyghur spelling requires."""
    names = [name for name in _GENITIVE.findall(text) if name in values]
    if not names:
        return text, values
    extra = {f"{name}__genitive": attach(str(values[name]), "genitive") for name in names}
    return _GENITIVE.sub(lambda m: "{" + m.group(1) + "__genitive}" if m.group(1) in values else m.group(0), text), {
        **values,
        **extra,
    }


def ngettext(singular: str, plural: str, n: int, **values) -> str:
    text = translations(current_locale.get()).ngettext(singular, plural, n)
    return text.format(n=n, **values)


_ = gettext


@cache
def is_rtl(locale: str) -> bool:
    if locale in CUSTOM_LOCALES:
        return CUSTOM_LOCALES[locale].direction == "rtl"
    return Locale.parse(locale).text_direction == "rtl"


def negotiate(accept_language: str | None, requested: str | None = None) -> str:
    """The locale to use: an explicit choice if supported, else the best Accept-Language match."""
    if requested in SUPPORTED:
        return requested
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return DEFAULT_LOCALE
        if tag.startswith("en"):
            return "en"
        if tag.startswith("ug"):
            return "ug"
    return DEFAULT_LOCALE


def locale_for_scope(scope) -> str:
    """The locale of an ASGI request: ?lang=, then the `lang` cookie, then Accept-Language."""
    from http.cookies import SimpleCookie
    from urllib.parse import parse_qs

    headers = dict(scope.get("headers") or ())
    query = scope.get("query_string", b"")
    requested = parse_qs(query.decode("latin-1")).get("lang", [None])[0] if b"lang=" in query else None
    if requested not in SUPPORTED and b"lang=" in headers.get(b"cookie", b""):
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get(b"cookie", b"").decode("latin-1"))
        except Exception:  # noqa: BLE001 - a malformed cookie header falls back to Accept-Language
            cookie = SimpleCookie()
        requested = cookie["lang"].value if "lang" in cookie else None
    return negotiate(headers.get(b"accept-language", b"").decode("latin-1"), requested)
