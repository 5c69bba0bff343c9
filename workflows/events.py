"""Every kind of event an item's history holds, in one vocabulary (pure): the lifecycle's actions, each the kind
of the event `act` writes for it, and the events the system and other domains write (a 受理告知 issued, an
identity shown or erased, a repeat linked, the SLA sweep's marks, deadlines recomputed, attachments, letters)."""

from __future__ import annotations

from enum import StrEnum

from workflows.lifecycle import ACTION_LABELS, Action
from workflows.vocab import N_


class EventKind(StrEnum):
    # the lifecycle's actions (workflows.lifecycle.Action), written by `act` and by registration
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
    REDO = "redo"
    CLOSE_WITH_REASON = "close_with_reason"
    ESCALATE = "escalate"
    # written outside the lifecycle: they never change the status
    ACKNOWLEDGE = "acknowledge"  # 受理告知 issued (services/notices.py)
    VIEW_IDENTITY = "view_identity"  # a confidential complainant's identity shown (services/identity.py)
    IDENTITY_ERASED = "identity_erased"  # the retention job erased the identity (jobs/retention.py)
    REPEAT_LINK = "repeat_link"  # linked to an earlier item of the same person (services/repeats.py)
    DEADLINE_RECOMPUTED = "deadline_recomputed"  # provisional deadlines recomputed (jobs/provisional.py, calendar)
    SLA_DUE_SOON = "sla_due_soon"  # the SLA sweep: the item entered "due soon" (jobs/sla.py)
    SLA_OVERDUE = "sla_overdue"  # the SLA sweep: the item became overdue (and is supervised automatically)
    SUPERVISION_LAPSED = "supervision_lapsed"  # the SLA sweep: a 督办's own deadline passed, reported upward
    COOPERATION = "cooperation"  # cooperating units (协办) added (services/cohandling.py)
    ATTACH = "attach"  # a file attached (services/attachments.py)
    VIEW_ATTACHMENT = "view_attachment"  # a confidential item's attachment downloaded
    REMOVE_ATTACHMENT = "remove_attachment"
    ISSUE_LETTER = "issue_letter"  # an official letter issued (services/letters.py)


def of(action: Action) -> EventKind:
    """The kind of the event an action writes."""
    return EventKind(action.value)


SYSTEM_LABELS: dict[EventKind, str] = {
    EventKind.ACKNOWLEDGE: N_("受理告知"),
    EventKind.VIEW_IDENTITY: N_("查看身份"),
    EventKind.SLA_DUE_SOON: N_("即将超期提醒"),
    EventKind.SLA_OVERDUE: N_("超期"),
    EventKind.REPEAT_LINK: N_("重复诉求关联"),
    EventKind.DEADLINE_RECOMPUTED: N_("期限重算"),
    EventKind.SUPERVISION_LAPSED: N_("督办逾期"),
    EventKind.IDENTITY_ERASED: N_("个人信息到期删除"),
    EventKind.COOPERATION: N_("协办"),
    EventKind.ATTACH: N_("上传附件"),
    EventKind.VIEW_ATTACHMENT: N_("查看保密件附件"),
    EventKind.REMOVE_ATTACHMENT: N_("删除附件"),
    EventKind.ISSUE_LETTER: N_("出具文书"),
}
EVENT_LABELS: dict[EventKind, str] = {**{of(a): label for a, label in ACTION_LABELS.items()}, **SYSTEM_LABELS}
SYSTEM_KINDS = frozenset(SYSTEM_LABELS)

assert {a.value for a in Action} == {k.value for k in EventKind} - {k.value for k in SYSTEM_KINDS}, (
    "an action lacks its kind"
)
assert set(EVENT_LABELS) == set(EventKind), "an event kind lacks its label"
