"""Rendering pages: one Jinja2 environment with Babel translations, labels and the CSRF token."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from complaints import presenters
from complaints.i18n import current_locale, gettext, is_rtl, ngettext
from complaints.web import csrf
from workflows.lifecycle import ACTION_LABELS
from workflows.vocab import LABELS, Channel, Kind, Outcome, Role, Satisfaction, SendBackReason, Status, Urgency

TEMPLATES = Path(__file__).parent / "templates"
LANGUAGES = (("zh_Hans_CN", "中文"), ("en", "English"), ("ug", "ئۇيغۇرچە"))


@cache
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
    # old-style callables: _("…{name}…", name=x) formats with str.format, like the Python code
    env.install_gettext_callables(gettext=lambda m, **kw: gettext(m, **kw),
                                  ngettext=lambda s, p, n, **kw: ngettext(s, p, n, **kw), newstyle=False)
    env.globals.update(
        label=lambda value: gettext(LABELS[value]) if value in LABELS else value,
        action_label=presenters.action_label, status_label=presenters.status_label,
        channel_label=presenters.channel_label, kind_label=presenters.kind_label,
        due_state=presenters.due_state, due_state_labels=presenters.DUE_STATE_LABELS,
        Channel=Channel, Kind=Kind, Status=Status, Urgency=Urgency, Outcome=Outcome,
        Satisfaction=Satisfaction, SendBackReason=SendBackReason, ACTION_LABELS=ACTION_LABELS,
        languages=LANGUAGES, role_label=lambda value: gettext(LABELS[Role(value)]),
    )
    return env


def page(request: Request, template: str, *, status_code: int = 200, **context) -> HTMLResponse:
    """Render `template` for this request's user and locale, setting the CSRF cookie when new."""
    settings = request.app.state.runtime.settings
    tz = settings.app.timezone
    locale = current_locale.get()
    context.setdefault("user", getattr(request.state, "user", None))
    html = environment().get_template(template).render(
        request=request, settings=settings, ui_locale=locale, rtl=is_rtl(locale),
        csrf_token=csrf.token_for(request), local_text=lambda v, **kw: presenters.local_text(v, tz, **kw),
        due_text=lambda v: presenters.due_text(v, tz), my_roles=_roles(context["user"]), **context)
    response = HTMLResponse(html, status_code=status_code)
    csrf.set_cookie_if_new(request, response, secure=settings.app.https)
    return response


def _roles(user) -> frozenset[str]:
    return user.role_set if user is not None else frozenset()
