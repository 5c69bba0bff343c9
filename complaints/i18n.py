"""Translations through Babel. Message ids are Chinese, the working language; `en` and `ug` translate."""

from __future__ import annotations

from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel import Locale
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).parent / "locales"
DEFAULT_LOCALE = "zh_Hans_CN"
current_locale: ContextVar[str] = ContextVar("current_locale", default=DEFAULT_LOCALE)


@cache
def translations(locale: str) -> NullTranslations:
    """The compiled catalog for `locale`; Chinese (the message ids themselves) needs none."""
    if locale.startswith("zh"):
        return NullTranslations()
    return Translations.load(str(LOCALE_DIR), [locale], domain="messages")


def gettext(message: str, **values) -> str:
    """Translate into the current locale, then fill {named} values."""
    text = translations(current_locale.get()).gettext(message)
    return text.format(**values) if values else text


def ngettext(singular: str, plural: str, n: int, **values) -> str:
    text = translations(current_locale.get()).ngettext(singular, plural, n)
    return text.format(n=n, **values)


_ = gettext


def is_rtl(locale: str) -> bool:
    return Locale.parse(locale).text_direction == "rtl"
