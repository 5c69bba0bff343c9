"""Rendering pages: one Jinja2 environment with Babel translations, labels and the CSRF token."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from jinja2.ext import Extension
from jinja2.lexer import Token

from complaints import presenters
from complaints.http import csrf
from complaints.i18n import current_locale, gettext, is_rtl, ngettext
from workflows.lifecycle import ACTION_LABELS
from workflows.vocab import LABELS, Channel, Kind, Outcome, Role, Satisfaction, SendBackReason, Status, Urgency

TEMPLATES = Path(__file__).parent / "templates"
LANGUAGES = (("zh_Hans_CN", "中文"), ("en", "English"), ("ug", "ئۇيغۇرچە"))
FULL_WIDTH = {"：": ": ", "（": " (", "）": ")"}  # as written in the templates' Chinese layout
MARKS = (*FULL_WIDTH, "→", "、")


def punctuation(mark: str) -> str:
    """A mark of the page templates as the interface language writes it (an arrow points the way it reads)."""
    locale = current_locale.get()
    if mark == "→":
        return "←" if is_rtl(locale) else mark
    if mark == "、":  # the enumeration comma: Arabic script's own comma where the interface reads right to left
        return mark if locale.startswith("zh") else ("، " if is_rtl(locale) else ", ")
    return mark if locale.startswith("zh") else FULL_WIDTH[mark]


class LocalPunctuation(Extension):
    """The templates' own full-width punctuation (`{{ n }}：{{ v }}`, `（…）`) and arrows follow the
    interface language; text inside tags, messages and data are untouched."""

    def filter_stream(self, stream):
        for token in stream:
            if token.type != "data" or not any(mark in token.value for mark in MARKS):
                yield token
                continue
            for piece in re.split("([" + "".join(MARKS) + "])", token.value):
                if piece in MARKS:
                    line = token.lineno
                    yield from (
                        Token(line, "variable_begin", "{{"),
                        Token(line, "name", "punctuation"),
                        Token(line, "lparen", "("),
                        Token(line, "string", piece),
                        Token(line, "rparen", ")"),
                        Token(line, "variable_end", "}}"),
                    )
                elif piece:
                    yield Token(token.lineno, "data", piece)


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n", LocalPunctuation],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # old-style callables: _("…{name}…", name=x) formats with str.format, like the Python code
    env.install_gettext_callables(  # type: ignore[attr-defined]  # added by the jinja2.ext.i18n extension
        gettext=lambda m, **kw: gettext(m, **kw), ngettext=lambda s, p, n, **kw: ngettext(s, p, n, **kw), newstyle=False
    )
    env.globals.update(
        label=lambda value: gettext(LABELS[value]) if value in LABELS else value,
        action_label=presenters.action_label,
        status_label=presenters.status_label,
        channel_label=presenters.channel_label,
        kind_label=presenters.kind_label,
        due_state=presenters.due_state,
        due_state_labels=presenters.DUE_STATE_LABELS,
        Channel=Channel,
        Kind=Kind,
        Status=Status,
        Urgency=Urgency,
        Outcome=Outcome,
        Satisfaction=Satisfaction,
        SendBackReason=SendBackReason,
        ACTION_LABELS=ACTION_LABELS,
        languages=LANGUAGES,
        role_label=lambda value: gettext(LABELS[Role(value)]),
        named=named,
        punctuation=punctuation,
    )
    return env


def named(thing) -> str:
    """A unit's, category's or the application's name in the interface language (config's `names`)."""
    locale = current_locale.get()
    return thing.name if locale.startswith("zh") else thing.names.get(locale, thing.name)


def page(request: Request, template: str, *, status_code: int = 200, **context) -> HTMLResponse:
    """Render `template` for this request's user and locale, setting the CSRF cookie when new."""
    settings = request.app.state.runtime.settings
    tz = settings.app.timezone
    locale = current_locale.get()
    context.setdefault("user", getattr(request.state, "user", None))
    html = (
        environment()
        .get_template(template)
        .render(
            request=request,
            settings=settings,
            ui_locale=locale,
            rtl=is_rtl(locale),
            csrf_token=csrf.token_for(request),
            local_text=lambda v, **kw: presenters.local_text(v, tz, **kw),
            due_text=lambda v: presenters.due_text(v, tz),
            my_roles=_roles(context["user"]),
            **context,
        )
    )
    response = HTMLResponse(html, status_code=status_code)
    csrf.set_cookie_if_new(request, response, secure=settings.app.https)
    return response


def _roles(user) -> frozenset[str]:
    return user.role_set if user is not None else frozenset()
