"""Translations through Babel. Message ids are Chinese, the working language; `en` and `ug` translate."""

from __future__ import annotations

from contextvars import ContextVar
from functools import cache
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from workflows.vocab import N_  # noqa: F401 - marks a string for extraction; translated where it is shown

LOCALE_DIR = Path(__file__).parent / "locales"
DEFAULT_LOCALE = "zh_Hans_CN"
SUPPORTED = ("zh_Hans_CN", "en", "ug")
current_locale: ContextVar[str] = ContextVar("current_locale", default=DEFAULT_LOCALE)


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
    text = translations(current_locale.get()).gettext(message)
    return text.format(**values) if values else text


def ngettext(singular: str, plural: str, n: int, **values) -> str:
    text = translations(current_locale.get()).ngettext(singular, plural, n)
    return text.format(n=n, **values)


_ = gettext


def is_rtl(locale: str) -> bool:
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
    requested = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("lang", [None])[0]
    if requested not in SUPPORTED:
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get(b"cookie", b"").decode("latin-1"))
        except Exception:  # noqa: BLE001 - a malformed cookie header falls back to Accept-Language
            cookie = SimpleCookie()
        requested = cookie["lang"].value if "lang" in cookie else None
    return negotiate(headers.get(b"accept-language", b"").decode("latin-1"), requested)
