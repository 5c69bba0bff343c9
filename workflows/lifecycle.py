"""The handling lifecycle as data: (status, action) -> status, with the roles allowed (pure)."""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from enum import StrEnum

from workflows.vocab import N_, Role, Status


class Action(StrEnum):
    REGISTER = "register"
    ANSWER_NOW = "answer_now"
    DISPATCH = "dispatch"
    ACCEPT = "accept"
    REPLY = "reply"
    CALLBACK = "callback"
    CLOSE = "close"
    SEND_BACK = "send_back"
    APPROVE_SEND_BACK = "approve_send_back"
    REFUSE_SEND_BACK = "refuse_send_back"
    REASSIGN = "reassign"
    REQUEST_EXTENSION = "request_extension"
    APPROVE_EXTENSION = "approve_extension"
    REFUSE_EXTENSION = "refuse_extension"
    SUSPEND = "suspend"
    RESUME = "resume"
    SUPERVISE = "supervise"
    REOPEN = "reopen"
    MARK_DUPLICATE = "mark_duplicate"
    NOT_ACCEPT = "not_accept"
    REFER_DISCIPLINE = "refer_discipline"
    REQUEST_REVIEW = "request_review"
    SUBMIT_REPLY = "submit_reply"
    APPROVE_REPLY = "approve_reply"
    RETURN_REPLY = "return_reply"
    NOTE = "note"
    # the supervisor's decision after a callback of 不满意 or 未解决
    REDO = "redo"
    CLOSE_WITH_REASON = "close_with_reason"
    ESCALATE = "escalate"


ACTION_LABELS: dict[Action, str] = {
    Action.REGISTER: N_("登记"),
    Action.ANSWER_NOW: N_("即时答复"),
    Action.DISPATCH: N_("派单"),
    Action.ACCEPT: N_("签收"),
    Action.REPLY: N_("答复"),
    Action.CALLBACK: N_("回访"),
    Action.CLOSE: N_("办结"),
    Action.SEND_BACK: N_("申请退单"),
    Action.APPROVE_SEND_BACK: N_("同意退单"),
    Action.REFUSE_SEND_BACK: N_("驳回退单"),
    Action.REASSIGN: N_("改派"),
    Action.REQUEST_EXTENSION: N_("申请延期"),
    Action.APPROVE_EXTENSION: N_("批准延期"),
    Action.REFUSE_EXTENSION: N_("驳回延期"),
    Action.SUSPEND: N_("挂起"),
    Action.RESUME: N_("恢复办理"),
    Action.SUPERVISE: N_("督办"),
    Action.REOPEN: N_("重新办理"),
    Action.MARK_DUPLICATE: N_("并单"),
    Action.NOT_ACCEPT: N_("不予受理"),
    Action.REFER_DISCIPLINE: N_("移交纪检"),
    Action.NOTE: N_("备注"),
    Action.REQUEST_REVIEW: N_("申请复查"),
    Action.REDO: N_("退回重办"),
    Action.CLOSE_WITH_REASON: N_("说明理由办结"),
    Action.ESCALATE: N_("提请州局决定"),
    Action.SUBMIT_REPLY: N_("提交审签"),
    Action.APPROVE_REPLY: N_("审签通过"),
    Action.RETURN_REPLY: N_("退回修改"),
}

NEW = None  # the pseudo-status of an item that does not exist yet

S = Status
OP, HA, SU = Role.OPERATOR, Role.HANDLER, Role.SUPERVISOR
WORKING = (S.DISPATCHED, S.ACCEPTED, S.SUSPENDED, S.EXTENSION_REQUESTED, S.SENDBACK_REQUESTED, S.REPLY_PENDING_APPROVAL)


@dataclass(frozen=True)
class Rule:
    """One edge: who may fire `action` in `source`, and where it leads."""

    source: Status | None
    action: Action
    target: Status | None  # None: the status does not change
    roles: frozenset[Role]
    assignee_only: bool = False  # "谁承办、谁答复": a handler acts only on items assigned to them


def _rules() -> list[Rule]:
    def r(
        source: Status | None, action: Action, target: Status | None, roles: set[Role], assignee_only: bool = False
    ) -> Rule:
        return Rule(source, action, target, frozenset(roles), assignee_only)

    rules = [
        r(NEW, Action.REGISTER, S.REGISTERED, {OP, SU}),
        r(S.REGISTERED, Action.ANSWER_NOW, S.CLOSED, {OP, SU}),
        r(S.REGISTERED, Action.DISPATCH, S.DISPATCHED, {OP, SU}),
        r(S.REGISTERED, Action.NOT_ACCEPT, S.NOT_ACCEPTED, {OP, SU}),
        r(S.DISPATCHED, Action.ACCEPT, S.ACCEPTED, {HA}, assignee_only=True),
        r(S.DISPATCHED, Action.SEND_BACK, S.SENDBACK_REQUESTED, {HA}, assignee_only=True),
        r(S.ACCEPTED, Action.SEND_BACK, S.SENDBACK_REQUESTED, {HA}, assignee_only=True),
        r(S.SENDBACK_REQUESTED, Action.APPROVE_SEND_BACK, S.REGISTERED, {SU}),
        r(S.SENDBACK_REQUESTED, Action.REFUSE_SEND_BACK, S.ACCEPTED, {SU}),
        r(S.ACCEPTED, Action.REQUEST_EXTENSION, S.EXTENSION_REQUESTED, {HA}, assignee_only=True),
        r(S.EXTENSION_REQUESTED, Action.APPROVE_EXTENSION, S.ACCEPTED, {SU}),
        r(S.EXTENSION_REQUESTED, Action.REFUSE_EXTENSION, S.ACCEPTED, {SU}),
        r(S.ACCEPTED, Action.SUSPEND, S.SUSPENDED, {HA}, assignee_only=True),
        r(S.SUSPENDED, Action.RESUME, S.ACCEPTED, {HA, SU}, assignee_only=True),
        r(S.ACCEPTED, Action.REPLY, S.REPLIED, {HA}, assignee_only=True),
        # 审签: a formal 信访 reply (and those of the categories a deployment lists) waits for a supervisor
        r(S.ACCEPTED, Action.SUBMIT_REPLY, S.REPLY_PENDING_APPROVAL, {HA}, assignee_only=True),
        r(S.REPLY_PENDING_APPROVAL, Action.APPROVE_REPLY, S.REPLIED, {SU}),
        r(S.REPLY_PENDING_APPROVAL, Action.RETURN_REPLY, S.ACCEPTED, {SU}),
        r(S.REPLIED, Action.CALLBACK, S.VISITED, {OP, HA, SU}),
        r(S.VISITED, Action.CLOSE, S.CLOSED, {HA, SU}, assignee_only=True),
        r(S.VISITED, Action.REOPEN, S.ACCEPTED, {SU}),
        r(S.VISITED, Action.REDO, S.ACCEPTED, {SU}),
        r(S.VISITED, Action.CLOSE_WITH_REASON, S.CLOSED, {SU}),
        r(S.VISITED, Action.ESCALATE, None, {SU}),
        r(S.CLOSED, Action.REOPEN, S.ACCEPTED, {SU}),
        # 信访 复查 (信访工作条例 Art 35): the request goes up to the next level, to be handled afresh there
        r(S.CLOSED, Action.REQUEST_REVIEW, S.REGISTERED, {OP, SU}),
        r(S.REPLIED, Action.REFER_DISCIPLINE, None, {SU}),
        r(S.VISITED, Action.REFER_DISCIPLINE, None, {SU}),
        r(S.CLOSED, Action.REFER_DISCIPLINE, None, {SU}),
    ]
    for source in (S.DISPATCHED, S.ACCEPTED, S.SUSPENDED):
        rules.append(r(source, Action.REASSIGN, S.DISPATCHED, {SU}))
    for source in (S.REGISTERED, S.DISPATCHED, S.ACCEPTED):
        rules.append(r(source, Action.MARK_DUPLICATE, S.DUPLICATE, {OP, SU}))
    for source in WORKING:
        rules.append(r(source, Action.SUPERVISE, None, {SU}))
    rules.append(r(S.ACCEPTED, Action.REFER_DISCIPLINE, None, {SU}))
    rules.extend(r(source, Action.NOTE, None, {OP, HA, SU}) for source in Status)
    return rules


RULES: tuple[Rule, ...] = tuple(_rules())
TABLE: dict[tuple[Status | None, Action], Rule] = {(rule.source, rule.action): rule for rule in RULES}
assert len(TABLE) == len(RULES), "duplicate (status, action) pair in the lifecycle table"


class TransitionNotAllowed(Exception):
    """An action that the current status, or the actor's role, does not allow."""

    def __init__(self, status: Status | None, action: Action, allowed: list[Action], reason: str = "status"):
        self.status, self.action, self.allowed, self.reason = status, action, allowed, reason
        names = ", ".join(a.value for a in allowed) or "none"
        super().__init__(
            f"action '{action.value}' is not allowed in status '{status.value if status else 'new'}'"
            f" ({reason}); allowed here: {names}"
        )


def allowed_actions(
    status: Status | None, roles: frozenset[Role] | set[Role] | None = None, *, is_assignee: bool = True
) -> list[Action]:
    """The actions that may be fired in `status` (by someone holding `roles`, if given)."""
    found = []
    for rule in RULES:
        if rule.source != status:
            continue
        if roles is not None and not _may(rule, roles, is_assignee):
            continue
        found.append(rule.action)
    return found


def _may(rule: Rule, roles: AbstractSet[Role], is_assignee: bool) -> bool:
    for role in roles & rule.roles:
        if role is Role.HANDLER and rule.assignee_only and not is_assignee:
            continue
        return True
    return False


def fire(
    status: Status | None, action: Action | str, roles: frozenset[Role] | set[Role], *, is_assignee: bool
) -> Status | None:
    """The status after `action`, or TransitionNotAllowed naming the status and allowed actions."""
    action = Action(action)
    rule = TABLE.get((status, action))
    if rule is None:
        # an action these roles may take in no status at all is refused for the role, whatever the status
        if not any(_may(r, set(roles), is_assignee) for r in RULES if r.action is action):
            raise TransitionNotAllowed(
                status, action, allowed_actions(status, set(roles), is_assignee=is_assignee), reason="role"
            )
        raise TransitionNotAllowed(status, action, allowed_actions(status))
    if not _may(rule, set(roles), is_assignee):
        raise TransitionNotAllowed(
            status, action, allowed_actions(status, set(roles), is_assignee=is_assignee), reason="role"
        )
    return status if rule.target is None else rule.target
