"""Item lists, the handler's inbox, the item page with its timeline and the actions its status allows."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlmodel import col, select

from complaints.clock import utcnow
from complaints.errors import DomainError, InvalidInput
from complaints.http import csrf
from complaints.http.session import ReadSessionDep, RuntimeDep, SessionDep
from complaints.http.users import PageUser
from complaints.i18n import gettext
from complaints.letters import TITLES
from complaints.models import User
from complaints.services import attachments, callbacks, identity, itemview, letters, queries, views
from complaints.services.people import names_of
from complaints.services.replies import draft_reply
from complaints.services.scope import may_see_identity, sees_all_units
from complaints.services.transitions import act
from complaints.web import listing
from complaints.web.cooperation import cooperation_context, cooperation_page
from complaints.web.deps import PageForm
from complaints.web.forms import ACTION_FIELDS, payload_from_form
from complaints.web.render import page
from workflows.lifecycle import ACTION_LABELS, Action
from workflows.vocab import Outcome, Status

router = APIRouter()
PAGE = 50


def _list(request, user, reads, runtime, filters: queries.ListFilter, template: str, **extra):
    items, total = queries.list_complaints(session=reads, runtime=runtime, actor=user, filters=filters)
    return page(
        request,
        template,
        items=items,
        total=total,
        filters=filters,
        now=utcnow(),
        names=names_of(reads, {i.handler_id for i in items}),
        masked=identity.masked,
        **extra,
    )


@router.get("/inbox")
def inbox(request: Request, user: PageUser, reads: ReadSessionDep, runtime: RuntimeDep, offset: int = 0):
    filters = queries.ListFilter(handler_id=user.id, open_only=True, offset=max(0, min(offset, 10**6)), limit=PAGE)
    return _list(request, user, reads, runtime, filters, "inbox.html")


@router.get("/items")
def items(
    request: Request, user: PageUser, session: SessionDep, reads: ReadSessionDep, runtime: RuntimeDep, offset: int = 0
):
    """Every visible item, filtered and sorted as the address says (web.listing), with the person's views."""

    params = listing.params_of(request.query_params)
    filters = listing.filters_from(params, runtime.settings, offset=offset, limit=PAGE)
    handlers = session.exec(
        select(User)
        .where(
            col(User.roles).contains("handler"),
            col(User.active).is_(True),
            *(() if sees_all_units(user, runtime.settings) else (User.unit_code == user.unit_code,)),
        )
        .order_by(User.unit_code, User.name)
        .limit(500)
    ).all()
    return _list(
        request,
        user,
        reads,
        runtime,
        filters,
        "items.html",
        q=params.get("q", ""),
        due=params.get("due", ""),
        params=params,
        listing=listing,
        handlers=handlers,
        views=views.mine(session=session, actor=user),
    )


def _item_page(request, user, session, runtime, ref, *, error=None, status_code=200, flashes=(), revealed=None):
    item = queries.get(session=session, runtime=runtime, actor=user, ref=ref)
    seen = itemview.view(session=session, runtime=runtime, actor=user, item=item, who=revealed)
    if seen.cooperator_only:
        return cooperation_page(request, user, session, runtime, item, error=error, status_code=status_code)
    events, who = seen.events, seen.who
    actions = [a for a in seen.actions if a in ACTION_FIELDS]
    handlers = session.exec(
        select(User)
        .where(User.unit_code == item.unit_code, User.active.is_(True), User.roles.contains("handler"))
        .order_by(User.name)
    ).all()

    settings = runtime.settings
    return page(
        request,
        "item.html",
        status_code=status_code,
        item=item,
        events=events,
        actions=actions,
        fields=ACTION_FIELDS,
        handlers=handlers,
        who=who,
        now=utcnow(),
        error=error,
        attachments=attachments.listed(session=session, settings=settings, actor=user, item=item),
        attachments_hidden=not attachments.may_view(user, item, settings),
        may_remove_attachments=attachments.may_remove(user, item, settings),
        preview_kinds=attachments.PREVIEW,
        can_reveal=revealed is None and item.confidential and may_see_identity(user, item, runtime.settings),
        names=seen.names,
        rounds=callbacks.rounds_of(session=session, item=item),
        needs_decision=callbacks.needs_decision(item),
        registered=request.query_params.get("registered") == "1",
        flashes=flashes,
        composer=_composer(session, runtime, user, item, actions, request.query_params),
        sent=_last_sent(events),
        returned=_last_returned(item, events),
        letters=_letters(session, item),
        letter_titles=TITLES,
        **cooperation_context(session, runtime, user, item),
    )


def _letters(session, item) -> dict | None:
    """The item's letters: those it can have now and those already numbered."""
    found = letters.sources(session=session, item=item)
    return {"sources": found, "issued": letters.issued(session=session, item=item)} if found else None


def _composer(session, runtime, user, item, actions, query) -> dict | None:
    """The reply composer: the standard reply for each outcome, the one chosen (if any) and its text."""
    if not {Action.REPLY, Action.SUBMIT_REPLY, Action.ANSWER_NOW} & set(actions):
        return None
    locale = query.get("reply_locale", "zh_Hans")
    locale = locale if locale in ("zh_Hans", "ug") else "zh_Hans"
    try:
        drafts = {
            o.value: draft_reply(
                session=session, runtime=runtime, actor=user, item=item, locale=locale, outcome=o.value
            )
            for o in Outcome
        }
    except DomainError:
        return None
    chosen = query.get("reply_outcome") or (item.outcome if item.reply_draft else None)
    chosen = chosen if chosen in drafts else None
    first = drafts[Outcome.EXPLAIN.value]
    text = (
        item.reply_draft
        if item.reply_draft and not query.get("reply_outcome")
        else drafts[chosen]["text"]
        if chosen
        else ""
    )
    if item.kind == "question":  # the instant answer has no outcome to choose
        chosen, text = chosen or Outcome.EXPLAIN.value, text or first["text"]
    return {
        "drafts": {o: d["text"] for o, d in drafts.items()},
        "chosen": chosen,
        "text": text,
        "template_id": first["template_id"],
        "version": first["version"],
        "category_name": first["category_name"],
        "locale": locale,
    }


def _last_sent(events) -> dict:
    """What the last reply that left recorded: the text sent and the SMS that told the complainant."""
    for event in reversed(events):
        if event.changes and "reply_text" in event.changes:
            return {"event": event, "sms": event.changes.get("sms_text")}
    return {}


def _last_returned(item, events):
    """The supervisor's comments when the reply came back from 审签 and is being revised."""
    if not item.reply_draft or item.status != Status.ACCEPTED:
        return None
    return next((e for e in reversed(events) if e.action == Action.RETURN_REPLY), None)


@router.get("/items/{ref}")
def item_page(request: Request, ref: str, user: PageUser, session: SessionDep, runtime: RuntimeDep):
    done = request.query_params.get("done")
    flashes = (
        [("ok", gettext("已完成：{action}", action=gettext(_label(done))))] if done in {a.value for a in Action} else []
    )
    attached = request.query_params.get("attached", "")
    if attached.isdigit():
        flashes.append(("ok", gettext("已上传 {n} 个附件", n=int(attached[:3]))))
    if request.query_params.get("removed") == "1":
        flashes.append(("ok", gettext("附件已删除，删除原因已记入处理记录")))
    return _item_page(request, user, session, runtime, ref[:40], flashes=flashes)


def _label(action: str) -> str:

    return ACTION_LABELS[Action(action)]


RETURN_TO = frozenset({"/approvals"})  # pages that act on items in place and want the user back


@router.post("/items/{ref}/act/{action}", dependencies=[Depends(csrf.verify)])
def item_act(
    request: Request, ref: str, action: str, form: PageForm, user: PageUser, session: SessionDep, runtime: RuntimeDep
):
    item = queries.get(session=session, runtime=runtime, actor=user, ref=ref[:40])
    try:
        chosen = Action(action)
        version = int(str(form.get("version", "")) or 0) or None
        with session.begin_nested():
            act(
                session=session,
                runtime=runtime,
                actor=user,
                item=item,
                action=chosen,
                payload=payload_from_form(chosen, form),
                expected_version=version,
            )
    except ValueError:
        return _item_page(
            request,
            user,
            session,
            runtime,
            ref,
            status_code=422,
            error=InvalidInput(gettext("未知操作"), field="action"),
        )
    except DomainError as exc:
        session.refresh(item)
        return _item_page(request, user, session, runtime, ref, error=exc, status_code=exc.http_status)
    if form.get("next") in RETURN_TO:  # a fixed list of pages, never an address from the form
        return RedirectResponse(
            f"{form.get('next')}?done={chosen.value}&item={quote(item.tracking_no)}", status_code=303
        )
    return RedirectResponse(f"/items/{item.tracking_no}?done={chosen.value}", status_code=303)


@router.post("/items/{ref}/reveal", dependencies=[Depends(csrf.verify)])
def item_reveal(request: Request, ref: str, user: PageUser, session: SessionDep, runtime: RuntimeDep):
    """Show a confidential complainant to those allowed; the reveal is recorded in the history."""
    item = queries.get(session=session, runtime=runtime, actor=user, ref=ref[:40])
    who = identity.reveal(session=session, settings=runtime.settings, actor=user, item=item)
    return _item_page(
        request,
        user,
        session,
        runtime,
        ref[:40],
        revealed=who,
        flashes=[("ok", gettext("已显示诉求人身份；本次查看已记入处理记录"))],
    )
