"""Side effects of an action that belong to another domain, run in the action's own transaction: the
附件2 entry, the notices to staff, the texts to the complainant and the webhooks. Notices and texts are
only written to the outbox here; sending them is a job's, so a failing channel cannot undo the action."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from complaints import notify
from complaints.i18n import gettext
from complaints.models import Complaint, Event
from complaints.notify import webhooks
from complaints.notify.complainant import text_complainant
from complaints.runtime import Runtime
from complaints.services import ledger
from complaints.services.context import StepContext
from workflows.lifecycle import Action
from workflows.vocab import Satisfaction


def write_ledger_entry(ctx: StepContext) -> None:
    """Closing an item writes (or refreshes) its 附件2 problem-lead entry."""
    ledger.write_entry(session=ctx.session, runtime=ctx.runtime, item=ctx.item)


def _tell(ctx: StepContext, kind: str, user_id: int | None, decision: str | None = None) -> None:
    if user_id is not None:
        notify.staff(
            session=ctx.session,
            runtime=ctx.runtime,
            kind=kind,
            user=user_id,
            item=ctx.item,
            actor=ctx.actor,
            note=ctx.note,
            decision=decision,
            now=ctx.now,
        )


def tell_assignee(ctx: StepContext) -> None:
    """派单 / 改派: the new handler (or their delegate) hears of it."""
    _tell(ctx, "assigned", ctx.item.handler_id)


def tell_supervised(ctx: StepContext) -> None:
    _tell(ctx, "supervised", ctx.item.handler_id)


def tell_extension_decision(ctx: StepContext) -> None:
    approved = ctx.action_taken is Action.APPROVE_EXTENSION
    _tell(ctx, "extension_decision", ctx.item.handler_id, gettext("批准") if approved else gettext("驳回"))


def tell_sendback_decision(ctx: StepContext) -> None:
    """The handler who asked (an approved send-back has already taken the item off them)."""
    approved = ctx.action_taken is Action.APPROVE_SEND_BACK
    asked_by = ctx.session.exec(
        select(Event.actor_id)
        .where(col(Event.complaint_id) == ctx.item.id, col(Event.action) == Action.SEND_BACK)
        .order_by(col(Event.id).desc())
    ).first()
    _tell(ctx, "sendback_decision", asked_by, gettext("同意") if approved else gettext("驳回"))


def tell_dissatisfied(ctx: StepContext) -> None:
    if ctx.item.satisfaction == Satisfaction.DISSATISFIED:
        _tell(ctx, "dissatisfied", ctx.item.handler_id)


def text_reply_ready(ctx: StepContext) -> None:
    """The reply is ready; a day later, unless the callback came first, the invitation to the callback."""
    for occasion in ("replied", "callback"):
        text_complainant(session=ctx.session, runtime=ctx.runtime, item=ctx.item, occasion=occasion, now=ctx.now)


def registered(*, session: Session, runtime: Runtime, item: Complaint, now: datetime) -> None:
    """A new item: the complainant's tracking number by text (what our own intake took; a platform tells
    its own callers), and the webhooks of its first status."""
    if item.source is None:
        text_complainant(session=session, runtime=runtime, item=item, occasion="registered", now=now)
    if runtime.settings.webhooks.enabled:
        session.flush()
        webhooks.item_registered(session=session, runtime=runtime, item=item, now=now)


def changed(ctx: StepContext, changes: dict) -> None:
    """Every action: the webhooks of a status or deadline change."""
    webhooks.item_changed(
        session=ctx.session, runtime=ctx.runtime, item=ctx.item, changes=changes, action=ctx.action_taken, now=ctx.now
    )


FLOWS: dict[Action, tuple] = {
    Action.CLOSE: (write_ledger_entry,),
    Action.DISPATCH: (tell_assignee,),
    Action.REASSIGN: (tell_assignee,),
    Action.SUPERVISE: (tell_supervised,),
    Action.APPROVE_EXTENSION: (tell_extension_decision,),
    Action.REFUSE_EXTENSION: (tell_extension_decision,),
    Action.APPROVE_SEND_BACK: (tell_sendback_decision,),
    Action.REFUSE_SEND_BACK: (tell_sendback_decision,),
    Action.CALLBACK: (tell_dissatisfied,),
    Action.REPLY: (text_reply_ready,),
    Action.CLOSE_WITH_REASON: (write_ledger_entry,),
    Action.APPROVE_REPLY: (text_reply_ready,),  # a reply that needed 审签 leaves when it is signed off
}
