"""Callback rounds (回访) and the supervisor's decision after an unhappy one.

The callback is independent of the handler: by default the operators or supervisors of the unit that
registered the item make it (``[callbacks]``), never the handler whose reply is being checked. Every
round is kept (``CallbackRound``), so reopening an item never removes a result from the 三率. After
不满意 or 未解决 the handler cannot close: a supervisor sends it back (退回重办, with a fresh reply
period), closes it with a reason, or asks the prefecture to decide. Reopening is limited
(``[limits] max_reopens``); past it only the prefecture may reopen.
"""

from __future__ import annotations

from pydantic import Field
from sqlalchemy import func
from sqlmodel import col, select

from complaints.clock import to_local
from complaints.errors import DomainError, Forbidden, InvalidInput
from complaints.i18n import gettext
from complaints.models import NOTE_MAX, CallbackRound, Complaint, Notification, User
from complaints.services import deadlines
from complaints.services.context import StepContext
from complaints.services.payloads import Payload, Reasoned
from complaints.services.scope import roles_of, sees_all_units
from complaints.tables import id_of, stored_ids
from workflows.lifecycle import ACTION_LABELS, Action
from workflows.vocab import LABELS, CloseReason, Role, Satisfaction, Status


class CallbackIn(Payload):
    resolved: bool
    satisfaction: Satisfaction


class CloseWithReasonIn(Reasoned):
    reason: CloseReason
    result_text: str | None = Field(default=None, max_length=NOTE_MAX)


def needs_decision(item: Complaint) -> bool:
    """The last callback found the complainant 不满意 or the problem 未解决: a supervisor decides."""
    return item.status == Status.VISITED and (
        item.callback_resolved is False or item.satisfaction == Satisfaction.DISSATISFIED
    )


def refusal(action: Action, item: Complaint, actor: User, settings) -> DomainError | None:
    """Why `actor` may not take `action` on `item` as far as callbacks and decisions go, or None."""
    if action is Action.CALLBACK:
        return _callback_refusal(item, actor, settings)
    if action is Action.CLOSE and needs_decision(item):
        return InvalidInput(
            gettext("回访结果为不满意或未解决，承办人不能办结：须由督办人决定退回重办、说明理由办结或提请州局决定"),
            field="action",
        )
    if action in (Action.REDO, Action.CLOSE_WITH_REASON, Action.ESCALATE):
        error = _decision_refusal(item, actor, settings)
        if error is None and action is Action.ESCALATE:
            error = _escalation_refusal(item, actor, settings)
        if error is None and action is Action.REDO:
            error = _reopen_refusal(item, actor, settings)
        return error
    if action is Action.REOPEN:
        if needs_decision(item):  # the decision is recorded with its reason, for 附件2
            return InvalidInput(gettext("回访不满意或未解决的诉求请选择“退回重办”并写明理由"), field="action")
        return _reopen_refusal(item, actor, settings)
    return None


def _callback_unit(item: Complaint, settings) -> str:
    if settings.callbacks.unit == "handling" or item.review_round or not item.registered_unit_code:
        return item.unit_code
    return item.registered_unit_code


def _callback_refusal(item: Complaint, actor: User, settings) -> DomainError | None:
    if actor.id == item.handler_id:
        return Forbidden(gettext("承办人不能回访自己的答复，回访由登记单位的接线员或督办人进行"), field="action")
    allowed = set(settings.callbacks.roles)
    unit = _callback_unit(item, settings)
    if not {role.value for role in roles_of(actor)} & allowed or actor.unit_code != unit:
        who = "、".join(gettext(LABELS[Role(r)]) for r in settings.callbacks.roles)
        name = settings.unit_map[unit].name if unit in settings.unit_map else unit
        return Forbidden(gettext("回访应由{unit}的{who}进行", unit=name, who=who), field="action")
    return None


def _decision_refusal(item: Complaint, actor: User, settings) -> DomainError | None:
    if not needs_decision(item):
        return InvalidInput(gettext("只有回访不满意或未解决的诉求才需督办人决定"), field="action")
    if item.decision_escalated_at is not None and not sees_all_units(actor, settings):
        return Forbidden(gettext("已提请州局决定，由州教育局督办人作出决定"), field="action")
    return None


def _escalation_refusal(item: Complaint, actor: User, settings) -> DomainError | None:
    unit = settings.unit_map.get(item.unit_code)
    if sees_all_units(actor, settings) or (unit is not None and unit.level == "prefecture"):
        return InvalidInput(gettext("州教育局的事项由州教育局直接决定"), field="action")
    if item.decision_escalated_at is not None:
        return InvalidInput(gettext("已提请州局决定，请等待州教育局决定"), field="action")
    return None


def _reopen_refusal(item: Complaint, actor: User, settings) -> DomainError | None:
    limit = settings.limits.max_reopens
    if item.reopen_count >= limit and not sees_all_units(actor, settings):
        return Forbidden(
            gettext("该诉求已重新办理 {n} 次，达到上限，只能由州教育局决定再次办理", n=item.reopen_count),
            field="action",
        )
    return None


def rounds_of(*, session, item: Complaint) -> list[CallbackRound]:
    """The item's callback rounds, oldest first."""
    return list(
        session.exec(
            select(CallbackRound).where(col(CallbackRound.complaint_id) == item.id).order_by(col(CallbackRound.id))
        )
    )


def record_callback(ctx: StepContext) -> None:
    """A callback round: kept as a row of its own, and the item's current result."""
    item, payload = ctx.item, ctx.payload
    reached = payload.satisfaction != Satisfaction.UNREACHABLE
    previous = ctx.session.exec(
        select(func.count()).select_from(CallbackRound).where(col(CallbackRound.complaint_id) == item.id)
    ).one()
    ctx.session.add(
        CallbackRound(
            complaint_id=id_of(item),
            round=previous + 1,
            at=ctx.now,
            actor_id=ctx.actor.id,
            reached=reached,
            resolved=payload.resolved if reached else None,
            satisfaction=payload.satisfaction,
            comment=payload.note,
        )
    )
    item.callback_resolved = payload.resolved if reached else None
    item.satisfaction, item.callback_note = payload.satisfaction, payload.note
    ctx.extra_changes["callback_round"] = previous + 1
    ctx.note = payload.note


def _back_to_handler(ctx: StepContext) -> None:
    """重新办理 / 退回重办: the same handler, a fresh reply period; the callback rounds stay."""
    item = ctx.item
    profile = deadlines.profile_of(item, ctx.runtime)
    deadlines.set_reply(item, ctx.now, profile.reply, ctx.runtime)
    item.closed_at, item.callback_resolved, item.satisfaction = None, None, None
    item.accepted_at, item.replied_at = ctx.now, None  # the new reply is due by the new deadline
    item.reopen_count += 1
    item.decision_escalated_at = None
    ctx.note = ctx.payload.note


def reopen(ctx: StepContext) -> None:
    _back_to_handler(ctx)


def redo(ctx: StepContext) -> None:
    """退回重办: back to the handler with the supervisor's reason."""
    _record_decision(ctx, ACTION_LABELS[Action.REDO], ctx.payload.note)
    _back_to_handler(ctx)


def close_with_reason(ctx: StepContext) -> None:
    """说明理由办结: e.g. 诉求超出政策规定, explained to the complainant; the reason goes to 附件2."""
    item, payload = ctx.item, ctx.payload
    _record_decision(ctx, f"{ACTION_LABELS[Action.CLOSE_WITH_REASON]}（{LABELS[payload.reason]}）", payload.note)
    decided = f"{LABELS[payload.reason]}：{payload.note}"
    item.result_text = payload.result_text or "；".join(part for part in (item.result_text, decided) if part)
    item.closed_at, item.supervise_due_at = ctx.now, None
    ctx.extra_changes["close_reason"] = payload.reason.value
    ctx.note = payload.note


def escalate(ctx: StepContext) -> None:
    """提请州局决定: the prefecture's supervisors decide; they are told at once."""
    item, settings = ctx.item, ctx.runtime.settings
    _record_decision(ctx, ACTION_LABELS[Action.ESCALATE], ctx.payload.note)
    item.decision_escalated_at = ctx.now
    ctx.note = ctx.payload.note
    supervisors = stored_ids(
        ctx.session.exec(
            select(col(User.id)).where(
                col(User.unit_code) == settings.app.prefecture_unit,
                col(User.active).is_(True),
                col(User.roles).contains("supervisor"),
            )
        )
    )
    subject = gettext("{unit}提请州局决定：{no}", unit=settings.unit_map[item.unit_code].name, no=item.tracking_no)
    for user_id in supervisors:
        ctx.session.add(
            Notification(
                user_id=user_id,
                complaint_id=item.id,
                kind="decision",
                subject=subject,
                body=f"{item.summary}\n{ctx.payload.note}",
                created_at=ctx.now,
            )
        )


def _record_decision(ctx: StepContext, what: str, reason: str) -> None:
    """One line of the item's decisions (Chinese, as on 附件2): date, decision and reason."""
    day = to_local(ctx.now, ctx.runtime.settings.app.timezone).strftime("%m月%d日")
    line = f"{day}回访{_result_words(ctx.item)}，{what}：{reason}"
    ctx.item.decisions = f"{ctx.item.decisions}；{line}" if ctx.item.decisions else line


def _result_words(item: Complaint) -> str:
    words = []
    if item.satisfaction == Satisfaction.DISSATISFIED:
        words.append(LABELS[Satisfaction.DISSATISFIED])
    if item.callback_resolved is False:
        words.append("未解决")
    return "、".join(words)
