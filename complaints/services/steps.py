"""What each action does to an item besides moving its status. One payload model and one step each."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time

from pydantic import Field

from complaints.clock import to_storage
from complaints.errors import DomainError, Forbidden, InvalidInput
from complaints.i18n import gettext
from complaints.models import NOTE_MAX, REPLY_MAX, Complaint, User
from complaints.services import callbacks, deadlines, queries, replies
from complaints.services.context import StepContext
from complaints.services.payloads import Payload, Reasoned
from complaints.services.people import check_unit
from complaints.services.scope import sees_all_units, sees_as_cooperator_only
from complaints.settings import Settings
from complaints.tables import stored
from workflows.deadlines import Limit
from workflows.lifecycle import Action
from workflows.vocab import N_, Channel, Kind, Outcome, Role, SendBackReason, Track


class DispatchIn(Payload):
    handler_id: int = Field(gt=0, le=2**31 - 1)
    unit_code: str | None = Field(default=None, max_length=8)


class ReplyIn(Payload):
    text: str = Field(min_length=10, max_length=REPLY_MAX)
    outcome: Outcome
    handling_notes: str | None = Field(default=None, max_length=NOTE_MAX, description="办理情况 (附件2), required")
    result_text: str | None = Field(default=None, max_length=NOTE_MAX, description="处理结果 (附件2), required")
    template_id: int | None = Field(default=None, gt=0, le=2**31 - 1)


class AnswerNowIn(Payload):
    text: str = Field(min_length=2, max_length=REPLY_MAX)
    template_id: int | None = Field(default=None, gt=0, le=2**31 - 1)


class CloseIn(Payload):
    result_text: str | None = Field(default=None, max_length=NOTE_MAX)
    remarks: str | None = Field(default=None, max_length=500)


class SendBackIn(Reasoned):
    reason: SendBackReason


class ExtensionIn(Reasoned):
    amount: str = Field(max_length=32, description='e.g. "3 workdays" or "30 days"')


class ApproveExtensionIn(Payload):
    amount: str | None = Field(default=None, max_length=32)


class SuperviseIn(Reasoned):
    due: str | None = Field(default=None, max_length=32, description='e.g. "2 workdays"')


class DuplicateIn(Payload):
    of: str = Field(min_length=1, max_length=40, description="tracking number or id of the earlier item")


class DisciplineIn(Payload):
    violator: str = Field(min_length=2, max_length=200)
    violation: str = Field(min_length=2, max_length=2000)
    discipline_action: str | None = Field(default=None, max_length=2000)


class ReviewIn(Reasoned):
    reply_received_on: date | None = Field(
        default=None,
        description="the day the complainant received the 处理意见, when later than the day it was "
        "recorded (a posted letter): the 30 日 to ask for 复查 run from it",
    )


def pick_handler(ctx: StepContext, handler_id: int, unit_code: str) -> User:
    """The named handler, or their delegate while they are out of office."""
    handler = ctx.session.get(User, handler_id)
    if handler is None or not handler.active or Role.HANDLER.value not in handler.role_set:
        raise InvalidInput(gettext("找不到在岗的承办人：{id}", id=handler_id), field="handler_id")
    if handler.unit_code != unit_code:
        raise InvalidInput(gettext("承办人须属于承办单位"), field="handler_id")
    if handler.out_of_office and handler.delegate_id:
        delegate = ctx.session.get(User, handler.delegate_id)
        if (
            delegate is not None
            and delegate.active
            and Role.HANDLER.value in delegate.role_set
            and delegate.unit_code == unit_code
        ):
            ctx.extra_changes["delegated_from"] = handler.id
            return delegate
    return handler


def _dispatch(ctx: StepContext) -> None:
    item, payload = ctx.item, ctx.payload
    unit = check_unit(ctx.runtime.settings, payload.unit_code or item.unit_code)
    handler = pick_handler(ctx, payload.handler_id, unit)
    item.unit_code, item.handler_id, item.dispatched_at = unit, handler.id, ctx.now
    ctx.note = payload.note


def _reassign(ctx: StepContext) -> None:
    _dispatch(ctx)
    profile = deadlines.profile_of(ctx.item, ctx.runtime)
    ctx.item.contact_due_at, _ = deadlines.due_from(ctx.now, profile.contact, ctx.runtime, unit=ctx.item.unit_code)
    ctx.item.accepted_at = None


def _accept(ctx: StepContext) -> None:
    ctx.item.accepted_at = ctx.now
    ctx.note = ctx.payload.note


def _reply(ctx: StepContext) -> None:
    _record_reply(ctx)
    _send(ctx, ctx.payload.text)


def _record_reply(ctx: StepContext) -> None:
    """The handler's reply, checked: no fill-in prompt left, its conclusion the chosen outcome."""
    item, payload = ctx.item, ctx.payload
    for name, message in (
        ("handling_notes", gettext("请填写办理情况（记入附件2台账）")),
        ("result_text", gettext("请填写处理结果（记入附件2台账）")),
    ):
        if len(getattr(payload, name) or "") < 2:
            raise InvalidInput(message, field=name)
    replies.check_reply(session=ctx.session, runtime=ctx.runtime, item=item, text=payload.text, outcome=payload.outcome)
    item.outcome, item.reply_template_id = payload.outcome, payload.template_id
    item.handling_notes, item.result_text = payload.handling_notes, payload.result_text
    ctx.extra_changes["template_id"] = payload.template_id
    ctx.note = payload.note


def _send(ctx: StepContext, text: str) -> None:
    """The reply leaves: the text sent is kept unchanged, with the SMS that tells the complainant."""
    item = ctx.item
    item.reply_text, item.replied_at, item.reply_draft = text, ctx.now, None
    ctx.extra_changes["reply_text"] = text
    sms = replies.sms_text(session=ctx.session, runtime=ctx.runtime, item=item, locale=replies.text_locale(text))
    if sms:
        ctx.extra_changes["sms_text"] = sms


def _submit_reply(ctx: StepContext) -> None:
    _record_reply(ctx)
    ctx.item.reply_draft = ctx.payload.text
    ctx.extra_changes["draft_text"] = ctx.payload.text


def _approve_reply(ctx: StepContext) -> None:
    """审签: a supervisor other than the one who wrote it lets the reply leave, unchanged."""
    item = ctx.item
    item.reply_approved_by_id, item.reply_approved_at = ctx.actor.id, ctx.now
    ctx.extra_changes["approved_by"] = ctx.actor.id
    _send(ctx, item.reply_draft or "")
    ctx.note = ctx.payload.note


def _return_reply(ctx: StepContext) -> None:
    """Returned with the supervisor's comments; the draft stays for the handler to revise."""
    ctx.note = ctx.payload.note


def _answer_now(ctx: StepContext) -> None:
    item = ctx.item
    replies.check_reply(
        session=ctx.session, runtime=ctx.runtime, item=item, text=ctx.payload.text, outcome=None, instant=True
    )
    item.reply_text, item.outcome, item.replied_at = ctx.payload.text, "explain", ctx.now
    item.reply_template_id, item.closed_at = ctx.payload.template_id, ctx.now
    item.handler_id = item.handler_id or ctx.actor.id
    item.handling_notes = item.handling_notes or "即时答复"
    item.result_text = item.result_text or "已当场答复，诉求人无异议"
    ctx.extra_changes["reply_text"] = ctx.payload.text
    ctx.note = ctx.payload.note


def _close(ctx: StepContext) -> None:
    item, payload = ctx.item, ctx.payload
    if payload.result_text:
        item.result_text = payload.result_text
    if payload.remarks is not None:
        item.remarks = payload.remarks
    item.closed_at = ctx.now
    item.supervise_due_at = None
    ctx.note = payload.note


def _send_back(ctx: StepContext) -> None:
    ctx.item.sendback_reason = ctx.payload.reason
    ctx.note = ctx.payload.note


def _approve_send_back(ctx: StepContext) -> None:
    ctx.item.handler_id, ctx.item.dispatched_at, ctx.item.accepted_at = None, None, None
    ctx.note = ctx.payload.note


def _parse_amount(text: str, field: str) -> Limit:
    try:
        return Limit.parse(text)
    except ValueError as exc:
        raise InvalidInput(
            gettext("期限格式不正确：{text}（如 “3 workdays”、“30 days”）", text=text[:32]), field=field
        ) from exc


def _request_extension(ctx: StepContext) -> None:
    item = ctx.item
    profile = deadlines.profile_of(item, ctx.runtime)
    amount = _parse_amount(ctx.payload.amount, "amount")
    _check_extension(item, amount, profile)
    item.pending_extension = str(amount)
    ctx.note = ctx.payload.note


def _check_extension(item: Complaint, amount: Limit, profile) -> None:
    if item.extension_count >= profile.max_extensions:
        raise InvalidInput(gettext("延期次数已达上限（{n} 次）", n=profile.max_extensions), field="amount")
    cap = profile.extension_cap
    if amount.unit != cap.unit or amount.amount > cap.amount or amount.amount <= 0:
        raise InvalidInput(gettext("延期不得超过 {cap}", cap=cap), field="amount")


def _approve_extension(ctx: StepContext) -> None:
    item = ctx.item
    profile = deadlines.profile_of(item, ctx.runtime)
    requested = _parse_amount(item.pending_extension or str(profile.extension_cap), "amount")
    amount = _parse_amount(ctx.payload.amount, "amount") if ctx.payload.amount else requested
    if amount.unit != requested.unit or amount.amount > requested.amount:
        raise InvalidInput(gettext("批准的延期不得超过申请的 {requested}", requested=requested), field="amount")
    _check_extension(item, amount, profile)
    deadlines.extend(item, amount, ctx.runtime)
    item.extension_count += 1
    item.pending_extension = None
    ctx.extra_changes["extension"] = str(amount)
    ctx.note = ctx.payload.note


def _refuse_extension(ctx: StepContext) -> None:
    ctx.item.pending_extension = None
    ctx.note = ctx.payload.note


def _suspend(ctx: StepContext) -> None:
    ctx.item.suspended_at = ctx.now
    ctx.note = ctx.payload.note


def _resume(ctx: StepContext) -> None:
    deadlines.resume(ctx.item, ctx.now, ctx.runtime)
    ctx.item.suspended_at = None
    ctx.note = ctx.payload.note


def _supervise(ctx: StepContext) -> None:
    amount = _parse_amount(ctx.payload.due or ctx.runtime.settings.limits.supervise_default, "due")
    ctx.item.supervise_due_at, _ = deadlines.due_from(ctx.now, amount, ctx.runtime, unit=ctx.item.unit_code)
    ctx.extra_changes["supervise_within"] = str(amount)  # so that the deadline can be recomputed
    ctx.note = ctx.payload.note


def _request_review(ctx: StepContext) -> None:
    """信访 复查 (信访工作条例 Art 35): asked within 30 日 of the 处理意见, decided afresh by the next level up
    within 30 日. The item moves to the prefecture bureau, unassigned, with a new answer deadline; its
    earlier handling stays in the history and the text under review stays on the item."""
    item, runtime = ctx.item, ctx.runtime
    settings = runtime.settings
    last, _ = deadlines.due_from(
        _reply_received(ctx), Limit.parse(settings.limits.review_request), runtime, unit=item.unit_code
    )
    if ctx.now > last:
        text = deadlines.local(last, runtime).strftime("%Y-%m-%d %H:%M")
        raise InvalidInput(
            gettext(
                "已超过复查申请期限（收到处理意见后 {period}，截至 {last}）",
                period=settings.limits.review_request,
                last=text,
            ),
            field="action",
        )
    upper = settings.unit_map[settings.app.prefecture_unit]
    ctx.extra_changes["reviewed_unit"] = item.reviewed_unit_code = item.unit_code
    item.unit_code, item.review_round = upper.code, item.review_round + 1
    item.handler_id = item.dispatched_at = item.accepted_at = item.replied_at = item.closed_at = None
    item.callback_resolved = item.satisfaction = item.callback_note = None
    item.pending_extension, item.suspended_at = None, None
    deadlines.start_review(item, ctx.now, runtime)
    ctx.note = ctx.payload.note


def _reply_received(ctx: StepContext) -> datetime:
    """When the complainant got the 处理意见: the day given (between the reply and today), else the reply."""
    item, runtime, received = ctx.item, ctx.runtime, ctx.payload.reply_received_on
    replied = item.replied_at
    if replied is None:  # the action is offered only once the item is answered
        raise RuntimeError(f"complaint {item.id} has no reply to count a review request from")
    if received is None:
        return replied
    first, today = deadlines.local(replied, runtime).date(), deadlines.local(ctx.now, runtime).date()
    if not first <= received <= today:
        raise InvalidInput(
            gettext("收到处理意见的日期应在 {first} 至 {today} 之间", first=first.isoformat(), today=today.isoformat()),
            field="reply_received_on",
        )
    ctx.extra_changes["reply_received_on"] = received.isoformat()
    # any time of that day: 日 periods start counting the next day (民法典 Art 201)
    return max(replied, to_storage(datetime.combine(received, time(12)), runtime.settings.app.timezone))


def _mark_duplicate(ctx: StepContext) -> None:
    other = queries.get(session=ctx.session, runtime=ctx.runtime, actor=ctx.actor, ref=ctx.payload.of)
    if other.id == ctx.item.id:
        raise InvalidInput(gettext("不能与自身并单"), field="of")
    root = other
    while root.duplicate_of_id is not None:
        root = stored(ctx.session, Complaint, root.duplicate_of_id)
    if root.id == ctx.item.id:
        raise InvalidInput(gettext("并单会形成循环"), field="of")
    ctx.item.duplicate_of_id = root.id
    ctx.item.closed_at = ctx.now
    ctx.note = ctx.payload.note or f"并入 {root.tracking_no}"


def _not_accept(ctx: StepContext) -> None:
    ctx.item.closed_at = ctx.now
    ctx.item.result_text = ctx.payload.note
    ctx.note = ctx.payload.note


def _refer_discipline(ctx: StepContext) -> None:
    item, payload = ctx.item, ctx.payload
    item.referred_at = item.referred_at or ctx.now
    item.violator, item.violation = payload.violator, payload.violation
    if payload.discipline_action:
        item.discipline_action = payload.discipline_action
    ctx.note = payload.note


def _just_note(ctx: StepContext) -> None:
    ctx.note = ctx.payload.note


@dataclass(frozen=True)
class Precondition:
    """A fact an action needs of its item and actor: `holds`, else `refusal` is the error the step raises.
    `offered` lists an action only while all its preconditions hold, so nothing is offered that its step refuses.
    One without a refusal only hides the action (of a pair, the one that fits is offered; the step takes either)."""

    holds: Callable[[Complaint, User, Settings], bool]
    refusal: Callable[[Complaint, User, Settings], DomainError] | None


def _invalid(message: str) -> Callable[[Complaint, User, Settings], DomainError]:
    return lambda item, actor, settings: InvalidInput(gettext(message), field="action")


def _refused(error: DomainError | None) -> DomainError:
    assert error is not None  # asked only when the precondition does not hold
    return error


def _from_callbacks(action: Action) -> Precondition:
    """The callbacks' own rules (who calls back, who decides after 不满意, how often an item is reopened)."""
    return Precondition(
        holds=lambda item, actor, settings: callbacks.refusal(action, item, actor, settings) is None,
        refusal=lambda item, actor, settings: _refused(callbacks.refusal(action, item, actor, settings)),
    )


def may_answer_now(item: Complaint) -> bool:
    """即时答复 is for a question on the line: a letter, a visit or a formal 信访 item is registered and answered
    in writing (信访工作条例 Art 22–23)."""
    return item.channel not in (Channel.LETTER, Channel.VISIT) and item.track != Track.XINFANG


def may_act_during_review(actor: User, item: Complaint, action: Action, settings: Settings) -> bool:
    """An item under 复查 is the reviewing bureau's: the county people who still see it (its former unit,
    the operator who registered it) follow it and may add notes, not act on it."""
    return (
        not item.review_round
        or action is Action.NOTE
        or actor.unit_code == item.unit_code
        or sees_all_units(actor, settings)
    )


def _reviewing_unit_refusal(item: Complaint, settings: Settings) -> DomainError:
    unit = settings.unit_map.get(item.unit_code)
    return Forbidden(
        gettext("该事项正由{unit}复查，只能由其办理", unit=unit.name if unit else item.unit_code), field="action"
    )


def _common(action: Action) -> tuple[Precondition, ...]:
    """What every action needs: 协办 gives its input and the lead acts; an item under 复查 is the reviewer's."""
    return (
        Precondition(
            holds=lambda item, actor, settings: not sees_as_cooperator_only(actor, item, settings),
            refusal=lambda item, actor, settings: Forbidden(
                gettext("协办单位请在协办任务中提交意见，办理由主办单位负责"), field="action"
            ),
        ),
        Precondition(
            holds=lambda item, actor, settings: may_act_during_review(actor, item, action, settings),
            refusal=lambda item, actor, settings: _reviewing_unit_refusal(item, settings),
        ),
    )


def _prefecture_handles(item: Complaint, settings: Settings) -> bool:
    unit = settings.unit_map.get(item.unit_code)
    return unit is not None and unit.level == "prefecture"


PRECONDITIONS: dict[Action, tuple[Precondition, ...]] = {
    Action.ANSWER_NOW: (
        Precondition(
            lambda item, actor, settings: item.kind == Kind.QUESTION, _invalid(N_("只有咨询类诉求可以即时答复办结"))
        ),
        Precondition(
            lambda item, actor, settings: may_answer_now(item),
            _invalid(N_("来信、来访和信访事项须登记受理并书面答复，不能即时答复办结")),
        ),
    ),
    Action.REPLY: (
        Precondition(
            lambda item, actor, settings: not replies.needs_signoff(item, settings),
            _invalid(N_("该答复须经督办人审签后才能发出：请选择“提交审签”")),
        ),
    ),
    Action.SUBMIT_REPLY: (Precondition(lambda item, actor, settings: replies.needs_signoff(item, settings), None),),
    Action.APPROVE_REPLY: (
        Precondition(
            lambda item, actor, settings: item.handler_id != actor.id,
            lambda item, actor, settings: Forbidden(
                gettext("不能审签自己提交的答复，请由另一位督办人审签"), field="action"
            ),
        ),
    ),
    Action.REQUEST_REVIEW: (
        Precondition(
            lambda item, actor, settings: item.track == Track.XINFANG,
            _invalid(N_("只有信访事项可以申请复查；热线诉求如需重新办理，请由督办人“重新办理”")),
        ),
        Precondition(
            lambda item, actor, settings: not item.review_round,
            _invalid(
                N_("该信访事项已作出复查意见；对复查意见不服的，应向复查机关的上一级机关请求复核，不在本系统办理")
            ),
        ),
        Precondition(
            lambda item, actor, settings: not _prefecture_handles(item, settings),
            lambda item, actor, settings: InvalidInput(
                gettext(
                    "该事项由{unit}办理，复查应向其上一级机关书面提出，不在本系统办理",
                    unit=settings.unit_map[item.unit_code].name,
                ),
                field="action",
            ),
        ),
        Precondition(
            lambda item, actor, settings: item.replied_at is not None,
            _invalid(N_("该事项尚未出具处理意见，不能申请复查")),
        ),
    ),
    **{
        action: (_from_callbacks(action),)
        for action in (
            Action.CALLBACK,
            Action.CLOSE,
            Action.REOPEN,
            Action.REDO,
            Action.CLOSE_WITH_REASON,
            Action.ESCALATE,
        )
    },
}


def refusal(
    action: Action, item: Complaint, actor: User, settings: Settings, *, common: bool = True
) -> DomainError | None:
    """The first precondition of `action` that does not hold, as the error its step raises; None if all hold.
    `common`: also the preconditions of every action (协办, 复查), which `act` checks before the payload."""
    found = (*(_common(action) if common else ()), *PRECONDITIONS.get(action, ()))
    for precondition in found:
        if precondition.refusal is not None and not precondition.holds(item, actor, settings):
            return precondition.refusal(item, actor, settings)
    return None


def require_common(action: Action, item: Complaint, actor: User, settings: Settings) -> None:
    """Raise unless the preconditions of every action hold (checked before the payload is read)."""
    error = next((p.refusal for p in _common(action) if p.refusal and not p.holds(item, actor, settings)), None)
    if error is not None:
        raise error(item, actor, settings)


def require(action: Action, item: Complaint, actor: User, settings: Settings) -> None:
    """Raise the refusal of the first of `action`'s own preconditions that does not hold."""
    error = refusal(action, item, actor, settings, common=False)
    if error is not None:
        raise error


def offered(actions: list[Action], item: Complaint, settings: Settings, actor: User) -> list[Action]:
    """The lifecycle's allowed actions whose preconditions all hold (offer-only ones included), so that pages,
    the API and the CLI offer nothing that the step would refuse."""
    return [
        action
        for action in actions
        if all(p.holds(item, actor, settings) for p in (*_common(action), *PRECONDITIONS.get(action, ())))
    ]


PAYLOADS: dict[Action, type[Payload]] = {
    Action.ANSWER_NOW: AnswerNowIn,
    Action.DISPATCH: DispatchIn,
    Action.ACCEPT: Payload,
    Action.REPLY: ReplyIn,
    Action.CALLBACK: callbacks.CallbackIn,
    Action.CLOSE: CloseIn,
    Action.SEND_BACK: SendBackIn,
    Action.APPROVE_SEND_BACK: Payload,
    Action.REFUSE_SEND_BACK: Reasoned,
    Action.REASSIGN: DispatchIn,
    Action.REQUEST_EXTENSION: ExtensionIn,
    Action.APPROVE_EXTENSION: ApproveExtensionIn,
    Action.REFUSE_EXTENSION: Reasoned,
    Action.SUSPEND: Reasoned,
    Action.RESUME: Payload,
    Action.SUPERVISE: SuperviseIn,
    Action.REOPEN: Reasoned,
    Action.REDO: Reasoned,
    Action.CLOSE_WITH_REASON: callbacks.CloseWithReasonIn,
    Action.ESCALATE: Reasoned,
    Action.MARK_DUPLICATE: DuplicateIn,
    Action.NOT_ACCEPT: Reasoned,
    Action.REFER_DISCIPLINE: DisciplineIn,
    Action.NOTE: Reasoned,
    Action.REQUEST_REVIEW: ReviewIn,
    Action.SUBMIT_REPLY: ReplyIn,
    Action.APPROVE_REPLY: Payload,
    Action.RETURN_REPLY: Reasoned,
}

STEPS = {
    Action.ANSWER_NOW: _answer_now,
    Action.DISPATCH: _dispatch,
    Action.ACCEPT: _accept,
    Action.REPLY: _reply,
    Action.CALLBACK: callbacks.record_callback,
    Action.CLOSE: _close,
    Action.SEND_BACK: _send_back,
    Action.APPROVE_SEND_BACK: _approve_send_back,
    Action.REFUSE_SEND_BACK: _just_note,
    Action.REASSIGN: _reassign,
    Action.REQUEST_EXTENSION: _request_extension,
    Action.APPROVE_EXTENSION: _approve_extension,
    Action.REFUSE_EXTENSION: _refuse_extension,
    Action.SUSPEND: _suspend,
    Action.RESUME: _resume,
    Action.SUPERVISE: _supervise,
    Action.REOPEN: callbacks.reopen,
    Action.REDO: callbacks.redo,
    Action.CLOSE_WITH_REASON: callbacks.close_with_reason,
    Action.ESCALATE: callbacks.escalate,
    Action.MARK_DUPLICATE: _mark_duplicate,
    Action.NOT_ACCEPT: _not_accept,
    Action.REFER_DISCIPLINE: _refer_discipline,
    Action.NOTE: _just_note,
    Action.REQUEST_REVIEW: _request_review,
    Action.SUBMIT_REPLY: _submit_reply,
    Action.APPROVE_REPLY: _approve_reply,
    Action.RETURN_REPLY: _return_reply,
}
